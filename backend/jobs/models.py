from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from enum import StrEnum

from sqlalchemy import Boolean, CheckConstraint, ForeignKey, Index, Numeric, SmallInteger, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from backend.db import MONEY, QTY, Base, UTCDateTime, utcnow


class JobState(StrEnum):
    NEW = "new"
    SCHEDULED = "scheduled"
    CONFIRMED = "confirmed"
    ADVANCE_REQUESTED = "advance_requested"
    ADVANCE_SANCTIONED = "advance_sanctioned"
    RELEASED = "released"
    IN_PROGRESS = "in_progress"
    RESOLVED = "resolved"
    FEEDBACK = "feedback"
    BILLED = "billed"
    CLOSED = "closed"
    SETTLED = "settled"
    CANCELLED = "cancelled"


class EstimateState(StrEnum):
    NONE = "none"
    PENDING = "pending"
    ACCEPTED = "accepted"
    REJECTED = "rejected"
    OVERRIDDEN = "overridden"  # no answer from the customer; staff recorded why the job may be billed


class Job(Base):
    __tablename__ = "jobs"
    __table_args__ = (Index("ix_jobs_tech_start", "technician_id", "scheduled_start"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str | None] = mapped_column(String(20), unique=True)
    request_id: Mapped[int | None] = mapped_column(ForeignKey("service_requests.id"), index=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    site_id: Mapped[int | None] = mapped_column(ForeignKey("sites.id"))
    item_id: Mapped[int | None] = mapped_column(ForeignKey("items.id"), index=True)
    contract_id: Mapped[int | None] = mapped_column(ForeignKey("contracts.id"), index=True)
    order_id: Mapped[int | None] = mapped_column(ForeignKey("service_orders.id"), index=True)
    covers_labour: Mapped[bool] = mapped_column(Boolean, default=False)
    covers_parts: Mapped[bool] = mapped_column(Boolean, default=False)
    problem: Mapped[str] = mapped_column(Text, default="")
    state: Mapped[str] = mapped_column(String(24), default=JobState.NEW, index=True)
    technician_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    scheduled_start: Mapped[datetime | None] = mapped_column(UTCDateTime)
    scheduled_end: Mapped[datetime | None] = mapped_column(UTCDateTime)
    customer_confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # the customer said the slot suits
    arrived_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    service_notes: Mapped[str | None] = mapped_column(Text)
    estimate_state: Mapped[str] = mapped_column(String(12), default=EstimateState.NONE)
    estimate_amount: Mapped[Decimal] = mapped_column(MONEY, default=Decimal("0"))
    visits: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class JobPart(Base):
    __tablename__ = "job_parts"
    __table_args__ = (CheckConstraint("qty > 0", name="qty_positive"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    job_id: Mapped[int] = mapped_column(ForeignKey("jobs.id"), index=True)
    part_id: Mapped[int] = mapped_column(ForeignKey("parts.id"), index=True)
    qty: Mapped[Decimal] = mapped_column(QTY)
    unit_price: Mapped[Decimal] = mapped_column(MONEY)
    unit_cost: Mapped[Decimal] = mapped_column(MONEY)
    tax_rate: Mapped[Decimal] = mapped_column(MONEY)
    covered: Mapped[bool] = mapped_column(Boolean)
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class AdvanceState(StrEnum):
    REQUESTED = "requested"
    SANCTIONED = "sanctioned"
    REJECTED = "rejected"


class Advance(Base):
    """Travel / advance request of a technician for a job (B3)."""

    __tablename__ = "advances"
    __table_args__ = (CheckConstraint("amount > 0", name="amount_positive"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    job_id: Mapped[int] = mapped_column(ForeignKey("jobs.id"), index=True)
    technician_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    amount: Mapped[Decimal] = mapped_column(MONEY)
    purpose: Mapped[str] = mapped_column(String(200))
    state: Mapped[str] = mapped_column(String(12), default=AdvanceState.REQUESTED)
    decided_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    voucher_id: Mapped[int | None] = mapped_column(ForeignKey("vouchers.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Attachment(Base):
    """A file stored on disk under the upload folder, named by its checksum."""

    __tablename__ = "attachments"

    id: Mapped[int] = mapped_column(primary_key=True)
    filename: Mapped[str] = mapped_column(String(200))
    content_type: Mapped[str] = mapped_column(String(80))
    size: Mapped[int]
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    uploaded_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ClaimLineState(StrEnum):
    PENDING = "pending"
    PASSED = "passed"
    REJECTED = "rejected"


class ClaimState(StrEnum):
    SUBMITTED = "submitted"
    PASSED = "passed"
    PART_PASSED = "part_passed"
    REJECTED = "rejected"


class ExpenseClaim(Base):
    __tablename__ = "expense_claims"

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str | None] = mapped_column(String(20), unique=True)
    job_id: Mapped[int] = mapped_column(ForeignKey("jobs.id"), index=True)
    technician_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    state: Mapped[str] = mapped_column(String(12), default="submitted")
    voucher_id: Mapped[int | None] = mapped_column(ForeignKey("vouchers.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ExpenseLine(Base):
    __tablename__ = "expense_lines"
    __table_args__ = (CheckConstraint("amount > 0", name="amount_positive"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    claim_id: Mapped[int] = mapped_column(ForeignKey("expense_claims.id"), index=True)
    category: Mapped[str] = mapped_column(String(40))
    description: Mapped[str] = mapped_column(String(200))
    amount: Mapped[Decimal] = mapped_column(MONEY)
    attachment_id: Mapped[int | None] = mapped_column(ForeignKey("attachments.id"))
    state: Mapped[str] = mapped_column(String(12), default=ClaimLineState.PENDING)
    decided_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    reason: Mapped[str | None] = mapped_column(String(200))


class Feedback(Base):
    __tablename__ = "feedback"
    __table_args__ = (CheckConstraint("rating BETWEEN 1 AND 5", name="rating_range"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    job_id: Mapped[int] = mapped_column(ForeignKey("jobs.id"), unique=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    rating: Mapped[int] = mapped_column(SmallInteger)
    comment: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


# --- evidence from the field (issue 16): photos, the customer's signature, the arrival position, notes ---

class PhotoKind(StrEnum):
    BEFORE = "before"
    AFTER = "after"


class JobPhoto(Base):
    """A before or after photo of the work, its file an ``Attachment`` (on disk by checksum)."""

    __tablename__ = "job_photos"
    __table_args__ = (UniqueConstraint("job_id", "attachment_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    job_id: Mapped[int] = mapped_column(ForeignKey("jobs.id"), index=True)
    kind: Mapped[str] = mapped_column(String(8))  # before | after
    attachment_id: Mapped[int] = mapped_column(ForeignKey("attachments.id"))
    width: Mapped[int]
    height: Mapped[int]
    taken_at: Mapped[datetime] = mapped_column(UTCDateTime)  # the phone's clock (clamped), else when received
    taken_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class JobSignature(Base):
    """The customer's signature that the work was done: drawn on the phone, with their name typed."""

    __tablename__ = "job_signatures"

    id: Mapped[int] = mapped_column(primary_key=True)
    job_id: Mapped[int] = mapped_column(ForeignKey("jobs.id"), unique=True)
    signer_name: Mapped[str] = mapped_column(String(120))
    attachment_id: Mapped[int] = mapped_column(ForeignKey("attachments.id"))  # the drawing, a PNG
    signed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    captured_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ArrivalLocation(StrEnum):
    SHARED = "shared"  # the phone gave its position
    DENIED = "denied"  # the technician did not allow it
    UNAVAILABLE = "unavailable"  # allowed, but no fix (indoors, timed out)
    UNSUPPORTED = "unsupported"  # the browser has no geolocation
    NOT_ASKED = "not_asked"  # reported where no position can be asked (the chat, an API client)


class JobArrival(Base):
    """Where and when the technician reported arrival (B5): the phone's position
    when allowed, and both the phone's time and the time the server heard of it."""

    __tablename__ = "job_arrivals"
    __table_args__ = (
        CheckConstraint("latitude IS NULL OR (latitude >= -90 AND latitude <= 90)", name="latitude_range"),
        CheckConstraint("longitude IS NULL OR (longitude >= -180 AND longitude <= 180)", name="longitude_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    job_id: Mapped[int] = mapped_column(ForeignKey("jobs.id"), unique=True)
    location: Mapped[str] = mapped_column(String(12))  # an ArrivalLocation
    latitude: Mapped[Decimal | None] = mapped_column(Numeric(9, 6))
    longitude: Mapped[Decimal | None] = mapped_column(Numeric(9, 6))
    accuracy_m: Mapped[Decimal | None] = mapped_column(Numeric(9, 1))
    reported_at: Mapped[datetime] = mapped_column(UTCDateTime)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    reported_by: Mapped[int] = mapped_column(ForeignKey("users.id"))


class JobNote(Base):
    """A technician's note on the job during the visit (for the help desk, not the customer)."""

    __tablename__ = "job_notes"

    id: Mapped[int] = mapped_column(primary_key=True)
    job_id: Mapped[int] = mapped_column(ForeignKey("jobs.id"), index=True)
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    body: Mapped[str] = mapped_column(Text)
    noted_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
