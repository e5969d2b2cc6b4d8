"""The admin's desk settings, changed through the core while the hub runs,
are what the hub's hours and routing use next: no restart."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import timedelta

import pytest
from sqlalchemy import update

from backend.conversations import desk
from backend.conversations.models import Conversation
from backend.db import utcnow
from backend.identity.actor import SYSTEM
from livechat.pages import HUB
from tests.integration.livechat.harness import Agent, Customer, eventually, start_hub

pytestmark = pytest.mark.anyio


async def test_stored_business_hours_replace_the_environments_at_once(settings, hub_uow, people, fake_rasa):
    running = await start_hub(replace(settings, hours="always", desk_refresh_s=0), hub_uow)
    try:
        await asyncio.to_thread(desk.set_desk_settings, hub_uow, SYSTEM, business_hours="never")
        c = await Customer(running.url).connect()
        await c.say("human")
        await c.wait_text("outside those hours", sender="system")
        offer = await eventually(lambda: [d for n, d in c.events if n == "business_hours" and d.get("leave_message")])
        assert offer[0]["open"] is False and offer[0]["hours"] == "our team is not taking live chats at the moment"
        await asyncio.to_thread(desk.set_desk_settings, hub_uow, SYSTEM, business_hours=None)  # back to "always"
        await c.say("human")
        await c.wait_state("queued")
        await c.close()
    finally:
        await running.stop()


async def test_a_stored_assignment_timeout_is_what_routing_uses_next(settings, hub_uow, people, tokens):
    running = await start_hub(replace(settings, assign_timeout_s=3600, desk_refresh_s=0), hub_uow)
    hub = running.app[HUB]
    try:
        asha = await Agent(running.url, tokens["asha"]).connect()
        await asha.ok("set_status", {"status": "available"})
        c = await Customer(running.url).connect()
        await c.say("human")
        first = await asha.wait_event("assigned")
        cid = first["conversation"]["id"]

        def assigned_long_ago():
            with hub_uow() as s:
                s.execute(update(Conversation).where(Conversation.id == cid)
                          .values(assigned_at=utcnow() - timedelta(minutes=5)))

        await asyncio.to_thread(assigned_long_ago)
        await hub.route_once()  # five minutes is well inside the environment's hour
        assert asha.got("unassigned") == []
        await asyncio.to_thread(desk.set_desk_settings, hub_uow, SYSTEM, assign_timeout_s=60)
        await hub.route_once()
        assert hub.assign_timeout_s == 60
        lapsed = await asha.wait_event("unassigned")
        assert lapsed == {"conversation_id": cid, "reason": "assignment_timeout"}
        for x in (c, asha):
            await x.close()
    finally:
        await running.stop()


async def test_a_lowered_chat_limit_is_what_routing_uses_next(settings, hub_uow, people, tokens):
    running = await start_hub(settings, hub_uow)
    try:
        meena = await Agent(running.url, tokens["meena"]).connect()  # one chat at a time
        await meena.ok("set_status", {"status": "available"})
        await asyncio.to_thread(desk.set_max_chats, hub_uow, SYSTEM, user_id=people.meena.user_id, max_chats=2)
        one, two = await Customer(running.url).connect(), await Customer(running.url).connect()
        await one.say("human")
        await meena.wait_event("assigned")
        await two.say("human")
        await meena.wait_event("assigned", lambda d: len(meena.got("assigned")) == 2)
        await two.wait_state("agent", agent_name="Meena Iyer")
        for x in (one, two, meena):
            await x.close()
    finally:
        await running.stop()
