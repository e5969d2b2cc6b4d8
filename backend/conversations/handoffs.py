"""Handoff and routing: queue, assign, accept, transfer, close; agents'
presence and limits; the queue with positions and estimated waits."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from backend.conversations.lifecycle import MOVES, ConversationState, HandoffReason, agent_actor
from backend.conversations.models import AgentPresence, AgentStatus, Conversation
from backend.conversations.routing import (
    AgentSlot,
    Waiting,
    average_wait,
    estimate_wait,
    plan_assignments,
    queue_positions,
)
from backend.conversations.views import (
    AgentView,
    ConversationView,
    QueueEntry,
    QueueSnapshot,
    _agent_names,
    _conv_view,
    _conv_views,
    _load,
)
from backend.db import UnitOfWork, utcnow
from backend.errors import DomainError, ErrorCode, invalid, not_found
from backend.identity.actor import STAFF, Actor, require_role
from backend.identity.models import Role, User

S = ConversationState
AGENT_ROLES = STAFF

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
            check_close(conv, actor)
            by = agent_actor(actor.user_id)
        s.add(conv.apply(conv.handoff().close(by=by, at=now, reason="closed")))
        conv.closed_at, conv.close_note = now, (note or None)
        if ticket_id is not None:
            conv.ticket_id = ticket_id
        conv.resume_pending = True
        s.flush()
        return _conv_view(s, conv)


def conversation_to_close(s: Session, actor: Actor, conversation_id: int) -> ConversationView:
    """The conversation an agent is about to close, locked for the closing
    transaction; refused (nothing written) when it is not theirs to close."""
    conv = _load(s, conversation_id, lock=True)
    check_close(conv, actor)
    return _conv_view(s, conv)


def check_close(conv: Conversation, actor: Actor) -> None:
    """Staff close a queued chat or one with an agent; an agent only their own."""
    require_role(actor, *AGENT_ROLES)
    MOVES.check(S(conv.state), S.CLOSED)
    mine = conv.handoff().is_owned_by(actor.user_id)
    if conv.state == S.AGENT and not mine and actor.role not in (Role.MANAGER, Role.ADMIN):
        raise DomainError(ErrorCode.FORBIDDEN, "only the agent of this chat or a manager can close it")


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
        ).all() if queued else []
        avg = average_wait([(a - q).total_seconds() for q, a in recent_rows])
        positions = queue_positions(Waiting(c.id, c.queued_at or c.created_at) for c in queued)
        views = _conv_views(s, queued)
        entries = [
            QueueEntry(v, positions[v.id], estimate_wait(positions[v.id], agents_online=online, average_wait_s=avg))
            for v in views
        ]
        return QueueSnapshot(entries, online, avg)


# -- helpers ------------------------------------------------------------------
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


