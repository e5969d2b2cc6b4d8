"""The indexes the reports lean on (migration ``0005_report_indexes``).

The reports own no tables: they read the processes' own. These indexes are
declared here, against those tables, so that the models and the migrations
stay one and the same schema (``tests/unit/test_architecture.py``). Each
serves a report's date range or a look-up it repeats per row:

| index | serves |
|---|---|
| jobs (created_at, state) | dashboard open work and SLA, kanban (index-only counts) |
| jobs (resolved_at) | scoreboard, P&L, offer pipeline (job estimates), SLA "resolved after slot" |
| jobs (arrived_at) | visit reports, SLA "late arrivals" |
| jobs (scheduled_start) | appointment and jobs calendars, today's jobs |
| jobs (item_id, created_at) | first-visit fix: another job on the item soon after |
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
"""

from __future__ import annotations

from sqlalchemy import Index

from backend.billing.models import Invoice
from backend.coverage.models import Contract, ContractOffer
from backend.intake.models import Ticket
from backend.jobs.models import Advance, ExpenseClaim, Feedback, Job, JobPart
from backend.ledger.models import LedgerEntry
from backend.orders.models import ServiceOrder
from backend.repairs.models import RepairEstimate, RepairOrder, RepairPart

REPORT_INDEXES = [
    Index("ix_rpt_jobs_created_state", Job.created_at, Job.state),
    Index("ix_rpt_jobs_resolved_at", Job.resolved_at),
    Index("ix_rpt_jobs_arrived_at", Job.arrived_at),
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
