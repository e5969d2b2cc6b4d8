"""Service delivery: job execution expense, visit reports, parts used,
feedback analysis."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import case, func, literal, null, select, union_all

from backend.catalog.models import Item, Part, Product
from backend.customers.models import Customer
from backend.db import UnitOfWork
from backend.errors import invalid
from backend.identity.actor import Actor
from backend.identity.models import User
from backend.jobs.models import Advance, AdvanceState, ExpenseClaim, ExpenseLine, Feedback, Job, JobPart
from backend.repairs.models import RepairOrder, RepairPart
from backend.reports.common import (
    LOW_RATING, MANAGERS, ON_TIME_GRACE, Sql, an_id, as_utc, begin, dec, one_of, pct, range_filter, row_limit,
)


# --- job execution expense -------------------------------------------------------------------------------

@dataclass(frozen=True)
class ExpenseRow:
    key: str
    name: str
    advances: Decimal
    claims: int
    claimed: Decimal
    passed: Decimal
    rejected: Decimal
    pending: Decimal


def job_expense(uow: UnitOfWork, actor: Actor, *, start: date | None = None, end: date | None = None,
                by: str = "technician", technician_id: int | None = None, limit: int | None = None,
                **unknown: Any) -> list[ExpenseRow]:
    """Advances sanctioned and expense claims submitted in the range, with what
    the manager passed, rejected or has still to decide; by technician, job
    or expense category (categories have no advances)."""
    p = begin(actor, MANAGERS, start, end, unknown)
    one_of(by, ("technician", "job", "category"), "by")
    technician_id = an_id(technician_id, "technician_id")
    limit = row_limit(limit)
    key_of = {"technician": (Advance.technician_id, ExpenseClaim.technician_id),
              "job": (Advance.job_id, ExpenseClaim.job_id)}
    line_amount = {st: func.sum(case((ExpenseLine.state == st, ExpenseLine.amount), else_=0))
                   for st in ("passed", "rejected", "pending")}
    claims_key = ExpenseLine.category if by == "category" else key_of[by][1]
    claims = (select(claims_key.label("k"), literal(0).label("adv"), func.count(ExpenseClaim.id.distinct()).label("n"),
                     func.sum(ExpenseLine.amount).label("claimed"), line_amount["passed"].label("passed"),
                     line_amount["rejected"].label("rejected"), line_amount["pending"].label("pending"))
              .join(ExpenseLine, ExpenseLine.claim_id == ExpenseClaim.id)
              .where(range_filter(ExpenseClaim.created_at, p)).group_by(claims_key))
    if technician_id is not None:
        claims = claims.where(ExpenseClaim.technician_id == technician_id)
    parts = [claims]
    if by != "category":
        adv = (select(key_of[by][0].label("k"), func.sum(Advance.amount).label("adv"), literal(0).label("n"),
                      literal(0).label("claimed"), literal(0).label("passed"), literal(0).label("rejected"),
                      literal(0).label("pending"))
               .where(range_filter(Advance.created_at, p), Advance.state == AdvanceState.SANCTIONED)
               .group_by(key_of[by][0]))
        if technician_id is not None:
            adv = adv.where(Advance.technician_id == technician_id)
        parts.append(adv)
    u = union_all(*parts).subquery()
    summed = (select(u.c.k, func.sum(u.c.adv).label("adv"), func.sum(u.c.n).label("n"),
                     func.sum(u.c.claimed).label("claimed"), func.sum(u.c.passed).label("passed"),
                     func.sum(u.c.rejected).label("rejected"), func.sum(u.c.pending).label("pending"))
              .group_by(u.c.k).subquery())
    if by == "technician":
        name = User.name
        q = select(summed, name).join(User, User.id == summed.c.k, isouter=True)
    elif by == "job":
        name = Job.number
        q = select(summed, name).join(Job, Job.id == summed.c.k, isouter=True)
    else:
        q = select(summed, summed.c.k)
    with uow() as s:
        Sql(s).tune(s)
        rows = s.execute(q.order_by(summed.c.k).limit(limit)).all()
    return [ExpenseRow(str(k), str(nm or k), dec(a), int(n or 0), dec(c), dec(ps), dec(rj), dec(pd))
            for k, a, n, c, ps, rj, pd, nm in rows]


# --- visit reports ---------------------------------------------------------------------------------------

@dataclass(frozen=True)
class VisitReport:
    job: str
    state: str
    technician_id: int | None
    technician: str | None
    customer_id: int
    customer: str
    product: str | None
    serial: str | None
    scheduled_start: datetime | None
    arrived_at: datetime
    minutes_late: int | None
    on_time: bool | None
    resolved_at: datetime | None
    minutes_on_site: int | None
    visits: int
    parts_used: int
    service_notes: str | None


def visit_reports(uow: UnitOfWork, actor: Actor, *, start: date | None = None, end: date | None = None,
                  technician_id: int | None = None, customer_id: int | None = None, limit: int | None = None,
                  **unknown: Any) -> list[VisitReport]:
    """Every site visit (arrival) in the range: punctuality against the
    appointment, time on site, parts used and the technician's notes."""
    p = begin(actor, MANAGERS, start, end, unknown)
    technician_id, customer_id = an_id(technician_id, "technician_id"), an_id(customer_id, "customer_id")
    limit = row_limit(limit)
    with uow() as s:
        sql = Sql(s)
        sql.tune(s)
        late = sql.minutes(Job.scheduled_start, Job.arrived_at)
        on_site = sql.minutes(Job.arrived_at, Job.resolved_at)
        parts = (select(func.count()).where(JobPart.job_id == Job.id).correlate(Job).scalar_subquery())
        q = (select(Job.number, Job.state, Job.technician_id, User.name, Job.customer_id, Customer.name, Product.name,
                    Item.serial, Job.scheduled_start, Job.arrived_at, late, Job.resolved_at, on_site, Job.visits,
                    parts, func.substr(Job.service_notes, 1, 200))
             .join(Customer, Customer.id == Job.customer_id)
             .join(User, User.id == Job.technician_id, isouter=True)
             .join(Item, Item.id == Job.item_id, isouter=True)
             .join(Product, Product.id == Item.product_id, isouter=True)
             .where(range_filter(Job.arrived_at, p)))
        if technician_id is not None:
            q = q.where(Job.technician_id == technician_id)
        if customer_id is not None:
            q = q.where(Job.customer_id == customer_id)
        rows = s.execute(q.order_by(Job.arrived_at, Job.id).limit(limit)).all()
    grace = ON_TIME_GRACE.total_seconds() / 60
    return [VisitReport(num, st, tid, tname, cid, cname, prod, serial, as_utc(sched), as_utc(arr),
                        None if late_m is None else round(late_m), None if late_m is None else late_m <= grace,
                        as_utc(res), None if site_m is None else round(site_m), int(visits or 0), int(nparts), notes)
            for num, st, tid, tname, cid, cname, prod, serial, sched, arr, late_m, res, site_m, visits, nparts, notes
            in rows]


# --- parts used ------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class PartUsage:
    sku: str
    name: str
    qty: Decimal
    jobs: int
    repairs: int
    covered_qty: Decimal
    billed_qty: Decimal
    revenue: Decimal
    cost: Decimal
    margin: Decimal
    in_stock: Decimal


def parts_used(uow: UnitOfWork, actor: Actor, *, start: date | None = None, end: date | None = None,
               technician_id: int | None = None, part: str | None = None, **unknown: Any) -> list[PartUsage]:
    """Parts that left stock in the range, on jobs (B6) and repairs (E):
    quantity, covered versus billed, revenue at the price used, cost, margin,
    and what is in stock now. Repairs are billed at the part's list price."""
    p = begin(actor, MANAGERS, start, end, unknown)
    technician_id = an_id(technician_id, "technician_id")
    if part is not None and (not isinstance(part, str) or not 1 <= len(part) <= 40):
        raise invalid("part is a part's SKU", field="part")
    jp = (select(JobPart.part_id.label("pid"), JobPart.qty.label("qty"), JobPart.job_id.label("job"),
                 null().label("repair"), case((JobPart.covered, JobPart.qty), else_=0).label("covered"),
                 case((JobPart.covered, 0), else_=JobPart.qty * JobPart.unit_price).label("revenue"),
                 (JobPart.qty * JobPart.unit_cost).label("cost"))
          .where(range_filter(JobPart.recorded_at, p)))
    rp = (select(RepairPart.part_id, RepairPart.qty, null(), RepairPart.repair_id,
                 case((RepairOrder.covers_parts, RepairPart.qty), else_=0),
                 case((RepairOrder.covers_parts, 0), else_=RepairPart.qty * Part.unit_price),
                 RepairPart.qty * RepairPart.unit_cost)
          .join(RepairOrder, RepairOrder.id == RepairPart.repair_id).join(Part, Part.id == RepairPart.part_id)
          .where(range_filter(RepairPart.recorded_at, p)))
    if technician_id is not None:
        jp = jp.join(Job, Job.id == JobPart.job_id).where(Job.technician_id == technician_id)
        rp = rp.where(RepairOrder.technician_id == technician_id)
    u = union_all(jp, rp).subquery()
    q = (select(Part.sku, Part.name, func.sum(u.c.qty), func.count(u.c.job.distinct()),
                func.count(u.c.repair.distinct()), func.sum(u.c.covered), func.sum(u.c.revenue), func.sum(u.c.cost),
                Part.stock_qty)
         .join(Part, Part.id == u.c.pid)
         .group_by(Part.id, Part.sku, Part.name, Part.stock_qty)
         .order_by(func.sum(u.c.cost).desc(), Part.sku))
    if part is not None:
        q = q.where(Part.sku == part)
    with uow() as s:
        Sql(s).tune(s)
        rows = s.execute(q).all()
    out = []
    for sku, name, qty, jobs, repairs, covered, revenue, cost, stock in rows:
        qty, covered = Decimal(str(qty)), Decimal(str(covered))
        out.append(PartUsage(sku, name, qty.quantize(Decimal("0.001")), int(jobs), int(repairs),
                             covered.quantize(Decimal("0.001")), (qty - covered).quantize(Decimal("0.001")),
                             dec(revenue), dec(cost), dec(revenue) - dec(cost), Decimal(str(stock))))
    return out


# --- feedback analysis -----------------------------------------------------------------------------------

@dataclass(frozen=True)
class FeedbackGroup:
    key: str
    name: str
    responses: int
    average: Decimal | None
    r1: int
    r2: int
    r3: int
    r4: int
    r5: int
    low_pct: Decimal | None


@dataclass(frozen=True)
class FeedbackAnalysis:
    by: str
    overall: FeedbackGroup
    groups: list[FeedbackGroup]


def feedback_analysis(uow: UnitOfWork, actor: Actor, *, start: date | None = None, end: date | None = None,
                      by: str = "technician", **unknown: Any) -> FeedbackAnalysis:
    """Ratings given in the range: the spread of 1-5, the average and the
    share of low ratings, overall and by technician, product, customer or month."""
    p = begin(actor, MANAGERS, start, end, unknown)
    one_of(by, ("technician", "product", "customer", "month"), "by")
    with uow() as s:
        sql = Sql(s)
        sql.tune(s)
        key, name, joins = {
            "technician": (Job.technician_id, User.name, lambda q: q.join(User, User.id == Job.technician_id,
                                                                        isouter=True)),
            "product": (Product.id, Product.name, lambda q: q.join(Item, Item.id == Job.item_id, isouter=True)
                        .join(Product, Product.id == Item.product_id, isouter=True)),
            "customer": (Job.customer_id, Customer.name, lambda q: q.join(Customer, Customer.id == Job.customer_id)),
            "month": (sql.bucket(sql.day(Feedback.created_at), "month"), None, lambda q: q),
        }[by]
        cols = [func.count(), func.avg(Feedback.rating)]
        cols += [func.sum(case((Feedback.rating == r, 1), else_=0)) for r in range(1, 6)]
        overall = s.execute(select(*cols).select_from(Feedback).where(range_filter(Feedback.created_at, p))).one()
        label = name if name is not None else key
        q = joins(select(key, label, *cols).select_from(Feedback).join(Job, Job.id == Feedback.job_id)
                  .where(range_filter(Feedback.created_at, p))).group_by(key, label).order_by(key)
        rows = s.execute(q).all()
    return FeedbackAnalysis(by, _group("all", "all", overall), [_group(k, nm, rest) for k, nm, *rest in rows])


def _group(key: Any, name: Any, values) -> FeedbackGroup:
    n, avg, *dist = values
    dist = [int(d or 0) for d in dist]
    return FeedbackGroup(str(key), str(name) if name is not None else "(none)", int(n),
                         None if avg is None else Decimal(str(avg)).quantize(Decimal("0.01")), *dist,
                         pct(sum(dist[:LOW_RATING]), int(n)))
