"""Two hub processes behind one Redis: a customer on one and an agent on the
other talk to each other (rooms and events shared through AsyncRedisManager,
conversation state and the queue in the shared database)."""

from __future__ import annotations

import uuid

import pytest

from tests.conftest import _require
from tests.integration.livechat.harness import Agent, Customer, HubProcess, free_port, hub_env

pytestmark = [pytest.mark.redis, pytest.mark.anyio]


async def test_customer_on_one_worker_agent_on_another(sqlite_url, hub_uow, people, tokens, fake_rasa, tmp_path):
    redis_url = _require("TEST_REDIS_URL", "Redis")
    env = hub_env(sqlite_url, fake_rasa.url, REDIS_URL=redis_url,
                  HUB_REDIS_CHANNEL=f"fieldserv-test-{uuid.uuid4().hex[:12]}")
    a = HubProcess(free_port(), env, tmp_path / "hub-a.log").start()
    b = HubProcess(free_port(), env, tmp_path / "hub-b.log").start()
    customer = agent = None
    try:
        agent = await Agent(b.url, tokens["asha"]).connect()
        await agent.ok("set_status", {"status": "available"})
        customer = await Customer(a.url).connect()
        await customer.say("hello")
        await customer.wait_text("You said: hello")
        await customer.say("human")
        assigned = await agent.wait_event("assigned", timeout=15)
        cid = assigned["conversation"]["id"]
        watch = await agent.ok("watch", {"conversation_id": cid})
        assert [m["text"] for m in watch["messages"]][:2] == ["hello", "You said: hello"]
        await agent.ok("accept", {"conversation_id": cid})
        await customer.wait_text("Asha Rao joined the chat.", sender="system")
        await agent.ok("send", {"conversation_id": cid, "text": "Hello from worker B", "client_id": "b1"})
        await customer.wait_text("Hello from worker B", sender="agent")
        await customer.say("Hi B, this is A")
        await agent.wait_event("message", lambda m: m["text"] == "Hi B, this is A")
        await customer.wait_state("agent", agent_name="Asha Rao")
        closed = await agent.ok("close", {"conversation_id": cid, "note": "done"})
        assert closed["conversation"]["state"] == "closed"
        await customer.wait_state("closed")
        # each customer update arrives once although two workers run the routing loop
        queued = [s for s in customer.states() if s["state"] == "queued"]
        assert len(queued) <= 2
    finally:
        for client in (customer, agent):
            if client is not None:
                await client.close()
        a.stop()
        b.stop()
