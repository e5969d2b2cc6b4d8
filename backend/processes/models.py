"""The tables of the work that spans areas: what the online payment gateways
told us (``gateway_events``), kept by ``backend.processes.gateway``."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from enum import StrEnum

from sqlalchemy import JSON, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from backend.db import MONEY, Base, UTCDateTime, utcnow


class GatewayEventState(StrEnum):
    APPLIED = "applied"  # a receipt was posted on the invoice
    RECORDED = "recorded"  # kept for an agent to see (a failed payment), nothing to post
    NEEDS_ATTENTION = "needs_attention"  # an agent must act: unknown invoice, overpayment, a refund to credit
    # A delivery whose signature does not verify is never stored (an unauthenticated
    # caller must not be able to write rows): it is refused with a warning in the log.


class GatewayEvent(Base):
    """One event a payment gateway delivered to its webhook, written once with
    its final state in the same transaction as whatever it posted. The unique
    (gateway, kind, object_id) is the idempotency record: a second delivery of
    the same event finds this row and does nothing again. ``object_id`` is the
    gateway's id of what the event is about: the payment for captured and
    failed, the refund for refunded (one payment may be refunded in parts);
    ``payment_id`` is always the payment's."""

    __tablename__ = "gateway_events"
    __table_args__ = (
        UniqueConstraint("gateway", "kind", "object_id", name="uq_gateway_events_gateway_kind_object"),
        Index("ix_gateway_events_state", "state"),
        Index("ix_gateway_events_payment", "gateway", "payment_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    gateway: Mapped[str] = mapped_column(String(20))
    event_id: Mapped[str | None] = mapped_column(String(64))  # the gateway's delivery id, when it sends one
    event: Mapped[str] = mapped_column(String(48))  # the gateway's own name, e.g. payment.captured
    kind: Mapped[str] = mapped_column(String(12))  # captured | failed | refunded
    object_id: Mapped[str] = mapped_column(String(64))
    payment_id: Mapped[str] = mapped_column(String(64))
    invoice_ref: Mapped[str | None] = mapped_column(String(40))
    amount: Mapped[Decimal | None] = mapped_column(MONEY)
    currency: Mapped[str | None] = mapped_column(String(3))
    method: Mapped[str | None] = mapped_column(String(24))
    state: Mapped[str] = mapped_column(String(16))
    note: Mapped[str | None] = mapped_column(String(400))
    receipt_id: Mapped[int | None] = mapped_column(ForeignKey("receipts.id"))
    payload: Mapped[dict | None] = mapped_column(JSON)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
