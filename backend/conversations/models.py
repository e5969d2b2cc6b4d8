"""Conversations, their messages, their state history and agent presence."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from backend.conversations.lifecycle import ConversationState, Handoff, Move
from backend.db import Base, UTCDateTime, utcnow


class AgentStatus(StrEnum):
    AVAILABLE = "available"
    AWAY = "away"


class Conversation(Base):
    """One chat between a website visitor (or technician) and the company.

    ``session_id`` is the public, unguessable id the widget keeps across page
    reloads; ``last_seq`` numbers the messages (1, 2, 3...) of this chat.
    """

    __tablename__ = "conversations"
    __table_args__ = (Index("ix_conversations_state_queued", "state", "queued_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[str] = mapped_column(String(64), unique=True)
    channel: Mapped[str] = mapped_column(String(16), default="web")
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customers.id"), index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    visitor_name: Mapped[str | None] = mapped_column(String(120))
    state: Mapped[str] = mapped_column(String(12), default=ConversationState.BOT)
    agent_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    handoff_reason: Mapped[str | None] = mapped_column(String(32))
    queued_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    assigned_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    skipped_agents: Mapped[list] = mapped_column(JSON, default=list)
    last_seq: Mapped[int] = mapped_column(default=0)
    last_activity: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    close_note: Mapped[str | None] = mapped_column(Text)
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id"))
    resume_pending: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    def handoff(self) -> Handoff:
        return Handoff(ConversationState(self.state), self.agent_id)

    def apply(self, move: Move) -> "ConversationChange":
        """Adopt a move the pure model allowed, and return its history row."""
        self.state = str(move.target)
        self.agent_id = move.agent_id
        self.last_activity = move.at
        return ConversationChange(
            conversation_id=self.id,
            from_state=str(move.source),
            to_state=str(move.target),
            by=move.by,
            agent_id=move.agent_id,
            reason=move.reason or None,
            at=move.at,
        )


class Message(Base):
    __tablename__ = "conversation_messages"
    __table_args__ = (
        UniqueConstraint("conversation_id", "seq", name="uq_conversation_messages_seq"),
        UniqueConstraint("conversation_id", "client_id", name="uq_conversation_messages_client_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    conversation_id: Mapped[int] = mapped_column(ForeignKey("conversations.id"))
    seq: Mapped[int]
    sender: Mapped[str] = mapped_column(String(12))
    agent_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    text: Mapped[str | None] = mapped_column(Text)
    payload: Mapped[dict | None] = mapped_column(JSON)
    client_id: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ConversationChange(Base):
    """The state history of a conversation: who moved it where, when, why."""

    __tablename__ = "conversation_history"

    id: Mapped[int] = mapped_column(primary_key=True)
    conversation_id: Mapped[int] = mapped_column(ForeignKey("conversations.id"), index=True)
    from_state: Mapped[str] = mapped_column(String(12))
    to_state: Mapped[str] = mapped_column(String(12))
    by: Mapped[str] = mapped_column(String(32))
    agent_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    reason: Mapped[str | None] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class AgentPresence(Base):
    """An agent's routing status. ``last_seen`` is refreshed by the hub worker
    holding the agent's socket; routing skips agents not seen recently."""

    __tablename__ = "agent_presence"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True)
    status: Mapped[str] = mapped_column(String(12), default=AgentStatus.AWAY)
    idle_since: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_seen: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class DeskSettings(Base):
    """The live-chat desk's settings as the admin stored them: one row (id 1).
    A NULL column means "the hub's environment default" (HUB_HOURS,
    HUB_ASSIGN_TIMEOUT). Each agent's limit is ``users.max_chats``."""

    __tablename__ = "desk_settings"
    __table_args__ = (CheckConstraint("id = 1", name="one_row"),
                      CheckConstraint("assign_timeout_s IS NULL OR assign_timeout_s > 0",
                                      name="timeout_positive"))

    id: Mapped[int] = mapped_column(primary_key=True)
    business_hours: Mapped[str | None] = mapped_column(String(400))
    assign_timeout_s: Mapped[int | None] = mapped_column(Integer)
    updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
