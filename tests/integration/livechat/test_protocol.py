"""The customer socket speaks Rasa's Socket.IO protocol; the hub stores every
message before delivering it and replays what a reconnecting client missed."""

from __future__ import annotations

import pytest

from tests.integration.livechat.harness import Customer, eventually

pytestmark = pytest.mark.anyio


async def test_session_request_is_confirmed_and_bot_replies_are_relayed(hub, fake_rasa):
    c = await Customer(hub.url).connect()
    assert c.session_id and len(c.session_id) == 32
    ack = await c.say("hello there")
    assert ack["ok"] and ack["seq"] == 1 and ack["state"] == "bot"
    assert await c.wait_text("You said: hello there") == "You said: hello there"
    assert fake_rasa.received[0]["sender"] == c.session_id
    await c.close()


async def test_text_is_split_on_blank_lines_and_buttons_become_quick_replies(hub):
    c = await Customer(hub.url).connect()
    await c.say("menu")
    await c.wait_text("We can help")
    bot = [d for n, d in c.events if n == "bot_uttered"]
    assert [b["text"] for b in bot] == ["Pick one:", "We can help with these."]
    assert "quick_replies" not in bot[0] or bot[0]["quick_replies"] == []
    assert bot[1]["quick_replies"] == [
        {"content_type": "text", "title": "Book a visit", "payload": "/book"},
        {"content_type": "text", "title": "Talk to a person", "payload": "/human"},
    ]
    assert [b["metadata"]["seq"] for b in bot] == [2, 3]
    await c.close()


async def test_a_stock_rasa_client_works_without_our_additions(hub):
    """No last_seq, no client_id, session_id only: like rasa-webchat."""
    c = Customer(hub.url)
    c._session_data = lambda: {"session_id": None}
    await c.connect()
    reply = await c.emit_raw("user_uttered", {"message": "hi", "session_id": c.session_id, "customData": {}})
    assert reply["ok"]
    await c.wait_text("You said: hi")
    await c.close()


async def test_reload_keeps_the_session_and_replays_what_was_missed(hub):
    first = await Customer(hub.url).connect()
    await first.say("one")
    await first.wait_text("You said: one")
    seen = first.last_seq
    assert seen == 2
    await first.close()
    # while the page reloads, nothing; then the same session id comes back with last_seq 1
    again = Customer(hub.url, session_id=first.session_id, last_seq=1)
    await again.connect()
    assert again.session_id == first.session_id
    await eventually(lambda: again.last_seq == 2, what="replay of seq 2")
    replayed = [d for n, d in again.events if n == "bot_uttered"]
    assert replayed[0]["text"] == "You said: one" and replayed[0]["metadata"]["replay"] is True
    await again.close()


async def test_a_retried_message_is_stored_once(hub, fake_rasa):
    c = await Customer(hub.url).connect()
    a = await c.say("only once", client_id="same-id")
    b = await c.say("only once", client_id="same-id")
    assert (a["seq"], b["seq"], b["duplicate"]) == (1, 1, True)
    await c.wait_text("You said: only once")
    await eventually(lambda: len(fake_rasa.received) == 1)
    assert sum(1 for r in fake_rasa.received if r["message"] == "only once") == 1
    await c.close()


async def test_a_socket_cannot_write_into_another_session(hub):
    a = await Customer(hub.url).connect()
    b = await Customer(hub.url).connect()
    reply = await b.emit_raw("user_uttered", {"message": "sneaky", "session_id": a.session_id})
    assert reply == {"ok": False, "error": {"code": "forbidden", "message": "this socket belongs to another chat session"}}
    await eventually(lambda: any(n == "chat_error" for n, _ in b.events))
    assert not any(n == "user_message" for n, _ in a.events)
    await a.close()
    await b.close()


async def test_message_size_and_rate_limits_answer_with_a_clear_error(settings, hub_uow, people):
    from dataclasses import replace

    from tests.integration.livechat.harness import start_hub

    running = await start_hub(replace(settings, rate_burst=3, rate_per_s=0.1, max_message_chars=50), hub_uow)
    try:
        c = await Customer(running.url).connect()
        big = await c.say("x" * 51)
        assert big["ok"] is False and big["error"]["details"]["reason"] == "message_too_large"
        results = [await c.say(f"m{i}") for i in range(4)]
        assert [r["ok"] for r in results] == [True, True, True, False]
        assert results[-1]["error"]["code"] == "rate_limited"
        errors = await eventually(lambda: [d for n, d in c.events if n == "chat_error"] or None)
        assert {e["code"] for e in errors} >= {"message_too_large"}
        await eventually(lambda: any(d["code"] == "rate_limited" for n, d in c.events if n == "chat_error"))
        await c.close()
    finally:
        await running.stop()


async def test_a_logged_in_customer_is_tied_to_the_chat_and_rasa_gets_the_token(hub, fake_rasa, tokens, people):
    c = await Customer(hub.url, token=tokens["alice"]).connect()
    await c.say("hi, it is Alice")
    await c.wait_text("You said")
    assert fake_rasa.received[-1]["metadata"] == {"token": tokens["alice"]}
    # someone else with that session id gets a fresh session instead
    stranger = await Customer(hub.url, session_id=c.session_id).connect()
    assert stranger.session_id != c.session_id
    await c.close()
    await stranger.close()


async def test_http_pages_are_served(hub):
    import aiohttp

    async with aiohttp.ClientSession() as http:
        for path, kind in (("/health", "application/json"), ("/", "text/html"), ("/console", "text/html"),
                           ("/widget.js", "javascript"), ("/static/socket.io.min.js", "javascript"),
                           ("/api/health", "application/json"), ("/portal/login", "text/html")):
            async with http.get(hub.url + path) as resp:
                assert resp.status == 200, path
                assert kind in resp.headers["Content-Type"], (path, resp.headers["Content-Type"])


async def test_only_configured_origins_may_open_a_socket(hub):
    import socketio

    evil = socketio.AsyncClient(reconnection=False)
    with pytest.raises(socketio.exceptions.ConnectionError):
        await evil.connect(hub.url, headers={"Origin": "http://evil.example"}, transports=["websocket"],
                           wait_timeout=5)
    await evil.disconnect()
    own = socketio.AsyncClient(reconnection=False)
    await own.connect(hub.url, headers={"Origin": hub.url}, transports=["websocket"], wait_timeout=5)
    await own.disconnect()


async def test_the_consoles_kb_search_answers_even_without_an_index(settings, hub_uow, people, tokens, tmp_path,
                                                                   monkeypatch):
    from dataclasses import replace

    from tests.integration.livechat.harness import Agent, start_hub

    monkeypatch.setenv("KB_INDEX_DIR", str(tmp_path / "no-index-here"))
    running = await start_hub(replace(settings, kb_search=True), hub_uow)
    try:
        agent = await Agent(running.url, tokens["asha"]).connect()
        assert (await agent.ok("sync"))["kb"] is True
        found = await agent.ok("kb_search", {"query": "AC not cooling"})
        assert (found["hits"], found["reason"]) == ([], "no_index")
        await agent.close()
    finally:
        await running.stop()


async def test_a_second_tab_of_the_same_session_sees_both_sides(hub):
    first = await Customer(hub.url).connect()
    second = await Customer(hub.url, session_id=first.session_id).connect()
    assert second.session_id == first.session_id
    await first.say("typed in tab one")
    echo = await eventually(lambda: [d for n, d in second.events if n == "user_message"] or None)
    assert echo[0]["text"] == "typed in tab one" and echo[0]["seq"] == 1
    await second.wait_text("You said: typed in tab one")
    assert not [d for n, d in first.events if n == "user_message"]  # the sender has it from its ack
    await first.close()
    await second.close()
