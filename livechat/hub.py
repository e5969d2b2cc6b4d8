"""The hub's heart: every conversation's messages go through here.

Store before deliver (``MessageWriter``), then emit; forward to Rasa only
while the bot owns the conversation (decided on the state stored with the
message); hand off when the bot asks, when it cannot be reached, or when an
agent picks the chat; route queued chats to agents on a short timer; push
queue positions to the customers who wait.

Emits go through python-socketio's client manager, so with Redis every hub
worker reaches every socket. Pushes that are computed from the database on
each worker (queue positions, queue lists) go only to this worker's own
sockets, so that two workers do not send each customer the same update twice.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections import OrderedDict, defaultdict
from datetime import timedelta
from typing import Any

import socketio

from backend.conversations import service as conv
from backend.conversations.desk import DeskSettingsCache
from backend.conversations.lifecycle import ConversationState as S
from backend.conversations.lifecycle import HandoffReason, Sender
from backend.conversations.service import ConversationView, MessageView, NewMessage, Stored
from backend.db import UnitOfWork, utcnow
from backend.errors import DomainError
from backend.identity.actor import Actor
from livechat import texts
from backend.conversations.hours import BusinessHours
from livechat.rasa import RasaClient, RasaUnavailable
from livechat.settings import HubSettings
from livechat.writer import MessageWriter

log = logging.getLogger("livechat.hub")

CUSTOMERS = "/"
AGENTS = "/agent"
ALL_AGENTS = "agents"
BOT_REASON = re.compile(r"^[a-z][a-z0-9_]{0,31}$")


def conv_room(conversation_id: int) -> str:
    return f"conv:{conversation_id}"


def agent_room(user_id: int) -> str:
    return f"agent:{user_id}"


def customer_payload(m: MessageView) -> dict[str, Any]:
    """A stored bot, agent or system message as Rasa's ``bot_uttered`` payload,
    with who sent it in ``metadata`` (Rasa widgets ignore what they do not know)."""
    body = {k: v for k, v in (m.payload or {}).items() if k in ("quick_replies", "attachment", "custom", "buttons")}
    if m.text is not None:
        body["text"] = m.text
    body["metadata"] = {
        "seq": m.seq, "message_id": m.id, "sender": m.sender, "agent_name": m.agent_name,
        "at": m.created_at.isoformat(),
    }
    if (m.payload or {}).get("notice"):  # pushed by the worker (livechat/notices.py)
        body["metadata"]["notice"] = m.payload["notice"]
    return body


def customer_echo(m: MessageView) -> dict[str, Any]:
    """A stored customer message, for the customer's other tabs and for replay."""
    title = (m.payload or {}).get("title")
    return {"text": title or m.text, "seq": m.seq, "message_id": m.id, "client_id": m.client_id,
            "at": m.created_at.isoformat()}


def utterance_payload(u: dict[str, Any]) -> dict[str, Any] | None:
    rest = {k: v for k, v in u.items() if k != "text"}
    return rest or None


class Hub:
    def __init__(
        self, settings: HubSettings, uow: UnitOfWork, sio: socketio.AsyncServer, rasa: RasaClient,
        hours: BusinessHours,
    ) -> None:
        self.settings = settings
        self.uow = uow
        self.sio = sio
        self.rasa = rasa
        # Business hours and the assignment timeout: as the admin stored them
        # (re-read every `desk_refresh_s` on the routing timer), else `hours`
        # and settings.assign_timeout_s from the environment.
        self.desk = DeskSettingsCache(uow, default_hours=hours, default_timeout_s=settings.assign_timeout_s,
                                      ttl_s=settings.desk_refresh_s)
        self.writer = MessageWriter(uow, max_batch=settings.write_batch)
        self.local_customers: dict[int, set[str]] = defaultdict(set)  # conversation id → sids here
        self.local_agents: dict[int, set[str]] = defaultdict(set)  # agent user id → sids here
        self._bot_locks: dict[int, asyncio.Lock] = {}
        self._tasks: set[asyncio.Task] = set()
        self._kick = asyncio.Event()
        self._pushed: dict[int, tuple] = {}  # conversation id → last (position, wait) sent
        self._queue_sig: tuple = ()
        self._loop_task: asyncio.Task | None = None
        self._last_touch = 0.0
        # Bot-owned conversations this worker knows of (id → session id), so a
        # customer message can go to Rasa while it is being stored (the reply
        # is still delivered only after both are stored). Only with a single
        # worker: there every move of a conversation goes through this hub.
        self._bot_owned: OrderedDict[int, str] = OrderedDict()
        self._recent_ids: OrderedDict[tuple[int, str], None] = OrderedDict()  # retries are never sent early
        self.early_forward = settings.redis_url is None

    @property
    def hours(self) -> BusinessHours:
        return self.desk.current().hours

    @property
    def assign_timeout_s(self) -> float:
        return self.desk.current().assign_timeout_s

    async def refresh_desk(self, *, force: bool = False) -> None:
        """Re-read the stored desk settings when the last read is older than
        ``desk_refresh_s`` (or now, with ``force``)."""
        if force or self.desk.stale():
            await asyncio.to_thread(self.desk.refresh, force=force)

    # -- lifecycle of the hub itself ---------------------------------------
    async def start(self) -> None:
        try:
            await self.refresh_desk(force=True)
        except Exception:
            log.exception("could not read the stored desk settings; using the environment's until the next tick")
        self.writer.start()
        await self.rasa.start()
        self._loop_task = asyncio.create_task(self._routing_loop(), name="routing")

    async def stop(self) -> None:
        if self._loop_task:
            self._loop_task.cancel()
            await asyncio.gather(self._loop_task, return_exceptions=True)
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        await self.writer.stop()
        await self.rasa.close()

    def spawn(self, coro) -> asyncio.Task:
        task = asyncio.create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._done)
        return task

    def _done(self, task: asyncio.Task) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("background task failed", exc_info=task.exception())

    def kick(self) -> None:
        """Run a routing pass now rather than at the next tick."""
        self._kick.set()

    async def db(self, fn, /, *args, **kwargs):
        return await asyncio.to_thread(fn, self.uow, *args, **kwargs)

    # -- emitting ---------------------------------------------------------------
    async def to_customer(self, conversation_id: int, event: str, data: Any, *, skip_sid: str | None = None) -> None:
        await self.sio.emit(event, data, room=conv_room(conversation_id), namespace=CUSTOMERS, skip_sid=skip_sid)

    async def to_watchers(self, conversation_id: int, event: str, data: Any) -> None:
        await self.sio.emit(event, data, room=conv_room(conversation_id), namespace=AGENTS)

    async def to_agent(self, user_id: int, event: str, data: Any) -> None:
        await self.sio.emit(event, data, room=agent_room(user_id), namespace=AGENTS)

    async def to_all_agents(self, event: str, data: Any) -> None:
        await self.sio.emit(event, data, room=ALL_AGENTS, namespace=AGENTS)

    async def deliver(self, m: MessageView, *, skip_agent_sid: str | None = None) -> None:
        """A stored message to everyone who follows its conversation (the
        console socket that sent it has it from its acknowledgement)."""
        if m.sender == Sender.CUSTOMER:
            await self.to_customer(m.conversation_id, "user_message", customer_echo(m))
        else:
            await self.to_customer(m.conversation_id, "bot_uttered", customer_payload(m))
        room = conv_room(m.conversation_id)
        if self._anyone_in(AGENTS, room, skip_agent_sid):
            await self.sio.emit("message", m.as_dict(), room=room, namespace=AGENTS, skip_sid=skip_agent_sid)

    def _anyone_in(self, namespace: str, room: str, skip_sid: str | None) -> bool:
        """Whether an emit to ``room`` reaches anyone (python-socketio encodes
        the packet before it looks). With Redis other workers may listen."""
        if self.settings.redis_url:
            return True
        return any(sid != skip_sid for sid, _eio in self.sio.manager.get_participants(namespace, room))

    async def say(self, conversation_id: int, text: str, *, payload: dict | None = None) -> MessageView:
        """Store and deliver a message from the hub itself (sender "system")."""
        stored = await self.writer.write(NewMessage(conversation_id, Sender.SYSTEM, text, payload))
        if stored.error:
            raise stored.error
        await self.deliver(stored.message)
        return stored.message

    def state_payload(self, view: ConversationView, *, position: int | None = None,
                      wait: int | None = None) -> dict[str, Any]:
        return {
            "conversation_id": view.id, "state": view.state, "agent_name": view.agent_name,
            "position": position, "estimated_wait_s": wait, "reason": view.handoff_reason,
            "hours_open": self.hours.is_open(utcnow()),
        }

    async def push_state(self, view: ConversationView) -> None:
        position = wait = None
        if view.state == S.QUEUED:
            snap = await self.db(conv.queue_snapshot, seen_within=self._seen_within())
            entry = snap.position_of(view.id)
            if entry:
                position, wait = entry.position, entry.estimated_wait_s
                self._pushed[view.id] = (position, wait)
        await self.to_customer(view.id, "handoff_state", self.state_payload(view, position=position, wait=wait))
        await self.to_watchers(view.id, "conversation", view.as_dict())

    def business_hours(self) -> dict[str, Any]:
        now = utcnow()
        nxt = self.hours.next_open(now)
        return {"open": self.hours.is_open(now), "hours": self.hours.describe(),
                "next_open": nxt.isoformat() if nxt else None}

    # -- customers ------------------------------------------------------------------
    def _remember(self, view: ConversationView) -> None:
        if view.state == S.BOT and not view.resume_pending:
            self._bot_owned[view.id] = view.session_id
            self._bot_owned.move_to_end(view.id)
            while len(self._bot_owned) > 20000:
                self._bot_owned.popitem(last=False)
        else:
            self._bot_owned.pop(view.id, None)

    def forget(self, conversation_id: int) -> None:
        """The conversation is about to leave the bot: no early forwarding."""
        self._bot_owned.pop(conversation_id, None)

    async def customer_said(
        self, conversation_id: int, text: str, *, client_id: str | None, metadata: dict[str, Any],
        title: str | None = None, sid: str | None = None,
    ) -> Stored:
        payload = {"title": title} if title else None
        early = None
        session_id = self._bot_owned.get(conversation_id) if self.early_forward else None
        if client_id is not None:
            key = (conversation_id, client_id)
            if key in self._recent_ids:
                session_id = None
            self._recent_ids[key] = None
            if len(self._recent_ids) > 50000:
                self._recent_ids.popitem(last=False)
        if session_id is not None:
            early = asyncio.ensure_future(self.rasa.send(session_id, text, metadata))
        try:
            stored = await self.writer.write(NewMessage(conversation_id, Sender.CUSTOMER, text, payload, client_id))
        except BaseException:
            _drop(early)
            raise
        if stored.error or stored.duplicate:
            _drop(early)
            if stored.error:
                raise stored.error
            return stored
        m, view = stored.message, stored.conversation
        self._remember(view)
        if self.settings.redis_url or self.local_customers.get(conversation_id, set()) - {sid}:
            await self.to_customer(conversation_id, "user_message", customer_echo(m), skip_sid=sid)  # other tabs
        if self._anyone_in(AGENTS, conv_room(conversation_id), None):
            await self.to_watchers(conversation_id, "message", m.as_dict())
        if stored.reopened:
            await self.push_state(view)
        if view.state == S.BOT:
            self.spawn(self._bot_turn(view, text, metadata, early))
        else:
            _drop(early)  # moved away from the bot meanwhile: its answer is not wanted
        return stored

    async def _bot_turn(self, view: ConversationView, text: str, metadata: dict[str, Any],
                        early: asyncio.Future | None = None) -> None:
        lock = self._bot_locks.setdefault(view.id, asyncio.Lock())
        try:
            async with lock:
                await self.to_customer(view.id, "typing", {"on": True, "who": "bot"})
                try:
                    if early is not None:
                        turn = await early
                    else:
                        if view.resume_pending:
                            await self.rasa.resume(view.session_id, new_session=self.settings.rasa_new_session)
                            await self.db(conv.mark_resumed, conversation_id=view.id)
                        turn = await self.rasa.send(view.session_id, text, metadata)
                except RasaUnavailable as exc:
                    log.warning("conversation %s: %s", view.id, exc)
                    await self.to_customer(view.id, "typing", {"on": False, "who": "bot"})
                    await self.hand_off(view.id, HandoffReason.BOT_UNREACHABLE)
                    return
                if not turn.utterances:  # otherwise the answer itself ends the typing indicator
                    await self.to_customer(view.id, "typing", {"on": False, "who": "bot"})
                if turn.utterances:
                    items = [NewMessage(view.id, Sender.BOT, u.get("text"), utterance_payload(u))
                             for u in turn.utterances]
                    for stored in await self.writer.write_many(items):
                        if stored.message is not None and not stored.duplicate:
                            await self.deliver(stored.message)
                if turn.handoff is not None:
                    reason = str(turn.handoff.get("reason") or "")
                    await self.hand_off(view.id, reason if BOT_REASON.match(reason) else HandoffReason.ASKED,
                                        from_bot=True)
        finally:
            if not lock.locked() and self._bot_locks.get(view.id) is lock:
                del self._bot_locks[view.id]

    async def hand_off(self, conversation_id: int, reason: str, *, from_bot: bool = False) -> None:
        """Queue the conversation for a person; outside business hours say so
        instead and offer to leave a message (the bot keeps the chat)."""
        await self.refresh_desk()
        if not self.hours.is_open(utcnow()):
            await self.after_hours(conversation_id, reason, resume=from_bot)
            return
        self.forget(conversation_id)
        view = await self.db(conv.hand_off, conversation_id=conversation_id, reason=reason,
                             by="system" if reason == HandoffReason.BOT_UNREACHABLE else "bot")
        await self.say(conversation_id, texts.BOT_DOWN if reason == HandoffReason.BOT_UNREACHABLE else texts.CONNECTING)
        await self.push_state(view)
        self.kick()

    async def after_hours(self, conversation_id: int, reason: str, *, resume: bool) -> None:
        hours = self.business_hours()
        lead = texts.BOT_DOWN_AFTER_HOURS + " " if reason == HandoffReason.BOT_UNREACHABLE else ""
        await self.say(conversation_id, lead + texts.AFTER_HOURS.format(hours=hours["hours"]),
                       payload={"after_hours": hours})
        await self.to_customer(conversation_id, "business_hours", {**hours, "leave_message": True})
        if resume:  # the bot paused itself for the handoff that did not happen
            view = await self.db(conv.get_conversation, conversation_id=conversation_id)
            try:
                await self.rasa.resume(view.session_id, new_session=False)
            except RasaUnavailable:
                log.warning("conversation %s: could not resume the bot after hours", conversation_id)

    async def customer_ended(self, conversation_id: int) -> ConversationView:
        view = await self.db(conv.close_conversation, None, conversation_id=conversation_id, note="ended by customer")
        await self.say(conversation_id, texts.CLOSED_BY_CUSTOMER)
        await self._after_close(view)
        return view

    async def _after_close(self, view: ConversationView) -> None:
        self._pushed.pop(view.id, None)
        await self.push_state(view)
        await self.to_all_agents("conversation_closed", {"conversation_id": view.id})
        self.spawn(self._resume_bot(view))
        self.kick()

    async def _resume_bot(self, view: ConversationView) -> None:
        try:
            await self.rasa.resume(view.session_id, new_session=self.settings.rasa_new_session)
        except RasaUnavailable:
            return  # resume_pending stays set; the next customer message retries first
        await self.db(conv.mark_resumed, conversation_id=view.id)

    # -- agents -----------------------------------------------------------------------
    async def agent_said(self, actor: Actor, conversation_id: int, text: str, client_id: str | None, *,
                         sid: str | None = None) -> Stored:
        stored = await self.writer.write(
            NewMessage(conversation_id, Sender.AGENT, text, None, client_id, agent_id=actor.user_id)
        )
        if stored.error:
            raise stored.error
        if not stored.duplicate:
            await self.deliver(stored.message, skip_agent_sid=sid)
        return stored

    async def assigned(self, view: ConversationView, *, reason: str = "routed") -> None:
        self._pushed.pop(view.id, None)
        await self.to_agent(view.agent_id, "assigned", {"conversation": view.as_dict(), "reason": reason})
        await self.push_state(view)

    async def pick(self, actor: Actor, conversation_id: int) -> ConversationView:
        self.forget(conversation_id)
        view = await self.db(conv.pick_conversation, actor, conversation_id=conversation_id)
        await self.assigned(view, reason="picked")
        await self.say(conversation_id, texts.JOINED.format(agent=view.agent_name))
        self.kick()
        return view

    async def accept(self, actor: Actor, conversation_id: int) -> ConversationView:
        view = await self.db(conv.accept_conversation, actor, conversation_id=conversation_id)
        await self.say(conversation_id, texts.JOINED.format(agent=view.agent_name))
        return view

    async def transfer(self, actor: Actor, conversation_id: int, to_agent_id: int) -> ConversationView:
        before = await self.db(conv.get_conversation, conversation_id=conversation_id)
        view = await self.db(conv.transfer_conversation, actor, conversation_id=conversation_id,
                             to_agent_id=to_agent_id)
        if before.agent_id:
            await self.to_agent(before.agent_id, "unassigned", {"conversation_id": view.id, "reason": "transferred"})
        await self.assigned(view, reason="transfer")
        await self.say(conversation_id, texts.TRANSFERRED.format(old=before.agent_name or "Our agent",
                                                                 new=view.agent_name))
        return view

    async def close(self, actor: Actor, conversation_id: int, *, note: str = "",
                    ticket_id: int | None = None, ticket_number: str | None = None) -> ConversationView:
        view = await self.db(conv.close_conversation, actor, conversation_id=conversation_id, note=note,
                             ticket_id=ticket_id)
        text = texts.CLOSED_BY_AGENT.format(agent=actor.name or "Our agent")
        if ticket_number:
            text += texts.TICKET_REF.format(ticket=ticket_number)
        await self.say(conversation_id, text, payload={"closed": {"ticket": ticket_number}})
        await self._after_close(view)
        return view

    # -- routing ----------------------------------------------------------------------
    def _seen_within(self) -> timedelta:
        return timedelta(seconds=self.settings.agent_seen_within_s)

    async def _routing_loop(self) -> None:
        while True:
            try:
                await asyncio.wait_for(self._kick.wait(), timeout=self.settings.routing_tick_s)
            except asyncio.TimeoutError:
                pass
            self._kick.clear()
            try:
                await self.route_once()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("routing pass failed; trying again at the next tick")

    async def route_once(self) -> None:
        await self.refresh_desk()
        loop = asyncio.get_running_loop()
        if self.local_agents and loop.time() - self._last_touch > self.settings.agent_seen_within_s / 4:
            await self.db(conv.touch_agents, agent_ids=list(self.local_agents))
            self._last_touch = loop.time()
        lapsed = await self.db(conv.expire_assignments, timeout=timedelta(seconds=self.assign_timeout_s))
        for view, agent_id in lapsed:
            await self.to_agent(agent_id, "unassigned", {"conversation_id": view.id, "reason": "assignment_timeout"})
            await self.push_state(view)
        for view in await self.db(conv.route_queued, seen_within=self._seen_within()):
            await self.assigned(view)
        await self.push_queue()

    async def push_queue(self) -> None:
        """Positions and waits to this worker's waiting customers (when they
        changed), and the queue to this worker's agents (when it changed)."""
        snap = await self.db(conv.queue_snapshot, seen_within=self._seen_within())
        for entry in snap.entries:
            cid = entry.conversation.id
            now_ = (entry.position, entry.estimated_wait_s)
            if cid in self.local_customers and self._pushed.get(cid) != now_:
                self._pushed[cid] = now_
                data = self.state_payload(entry.conversation, position=now_[0], wait=now_[1])
                for sid in list(self.local_customers.get(cid, ())):
                    await self.sio.emit("handoff_state", data, to=sid, namespace=CUSTOMERS)
        queued = {e.conversation.id for e in snap.entries}
        for cid in [c for c in self._pushed if c not in queued]:
            del self._pushed[cid]
        sig = tuple((e.conversation.id, e.position) for e in snap.entries)
        if sig != self._queue_sig:
            self._queue_sig = sig
            data = {"queue": [queue_item(e) for e in snap.entries], "agents_online": snap.agents_online}
            for sids in list(self.local_agents.values()):
                for sid in list(sids):
                    await self.sio.emit("queue_update", data, to=sid, namespace=AGENTS)


def _drop(task: asyncio.Future | None) -> None:
    if task is not None and not task.done():
        task.cancel()
    elif task is not None and not task.cancelled():
        task.exception()  # retrieved: no "never retrieved" warning


def queue_item(entry) -> dict[str, Any]:
    return {**entry.conversation.as_dict(), "position": entry.position, "estimated_wait_s": entry.estimated_wait_s}


def error_ack(exc: DomainError) -> dict[str, Any]:
    return {"ok": False, "error": exc.as_dict()}
