"""The dashboard (open work by process and state, SLA breaches, today's jobs,
collections due) and the kanban of jobs by state."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import and_, case, func, literal, select, union_all

from backend.billing.models import Invoice, InvoiceState
from backend.coverage.models import Contract, Instalment
from backend.customers.models import Customer
from backend.db import UnitOfWork
from backend.identity.actor import Actor
from backend.identity.models import User
from backend.intake.models import Ticket
from backend.jobs.lifecycle import ACTIVE, JOB_MOVES
from backend.jobs.models import Job, JobState
from backend.ledger import dues
from backend.ledger.models import InvoiceBalance, InvoiceDuePart
from backend.orders.models import ServiceOrder
from backend.repairs.models import RepairOrder
from backend.reports.common import (
    ON_TIME_GRACE, OPERATIONS, SCHEDULE_WITHIN, Sql, an_id, as_utc, begin, dec, range_filter, row_limit,
)

# Terminal states: what is no longer open work.
DONE = {
    "ticket": ("closed",),
    "job": ("closed", "settled", "cancelled"),
    "contract": ("rejected", "renewed", "expired"),
    "order": ("paid", "cancelled"),
    "repair": ("returned", "closed"),
}
PROCESS = {"ticket": "A", "job": "B", "contract": "C", "order": "D", "repair": "E"}
JOB_ORDER = ["new", "scheduled", "confirmed", "advance_requested", "advance_sanctioned", "released", "in_progress",
             "resolved", "feedback", "billed", "closed", "settled", "cancelled"]


@dataclass(frozen=True)
class StateCount:
    process: str
    entity: str
    state: str
    count: int


@dataclass(frozen=True)
class SlaBreaches:
    unscheduled: int
    past_slot: int
    late_arrivals: int
    resolved_after_slot: int


@dataclass(frozen=True)
class CollectionsDue:
    overdue_invoices: int
    overdue_amount: Decimal
    due_in_range_invoices: int
    due_in_range_amount: Decimal
    instalments_due: int
    instalments_amount: Decimal


@dataclass(frozen=True)
class Dashboard:
    start: date
    end: date
    as_of: datetime
    open_requests: list[StateCount]
    open_total: int
    sla: SlaBreaches
    today: date
    todays_jobs: list[StateCount]
    collections: CollectionsDue


def dashboard(uow: UnitOfWork, actor: Actor, *, start: date | None = None, end: date | None = None,
              **unknown: Any) -> Dashboard:
    """Open work raised in the range, by process (A-E) and state; SLA breaches
    among it; the jobs booked on the last day of the range; money due by then."""
    p = begin(actor, OPERATIONS, start, end, unknown)
    with uow() as s:
        sql = Sql(s)
        sql.tune(s)
        open_rows = [StateCount(PROCESS[e], e, st, n) for e, st, n in s.execute(_open_work(p)).all()]
        sla = _sla(s, sql, p)
        today = p.end
        day0 = datetime.combine(today, datetime.min.time(), p.t0.tzinfo)
        todays = [StateCount("B", "job", st, n) for st, n in s.execute(
            select(Job.state, func.count()).where(Job.scheduled_start >= day0,
                                                  Job.scheduled_start < day0 + timedelta(days=1))
            .group_by(Job.state)).all()]
        collections = _collections(s, p)
    order = {st: i for i, st in enumerate(JOB_ORDER)}
    open_rows.sort(key=lambda r: (r.process, order.get(r.state, 99), r.state))
    todays.sort(key=lambda r: order.get(r.state, 99))
    return Dashboard(p.start, p.end, p.as_of, open_rows, sum(r.count for r in open_rows), sla, today, todays,
                     collections)


def _open_work(p):
    parts = []
    for entity, model, state, created in (
        ("ticket", Ticket, Ticket.state, Ticket.created_at),
        ("job", Job, Job.state, Job.created_at),
        ("contract", Contract, Contract.status, Contract.created_at),
        ("order", ServiceOrder, ServiceOrder.state, ServiceOrder.created_at),
        ("repair", RepairOrder, RepairOrder.state, RepairOrder.received_at),
    ):
        parts.append(
            select(literal(entity).label("entity"), state.label("state"), func.count().label("n"))
            .where(range_filter(created, p), state.not_in(DONE[entity]))
            .group_by(state)
        )
    return union_all(*parts)


def _sla(s, sql: Sql, p) -> SlaBreaches:
    now = p.as_of
    active = [str(x) for x in ACTIVE if x != JobState.NEW]
    late = sql.minutes(Job.scheduled_start, Job.arrived_at) > ON_TIME_GRACE.total_seconds() / 60
    raised = range_filter(Job.created_at, p)
    unscheduled, past_slot = s.execute(
        select(func.coalesce(func.sum(case((and_(Job.state == JobState.NEW,
                                                  Job.created_at < now - SCHEDULE_WITHIN), 1), else_=0)), 0),
               func.coalesce(func.sum(case((and_(Job.state.in_(active), Job.scheduled_end < now), 1), else_=0)), 0))
        .where(raised, Job.state.in_([JobState.NEW, *active]))
    ).one()
    late_arrivals = s.scalar(select(func.count()).where(range_filter(Job.arrived_at, p), late))
    after_slot = s.scalar(select(func.count()).where(range_filter(Job.resolved_at, p),
                                                     Job.resolved_at > Job.scheduled_end))
    return SlaBreaches(int(unscheduled), int(past_slot), int(late_arrivals), int(after_slot))


def _collections(s, p) -> CollectionsDue:
    """Money due by the end of the range on open invoices (net of credit notes
    and receipts); an invoice in instalments counts only the instalments due
    by then, oldest paid first (``backend.ledger.dues``, as collections and
    ageing do), and is "due in the range" by its oldest instalment still owed."""
    outstanding = (select(InvoiceBalance.balance).where(InvoiceBalance.invoice_id == Invoice.id)  # net of credit notes
                   .correlate(Invoice).scalar_subquery())
    in_parts = select(InvoiceDuePart.invoice_id).where(InvoiceDuePart.invoice_id == Invoice.id).exists()
    overdue_n, overdue_amt, due_n, due_amt = s.execute(
        select(func.count(),
               func.sum(outstanding),
               func.coalesce(func.sum(case((Invoice.due_on >= p.start, 1), else_=0)), 0),
               func.sum(case((Invoice.due_on >= p.start, outstanding), else_=0)))
        .where(Invoice.state == InvoiceState.OPEN, Invoice.due_on <= p.end, ~in_parts)
    ).one()
    overdue_n, overdue_amt, due_n, due_amt = int(overdue_n), dec(overdue_amt), int(due_n), dec(due_amt)
    scheduled = s.execute(
        select(Invoice.id, Invoice.due_on, InvoiceBalance.balance)
        .join(InvoiceBalance, InvoiceBalance.invoice_id == Invoice.id)
        .where(Invoice.state == InvoiceState.OPEN, Invoice.due_on <= p.end, in_parts)
    ).all()
    plans = dues.schedules(s, [i for i, _, _ in scheduled])
    for invoice_id, due_on, balance in scheduled:
        due, oldest = dues.due_by(dues.owed_parts(dec(balance), due_on, plans.get(invoice_id)), p.end)
        if due > 0:
            overdue_n, overdue_amt = overdue_n + 1, overdue_amt + due
            if oldest >= p.start:
                due_n, due_amt = due_n + 1, due_amt + due
    inst_n, inst_amt = s.execute(
        select(func.count(), func.sum(Instalment.amount))
        .join(Invoice, Invoice.id == Instalment.invoice_id)
        .where(Instalment.due_on >= p.start, Instalment.due_on <= p.end, Invoice.state == InvoiceState.OPEN)
    ).one()
    return CollectionsDue(overdue_n, overdue_amt, due_n, due_amt, int(inst_n), dec(inst_amt))


# --- kanban ------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class KanbanCard:
    number: str
    customer_id: int
    customer: str
    technician_id: int | None
    technician: str | None
    scheduled_start: datetime | None
    created_at: datetime


@dataclass(frozen=True)
class KanbanColumn:
    state: str
    count: int
    next_states: list[str]
    cards: list[KanbanCard]


def kanban(uow: UnitOfWork, actor: Actor, *, start: date | None = None, end: date | None = None,
           technician_id: int | None = None, customer_id: int | None = None, cards: int | None = None,
           **unknown: Any) -> list[KanbanColumn]:
    """Jobs raised in the range, one column per state (every state, in
    lifecycle order) with its count and its oldest cards (by when raised)."""
    p = begin(actor, OPERATIONS, start, end, unknown)
    technician_id, customer_id = an_id(technician_id, "technician_id"), an_id(customer_id, "customer_id")
    per_column = row_limit(cards, default=20, maximum=200, name="cards")
    conds = [range_filter(Job.created_at, p)]
    if technician_id is not None:
        conds.append(Job.technician_id == technician_id)
    if customer_id is not None:
        conds.append(Job.customer_id == customer_id)
    with uow() as s:
        Sql(s).tune(s)
        counts = dict(s.execute(select(Job.state, func.count()).where(*conds).group_by(Job.state)).all())
        # each column's oldest cards: one short index range per state (state, created_at)
        per_state = [select(Job.id, Job.state).where(Job.state == st, *conds)
                     .order_by(Job.created_at, Job.id).limit(per_column).subquery()
                     for st in JOB_ORDER if counts.get(st)]
        rows = []
        if per_state:
            picked = union_all(*[select(q.c.id, q.c.state) for q in per_state]).subquery()
            rows = s.execute(
                select(picked.c.state, Job.number, Job.customer_id, Customer.name, Job.technician_id, User.name,
                       Job.scheduled_start, Job.created_at)
                .join(Job, Job.id == picked.c.id)
                .join(Customer, Customer.id == Job.customer_id)
                .join(User, User.id == Job.technician_id, isouter=True)
                .order_by(picked.c.state, Job.created_at, Job.id)
            ).all()
    by_state: dict[str, list[KanbanCard]] = {}
    for state, number, cid, cname, tid, tname, sched, created in rows:
        by_state.setdefault(state, []).append(KanbanCard(number, cid, cname, tid, tname, as_utc(sched),
                                                         as_utc(created)))
    return [KanbanColumn(st, int(counts.get(st, 0)), sorted(str(x) for x in JOB_MOVES.allowed(JobState(st))),
                         by_state.get(st, [])) for st in JOB_ORDER]
