"""The per-job facts the scoreboard and the P&L add up, and the one
pre-aggregation of the reports: ``report_job_facts``, a row per job done.

What a fact holds (definitions in ``common``): the job's technician,
customer, contract and product; whether its arrival was timed and on time;
whether it was a first-visit fix; its rating; what was billed on it (its
invoices and its service order's invoice, net of tax); its share of its
contract's value (planned visits); parts at cost; passed expense bills of
decided claims (what the expense voucher posted); minutes on site.

Keeping it current: every change that can move a fact leaves a trace the
services always write — a history row (``state_changes``: job moves, parts
recorded, estimates answered, claims decided, invoices paid, orders moved,
visits carried over) or a feedback row. ``refresh`` reads the traces past its
watermark, works out which jobs they touch (including earlier jobs on the
same item, whose first-visit fix a new call undoes) and recomputes exactly
those, in the report's own transaction, before the report reads. So the
reports answer from live data at the cost of the changes since the last
read; with no watermark yet (a new database), the first read rebuilds all.
Rows written behind the services' back, without a trace, are not seen until
``rebuild``.
"""

from __future__ import annotations

from sqlalchemy import Numeric, and_, cast, delete, func, insert, select, text, union
from sqlalchemy.orm import Session, aliased

from backend.billing.models import CreditNote, Invoice
from backend.catalog.models import Item
from backend.coverage.models import Contract, PlannedVisit, VisitState
from backend.db import utcnow
from backend.history.models import StateChange
from backend.jobs.models import ExpenseClaim, ExpenseLine, Feedback, Job, JobPart, JobState
from backend.orders.models import ServiceOrder
from backend.reports.common import FIRST_FIX_WINDOW, ON_TIME_GRACE, Sql
from backend.reports.models import JobFact, Watermark

NAME = "job_facts"
REBUILD_AFTER = 200_000  # more history rows than this since the last read: rebuild rather than patch
CHUNK = 5000
COLUMNS = ["job_id", "resolved_at", "technician_id", "customer_id", "contract_id", "product_id", "timed", "on_time",
           "first_fix", "rating", "billed", "share", "parts", "expenses", "minutes"]


def _done(ids: list[int] | None):
    q = (select(Job.id, Job.customer_id, Job.contract_id, Job.technician_id, Job.item_id, Job.order_id, Job.visits,
                Job.scheduled_start, Job.arrived_at, Job.resolved_at)
         .where(Job.resolved_at.is_not(None), Job.state != JobState.CANCELLED))
    if ids is not None:
        q = q.where(Job.id.in_(ids))
    return q.cte("done")


def first_visit_fix(sql: Sql, job):
    """One visit, and no request-raised job on the same item within the window after resolution."""
    again = aliased(Job)
    repeat = select(again.id).where(
        again.item_id == job.item_id, again.id != job.id, again.request_id.is_not(None),
        again.created_at > job.resolved_at, again.created_at <= sql.plus(job.resolved_at, FIRST_FIX_WINDOW),
    ).exists()
    return and_(job.visits <= 1, ~and_(job.item_id.is_not(None), repeat))


def _net(invoice):
    """An invoice's value net of tax, less what its credit notes took back of it
    (a cancelled invoice nets to nil, so a job billed again counts once)."""
    credited = (select(func.coalesce(func.sum(CreditNote.taxable), 0)).where(CreditNote.invoice_id == invoice.id)
                .correlate(invoice).scalar_subquery())
    return invoice.subtotal - credited


def compute(sql: Sql, ids: list[int] | None = None):
    """The fact rows (in ``COLUMNS`` order) of the given jobs, or of every job done.

    Each money figure is an aggregate over its own table, restricted to the
    jobs by a semi-join and left-joined back by job id, so the planner may
    probe indexes for a few jobs or hash whole tables for all of them."""
    j = _done(ids)
    in_done = select(j.c.id)
    own = (select(Invoice.source_id.label("job_id"), _net(Invoice).label("amount"))
           .where(Invoice.source_type == "job", Invoice.source_id.in_(in_done)))
    order_inv = aliased(Invoice)
    via_order = (select(j.c.id.label("job_id"), _net(order_inv).label("amount"))
                 .join(ServiceOrder, ServiceOrder.id == j.c.order_id)
                 .join(order_inv, order_inv.id == ServiceOrder.invoice_id))
    both = own.union_all(via_order).subquery()
    billed = select(both.c.job_id, func.sum(both.c.amount).label("v")).group_by(both.c.job_id).subquery()
    parts = (select(JobPart.job_id, func.sum(JobPart.qty * JobPart.unit_cost).label("v"))
             .where(JobPart.job_id.in_(in_done)).group_by(JobPart.job_id).subquery())
    expenses = (select(ExpenseClaim.job_id, func.sum(ExpenseLine.amount).label("v"))
                .join(ExpenseLine, ExpenseLine.claim_id == ExpenseClaim.id)
                .where(ExpenseClaim.job_id.in_(in_done), ExpenseClaim.state != "submitted",
                       ExpenseLine.state == "passed")
                .group_by(ExpenseClaim.job_id).subquery())
    pv = aliased(PlannedVisit)
    visits = (select(PlannedVisit.contract_id, func.count().label("n"))
              .where(PlannedVisit.state.notin_((VisitState.CARRIED_OVER, VisitState.REMOVED, VisitState.DRAFT)),
                     PlannedVisit.contract_id.in_(select(pv.contract_id).where(pv.job_id.in_(in_done))))
              .group_by(PlannedVisit.contract_id).subquery())
    share = (select(PlannedVisit.job_id, func.sum(cast(Contract.value, Numeric(18, 6)) / visits.c.n).label("v"))
             .join(Contract, Contract.id == PlannedVisit.contract_id)
             .join(visits, visits.c.contract_id == PlannedVisit.contract_id)
             .where(PlannedVisit.job_id.in_(in_done))
             .group_by(PlannedVisit.job_id).subquery())
    timed = and_(j.c.arrived_at.is_not(None), j.c.scheduled_start.is_not(None))
    on_time = and_(timed, sql.minutes(j.c.scheduled_start, j.c.arrived_at) <= ON_TIME_GRACE.total_seconds() / 60)
    return (select(j.c.id, j.c.resolved_at, j.c.technician_id, j.c.customer_id, j.c.contract_id, Item.product_id,
                   timed, on_time, first_visit_fix(sql, j.c), Feedback.rating,
                   func.coalesce(billed.c.v, 0), func.coalesce(share.c.v, 0), func.coalesce(parts.c.v, 0),
                   func.coalesce(expenses.c.v, 0),
                   func.coalesce(func.round(cast(sql.minutes(j.c.arrived_at, j.c.resolved_at), Numeric(14, 4)), 2), 0))
            .select_from(j)
            .join(billed, billed.c.job_id == j.c.id, isouter=True)
            .join(parts, parts.c.job_id == j.c.id, isouter=True)
            .join(expenses, expenses.c.job_id == j.c.id, isouter=True)
            .join(share, share.c.job_id == j.c.id, isouter=True)
            .join(Feedback, Feedback.job_id == j.c.id, isouter=True)
            .join(Item, Item.id == j.c.item_id, isouter=True))


def _insert(s: Session, sql: Sql, ids: list[int] | None) -> None:
    s.execute(insert(JobFact).from_select(COLUMNS, compute(sql, ids)))


def rebuild(s: Session) -> None:
    """Every fact again, from the live tables (a new database, or after a bulk load)."""
    sql = Sql(s)
    _lock(s, sql)
    top_change, top_feedback = _tops(s)
    s.execute(delete(JobFact))
    _insert(s, sql, None)
    _mark(s, top_change, top_feedback)


def refresh(s: Session, sql: Sql) -> None:
    """Bring the facts up to the present, in the caller's transaction."""
    _lock(s, sql)
    mark = s.get(Watermark, NAME)
    top_change, top_feedback = _tops(s)
    if mark is None or top_change - mark.change_id > REBUILD_AFTER:
        rebuild(s)
        return
    if (mark.change_id, mark.feedback_id) == (top_change, top_feedback):
        return
    ids = sorted(set(s.scalars(_touched(sql, mark, top_change, top_feedback))))
    for i in range(0, len(ids), CHUNK):
        chunk = ids[i:i + CHUNK]
        s.execute(delete(JobFact).where(JobFact.job_id.in_(chunk)))
        _insert(s, sql, chunk)
    _mark(s, top_change, top_feedback)


def _touched(sql: Sql, mark: Watermark, top_change: int, top_feedback: int):
    """Ids of the jobs whose facts the history and feedback past the watermark may have moved."""
    changes = (select(StateChange.entity_type, StateChange.entity_id, StateChange.to_state)
               .where(StateChange.id > mark.change_id, StateChange.id <= top_change).subquery())

    def of(kind: str):
        return select(changes.c.entity_id).where(changes.c.entity_type == kind)

    new_jobs = select(changes.c.entity_id).where(changes.c.entity_type == "job", changes.c.to_state == "new")
    newer, earlier = aliased(Job), aliased(Job)
    visit_contracts = select(PlannedVisit.contract_id).where(PlannedVisit.id.in_(of("planned_visit")))
    return union(
        select(changes.c.entity_id).where(changes.c.entity_type.in_(("job", "estimate"))),
        select(ExpenseClaim.job_id).where(ExpenseClaim.id.in_(of("expense_claim"))),
        select(Invoice.source_id).where(Invoice.source_type == "job", Invoice.id.in_(of("invoice"))),
        select(Job.id).where(Job.order_id.in_(of("order"))),
        select(Feedback.job_id).where(Feedback.id > mark.feedback_id, Feedback.id <= top_feedback),
        select(PlannedVisit.job_id).where(PlannedVisit.contract_id.in_(visit_contracts),
                                          PlannedVisit.job_id.is_not(None)),
        # a new call on an item undoes the first-visit fix of the item's jobs resolved shortly before it
        select(earlier.id).join(newer, newer.item_id == earlier.item_id)
        .where(newer.id.in_(new_jobs), earlier.resolved_at < newer.created_at,
               sql.plus(earlier.resolved_at, FIRST_FIX_WINDOW) >= newer.created_at),
    )


def _tops(s: Session) -> tuple[int, int]:
    return (s.scalar(select(func.coalesce(func.max(StateChange.id), 0))),
            s.scalar(select(func.coalesce(func.max(Feedback.id), 0))))


def _mark(s: Session, change_id: int, feedback_id: int) -> None:
    mark = s.get(Watermark, NAME)
    if mark is None:
        s.add(Watermark(name=NAME, change_id=change_id, feedback_id=feedback_id, refreshed_at=utcnow()))
    else:
        mark.change_id, mark.feedback_id, mark.refreshed_at = change_id, feedback_id, utcnow()
    s.flush()


def _lock(s: Session, sql: Sql) -> None:
    """One refresher at a time (PostgreSQL; SQLite's writers are serialised already)."""
    if sql.pg:
        s.execute(text("SELECT pg_advisory_xact_lock(7316001)"))

