"""Handoff, queue, routing, transfer, close and resume — through real sockets."""

from __future__ import annotations

import asyncio
from dataclasses import replace

import pytest
import socketio

from backend.conversations import service as conv
from backend.intake import service as intake
from tests.integration.livechat.harness import Agent, Customer, eventually, free_port, start_hub

pytestmark = pytest.mark.anyio


async def available(hub, token) -> Agent:
    agent = await Agent(hub.url, token).connect()
    await agent.ok("set_status", {"status": "available"})
    return agent


async def test_the_bots_handoff_queues_the_chat_and_the_bot_stops_hearing_it(hub, fake_rasa):
    c = await Customer(hub.url).connect()
    await c.say("human")
    await c.wait_text("Let me find a person")
    await c.wait_text("connecting you with a person", sender="system")
    state = await c.wait_state("queued")
    assert (state["position"], state["reason"]) == (1, "asked")
    assert state["estimated_wait_s"] > 0
    forwarded = len(fake_rasa.received)
    ack = await c.say("are you there?")
    assert ack["state"] == "queued"
    await asyncio.sleep(0.3)
    assert len(fake_rasa.received) == forwarded  # nothing goes to Rasa while queued
    await c.close()


async def test_positions_are_pushed_and_agents_take_the_queue_in_arrival_order(hub, tokens):
    customers = [await Customer(hub.url).connect() for _ in range(3)]
    for c in customers:
        await c.say("human")
        await c.wait_state("queued")
    await customers[2].wait_state("queued", position=3)
    asha = await available(hub, tokens["asha"])  # two chats at once
    first = await asha.wait_event("assigned")
    await eventually(lambda: len(asha.got("assigned")) == 2)
    assigned = [d["conversation"]["session_id"] for d in asha.got("assigned")]
    assert assigned == [customers[0].session_id, customers[1].session_id]
    assert first["reason"] == "routed"
    await customers[0].wait_state("agent", agent_name="Asha Rao")
    await customers[2].wait_state("queued", position=1)
    await asyncio.sleep(0.5)
    assert len(asha.got("assigned")) == 2  # her limit
    for c in customers:
        await c.close()
    await asha.close()


async def test_agent_sees_the_whole_transcript_and_the_two_sides_talk(hub, tokens, fake_rasa):
    c = await Customer(hub.url).connect()
    await c.say("my AC is leaking")
    await c.wait_text("You said: my AC is leaking")
    await c.say("human")
    await c.wait_state("queued")
    asha = await available(hub, tokens["asha"])
    assigned = await asha.wait_event("assigned")
    cid = assigned["conversation"]["id"]
    watch = await asha.ok("watch", {"conversation_id": cid})
    senders = [(m["sender"], m["text"]) for m in watch["messages"]]
    assert senders[:4] == [("customer", "my AC is leaking"), ("bot", "You said: my AC is leaking"),
                           ("customer", "human"), ("bot", "Let me find a person for you.")]
    await asha.ok("accept", {"conversation_id": cid})
    await c.wait_text("Asha Rao joined the chat.", sender="system")
    sent = await asha.ok("send", {"conversation_id": cid, "text": "Hi, Asha here. <b>not bold</b>", "client_id": "a1"})
    await c.wait_text("Asha here", sender="agent")
    from_agent = [d for n, d in c.events if n == "bot_uttered" and d["metadata"]["sender"] == "agent"][0]
    assert from_agent["metadata"]["agent_name"] == "Asha Rao"
    assert from_agent["metadata"]["seq"] == sent["seq"]
    assert from_agent["text"] == "Hi, Asha here. <b>not bold</b>"  # text, to be shown as text
    before = len(fake_rasa.received)
    await c.say("thanks, it drips at night")
    msg = await asha.wait_event("message", lambda m: m["text"] == "thanks, it drips at night")
    assert msg["sender"] == "customer" and msg["conversation_id"] == cid
    await asyncio.sleep(0.3)
    assert len(fake_rasa.received) == before
    await c.close()
    await asha.close()


async def test_an_unanswered_assignment_goes_to_the_next_agent(settings, hub_uow, people, tokens):
    running = await start_hub(replace(settings, assign_timeout_s=0.6), hub_uow)
    try:
        asha = await available(running, tokens["asha"])
        c = await Customer(running.url).connect()
        await c.say("human")
        first = await asha.wait_event("assigned")
        ravi = await available(running, tokens["ravi"])
        lapsed = await asha.wait_event("unassigned", timeout=5)
        assert lapsed == {"conversation_id": first["conversation"]["id"], "reason": "assignment_timeout"}
        second = await ravi.wait_event("assigned", timeout=5)
        assert second["conversation"]["agent_name"] == "Ravi Kumar"
        await c.wait_state("agent", agent_name="Ravi Kumar")
        await ravi.ok("accept", {"conversation_id": second["conversation"]["id"]})
        await asyncio.sleep(1.0)
        assert len(ravi.got("unassigned")) == 0  # answered: stays
        for x in (c, asha, ravi):
            await x.close()
    finally:
        await running.stop()


async def test_transfer_to_another_agent(hub, tokens):
    asha = await available(hub, tokens["asha"])
    ravi = await available(hub, tokens["ravi"])
    c = await Customer(hub.url).connect()
    await c.say("human")
    got = await eventually(lambda: (asha.got("assigned") or ravi.got("assigned")) or None)
    cid = got[0]["conversation"]["id"]
    owner, other, other_id = (asha, ravi, "ravi") if asha.got("assigned") else (ravi, asha, "asha")
    await owner.ok("accept", {"conversation_id": cid})
    agents = (await owner.ok("agents"))["agents"]
    target = next(a for a in agents if a["name"].lower().startswith(other_id))
    refused = await other.call("transfer", {"conversation_id": cid, "to_agent_id": target["user_id"]})
    assert refused["ok"] is False and refused["error"]["code"] == "forbidden"
    moved = await owner.ok("transfer", {"conversation_id": cid, "to_agent_id": target["user_id"]})
    assert moved["conversation"]["agent_id"] == target["user_id"]
    await other.wait_event("assigned", lambda d: d["reason"] == "transfer")
    await owner.wait_event("unassigned", lambda d: d["reason"] == "transferred")
    await c.wait_text("passed your chat to", sender="system")
    await c.wait_state("agent", agent_name=target["name"])
    for x in (c, asha, ravi):
        await x.close()


async def test_close_returns_the_chat_to_the_bot(hub, tokens, fake_rasa):
    asha = await available(hub, tokens["asha"])
    c = await Customer(hub.url).connect()
    await c.say("human")
    cid = (await asha.wait_event("assigned"))["conversation"]["id"]
    await asha.ok("accept", {"conversation_id": cid})
    closed = await asha.ok("close", {"conversation_id": cid, "note": "told them how to clean the filter"})
    assert closed["conversation"]["state"] == "closed"
    assert closed["ticket"] is None  # an anonymous visitor: no customer to file it under
    await c.wait_text("Asha Rao closed the chat.", sender="system")
    await c.wait_state("closed")
    await eventually(lambda: fake_rasa.resumed == [c.session_id], what="resume sent to Rasa")
    await eventually(lambda: fake_rasa.executed == [(c.session_id, "action_session_start")])
    ack = await c.say("one more question")
    assert ack["state"] == "bot"
    await c.wait_text("You said: one more question")
    await c.wait_state("bot")
    await c.close()
    await asha.close()


async def test_rasa_down_means_told_queued_and_nothing_lost(settings, hub_uow, people, tokens):
    dead = f"http://127.0.0.1:{free_port()}"
    running = await start_hub(replace(settings, rasa_url=dead, rasa_timeout_s=2), hub_uow)
    try:
        c = await Customer(running.url).connect()
        await c.say("my washer is making noise")
        await c.wait_text("Nothing you wrote is lost", sender="system")
        state = await c.wait_state("queued")
        assert state["reason"] == "bot_unreachable"
        await c.say("it is a Samsung, model WW70")
        asha = await available(running, tokens["asha"])
        cid = (await asha.wait_event("assigned"))["conversation"]["id"]
        watch = await asha.ok("watch", {"conversation_id": cid})
        typed = [m["text"] for m in watch["messages"] if m["sender"] == "customer"]
        assert typed == ["my washer is making noise", "it is a Samsung, model WW70"]
        await c.close()
        await asha.close()
    finally:
        await running.stop()


async def test_an_agent_picks_a_bot_conversation_from_the_live_list(hub, tokens, fake_rasa):
    c = await Customer(hub.url).connect()
    await c.say("what are your prices?")
    await c.wait_text("You said")
    boss = await Agent(hub.url, tokens["boss"]).connect()
    live = (await boss.ok("live"))["live"]
    target = next(x for x in live if x["session_id"] == c.session_id)
    picked = await boss.ok("pick", {"conversation_id": target["id"]})
    assert picked["conversation"]["state"] == "agent"
    await c.wait_text("Priya Shah joined the chat.", sender="system")
    await c.wait_state("agent", agent_name="Priya Shah")
    before = len(fake_rasa.received)
    await c.say("great, a person")
    await boss.wait_event("message", lambda m: m["text"] == "great, a person")
    await asyncio.sleep(0.3)
    assert len(fake_rasa.received) == before
    await c.close()
    await boss.close()


async def test_the_console_refuses_strangers_and_customers(hub, tokens):
    for auth in (None, {"token": "forged"}, {"token": tokens["alice"]}):
        client = socketio.AsyncClient(reconnection=False)
        with pytest.raises(socketio.exceptions.ConnectionError):
            await client.connect(hub.url, namespaces=["/agent"], auth=auth, transports=["websocket"], wait_timeout=5)
        await client.disconnect()


async def test_outside_business_hours_the_widget_offers_to_leave_a_message(settings, hub_uow, people, tokens,
                                                                           fake_rasa):
    running = await start_hub(replace(settings, hours="never"), hub_uow)
    try:
        alice = await Customer(running.url, token=tokens["alice"]).connect()
        await alice.say("human")
        await alice.wait_text("outside those hours", sender="system")
        offer = await eventually(lambda: [d for n, d in alice.events if n == "business_hours" and d.get("leave_message")])
        assert offer[0]["open"] is False
        assert (await alice.wait_state("bot"))["hours_open"] is False
        await eventually(lambda: alice.session_id in fake_rasa.resumed, what="the bot resumed")
        left = await alice.emit_raw("leave_message", {"text": "Please call me about my AMC renewal",
                                                      "name": "Alice", "contact": "alice@example.com"})
        assert left["ok"] and left["ticket"].startswith("TK-")
        await alice.wait_text(left["ticket"], sender="system")
        ticket = intake.get_request(hub_uow, people.boss, reference=left["ticket"])
        assert "AMC renewal" in ticket.problem

        visitor = await Customer(running.url).connect()
        anon = await visitor.emit_raw("leave_message", {"text": "Do you service Bosch fridges?", "name": "Ravi",
                                                        "contact": "+91 98450 22222"})
        assert anon == {"ok": True, "ticket": None}
        await visitor.wait_text("at +91 98450 22222", sender="system")
        view = conv.find_by_session(hub_uow, session_id=visitor.session_id)
        assert (view.state, view.handoff_reason) == ("queued", "left_message")
        for x in (alice, visitor):
            await x.close()
    finally:
        await running.stop()


async def test_closing_a_known_customers_chat_files_a_ticket_with_the_transcript(hub, hub_uow, people, tokens):
    asha = await available(hub, tokens["asha"])
    alice = await Customer(hub.url, token=tokens["alice"]).connect()
    await alice.say("my invoice looks wrong")
    await alice.wait_text("You said")
    await alice.say("human")
    cid = (await asha.wait_event("assigned"))["conversation"]["id"]
    summary = (await asha.ok("customer", {"customer_id": people.customer_id}))["summary"]
    assert summary["customer"]["name"] == "Alice Fernandes"
    assert set(summary) >= {"requests", "jobs", "invoices", "tickets"}
    await asha.ok("accept", {"conversation_id": cid})
    await asha.ok("send", {"conversation_id": cid, "text": "I have corrected the invoice."})
    first = await asha.ok("close", {"conversation_id": cid, "note": "Invoice corrected; sent again."})
    number = first["ticket"]
    assert number and number.startswith("TK-")
    await alice.wait_text(number, sender="system")
    req = intake.get_request(hub_uow, people.boss, reference=number)
    assert "my invoice looks wrong" in req.problem and "I have corrected the invoice." in req.problem
    assert req.ticket_state == "answered"
    # the same chat comes back later: the ticket is updated, not duplicated
    await alice.say("human")
    await eventually(lambda: len(asha.got("assigned")) == 2)
    await asha.ok("accept", {"conversation_id": cid})
    second = await asha.ok("close", {"conversation_id": cid, "note": "Refund confirmed."})
    assert second["ticket"] == number
    tickets = [t for t in intake.list_tickets(hub_uow, people.boss) if t.customer_id == people.customer_id]
    assert [(t.number, t.answer) for t in tickets] == [(number, "Refund confirmed.")]
    await alice.close()
    await asha.close()


async def test_sync_gives_the_console_everything_it_shows(hub, tokens):
    asha = await available(hub, tokens["asha"])
    state = await asha.ok("sync")
    assert state["me"]["name"] == "Asha Rao" and state["me"]["status"] == "available"
    assert {"mine", "queue", "live", "agents", "canned", "kb", "hours"} <= set(state)
    assert state["canned"] and all({"title", "text"} <= set(x) for x in state["canned"])
    bad = await asha.call("set_status", {"status": "asleep"})
    assert bad["ok"] is False and bad["error"]["code"] == "invalid_input"
    await asha.close()
