"""Kill the hub mid-conversation and start it again on the same database:
both sides reconnect by themselves, and every message typed on either side
is stored exactly once and reaches the other side."""

from __future__ import annotations

import asyncio

import pytest

from backend.conversations import service as conv
from tests.integration.livechat.harness import Agent, Customer, HubProcess, eventually, free_port, hub_env

pytestmark = pytest.mark.anyio


async def agent_send(agent: Agent, cid: int, text: str, client_id: str) -> None:
    """Like the console: keep trying until the hub acknowledges."""
    for _ in range(200):
        if agent.sio.connected:
            try:
                reply = await agent.call("send", {"conversation_id": cid, "text": text, "client_id": client_id})
                if reply.get("ok"):
                    agent.events.append(("message", reply["message"]))  # the console shows it from the ack
                    return
            except Exception:
                pass
        await asyncio.sleep(0.1)
    raise AssertionError(f"agent could not send {text!r}")


async def test_restart_loses_and_duplicates_nothing(sqlite_url, hub_uow, people, tokens, fake_rasa, tmp_path):
    port = free_port()
    hub = HubProcess(port, hub_env(sqlite_url, fake_rasa.url), tmp_path / "hub.log").start()
    customer = agent = None
    try:
        agent = await Agent(hub.url, tokens["asha"]).connect()
        await agent.ok("set_status", {"status": "available"})
        customer = await Customer(hub.url).connect()
        await customer.say("hello")
        await customer.wait_text("You said: hello")
        await customer.say("human")
        cid = (await agent.wait_event("assigned"))["conversation"]["id"]
        await agent.ok("watch", {"conversation_id": cid})
        await agent.ok("accept", {"conversation_id": cid})
        for i in range(3):
            await customer.say(f"before {i}")
            await agent_send(agent, cid, f"agent before {i}", f"a-before-{i}")
        await eventually(lambda: sum(1 for t in customer.bot_texts("agent") if t.startswith("agent before")) == 3)

        hub.kill()
        await eventually(lambda: not customer.sio.connected and not agent.sio.connected, what="both see the drop")
        down = [await customer.say(f"while down {i}") for i in range(2)]
        assert down == [None, None]  # kept in the widget's outbox
        agent_task = asyncio.ensure_future(agent_send(agent, cid, "agent while down", "a-down"))

        hub = HubProcess(port, hub.env, tmp_path / "hub2.log").start()
        await eventually(lambda: customer.sio.connected and agent.sio.connected, timeout=20, what="reconnects")
        # the console re-watches its chat from the last seq it has (console.js does the same)
        had = max(m["seq"] for n, m in agent.events if n == "message" and m["conversation_id"] == cid)
        caught_up = await agent.ok("watch", {"conversation_id": cid, "after_seq": had})
        await eventually(lambda: not customer.outbox, timeout=20, what="the outbox flushed")
        await asyncio.wait_for(agent_task, 20)
        for i in range(2):
            await customer.say(f"after {i}")
            await agent_send(agent, cid, f"agent after {i}", f"a-after-{i}")

        stored = conv.messages_since(hub_uow, conversation_id=cid)
        seqs = [m.seq for m in stored]
        assert seqs == list(range(1, len(stored) + 1))
        typed = [m.text for m in stored if m.sender == "customer"]
        assert typed == ["hello", "human", "before 0", "before 1", "before 2", "while down 0", "while down 1",
                         "after 0", "after 1"]
        said = [m.text for m in stored if m.sender == "agent"]
        assert sorted(said) == sorted(["agent before 0", "agent before 1", "agent before 2", "agent while down",
                                       "agent after 0", "agent after 1"])
        # the customer has every message, each once (by seq), with nothing missing
        await eventually(lambda: customer.last_seq == len(stored), timeout=10, what="customer caught up")
        assert sorted(customer.seqs) == seqs
        # the console: live messages plus its catch-up after the reconnect cover every message
        live = {m["seq"] for n, m in agent.events if n == "message" and m["conversation_id"] == cid}
        assert live | {m["seq"] for m in caught_up["messages"]} | set(range(1, had + 1)) == set(seqs)
        assert had >= 8 and live >= set(range(had + 1, len(seqs) + 1)) - {m["seq"] for m in caught_up["messages"]}
    finally:
        for client in (customer, agent):
            if client is not None:
                await client.close()
        hub.stop()
