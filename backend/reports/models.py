"""The indexes the reports lean on (migration ``0005_report_indexes``).

The reports own no tables: they read the processes' own. These indexes are
declared here, against those tables, so that the models and the migrations
stay one and the same schema (``tests/unit/test_architecture.py``). Each
serves a report's date range or a look-up it repeats per row:

| index | serves |
|---|---|
| jobs (created_at, state) | dashboard open work and SLA, kanban counts (index only) |
| jobs (state, created_at) | kanban cards: each column's oldest, one short range per state |
| jobs (resolved_at, scheduled_end) | job facts, offer pipeline (job estimates), SLA "resolved after slot" (index only) |
| jobs (arrived_at, scheduled_start) | visit reports, SLA "late arrivals" (index only) |
| jobs (scheduled_start) | appointment and jobs calendars, today's jobs |
| jobs (item_id, created_at) | first-visit fix: another job on the item soon after |
| report_job_facts (resolved_at) | scoreboard and P&L over any range |
| tickets (created_at, state) | dashboard (process A) |
| contracts (created_at), contract_offers (sent_at) | dashboard (C), offer and order pipelines |
| service_orders (created_at), (request_id) | dashboard (D), order pipeline, journey |
| repair_orders (received_at), (request_id) | dashboard (E), order pipeline, repair calendar, journey |
| repair_estimates (created_at) | offer pipeline |
| invoices (state, due_on) | collections due |
| ledger_entries (account_id, on, debit, credit) | cash flow: range and opening balance by index only |
| feedback (created_at) | feedback analysis |
| job_parts (recorded_at), repair_parts (recorded_at) | parts-used analysis |
| expense_claims (created_at), advances (created_at) | job execution expense |

One pre-aggregation, ``report_job_facts``: a row per job done (resolved, not
cancelled) with the figures the scoreboard and the P&L add up. It is a
cache of what the live tables say, never edited by hand: ``facts.refresh``
brings it up to date from the history before each of those reports reads it
(see ``backend/reports/facts.py``), and ``report_watermarks`` remembers how
far it has read.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import Boolean, ForeignKey, Index, Numeric, SmallInteger, String
from sqlalchemy.orm import Mapped, mapped_column

from backend.db import MONEY, Base, UTCDateTime

from backend.billing.models import Invoice
from backend.coverage.models import Contract, ContractOffer
from backend.intake.models import Ticket
from backend.jobs.models import Advance, ExpenseClaim, Feedback, Job, JobPart
from backend.ledger.models import LedgerEntry
from backend.orders.models import ServiceOrder
from backend.repairs.models import RepairEstimate, RepairOrder, RepairPart

REPORT_INDEXES = [
    Index("ix_rpt_jobs_created_state", Job.created_at, Job.state),
    Index("ix_rpt_jobs_state_created", Job.state, Job.created_at),
    Index("ix_rpt_jobs_resolved_at", Job.resolved_at, Job.scheduled_end),
    Index("ix_rpt_jobs_arrived_at", Job.arrived_at, Job.scheduled_start),
    Index("ix_rpt_jobs_scheduled_start", Job.scheduled_start),
    Index("ix_rpt_jobs_item_created", Job.item_id, Job.created_at),
    Index("ix_rpt_tickets_created_state", Ticket.created_at, Ticket.state),
    Index("ix_rpt_contracts_created_at", Contract.created_at),
    Index("ix_rpt_contract_offers_sent_at", ContractOffer.sent_at),
    Index("ix_rpt_service_orders_created_at", ServiceOrder.created_at),
    Index("ix_rpt_service_orders_request_id", ServiceOrder.request_id),
    Index("ix_rpt_repair_orders_received_at", RepairOrder.received_at),
    Index("ix_rpt_repair_orders_request_id", RepairOrder.request_id),
    Index("ix_rpt_repair_estimates_created_at", RepairEstimate.created_at),
    Index("ix_rpt_invoices_state_due", Invoice.state, Invoice.due_on),
    Index("ix_rpt_ledger_entries_account_on", LedgerEntry.account_id, LedgerEntry.on, LedgerEntry.debit,
          LedgerEntry.credit),
    Index("ix_rpt_feedback_created_at", Feedback.created_at),
    Index("ix_rpt_job_parts_recorded_at", JobPart.recorded_at),
    Index("ix_rpt_repair_parts_recorded_at", RepairPart.recorded_at),
    Index("ix_rpt_expense_claims_created_at", ExpenseClaim.created_at),
    Index("ix_rpt_advances_created_at", Advance.created_at),
]


class JobFact(Base):
    """Per job done: who, for whom, under what, how it went, what it earned and cost."""

    __tablename__ = "report_job_facts"

    job_id: Mapped[int] = mapped_column(ForeignKey("jobs.id"), primary_key=True, autoincrement=False)
    resolved_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    technician_id: Mapped[int | None]
    customer_id: Mapped[int]
    contract_id: Mapped[int | None]
    product_id: Mapped[int | None]
    timed: Mapped[bool] = mapped_column(Boolean)
    on_time: Mapped[bool] = mapped_column(Boolean)
    first_fix: Mapped[bool] = mapped_column(Boolean)
    rating: Mapped[int | None] = mapped_column(SmallInteger)
    billed: Mapped[Decimal] = mapped_column(MONEY)
    share: Mapped[Decimal] = mapped_column(Numeric(18, 6))
    parts: Mapped[Decimal] = mapped_column(Numeric(18, 5))
    expenses: Mapped[Decimal] = mapped_column(MONEY)
    minutes: Mapped[Decimal] = mapped_column(Numeric(14, 2))


class Watermark(Base):
    """How far a pre-aggregation has read: the last history row and feedback row it has seen."""

    __tablename__ = "report_watermarks"

    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    change_id: Mapped[int]
    feedback_id: Mapped[int]
    refreshed_at: Mapped[datetime] = mapped_column(UTCDateTime)
