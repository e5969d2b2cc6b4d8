from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from enum import StrEnum

from sqlalchemy import CheckConstraint, ForeignKey, SmallInteger, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from backend.db import MONEY, QTY, Base, UTCDateTime, utcnow


class RepairState(StrEnum):
    RECEIVED = "received"
    ESTIMATING = "estimating"
    ESTIMATE_SENT = "estimate_sent"
    APPROVED = "approved"
    DECLINED = "declined"
    RETURNED = "returned"
    UNDER_REPAIR = "under_repair"
    REPAIRED = "repaired"
    INVOICED = "invoiced"
    DELIVERED = "delivered"
    CLOSED = "closed"


class RepairOrder(Base):
    """Process E: an item brought in for repair at the workshop."""

    __tablename__ = "repair_orders"

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str | None] = mapped_column(String(20), unique=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    request_id: Mapped[int | None] = mapped_column(ForeignKey("service_requests.id"))
    item_id: Mapped[int | None] = mapped_column(ForeignKey("items.id"))
    item_description: Mapped[str] = mapped_column(String(200))
    fault: Mapped[str] = mapped_column(Text)
    state: Mapped[str] = mapped_column(String(16), default=RepairState.RECEIVED, index=True)
    technician_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    covers_labour: Mapped[bool] = mapped_column(default=False)
    covers_parts: Mapped[bool] = mapped_column(default=False)
    check_notes: Mapped[str | None] = mapped_column(Text)
    # What was handed over with the item at the counter, and its condition (E1; printed on the receipt).
    accessories: Mapped[str | None] = mapped_column(Text)
    condition_notes: Mapped[str | None] = mapped_column(Text)
    invoice_id: Mapped[int | None] = mapped_column(ForeignKey("invoices.id"))
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    repaired_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class RepairEstimateState(StrEnum):
    SENT = "sent"
    APPROVED = "approved"
    DECLINED = "declined"


class RepairEstimate(Base):
    """Each estimate or revised estimate, with the customer's answer."""

    __tablename__ = "repair_estimates"
    __table_args__ = (UniqueConstraint("repair_id", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    repair_id: Mapped[int] = mapped_column(ForeignKey("repair_orders.id"), index=True)
    version: Mapped[int] = mapped_column(SmallInteger)
    state: Mapped[str] = mapped_column(String(12), default="sent")  # sent | approved | declined
    total: Mapped[Decimal] = mapped_column(MONEY)
    note: Mapped[str | None] = mapped_column(String(400))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class RepairEstimateLine(Base):
    __tablename__ = "repair_estimate_lines"

    id: Mapped[int] = mapped_column(primary_key=True)
    estimate_id: Mapped[int] = mapped_column(ForeignKey("repair_estimates.id"), index=True)
    kind: Mapped[str] = mapped_column(String(12))  # labour | part
    code: Mapped[str] = mapped_column(String(40))
    description: Mapped[str] = mapped_column(String(200))
    qty: Mapped[Decimal] = mapped_column(QTY)
    unit_price: Mapped[Decimal] = mapped_column(MONEY)
    tax_rate: Mapped[Decimal] = mapped_column(MONEY)


class RepairPart(Base):
    __tablename__ = "repair_parts"
    __table_args__ = (CheckConstraint("qty > 0", name="qty_positive"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    repair_id: Mapped[int] = mapped_column(ForeignKey("repair_orders.id"), index=True)
    part_id: Mapped[int] = mapped_column(ForeignKey("parts.id"), index=True)
    qty: Mapped[Decimal] = mapped_column(QTY)
    unit_cost: Mapped[Decimal] = mapped_column(MONEY)
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class RepairFeedback(Base):
    """The customer's rating (1-5) and comment on a repair handed back (E8), once."""

    __tablename__ = "repair_feedback"
    __table_args__ = (CheckConstraint("rating BETWEEN 1 AND 5", name="rating_range"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    repair_id: Mapped[int] = mapped_column(ForeignKey("repair_orders.id"), unique=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    rating: Mapped[int] = mapped_column(SmallInteger)
    comment: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
