"""The technician scoreboard: jobs done, on-time arrival, first-visit fix,
rating and billed revenue, per technician (definitions in ``common``)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import and_, case, exists, func, select
from sqlalchemy.orm import aliased

from backend.billing.models import Invoice
from backend.db import UnitOfWork
from backend.identity.actor import Actor
from backend.identity.models import User
from backend.jobs.models import Feedback, Job, JobState
from backend.orders.models import ServiceOrder
from backend.reports.common import (
    FIRST_FIX_WINDOW, MANAGERS, ON_TIME_GRACE, Sql, an_id, begin, dec, pct, range_filter,
)


@dataclass(frozen=True)
class TechnicianScore:
    technician_id: int
    name: str
    jobs_done: int
    arrivals_timed: int
    on_time: int
    on_time_pct: Decimal | None
    first_visit_fixes: int
    first_visit_fix_pct: Decimal | None
    ratings: int
    average_rating: Decimal | None
    revenue: Decimal


def billed_revenue(job):
    """Net invoiced on a job: its own invoices plus its service order's invoice (correlated subqueries)."""
    own = (select(func.coalesce(func.sum(Invoice.subtotal), 0))
           .where(Invoice.source_type == "job", Invoice.source_id == job.id).correlate(job).scalar_subquery())
    order_inv = aliased(Invoice)
    via_order = (select(func.coalesce(func.sum(order_inv.subtotal), 0))
                 .select_from(ServiceOrder).join(order_inv, order_inv.id == ServiceOrder.invoice_id)
                 .where(ServiceOrder.id == job.order_id).correlate(job).scalar_subquery())
    return own + via_order


def first_visit_fix(sql: Sql, job):
    """One visit, and no request-raised job on the same item within the window after resolution."""
    again = aliased(Job)
    repeat = exists().where(
        again.item_id == job.item_id, again.id != job.id, again.request_id.is_not(None),
        again.created_at > job.resolved_at, again.created_at <= sql.plus(job.resolved_at, FIRST_FIX_WINDOW),
    )
    return and_(job.visits <= 1, ~and_(job.item_id.is_not(None), repeat))


def scoreboard(uow: UnitOfWork, actor: Actor, *, start: date | None = None, end: date | None = None,
               technician_id: int | None = None, **unknown: Any) -> list[TechnicianScore]:
    """Per technician, over the jobs done (resolved) in the range."""
    p = begin(actor, MANAGERS, start, end, unknown)
    technician_id = an_id(technician_id, "technician_id")
    with uow() as s:
        sql = Sql(s)
        sql.tune(s)
        j = aliased(Job)
        timed = and_(j.arrived_at.is_not(None), j.scheduled_start.is_not(None))
        on_time = and_(timed, sql.minutes(j.scheduled_start, j.arrived_at) <= ON_TIME_GRACE.total_seconds() / 60)
        per_job = (
            select(j.technician_id.label("tech"),
                   case((timed, 1), else_=0).label("timed"),
                   case((on_time, 1), else_=0).label("on_time"),
                   case((first_visit_fix(sql, j), 1), else_=0).label("fixed"),
                   Feedback.rating.label("rating"),
                   billed_revenue(j).label("revenue"))
            .join(Feedback, Feedback.job_id == j.id, isouter=True)
            .where(range_filter(j.resolved_at, p), j.state != JobState.CANCELLED, j.technician_id.is_not(None))
        )
        if technician_id is not None:
            per_job = per_job.where(j.technician_id == technician_id)
        pj = per_job.subquery()
        rows = s.execute(
            select(pj.c.tech, User.name, func.count(), func.sum(pj.c.timed), func.sum(pj.c.on_time),
                   func.sum(pj.c.fixed), func.count(pj.c.rating), func.avg(pj.c.rating), func.sum(pj.c.revenue))
            .join(User, User.id == pj.c.tech)
            .group_by(pj.c.tech, User.name)
            .order_by(User.name, pj.c.tech)
        ).all()
    return [
        TechnicianScore(tid, name, int(n), int(timed), int(ontime), pct(int(ontime), int(timed)), int(fixed),
                        pct(int(fixed), int(n)), int(rated),
                        None if avg is None else Decimal(str(avg)).quantize(Decimal("0.01")), dec(revenue))
        for tid, name, n, timed, ontime, fixed, rated, avg, revenue in rows
    ]
