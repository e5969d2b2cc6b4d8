"""SIGTERM drains the hub (livechat/drain.py): a real ``python -m livechat``
process and real python-socketio clients. What was acknowledged is stored,
the bot turn in flight is finished, new work is refused with
``shutting_down``, the clients are told and reconnect by themselves, and the
process exits within a bound."""

from __future__ import annotations

import asyncio
import signal

import pytest

from backend.conversations import service as conv
from tests.integration.livechat.harness import Customer, HubProcess, eventually, free_port, hub_env

pytestmark = pytest.mark.anyio


async def test_sigterm_finishes_what_is_in_flight_tells_clients_and_exits(sqlite_url, hub_uow, people, fake_rasa,
                                                                         tmp_path):
    port = free_port()
    hub = HubProcess(port, hub_env(sqlite_url, fake_rasa.url), tmp_path / "hub.log").start()
    customer = None
    try:
        customer = await Customer(hub.url).connect()
        hints = []
        customer.sio.on("server_draining", lambda data=None: hints.append(data))
        await customer.say("hello")
        await customer.wait_text("You said: hello")

        fake_rasa.delay = 1.5  # the bot's answer to the next message is still on its way at SIGTERM
        ack = await customer.say("just before the stop")
        assert ack and ack["ok"], ack
        hub.proc.send_signal(signal.SIGTERM)
        # the loop must keep serving fake_rasa meanwhile: wait without blocking it
        code = await asyncio.to_thread(hub.proc.wait, 8)
        assert code == 0, (tmp_path / "hub.log").read_text()[-3000:]

        # the bot turn in flight was finished and delivered before the close
        assert "You said: just before the stop" in customer.bot_texts()
        assert hints and hints[0]["code"] == "shutting_down"
        log = (tmp_path / "hub.log").read_text()
        assert "draining: 1 connections" in log and "drained in" in log
        await eventually(lambda: not customer.sio.connected, what="the client saw the close")

        # the client reconnects by itself once a hub is back; what it typed meanwhile is stored once
        fake_rasa.delay = 0
        down = await customer.say("while it was down")
        assert down is None
        hub = HubProcess(port, hub.env, tmp_path / "hub2.log").start()
        await eventually(lambda: customer.sio.connected, timeout=20, what="the client reconnected")
        await eventually(lambda: not customer.outbox, timeout=20, what="the outbox flushed")
        await customer.wait_text("You said: while it was down", timeout=15)

        texts = _customer_texts(hub_uow, customer.session_id)
        assert texts == ["hello", "just before the stop", "while it was down"]
    finally:
        if customer is not None:
            await customer.close()
        hub.stop()


def _customer_texts(uow, session_id: str) -> list[str]:
    """The customer's messages as stored, in order (each once)."""
    from sqlalchemy import select

    from backend.conversations.models import Conversation

    with uow() as s:
        cid = s.scalars(select(Conversation.id).where(Conversation.session_id == session_id)).one()
    return [m.text for m in conv.messages_since(uow, conversation_id=cid) if m.sender == "customer"]


async def test_while_draining_new_events_are_refused_with_a_stable_code_and_connections_too():
    from livechat.drain import Drain

    class Namespace:
        async def trigger_event(self, event, *args):
            return {"ok": True, "event": event}

    drain = Drain(sio=None, hub=None, bound_s=1)
    ns = Namespace()
    drain.watch(ns)
    assert await ns.trigger_event("user_uttered", "sid", {}) == {"ok": True, "event": "user_uttered"}
    drain.draining = True
    refused = await ns.trigger_event("user_uttered", "sid", {})
    assert refused["ok"] is False and refused["error"]["code"] == "shutting_down"
    assert await ns.trigger_event("connect", "sid", {}) is False
    assert await ns.trigger_event("disconnect", "sid") == {"ok": True, "event": "disconnect"}
    assert drain.refused == 2 and drain.in_flight == 0
