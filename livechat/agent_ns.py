"""The agent console's socket (namespace ``/agent``). Authentication happens
in ``connect``: the signed login token of an agent, manager or admin in
``auth.token``; anything else is refused with ``ConnectionRefusedError``.

Client → server (each answers with an acknowledgement ``{"ok": ...}``):
``sync``, ``set_status {status}``, ``watch {conversation_id, after_seq}``,
``unwatch``, ``pick``, ``accept``, ``send {conversation_id, text, client_id}``,
``typing {conversation_id, on}``, ``transfer {conversation_id, to_agent_id}``,
``close {conversation_id, note}``, ``live``, ``agents``,
``customer {customer_id}``, ``kb_search {query}``.

Server → client: ``assigned``, ``unassigned``, ``message``, ``conversation``,
``conversation_closed``, ``typing``, ``queue_update``.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import socketio
from socketio.exceptions import ConnectionRefusedError

from backend.conversations import service as conv
from backend.errors import DomainError, ErrorCode
from backend.identity.actor import Actor
from backend.identity.tokens import actor_from_token
from livechat import desk
from livechat.guard import as_dict, client_id_field, guarded, int_field, refuse, text_field
from livechat.hub import AGENTS, ALL_AGENTS, Hub, agent_room, conv_room, queue_item
from livechat.limits import TokenBucket

log = logging.getLogger("livechat.agents")
CANNED = Path(__file__).resolve().parent / "canned.json"


@dataclass
class AgentSocket:
    actor: Actor
    bucket: TokenBucket


class AgentNamespace(socketio.AsyncNamespace):
    def __init__(self, hub: Hub, kb: desk.KbSearch | None = None) -> None:
        super().__init__(AGENTS)
        self.hub = hub
        self.kb = kb
        self.sockets: dict[str, AgentSocket] = {}
        self.canned = json.loads(CANNED.read_text(encoding="utf-8")) if CANNED.exists() else []

    async def on_connect(self, sid, environ, auth=None):
        token = auth.get("token") if isinstance(auth, dict) else None
        if not isinstance(token, str) or not token:
            raise ConnectionRefusedError("log in first", {"code": "unauthenticated"})
        try:
            actor = actor_from_token(self.hub.settings.core.secret_key, token, channel="console")
        except DomainError as exc:
            raise ConnectionRefusedError(exc.message, {"code": str(exc.code)}) from None
        if not actor.is_staff or actor.user_id is None:
            raise ConnectionRefusedError("the console is for agents", {"code": "forbidden"})
        s = self.hub.settings
        self.sockets[sid] = AgentSocket(actor, TokenBucket(s.rate_burst * 2, s.rate_per_s * 3))
        self.hub.local_agents[actor.user_id].add(sid)
        await self.enter_room(sid, ALL_AGENTS)
        await self.enter_room(sid, agent_room(actor.user_id))
        for view in await self.hub.db(conv.agent_conversations, actor):
            await self.enter_room(sid, conv_room(view.id))
        await self.hub.db(conv.touch_agents, agent_ids=[actor.user_id])

    async def on_disconnect(self, sid, reason=None):
        sock = self.sockets.pop(sid, None)
        if sock:
            sids = self.hub.local_agents.get(sock.actor.user_id)
            if sids is not None:
                sids.discard(sid)
                if not sids:
                    del self.hub.local_agents[sock.actor.user_id]

    async def on_refused(self, sid: str, exc: DomainError) -> None:
        pass  # the acknowledgement carries the error

    def _actor(self, sid: str) -> Actor:
        sock = self.sockets.get(sid)
        if sock is None:
            raise refuse(ErrorCode.UNAUTHENTICATED, "log in first")
        return sock.actor

    def _cid(self, data: Any) -> tuple[dict, int]:
        data = as_dict(data)
        return data, int_field(data, "conversation_id")

    # -- overview -------------------------------------------------------------------
    @guarded
    async def on_sync(self, sid, data=None):
        actor = self._actor(sid)
        hub = self.hub
        mine = await hub.db(conv.agent_conversations, actor)
        snap = await hub.db(conv.queue_snapshot, seen_within=hub._seen_within())
        agents = await hub.db(conv.list_agents, actor)
        me = next((a for a in agents if a.user_id == actor.user_id), None)
        return {
            "me": {"user_id": actor.user_id, "name": actor.name, "role": str(actor.role),
                   "status": me.status if me else "away"},
            "mine": [v.as_dict() for v in mine],
            "queue": [queue_item(e) for e in snap.entries],
            "live": [v.as_dict() for v in await hub.db(conv.live_conversations, actor)],
            "agents": [desk.plain(a) for a in agents],
            "canned": self.canned,
            "kb": bool(self.kb and self.kb.available()),
            "hours": hub.business_hours(),
        }

    @guarded
    async def on_set_status(self, sid, data=None):
        actor = self._actor(sid)
        status = text_field(as_dict(data), "status", limit=20)
        view = await self.hub.db(conv.set_agent_status, actor, status=status)
        self.hub.kick()
        return {"status": view.status}

    @guarded
    async def on_live(self, sid, data=None):
        actor = self._actor(sid)
        return {"live": [v.as_dict() for v in await self.hub.db(conv.live_conversations, actor)]}

    @guarded
    async def on_agents(self, sid, data=None):
        actor = self._actor(sid)
        return {"agents": [desk.plain(a) for a in await self.hub.db(conv.list_agents, actor)]}

    # -- one conversation ------------------------------------------------------------
    @guarded
    async def on_watch(self, sid, data=None):
        """Follow a conversation: its transcript (the bot part too) and, from
        now on, its live messages."""
        self._actor(sid)
        data, cid = self._cid(data)
        after = int_field(data, "after_seq", required=False, default=0) or 0
        view = await self.hub.db(conv.get_conversation, conversation_id=cid)
        await self.enter_room(sid, conv_room(cid))
        messages = await self.hub.db(conv.messages_since, conversation_id=cid, after_seq=after)
        history = await self.hub.db(conv.history, conversation_id=cid)
        return {"conversation": view.as_dict(), "messages": [m.as_dict() for m in messages], "history": history}

    @guarded
    async def on_unwatch(self, sid, data=None):
        actor = self._actor(sid)
        data, cid = self._cid(data)
        view = await self.hub.db(conv.get_conversation, conversation_id=cid)
        if view.agent_id != actor.user_id:
            await self.leave_room(sid, conv_room(cid))
        return {}

    @guarded
    async def on_pick(self, sid, data=None):
        actor = self._actor(sid)
        _, cid = self._cid(data)
        view = await self.hub.pick(actor, cid)
        await self.enter_room(sid, conv_room(cid))
        return {"conversation": view.as_dict()}

    @guarded
    async def on_accept(self, sid, data=None):
        actor = self._actor(sid)
        _, cid = self._cid(data)
        view = await self.hub.accept(actor, cid)
        await self.enter_room(sid, conv_room(cid))
        return {"conversation": view.as_dict()}

    @guarded
    async def on_send(self, sid, data=None):
        actor = self._actor(sid)
        data, cid = self._cid(data)
        text = text_field(data, "text", limit=self.hub.settings.max_message_chars * 2)
        if not self.sockets[sid].bucket.take():
            raise refuse(ErrorCode.RATE_LIMITED, "you are sending messages too fast")
        stored = await self.hub.agent_said(actor, cid, text, client_id_field(data), sid=sid)
        return {"seq": stored.message.seq, "message_id": stored.message.id, "duplicate": stored.duplicate,
                "message": stored.message.as_dict()}

    async def on_typing(self, sid, data=None):
        sock = self.sockets.get(sid)
        if sock is None or not isinstance(data, dict) or not isinstance(data.get("conversation_id"), int):
            return
        await self.hub.to_customer(data["conversation_id"], "typing",
                                   {"on": bool(data.get("on")), "who": "agent", "name": sock.actor.name})

    @guarded
    async def on_transfer(self, sid, data=None):
        actor = self._actor(sid)
        data, cid = self._cid(data)
        to = int_field(data, "to_agent_id")
        view = await self.hub.transfer(actor, cid, to)
        if view.agent_id != actor.user_id:
            await self.leave_room(sid, conv_room(cid))
        return {"conversation": view.as_dict()}

    @guarded
    async def on_close(self, sid, data=None):
        """Close with a note: the help-desk ticket gets the transcript and the note."""
        actor = self._actor(sid)
        data, cid = self._cid(data)
        note = text_field(data, "note", limit=4000, required=False)
        # the core refuses a chat that is not this agent's to close, before it files anything
        ticket_id, number = await self.hub.db(desk.ticket_for_close, actor, conversation_id=cid, note=note)
        closed = await self.hub.close(actor, cid, note=note, ticket_id=ticket_id, ticket_number=number)
        return {"conversation": closed.as_dict(), "ticket": number,
                "note": None if number else "no ticket: the visitor is not tied to a customer"}

    # -- beside the chat ---------------------------------------------------------------
    @guarded
    async def on_customer(self, sid, data=None):
        actor = self._actor(sid)
        cust = int_field(as_dict(data), "customer_id")
        return {"summary": await self.hub.db(desk.customer_summary, actor, customer_id=cust)}

    @guarded
    async def on_kb_search(self, sid, data=None):
        self._actor(sid)
        query = text_field(as_dict(data), "query", limit=300)
        if self.kb is None or not self.kb.available():
            raise refuse(ErrorCode.NOT_FOUND, "the knowledge base is not installed here")
        import asyncio

        return await asyncio.to_thread(self.kb.search, query, 5)
