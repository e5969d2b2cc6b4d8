"""Chat limits that answer: an oversized message is acknowledged with a stable
error code and the socket stays open; malformed Socket.IO frames are counted
and logged in one line each, without a traceback, and the socket carries on."""

from __future__ import annotations

import json
import logging

import aiohttp
import pytest

from tests.integration.livechat.harness import Customer, eventually

pytestmark = pytest.mark.anyio


async def test_a_100_kb_message_gets_an_error_code_and_the_socket_stays_open(hub, fake_rasa):
    c = await Customer(hub.url).connect()
    limit = 2000  # HubSettings.max_message_chars (HUB_MAX_MESSAGE_CHARS)
    ack = await c.say("x" * 100_000)
    assert ack is not None, "no acknowledgement: the socket was dropped"
    assert ack["ok"] is False and ack["error"]["code"] == "message_too_large"
    assert ack["error"]["details"]["max"] == limit and ack["error"]["details"]["reason"] == "message_too_large"
    await eventually(lambda: any(n == "chat_error" and d["code"] == "message_too_large" for n, d in c.events))
    assert c.sio.connected
    ok = await c.say("still here")
    assert ok["ok"] and ok["seq"] == 1  # the oversized one was never stored
    await c.wait_text("You said: still here")
    assert [r["message"] for r in fake_rasa.received] == ["still here"]
    just_over = await c.say("y" * (limit + 1))
    assert just_over["error"]["code"] == "message_too_large"
    await c.close()


async def _raw_socket(http: aiohttp.ClientSession, url: str) -> aiohttp.ClientWebSocketResponse:
    """An Engine.IO v4 websocket joined to the customer namespace, by hand."""
    ws = await http.ws_connect(url.replace("http", "ws") + "/socket.io/?EIO=4&transport=websocket")
    opened = await ws.receive_str(timeout=5)
    assert opened.startswith("0{")
    await ws.send_str("40")
    joined = await ws.receive_str(timeout=5)
    assert joined.startswith("40{"), joined
    return ws


async def _acks(ws: aiohttp.ClientWebSocketResponse, count: int) -> list:
    out = []
    while len(out) < count:
        frame = await ws.receive_str(timeout=5)
        if frame == "2":  # ping
            await ws.send_str("3")
        elif frame.startswith("43"):
            out.append(json.loads(frame[frame.index("["):])[0])
    return out


async def test_malformed_frames_are_counted_in_one_line_each_and_the_socket_survives(hub, caplog):
    caplog.set_level(logging.INFO)
    bad = [
        '42["user_uttered", 5',           # JSON cut short
        '42{"not": "a list"}',             # data is not an event list
        '42[]',                            # no event name
        '425',                             # a number, not data
        '42[5, "x"]',                      # the event name is not text
        '4{nonsense',                      # not a Socket.IO packet
        '42["refused", {"x": 1}]',        # an internal method, not an event
    ]
    async with aiohttp.ClientSession() as http:
        ws = await _raw_socket(http, hub.url)
        for frame in bad:
            await ws.send_str(frame)
        await ws.send_bytes(b"\x00\xff")  # a binary frame nobody announced
        # an event its handler cannot take, with an ack id: answered "malformed"
        await ws.send_str('421["end_chat", 1, 2, 3]')
        await ws.send_str('422["session_request", {}]')
        acks = await _acks(ws, 2)
        assert acks[0]["ok"] is False and acks[0]["error"]["code"] == "malformed"
        assert acks[1]["ok"] is True and acks[1]["session_id"]
        await ws.close()
    lines = [r for r in caplog.records if "malformed frame" in r.getMessage()]
    assert len(lines) >= len(bad) + 2, [r.getMessage() for r in caplog.records]
    assert all(r.exc_info is None and "\n" not in r.getMessage() for r in lines)
    assert lines[-1].getMessage().endswith(f"; {len(lines)} so far")
    assert not [r for r in caplog.records if r.exc_info], [r.getMessage() for r in caplog.records if r.exc_info]
    assert "Traceback" not in caplog.text
