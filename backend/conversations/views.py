"""What the conversation use cases return: plain dataclasses, and the
helpers that build them from rows. No transaction starts here."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.conversations.models import Conversation, Message
from backend.errors import DomainError, not_found
from backend.identity.models import User

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


def _load(s: Session, conversation_id: int, *, lock: bool = False) -> Conversation:
    q = select(Conversation).where(Conversation.id == conversation_id)
    conv = s.scalar(q.with_for_update() if lock else q)
    if conv is None:
        raise not_found("conversation", conversation_id)
    return conv


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


