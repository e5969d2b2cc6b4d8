"""Use cases of conversations. Each takes a unit of work, ids and primitives,
owns one transaction and returns plain dataclasses.

Store before deliver: ``record_messages`` writes a batch of messages (several
conversations at once, for group commit) and returns what was stored with the
conversation's state *at that moment*, so the caller decides on the stored
truth whether a customer message goes to the bot. Every message gets the next
``seq`` of its conversation; a client message id seen before returns the
stored message instead of a second copy.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import bindparam, func, insert, select, tuple_, update
from sqlalchemy.orm import Session

from backend.conversations.lifecycle import ConversationState, Handoff, HandoffReason, Sender, agent_actor
from backend.conversations.models import AgentPresence, AgentStatus, Conversation, ConversationChange, Message
from backend.conversations.routing import (
    AgentSlot,
    Waiting,
    average_wait,
    estimate_wait,
    plan_assignments,
    queue_positions,
)
from backend.db import UnitOfWork, utcnow
from backend.errors import DomainError, ErrorCode, invalid, not_found
from backend.identity.actor import STAFF, Actor, require_role
from backend.identity.models import Role, User

S = ConversationState
AGENT_ROLES = STAFF
SESSION_ID = re.compile(r"^[A-Za-z0-9_-]{16,64}$")
MAX_TEXT = 4000


# -- views ------------------------------------------------------------------
@dataclass(frozen=True)
class ConversationView:
    id: int
    session_id: str
    channel: str
    state: str
    customer_id: int | None
    user_id: int | None
    visitor_name: str | None
    agent_id: int | None
    agent_name: str | None
    handoff_reason: str | None
    queued_at: datetime | None
    assigned_at: datetime | None
    answered_at: datetime | None
    last_seq: int
    last_activity: datetime
    closed_at: datetime | None
    close_note: str | None
    ticket_id: int | None
    resume_pending: bool

    def as_dict(self) -> dict[str, Any]:
        return _plain(self.__dict__)


@dataclass(frozen=True)
class MessageView:
    id: int
    conversation_id: int
    seq: int
    sender: str
    agent_id: int | None
    agent_name: str | None
    text: str | None
    payload: dict | None
    client_id: str | None
    created_at: datetime

    def as_dict(self) -> dict[str, Any]:
        return _plain(self.__dict__)


@dataclass(frozen=True)
class NewMessage:
    conversation_id: int
    sender: str
    text: str | None = None
    payload: dict | None = None
    client_id: str | None = None
    agent_id: int | None = None


@dataclass(frozen=True)
class Stored:
    """The outcome of one message of a batch."""

    conversation: ConversationView | None
    message: MessageView | None = None
    duplicate: bool = False
    reopened: bool = False
    error: DomainError | None = None


@dataclass(frozen=True)
class QueueEntry:
    conversation: ConversationView
    position: int
    estimated_wait_s: int


@dataclass(frozen=True)
class AgentView:
    user_id: int
    name: str
    status: str
    load: int
    max_chats: int
    online: bool


@dataclass(frozen=True)
class QueueSnapshot:
    entries: list[QueueEntry]
    agents_online: int
    average_wait_s: float

    def position_of(self, conversation_id: int) -> QueueEntry | None:
        return next((e for e in self.entries if e.conversation.id == conversation_id), None)


def _plain(d: dict[str, Any]) -> dict[str, Any]:
    return {k: (v.isoformat() if isinstance(v, datetime) else v) for k, v in d.items()}


# -- sessions -----------------------------------------------------------------
def new_session_id() -> str:
    return secrets.token_hex(16)


def open_session(
    uow: UnitOfWork,
    *,
    session_id: str | None,
    channel: str = "web",
    actor: Actor | None = None,
    now: datetime | None = None,
) -> ConversationView:
    """The conversation of a widget session: the existing one for a known
    session id, else a new bot-owned one. A conversation bound to a logged-in
    user is only reopened by that user; an unusable id gets a fresh one."""
    now = now or utcnow()
    if not session_id or not SESSION_ID.match(session_id):
        session_id = new_session_id()
    with uow() as s:
        conv = s.scalar(select(Conversation).where(Conversation.session_id == session_id))
        if conv is not None and conv.user_id is not None:
            if actor is None or actor.user_id != conv.user_id:
                raise DomainError(ErrorCode.FORBIDDEN, "this chat belongs to someone else")
        if conv is None:
            conv = Conversation(
                session_id=session_id, channel=channel, state=S.BOT, last_seq=0,
                last_activity=now, created_at=now, skipped_agents=[], resume_pending=False,
            )
            s.add(conv)
        if actor is not None and conv.user_id is None and actor.role in (Role.CUSTOMER, Role.TECHNICIAN):
            conv.user_id = actor.user_id
            conv.customer_id = actor.customer_id
            conv.visitor_name = actor.name or conv.visitor_name
            if actor.role == Role.TECHNICIAN:
                conv.channel = "technician"
        s.flush()
        return _conv_view(s, conv)


def get_conversation(uow: UnitOfWork, *, conversation_id: int) -> ConversationView:
    with uow() as s:
        return _conv_view(s, _load(s, conversation_id))


def find_by_session(uow: UnitOfWork, *, session_id: str) -> ConversationView | None:
    with uow() as s:
        conv = s.scalar(select(Conversation).where(Conversation.session_id == session_id))
        return _conv_view(s, conv) if conv else None


# -- messages -----------------------------------------------------------------
def record_messages(
    uow: UnitOfWork, items: Sequence[NewMessage], *, now: datetime | None = None
) -> list[Stored]:
    """Store a batch of messages in one transaction (see the module doc).

    A customer message to a closed conversation reopens it for the bot; an
    agent message is refused unless that agent owns the conversation, and the
    first one marks the assignment as answered. A refused item does not stop
    the others: its ``Stored.error`` says why.

    This is the hub's hot path, so it works on table rows: one locking
    select, one multi-row insert, one executemany update; the ORM entity is
    loaded only for the rare lifecycle move (a reopen)."""
    now = now or utcnow()
    t = Conversation.__table__
    with uow() as s:
        ids = sorted({i.conversation_id for i in items})
        convs = {r["id"]: dict(r) for r in s.execute(
            select(t).where(t.c.id.in_(ids)).with_for_update()
        ).mappings()}
        seen = _existing_client_ids(s, items)
        touched: set[int] = set()
        answered: set[int] = set()
        rows: list[dict[str, Any]] = []
        plan: list[Stored | tuple[int, dict[str, Any] | MessageView, bool, bool]] = []
        for item in items:
            conv = convs.get(item.conversation_id)
            if conv is None:
                plan.append(Stored(None, error=not_found("conversation", item.conversation_id)))
                continue
            key = (conv["id"], item.client_id)
            if item.client_id and key in seen:
                plan.append((conv["id"], seen[key], True, False))
                continue
            problem = _refusal(conv, item)
            if problem is not None:
                plan.append(Stored(None, error=problem))
                continue
            reopened = False
            if item.sender == Sender.CUSTOMER and conv["state"] == S.CLOSED:
                entity = s.get(Conversation, conv["id"])
                s.add(entity.apply(entity.handoff().reopen(by="customer", at=now)))
                s.flush()
                conv.update(state=entity.state, agent_id=entity.agent_id)
                reopened = True
            if item.sender == Sender.AGENT and conv["answered_at"] is None:
                conv["answered_at"] = now
                answered.add(conv["id"])
            conv["last_seq"] += 1
            conv["last_activity"] = now
            touched.add(conv["id"])
            row = {"conversation_id": conv["id"], "seq": conv["last_seq"], "sender": str(item.sender),
                   "agent_id": item.agent_id, "text": item.text, "payload": item.payload,
                   "client_id": item.client_id, "created_at": now}
            rows.append(row)
            if item.client_id:
                seen[key] = row
            plan.append((conv["id"], row, False, reopened))
        if rows:
            # RETURNING order is not guaranteed (SQLite): match the ids back by (conversation, seq)
            mt = Message.__table__
            returned = s.execute(insert(mt).returning(mt.c.id, mt.c.conversation_id, mt.c.seq), rows).all()
            by_key = {(c, q): i for i, c, q in returned}
            for row in rows:
                row["id"] = by_key[(row["conversation_id"], row["seq"])]
            s.execute(
                update(t).where(t.c.id == bindparam("b_id"))
                .values(last_seq=bindparam("b_seq"), last_activity=bindparam("b_at")),
                [{"b_id": c, "b_seq": convs[c]["last_seq"], "b_at": now} for c in sorted(touched)],
            )
        if answered:
            s.execute(update(t).where(t.c.id.in_(sorted(answered))).values(answered_at=now))
        names = _agent_names(s, {c["agent_id"] for c in convs.values()} | {i.agent_id for i in items})
        views = {cid: _conv_row_view(c, names) for cid, c in convs.items()}
        out: list[Stored] = []
        for p in plan:
            if isinstance(p, Stored):
                out.append(p)
                continue
            cid, msg, dup, reopened = p
            view = msg if isinstance(msg, MessageView) else _row_view(msg, names)
            out.append(Stored(views[cid], view, dup, reopened))
        return out


_CONV_FIELDS = [f for f in ConversationView.__dataclass_fields__ if f != "agent_name"]


def _conv_row_view(row: dict[str, Any], names: dict[int, str]) -> ConversationView:
    values = {f: row[f] for f in _CONV_FIELDS}
    values["state"] = str(values["state"])
    values["resume_pending"] = bool(values["resume_pending"])
    return ConversationView(agent_name=names.get(row["agent_id"]) if row["agent_id"] else None, **values)


def _row_view(row: dict[str, Any], names: dict[int, str]) -> MessageView:
    return MessageView(
        id=row["id"], conversation_id=row["conversation_id"], seq=row["seq"], sender=row["sender"],
        agent_id=row["agent_id"], agent_name=names.get(row["agent_id"]) if row["agent_id"] else None,
        text=row["text"], payload=row["payload"], client_id=row["client_id"], created_at=row["created_at"],
    )


def record_message(uow: UnitOfWork, item: NewMessage, *, now: datetime | None = None) -> Stored:
    stored = record_messages(uow, [item], now=now)[0]
    if stored.error is not None:
        raise stored.error
    return stored


def _refusal(conv: dict[str, Any], item: NewMessage) -> DomainError | None:
    if item.sender not in set(Sender):
        return invalid(f"unknown sender '{item.sender}'", field="sender")
    if item.text is not None and len(item.text) > MAX_TEXT:
        return DomainError(ErrorCode.INVALID_INPUT, f"a message is at most {MAX_TEXT} characters", field="text")
    if not item.text and not item.payload:
        return invalid("an empty message", field="text")
    if item.sender == Sender.AGENT and not Handoff(S(conv["state"]), conv["agent_id"]).is_owned_by(item.agent_id):
        return DomainError(ErrorCode.FORBIDDEN, "this conversation is not with you", conversation_id=conv["id"])
    return None


def _existing_client_ids(s: Session, items: Iterable[NewMessage]) -> dict[tuple[int, str], MessageView]:
    keys = {(i.conversation_id, i.client_id) for i in items if i.client_id}
    if not keys:
        return {}
    rows = list(s.scalars(select(Message).where(tuple_(Message.conversation_id, Message.client_id).in_(list(keys)))))
    names = _agent_names(s, {m.agent_id for m in rows})
    return {(m.conversation_id, m.client_id): _msg_view(m, names) for m in rows}


def messages_since(
    uow: UnitOfWork, *, conversation_id: int, after_seq: int = 0, limit: int = 1000
) -> list[MessageView]:
    """What a reconnecting client missed: every message after ``after_seq``."""
    with uow() as s:
        rows = list(s.scalars(
            select(Message)
            .where(Message.conversation_id == conversation_id, Message.seq > after_seq)
            .order_by(Message.seq)
            .limit(limit)
        ))
        names = _agent_names(s, {m.agent_id for m in rows})
        return [_msg_view(m, names) for m in rows]


def transcript_text(uow: UnitOfWork, *, conversation_id: int) -> str:
    """The whole chat as plain text (for the help-desk ticket)."""
    lines = []
    for m in messages_since(uow, conversation_id=conversation_id):
        who = (m.agent_name or "agent") if m.sender == Sender.AGENT else m.sender
        text = " ".join(x for x in (m.text, _payload_summary(m.payload)) if x)
        lines.append(f"[{m.created_at:%Y-%m-%d %H:%M}] {who}: {text}")
    return "\n".join(lines)


def _payload_summary(payload: dict | None) -> str:
    if not payload:
        return ""
    if payload.get("quick_replies"):
        return "[options: " + ", ".join(q.get("title", "") for q in payload["quick_replies"]) + "]"
    if "attachment" in payload:
        return "[attachment]"
    return ""


# -- handoff and routing ----------------------------------------------------------
def hand_off(
    uow: UnitOfWork, *, conversation_id: int, reason: str, by: str = "bot", now: datetime | None = None
) -> ConversationView:
    """Queue a bot conversation for a person. Idempotent: a conversation that
    is already queued or with an agent is returned as it is."""
    now = now or utcnow()
    with uow() as s:
        conv = _load(s, conversation_id, lock=True)
        if conv.state in (S.QUEUED, S.AGENT):
            return _conv_view(s, conv)
        h = conv.handoff()
        s.add(conv.apply(h.hand_off(reason=reason, by=by, at=now)))
        conv.queued_at, conv.handoff_reason = now, reason
        conv.assigned_at = conv.answered_at = None
        conv.skipped_agents = []
        s.flush()
        return _conv_view(s, conv)


def pick_conversation(
    uow: UnitOfWork, actor: Actor, *, conversation_id: int, now: datetime | None = None
) -> ConversationView:
    """An agent takes a bot-owned or queued conversation themselves."""
    require_role(actor, *AGENT_ROLES)
    now = now or utcnow()
    with uow() as s:
        conv = _load(s, conversation_id, lock=True)
        _check_room(s, actor.user_id)
        h = conv.handoff()
        was = conv.state
        s.add(conv.apply(h.assign(actor.user_id, by=agent_actor(actor.user_id), at=now, reason=HandoffReason.PICKED)))
        if was == S.BOT:
            conv.queued_at, conv.handoff_reason = now, HandoffReason.PICKED
        conv.assigned_at = conv.answered_at = now
        _presence(s, actor.user_id, now).idle_since = now
        s.flush()
        return _conv_view(s, conv)


def route_queued(
    uow: UnitOfWork, *, now: datetime | None = None, seen_within: timedelta = timedelta(seconds=30)
) -> list[ConversationView]:
    """One routing pass: queued conversations, in arrival order, to the
    longest-idle available agents with room. Returns the assigned ones."""
    now = now or utcnow()
    with uow() as s:
        presences = list(s.scalars(select(AgentPresence).with_for_update()))  # serialises passes
        slots = _slots(s, presences, now, seen_within)
        if not any(a.has_room for a in slots):
            return []
        queued = list(s.scalars(
            select(Conversation).where(Conversation.state == S.QUEUED)
            .order_by(Conversation.queued_at, Conversation.id).with_for_update()
        ))
        waiting = [Waiting(c.id, c.queued_at or c.created_at, frozenset(c.skipped_agents or ())) for c in queued]
        by_id = {c.id: c for c in queued}
        by_agent = {p.user_id: p for p in presences}
        assigned = []
        for conv_id, agent_id in plan_assignments(waiting, slots, now=now):
            conv = by_id[conv_id]
            s.add(conv.apply(conv.handoff().assign(agent_id, by="system", at=now, reason="routed")))
            conv.assigned_at, conv.answered_at = now, None
            by_agent[agent_id].idle_since = now
            assigned.append(conv)
        s.flush()
        names = _agent_names(s, {c.agent_id for c in assigned})
        return [_conv_view(s, c, names) for c in assigned]


def expire_assignments(
    uow: UnitOfWork, *, timeout: timedelta, now: datetime | None = None
) -> list[tuple[ConversationView, int]]:
    """Assignments nobody answered within ``timeout`` go back to the queue
    (keeping their place) and skip that agent next time. Returns each
    requeued conversation with the agent who let it lapse."""
    now = now or utcnow()
    with uow() as s:
        stale = list(s.scalars(
            select(Conversation).where(
                Conversation.state == S.AGENT,
                Conversation.answered_at.is_(None),
                Conversation.assigned_at < now - timeout,
            ).with_for_update()
        ))
        out = []
        for conv in stale:
            agent_id = conv.agent_id
            s.add(conv.apply(conv.handoff().requeue(reason=HandoffReason.TIMEOUT, by="system", at=now)))
            conv.skipped_agents = sorted(set(conv.skipped_agents or ()) | {agent_id})
            conv.assigned_at = None
            out.append((conv, agent_id))
        s.flush()
        return [(_conv_view(s, c), a) for c, a in out]


def accept_conversation(
    uow: UnitOfWork, actor: Actor, *, conversation_id: int, now: datetime | None = None
) -> ConversationView:
    """The assigned agent acknowledges the chat (stops the assignment timer)."""
    require_role(actor, *AGENT_ROLES)
    with uow() as s:
        conv = _load(s, conversation_id, lock=True)
        if not conv.handoff().is_owned_by(actor.user_id):
            raise DomainError(ErrorCode.FORBIDDEN, "this conversation is not with you")
        conv.answered_at = conv.answered_at or now or utcnow()
        s.flush()
        return _conv_view(s, conv)


def transfer_conversation(
    uow: UnitOfWork, actor: Actor, *, conversation_id: int, to_agent_id: int, now: datetime | None = None
) -> ConversationView:
    """Hand an agent's conversation to another available agent with room
    (a manager may transfer anyone's). The new agent must answer in time."""
    require_role(actor, *AGENT_ROLES)
    now = now or utcnow()
    with uow() as s:
        conv = _load(s, conversation_id, lock=True)
        if not conv.handoff().is_owned_by(actor.user_id) and actor.role not in (Role.MANAGER, Role.ADMIN):
            raise DomainError(ErrorCode.FORBIDDEN, "only the agent of this chat or a manager can transfer it")
        target = s.get(User, to_agent_id)
        if target is None or target.role not in AGENT_ROLES or not target.active:
            raise not_found("agent", to_agent_id)
        presence = s.get(AgentPresence, to_agent_id)
        if presence is None or presence.status != AgentStatus.AVAILABLE:
            raise DomainError(ErrorCode.CONFLICT, f"{target.name} is not available", agent_id=to_agent_id)
        _check_room(s, to_agent_id, name=target.name)
        s.add(conv.apply(conv.handoff().transfer(to_agent_id, by=agent_actor(actor.user_id), at=now)))
        conv.assigned_at, conv.answered_at = now, None
        presence.idle_since = now
        s.flush()
        return _conv_view(s, conv)


def close_conversation(
    uow: UnitOfWork,
    actor: Actor | None,
    *,
    conversation_id: int,
    note: str = "",
    ticket_id: int | None = None,
    now: datetime | None = None,
) -> ConversationView:
    """Close a queued or agent-owned conversation. ``actor`` None is the
    customer (ending the chat from the widget). The bot must be resumed
    afterwards (``resume_pending``) so that it answers the next message."""
    now = now or utcnow()
    with uow() as s:
        conv = _load(s, conversation_id, lock=True)
        if actor is None:
            by = "customer"
        else:
            require_role(actor, *AGENT_ROLES)
            by = agent_actor(actor.user_id)
            mine = conv.handoff().is_owned_by(actor.user_id)
            if conv.state == S.AGENT and not mine and actor.role not in (Role.MANAGER, Role.ADMIN):
                raise DomainError(ErrorCode.FORBIDDEN, "only the agent of this chat or a manager can close it")
        s.add(conv.apply(conv.handoff().close(by=by, at=now, reason="closed")))
        conv.closed_at, conv.close_note = now, (note or None)
        if ticket_id is not None:
            conv.ticket_id = ticket_id
        conv.resume_pending = True
        s.flush()
        return _conv_view(s, conv)


def mark_resumed(uow: UnitOfWork, *, conversation_id: int) -> None:
    with uow() as s:
        _load(s, conversation_id, lock=True).resume_pending = False


def link_ticket(uow: UnitOfWork, *, conversation_id: int, ticket_id: int) -> ConversationView:
    with uow() as s:
        conv = _load(s, conversation_id, lock=True)
        conv.ticket_id = ticket_id
        s.flush()
        return _conv_view(s, conv)


# -- agents -------------------------------------------------------------------
def set_agent_status(
    uow: UnitOfWork, actor: Actor, *, status: str, now: datetime | None = None
) -> AgentView:
    require_role(actor, *AGENT_ROLES)
    if status not in set(AgentStatus):
        raise invalid(f"unknown status '{status}'", field="status", allowed=[str(x) for x in AgentStatus])
    now = now or utcnow()
    with uow() as s:
        p = _presence(s, actor.user_id, now)
        if p.status != status and status == AgentStatus.AVAILABLE:
            p.idle_since = now
        p.status, p.last_seen = status, now
        s.flush()
        return _agent_views(s, [p], now, timedelta(seconds=30))[0]


def touch_agents(uow: UnitOfWork, *, agent_ids: Iterable[int], now: datetime | None = None) -> None:
    """Heartbeat: these agents have a live console on this hub worker."""
    ids = sorted(set(agent_ids))
    if not ids:
        return
    now = now or utcnow()
    with uow() as s:
        for p in s.scalars(select(AgentPresence).where(AgentPresence.user_id.in_(ids))):
            p.last_seen = now


def list_agents(
    uow: UnitOfWork, actor: Actor, *, now: datetime | None = None, seen_within: timedelta = timedelta(seconds=30)
) -> list[AgentView]:
    require_role(actor, *AGENT_ROLES)
    now = now or utcnow()
    with uow() as s:
        return _agent_views(s, list(s.scalars(select(AgentPresence))), now, seen_within)


def agent_conversations(uow: UnitOfWork, actor: Actor, *, agent_id: int | None = None) -> list[ConversationView]:
    require_role(actor, *AGENT_ROLES)
    agent_id = agent_id or actor.user_id
    with uow() as s:
        rows = s.scalars(
            select(Conversation).where(Conversation.state == S.AGENT, Conversation.agent_id == agent_id)
            .order_by(Conversation.assigned_at)
        )
        return _conv_views(s, list(rows))


def live_conversations(
    uow: UnitOfWork, actor: Actor, *, active_within: timedelta = timedelta(minutes=30), now: datetime | None = None,
    limit: int = 200,
) -> list[ConversationView]:
    """Bot conversations with recent activity: the list an agent picks from."""
    require_role(actor, *AGENT_ROLES)
    now = now or utcnow()
    with uow() as s:
        rows = s.scalars(
            select(Conversation).where(
                Conversation.state == S.BOT,
                Conversation.last_activity >= now - active_within,
                Conversation.last_seq > 0,
            ).order_by(Conversation.last_activity.desc()).limit(limit)
        )
        return _conv_views(s, list(rows))


def queue_snapshot(
    uow: UnitOfWork, *, now: datetime | None = None, seen_within: timedelta = timedelta(seconds=30),
    recent: int = 20,
) -> QueueSnapshot:
    """Queued conversations with their position and estimated wait."""
    now = now or utcnow()
    with uow() as s:
        queued = list(s.scalars(
            select(Conversation).where(Conversation.state == S.QUEUED).order_by(Conversation.queued_at, Conversation.id)
        ))
        online = s.scalar(
            select(func.count()).select_from(AgentPresence).where(
                AgentPresence.status == AgentStatus.AVAILABLE, AgentPresence.last_seen >= now - seen_within
            )
        ) or 0
        recent_rows = s.execute(
            select(Conversation.queued_at, Conversation.assigned_at)
            .where(Conversation.assigned_at.is_not(None), Conversation.queued_at.is_not(None),
                   Conversation.assigned_at >= now - timedelta(hours=24))
            .order_by(Conversation.assigned_at.desc()).limit(recent)
        ).all()
        avg = average_wait([(a - q).total_seconds() for q, a in recent_rows])
        positions = queue_positions(Waiting(c.id, c.queued_at or c.created_at) for c in queued)
        views = _conv_views(s, queued)
        entries = [
            QueueEntry(v, positions[v.id], estimate_wait(positions[v.id], agents_online=online, average_wait_s=avg))
            for v in views
        ]
        return QueueSnapshot(entries, online, avg)


# -- helpers ------------------------------------------------------------------
def _load(s: Session, conversation_id: int, *, lock: bool = False) -> Conversation:
    q = select(Conversation).where(Conversation.id == conversation_id)
    conv = s.scalar(q.with_for_update() if lock else q)
    if conv is None:
        raise not_found("conversation", conversation_id)
    return conv


def _presence(s: Session, user_id: int, now: datetime) -> AgentPresence:
    p = s.get(AgentPresence, user_id)
    if p is None:
        p = AgentPresence(user_id=user_id, status=AgentStatus.AWAY, idle_since=now, last_seen=now)
        s.add(p)
        s.flush()
    return p


def _loads(s: Session, agent_ids: Iterable[int] | None = None) -> dict[int, int]:
    q = select(Conversation.agent_id, func.count()).where(Conversation.state == S.AGENT)
    if agent_ids is not None:
        q = q.where(Conversation.agent_id.in_(list(agent_ids)))
    return dict(s.execute(q.group_by(Conversation.agent_id)).all())


def _check_room(s: Session, user_id: int, *, name: str | None = None) -> None:
    user = s.get(User, user_id)
    load = _loads(s, [user_id]).get(user_id, 0)
    if user is None or load >= user.max_chats:
        who = f"{name} has" if name else "you have"
        raise DomainError(
            ErrorCode.CONFLICT, f"{who} {load} chats already, the limit", load=load,
            max_chats=user.max_chats if user else 0,
        )


def _slots(s: Session, presences: list[AgentPresence], now: datetime, seen_within: timedelta) -> list[AgentSlot]:
    ids = [p.user_id for p in presences]
    users = {u.id: u for u in s.scalars(select(User).where(User.id.in_(ids)))} if ids else {}
    loads = _loads(s, ids)
    return [
        AgentSlot(
            agent_id=p.user_id,
            available=p.status == AgentStatus.AVAILABLE and p.last_seen >= now - seen_within
            and p.user_id in users and users[p.user_id].active,
            load=loads.get(p.user_id, 0),
            max_chats=users[p.user_id].max_chats if p.user_id in users else 0,
            idle_since=p.idle_since,
        )
        for p in presences
    ]


def _agent_views(s: Session, presences: list[AgentPresence], now: datetime, seen_within: timedelta) -> list[AgentView]:
    ids = [p.user_id for p in presences]
    users = {u.id: u for u in s.scalars(select(User).where(User.id.in_(ids)))} if ids else {}
    loads = _loads(s, ids)
    return [
        AgentView(p.user_id, users[p.user_id].name, p.status, loads.get(p.user_id, 0), users[p.user_id].max_chats,
                  p.last_seen >= now - seen_within)
        for p in sorted(presences, key=lambda p: users[p.user_id].name.lower())
        if p.user_id in users
    ]


def _agent_names(s: Session, ids: Iterable[int | None]) -> dict[int, str]:
    wanted = sorted({i for i in ids if i is not None})
    if not wanted:
        return {}
    return dict(s.execute(select(User.id, User.name).where(User.id.in_(wanted))).all())


def _conv_views(s: Session, convs: list[Conversation]) -> list[ConversationView]:
    names = _agent_names(s, {c.agent_id for c in convs})
    return [_conv_view(s, c, names) for c in convs]


def _conv_view(s: Session, c: Conversation, names: dict[int, str] | None = None) -> ConversationView:
    if names is None:
        names = _agent_names(s, [c.agent_id])
    return ConversationView(
        id=c.id, session_id=c.session_id, channel=c.channel, state=str(c.state), customer_id=c.customer_id,
        user_id=c.user_id, visitor_name=c.visitor_name, agent_id=c.agent_id,
        agent_name=names.get(c.agent_id) if c.agent_id else None, handoff_reason=c.handoff_reason,
        queued_at=c.queued_at, assigned_at=c.assigned_at, answered_at=c.answered_at, last_seq=c.last_seq,
        last_activity=c.last_activity, closed_at=c.closed_at, close_note=c.close_note, ticket_id=c.ticket_id,
        resume_pending=bool(c.resume_pending),
    )


def _msg_view(m: Message, names: dict[int, str]) -> MessageView:
    return MessageView(
        id=m.id, conversation_id=m.conversation_id, seq=m.seq, sender=m.sender, agent_id=m.agent_id,
        agent_name=names.get(m.agent_id) if m.agent_id else None, text=m.text, payload=m.payload,
        client_id=m.client_id, created_at=m.created_at,
    )


def history(uow: UnitOfWork, *, conversation_id: int) -> list[dict[str, Any]]:
    with uow() as s:
        rows = s.scalars(
            select(ConversationChange).where(ConversationChange.conversation_id == conversation_id)
            .order_by(ConversationChange.id)
        )
        return [
            _plain({"from": r.from_state, "to": r.to_state, "by": r.by, "agent_id": r.agent_id,
                    "reason": r.reason, "at": r.at})
            for r in rows
        ]

