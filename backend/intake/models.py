from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Boolean, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from backend.db import Base, UTCDateTime, utcnow


class RequestKind(StrEnum):
    TICKET = "ticket"  # A1 help-desk question or complaint
    JOB = "job"  # A2a covered by contract or warranty -> process B
    CONTRACT = "contract"  # A2b new or renewed contract -> process C
    ORDER = "order"  # A2c one-time paid visit -> process D
    REPAIR = "repair"  # A2d in-house repair -> process E


class TicketState(StrEnum):
    OPEN = "open"
    ANSWERED = "answered"
    CLOSED = "closed"


class ServiceRequest(Base):
    __tablename__ = "service_requests"

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str | None] = mapped_column(String(20), unique=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    kind: Mapped[str] = mapped_column(String(12), index=True)
    channel: Mapped[str] = mapped_column(String(16))
    problem: Mapped[str] = mapped_column(Text)
    item_id: Mapped[int | None] = mapped_column(ForeignKey("items.id"))
    site_id: Mapped[int | None] = mapped_column(ForeignKey("sites.id"))
    preferred_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    contract_id: Mapped[int | None] = mapped_column(ForeignKey("contracts.id"))
    cover: Mapped[str | None] = mapped_column(String(40))  # AMC, CMC, WARRANTY, MANUFACTURER_WARRANTY
    covers_labour: Mapped[bool] = mapped_column(Boolean, default=False)
    covers_parts: Mapped[bool] = mapped_column(Boolean, default=False)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    idempotency_key: Mapped[str | None] = mapped_column(String(120), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Ticket(Base):
    __tablename__ = "tickets"

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str | None] = mapped_column(String(20), unique=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("service_requests.id"), index=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    subject: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    answer: Mapped[str | None] = mapped_column(Text)
    state: Mapped[str] = mapped_column(String(16), default=TicketState.OPEN, index=True)
    assigned_to: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
