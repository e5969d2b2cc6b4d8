"""The appointment calendar, the jobs calendar (per day and technician),
the repair calendar and the request calendar (requests received and wanted,
walk-in repairs received, per day)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import case, func, literal, null, select, union_all

from backend.coverage.models import Contract, PlannedVisit, VisitState
from backend.customers.models import Customer
from backend.db import UnitOfWork
from backend.identity.actor import Actor
from backend.identity.models import User
from backend.intake.models import ServiceRequest
from backend.jobs.models import Job, JobState
from backend.repairs.models import RepairOrder
from backend.reports.common import (
    OPERATIONS, Sql, an_id, as_date, as_utc, begin, calendar_span, day_filter, range_filter, row_limit,
)


@dataclass(frozen=True)
class CalendarEntry:
    day: date
    kind: str  # appointment | planned_visit
    reference: str | None
    state: str
    start: datetime | None
    end: datetime | None
    technician_id: int | None
    technician: str | None
    customer_id: int
    customer: str
    contract: str | None


def appointment_calendar(uow: UnitOfWork, actor: Actor, *, start: date | None = None, end: date | None = None,
                         technician_id: int | None = None, customer_id: int | None = None,
                         limit: int | None = None, **unknown: Any) -> list[CalendarEntry]:
    """Appointments (jobs with a slot starting in the range, cancelled ones
    left out) and the contract visits due in the range that have no job yet."""
    p = calendar_span(begin(actor, OPERATIONS, start, end, unknown))
    technician_id, customer_id = an_id(technician_id, "technician_id"), an_id(customer_id, "customer_id")
    limit = row_limit(limit)
    with uow() as s:
        sql = Sql(s)
        sql.tune(s)
        jobs = (select(sql.day(Job.scheduled_start).label("day"), literal("appointment").label("kind"),
                       Job.number.label("ref"), Job.state.label("state"), Job.scheduled_start.label("t0"),
                       Job.scheduled_end.label("t1"), Job.technician_id.label("tech"), Job.customer_id.label("cust"),
                       Job.contract_id.label("contract"))
                .where(range_filter(Job.scheduled_start, p), Job.state != JobState.CANCELLED))
        visits = (select(PlannedVisit.due_on.label("day"), literal("planned_visit").label("kind"),
                         null().label("ref"), PlannedVisit.state.label("state"), null().label("t0"),
                         null().label("t1"), null().label("tech"), Contract.customer_id.label("cust"),
                         Contract.id.label("contract"))
                  .join(Contract, Contract.id == PlannedVisit.contract_id)
                  .where(day_filter(PlannedVisit.due_on, p), PlannedVisit.state == VisitState.PLANNED))
        if technician_id is not None:
            jobs = jobs.where(Job.technician_id == technician_id)
            visits = visits.where(literal(False))
        if customer_id is not None:
            jobs = jobs.where(Job.customer_id == customer_id)
            visits = visits.where(Contract.customer_id == customer_id)
        u = union_all(jobs, visits).subquery()
        rows = s.execute(
            select(u.c.day, u.c.kind, u.c.ref, u.c.state, u.c.t0, u.c.t1, u.c.tech, User.name, u.c.cust,
                   Customer.name, Contract.number)
            .join(Customer, Customer.id == u.c.cust)
            .join(User, User.id == u.c.tech, isouter=True)
            .join(Contract, Contract.id == u.c.contract, isouter=True)
            .order_by(u.c.day, u.c.t0.is_(None), u.c.t0, u.c.ref)
            .limit(limit)
        ).all()
    return [CalendarEntry(as_date(day), kind, ref, state, as_utc(t0), as_utc(t1), tech, tname, cust, cname, ct)
            for day, kind, ref, state, t0, t1, tech, tname, cust, cname, ct in rows]


@dataclass(frozen=True)
class JobsDay:
    day: date
    technician_id: int | None
    technician: str | None
    jobs: int
    open: int
    done: int
    cancelled: int
    hours_booked: Decimal


OPEN_STATES = ("new", "scheduled", "confirmed", "advance_requested", "advance_sanctioned", "released", "in_progress")


def jobs_calendar(uow: UnitOfWork, actor: Actor, *, start: date | None = None, end: date | None = None,
                  technician_id: int | None = None, **unknown: Any) -> list[JobsDay]:
    """Per day and technician, the jobs booked (by appointment start): how
    many, still open, done, cancelled, and the hours the slots take."""
    p = calendar_span(begin(actor, OPERATIONS, start, end, unknown))
    technician_id = an_id(technician_id, "technician_id")
    with uow() as s:
        sql = Sql(s)
        sql.tune(s)
        day = sql.day(Job.scheduled_start)
        q = (select(day.label("day"), Job.technician_id, func.count(),
                    func.sum(case((Job.state.in_(OPEN_STATES), 1), else_=0)),
                    func.sum(case((Job.state.in_(("resolved", "feedback", "billed", "closed", "settled")), 1),
                                  else_=0)),
                    func.sum(case((Job.state == JobState.CANCELLED, 1), else_=0)),
                    func.sum(case((Job.state != JobState.CANCELLED,
                                   sql.minutes(Job.scheduled_start, Job.scheduled_end)), else_=0)))
             .where(range_filter(Job.scheduled_start, p))
             .group_by(day, Job.technician_id))
        if technician_id is not None:
            q = q.where(Job.technician_id == technician_id)
        sub = q.subquery()
        c = list(sub.c)
        rows = s.execute(select(*c, User.name).join(User, User.id == c[1], isouter=True)
                         .order_by(c[0], User.name, c[1])).all()
    return [JobsDay(as_date(d), tid, name, int(n), int(o), int(dn), int(cx),
                    (Decimal(str(mins or 0)) / 60).quantize(Decimal("0.01")))
            for d, tid, n, o, dn, cx, mins, name in rows]


@dataclass(frozen=True)
class RepairEvent:
    day: date
    event: str  # received | repaired | delivered
    number: str | None
    state: str
    customer_id: int
    customer: str
    technician_id: int | None
    technician: str | None
    item: str


def repair_calendar(uow: UnitOfWork, actor: Actor, *, start: date | None = None, end: date | None = None,
                    technician_id: int | None = None, limit: int | None = None,
                    **unknown: Any) -> list[RepairEvent]:
    """Workshop days: repairs received, repaired and delivered in the range."""
    p = calendar_span(begin(actor, OPERATIONS, start, end, unknown))
    technician_id = an_id(technician_id, "technician_id")
    limit = row_limit(limit)
    with uow() as s:
        sql = Sql(s)
        sql.tune(s)
        parts = []
        for event, col in (("received", RepairOrder.received_at), ("repaired", RepairOrder.repaired_at),
                           ("delivered", RepairOrder.delivered_at)):
            q = (select(sql.day(col).label("day"), literal(event).label("event"), RepairOrder.id.label("rid"),
                        col.label("at"))
                 .where(range_filter(col, p)))
            if technician_id is not None:
                q = q.where(RepairOrder.technician_id == technician_id)
            parts.append(q)
        u = union_all(*parts).subquery()
        rows = s.execute(
            select(u.c.day, u.c.event, RepairOrder.number, RepairOrder.state, RepairOrder.customer_id, Customer.name,
                   RepairOrder.technician_id, User.name, RepairOrder.item_description)
            .join(RepairOrder, RepairOrder.id == u.c.rid)
            .join(Customer, Customer.id == RepairOrder.customer_id)
            .join(User, User.id == RepairOrder.technician_id, isouter=True)
            .order_by(u.c.day, u.c.at, RepairOrder.id)
            .limit(limit)
        ).all()
    return [RepairEvent(as_date(d), ev, num, st, cid, cname, tid, tname, item)
            for d, ev, num, st, cid, cname, tid, tname, item in rows]


@dataclass(frozen=True)
class RequestEvent:
    day: date
    event: str  # received | wanted (the caller's preferred time) | repair_received
    reference: str | None
    kind: str  # what the request became (job, ticket, order, contract, repair); "repair" for a walk-in repair
    channel: str | None
    at: datetime | None
    customer_id: int
    customer: str
    about: str


def request_calendar(uow: UnitOfWork, actor: Actor, *, start: date | None = None, end: date | None = None,
                     customer_id: int | None = None, limit: int | None = None,
                     **unknown: Any) -> list[RequestEvent]:
    """The request calendar (card E1, "Check Request Calendar"): per day, the
    service requests received, the ones the caller wants done that day (their
    preferred time) and the repairs received at the counter."""
    p = calendar_span(begin(actor, OPERATIONS, start, end, unknown))
    customer_id = an_id(customer_id, "customer_id")
    limit = row_limit(limit)
    with uow() as s:
        sql = Sql(s)
        sql.tune(s)
        parts = []
        for event, col in (("received", ServiceRequest.created_at), ("wanted", ServiceRequest.preferred_at)):
            q = (select(sql.day(col).label("day"), literal(event).label("event"), ServiceRequest.number.label("ref"),
                        ServiceRequest.kind.label("kind"), ServiceRequest.channel.label("channel"), col.label("at"),
                        ServiceRequest.customer_id.label("cust"), ServiceRequest.problem.label("about"))
                 .where(range_filter(col, p)))
            if customer_id is not None:
                q = q.where(ServiceRequest.customer_id == customer_id)
            parts.append(q)
        repairs = (select(sql.day(RepairOrder.received_at).label("day"), literal("repair_received").label("event"),
                          RepairOrder.number.label("ref"), literal("repair").label("kind"), null().label("channel"),
                          RepairOrder.received_at.label("at"), RepairOrder.customer_id.label("cust"),
                          RepairOrder.item_description.label("about"))
                   .where(range_filter(RepairOrder.received_at, p), RepairOrder.request_id.is_(None)))
        if customer_id is not None:
            repairs = repairs.where(RepairOrder.customer_id == customer_id)
        u = union_all(*parts, repairs).subquery()
        rows = s.execute(
            select(u.c.day, u.c.event, u.c.ref, u.c.kind, u.c.channel, u.c.at, u.c.cust, Customer.name, u.c.about)
            .join(Customer, Customer.id == u.c.cust)
            .order_by(u.c.day, u.c.at, u.c.ref)
            .limit(limit)
        ).all()
    return [RequestEvent(as_date(d), ev, ref, kind, ch, as_utc(at), cid, cname, (about or "")[:160])
            for d, ev, ref, kind, ch, at, cid, cname, about in rows]
