from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import JSON, Boolean, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from backend.db import Base, UTCDateTime, utcnow


class Notification(Base):
    """The outbox: every "customer informed" of the process card is a row here,
    written in the same transaction as the move that caused it. The worker's
    dispatcher fans it out into one ``Delivery`` per channel and recipient
    (``fanned_out_at``) and stamps ``sent_at`` when the first one is out."""

    __tablename__ = "notifications"

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customers.id"), index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    event: Mapped[str] = mapped_column(String(48))
    subject_type: Mapped[str] = mapped_column(String(24))
    subject_id: Mapped[int]
    payload: Mapped[dict] = mapped_column(JSON, default=dict)
    dedupe_key: Mapped[str | None] = mapped_column(String(120), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    fanned_out_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class DeliveryState(StrEnum):
    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"  # will be tried again at next_attempt_at
    DEAD = "dead"  # gave up; an admin may send it again
    SKIPPED = "skipped"  # the channel did not apply (no open chat, no address)


class Delivery(Base):
    """One notice on one channel to one recipient. ``recipient`` names who:
    ``user:<id>``, ``customer:<id>`` (the customer's own address, no login)
    or ``webhook``. ``message_id`` is fixed when the row is made, so a resend
    after a crash carries the same id and the recipient sees one message."""

    __tablename__ = "deliveries"
    __table_args__ = (
        UniqueConstraint("notification_id", "channel", "recipient", name="uq_deliveries_notice_channel_recipient"),
        Index("ix_deliveries_due", "state", "next_attempt_at"),
        Index("ix_deliveries_inbox", "user_id", "channel", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    notification_id: Mapped[int] = mapped_column(ForeignKey("notifications.id"))
    channel: Mapped[str] = mapped_column(String(16))
    recipient: Mapped[str] = mapped_column(String(40))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    address: Mapped[str | None] = mapped_column(String(254))
    message_id: Mapped[str] = mapped_column(String(200))
    state: Mapped[str] = mapped_column(String(12), default=DeliveryState.PENDING)
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    worker: Mapped[str | None] = mapped_column(String(64))
    last_error: Mapped[str | None] = mapped_column(Text)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # inbox: when the user opened it
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class DeliveryAttempt(Base):
    """Each try of a delivery: when, by which worker, with which message id, and how it went."""

    __tablename__ = "delivery_attempts"

    id: Mapped[int] = mapped_column(primary_key=True)
    delivery_id: Mapped[int] = mapped_column(ForeignKey("deliveries.id"), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    worker: Mapped[str | None] = mapped_column(String(64))
    message_id: Mapped[str] = mapped_column(String(200))
    outcome: Mapped[str] = mapped_column(String(12))  # sent | failed | dead | skipped
    error: Mapped[str | None] = mapped_column(Text)


class ChannelPreference(Base):
    """A user's choice for one channel: off altogether, or off for reminders
    only. Documents they must receive (bills, offers, contracts) still go."""

    __tablename__ = "channel_preferences"
    __table_args__ = (UniqueConstraint("user_id", "channel", name="uq_channel_preferences_user_channel"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    channel: Mapped[str] = mapped_column(String(16))
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    reminders: Mapped[bool] = mapped_column(Boolean, default=True)
