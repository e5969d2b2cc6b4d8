from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
    false,
    true,
)
from sqlalchemy.orm import Mapped, mapped_column

from backend.db import MONEY, Base, UTCDateTime, utcnow


class ContractState(StrEnum):
    INQUIRY = "inquiry"
    OFFER_SENT = "offer_sent"
    REJECTED = "rejected"
    ACTIVE = "active"
    DUE_FOR_RENEWAL = "due_for_renewal"
    RENEWED = "renewed"
    EXPIRED = "expired"


class CoverageType(Base):
    """AMC (labour only), CMC (labour and parts), WARRANTY, ... — types are data."""

    __tablename__ = "coverage_types"

    code: Mapped[str] = mapped_column(String(20), primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    covers_labour: Mapped[bool] = mapped_column(Boolean, default=True)
    covers_parts: Mapped[bool] = mapped_column(Boolean, default=False)
    # What an offer of this type proposes unless the agent says otherwise.
    visits_per_year: Mapped[int] = mapped_column(SmallInteger, default=4, server_default="4")
    # A retired type takes no new inquiries or offers; its contracts keep it.
    active: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    # A visit under a contract of this type is completed only with the customer's signature.
    requires_signature: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())


class Contract(Base):
    """A contract or an extended warranty covering serials for a period.

    The full contract process (offer, acceptance, renewal) extends this table;
    the entitlement check needs only type, period, status and covered items.
    """

    __tablename__ = "contracts"

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str | None] = mapped_column(String(20), unique=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    type_code: Mapped[str] = mapped_column(ForeignKey("coverage_types.code"))
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(24), default="active", index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # The contract process (C): what was offered and accepted, renewals. The
    # inquiry that started it points here (service_requests.contract_id).
    site_id: Mapped[int | None] = mapped_column(ForeignKey("sites.id"))
    value: Mapped[Decimal | None] = mapped_column(MONEY)
    visits_per_year: Mapped[int] = mapped_column(SmallInteger, default=0)
    instalments: Mapped[int] = mapped_column(SmallInteger, default=1)
    renewal_of_id: Mapped[int | None] = mapped_column(ForeignKey("contracts.id"), index=True)
    accepted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    notes: Mapped[str | None] = mapped_column(Text)


class CoveredItem(Base):
    __tablename__ = "covered_items"
    __table_args__ = (UniqueConstraint("contract_id", "item_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    contract_id: Mapped[int] = mapped_column(ForeignKey("contracts.id"), index=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id"), index=True)


class OfferState(StrEnum):
    SENT = "sent"
    ACCEPTED = "accepted"
    REJECTED = "rejected"
    SUPERSEDED = "superseded"


class ContractOffer(Base):
    """One offer (or re-offer) of a contract: price, period, visits, instalments."""

    __tablename__ = "contract_offers"
    __table_args__ = (UniqueConstraint("contract_id", "version"),
                      CheckConstraint("amount > 0", name="amount_positive"))

    id: Mapped[int] = mapped_column(primary_key=True)
    contract_id: Mapped[int] = mapped_column(ForeignKey("contracts.id"), index=True)
    version: Mapped[int] = mapped_column(SmallInteger)
    type_code: Mapped[str] = mapped_column(ForeignKey("coverage_types.code"))
    amount: Mapped[Decimal] = mapped_column(MONEY)
    tax_rate: Mapped[Decimal] = mapped_column(MONEY)
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date] = mapped_column(Date)
    visits_per_year: Mapped[int] = mapped_column(SmallInteger)
    instalments: Mapped[int] = mapped_column(SmallInteger)
    valid_until: Mapped[date] = mapped_column(Date)
    state: Mapped[str] = mapped_column(String(12), default=OfferState.SENT)
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    answer_note: Mapped[str | None] = mapped_column(String(400))


class VisitState(StrEnum):
    DRAFT = "draft"  # proposed with an offer; never run until the offer is accepted
    PLANNED = "planned"
    SCHEDULED = "scheduled"  # its job exists
    DONE = "done"
    CARRIED_OVER = "carried_over"
    REMOVED = "removed"  # taken out of the plan by staff (kept, with its history)


class PlannedVisit(Base):
    """The service delivery plan: visits a contract promises, each run as a job (B).

    Drafted (``draft``) when an offer is sent, editable by staff; the accepted
    offer turns the drafts into ``planned`` visits, which the daily run makes jobs."""

    __tablename__ = "planned_visits"
    __table_args__ = (Index("ix_planned_visits_due", "state", "due_on"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    contract_id: Mapped[int] = mapped_column(ForeignKey("contracts.id"), index=True)
    item_id: Mapped[int | None] = mapped_column(ForeignKey("items.id"))
    due_on: Mapped[date] = mapped_column(Date)
    state: Mapped[str] = mapped_column(String(16), default=VisitState.PLANNED)
    job_id: Mapped[int | None] = mapped_column(ForeignKey("jobs.id"), index=True)
    carried_from_id: Mapped[int | None] = mapped_column(ForeignKey("planned_visits.id"))


class Instalment(Base):
    """Scheduled collections of a contract invoice. Whether one is paid is derived
    from the receipts on the invoice (cumulative), never stored."""

    __tablename__ = "instalments"
    __table_args__ = (UniqueConstraint("invoice_id", "seq"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    invoice_id: Mapped[int] = mapped_column(ForeignKey("invoices.id"), index=True)
    seq: Mapped[int] = mapped_column(SmallInteger)
    due_on: Mapped[date] = mapped_column(Date, index=True)
    amount: Mapped[Decimal] = mapped_column(MONEY)
