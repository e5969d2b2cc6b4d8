"""The scheduled sweeps: reminders, follow-ups, auto-close and alerts.

Each is a use case run by the worker's schedules (``backend.schedules``) as
the SYSTEM actor, or by staff; each is idempotent: run twice on one day it
changes nothing more. What stops a repeat is written in the same transaction
as the effect: a notice's unique ``dedupe_key`` (reminders, alerts), or the
state the thing has moved to (an expired contract, a closed ticket).

- ``run_contracts``: the daily contract run (C7, C8): renewal reminders 30
  and 7 days before the end, expiry of the unrenewed, planned visits due
  becoming jobs.
- ``send_appointment_reminders``: the day before a booked visit, its customer
  is reminded.
- ``send_collection_reminders``: overdue invoices get escalating reminders,
  each recorded as a collection follow-up on the invoice.
- ``close_quiet_tickets``: an answered ticket with no reply for N days closes.
- ``alert_overdue_work``: the managers hear of jobs and tickets past their time.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from decimal import Decimal
from typing import TypeVar
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from backend.billing.models import CollectionFollowUp, Invoice, InvoiceState
from backend.billing.service import invoice_view
from backend.coverage.service import (
    LAST_RENEWAL_NOTICE_DAYS,
    RENEWAL_NOTICE_DAYS,
    send_renewal_reminders,
)
from backend.db import UnitOfWork, utcnow
from backend.errors import invalid
from backend.history.models import StateChange
from backend.history.moves import move
from backend.identity.actor import STAFF, SYSTEM, Actor, require_role
from backend.identity.models import Role, User
from backend.intake.models import Ticket, TicketState
from backend.intake.service import TICKET_MOVES
from backend.jobs.lifecycle import ACTIVE, BOOKED
from backend.jobs.models import Job, JobState
from backend.notifications.models import Notification
from backend.notifications.outbox import notify
from backend.processes.contract_visits import schedule_due_visits

T = TypeVar("T")

VISIT_HORIZON_DAYS = 14
TICKET_AUTOCLOSE_DAYS = 7
OVERDUE_JOB_DAYS = 7
OVERDUE_TICKET_DAYS = 2
# Collection reminders, by days past the invoice's due date (see send_collection_reminders).
COLLECTION_LEVELS: tuple[tuple[str, int], ...] = (("polite", 1), ("firm", 15), ("final", 30))
UNRESOLVED = frozenset({JobState.NEW, *ACTIVE})  # a job not resolved yet


def _allowed(actor: Actor) -> None:
    if actor is not SYSTEM:
        require_role(actor, *STAFF)


def _sent(s: Session, key: str) -> bool:
    return s.scalar(select(Notification.id).where(Notification.dedupe_key == key)) is not None


def _again_on_clash(fn: Callable[[], T], tries: int = 3) -> T:
    """Run a transaction again when a concurrent run wrote the same deduplicated
    notice first (its unique key refused ours, and nothing of ours was kept)."""
    for attempt in range(tries):
        try:
            return fn()
        except IntegrityError:
            if attempt == tries - 1:
                raise
    raise AssertionError("unreachable")


def _days(value: int, field: str) -> int:
    if not 0 <= value <= 365:
        raise invalid(f"{field.replace('_', ' ')} is between 0 and 365", field=field)
    return value


# --- the daily contract run --------------------------------------------------------------------

@dataclass(frozen=True)
class ContractRun:
    reminded: list[str]
    expired: list[str]
    jobs_created: list[str]


def run_contracts(uow: UnitOfWork, actor: Actor = SYSTEM, *, as_of: date | None = None,
                  days_before: int = RENEWAL_NOTICE_DAYS, last_days_before: int = LAST_RENEWAL_NOTICE_DAYS,
                  horizon_days: int = VISIT_HORIZON_DAYS) -> ContractRun:
    """C7 and C8 as one daily run: renewal reminders ``days_before`` (30) and
    ``last_days_before`` (7) days before a contract ends, expiry of the
    contracts that ended unrenewed, then the planned visits due within
    ``horizon_days`` become jobs. Two transactions (the two use cases), each
    safe to repeat."""
    _allowed(actor)
    renewals = send_renewal_reminders(uow, actor, as_of=as_of, days_before=days_before,
                                      last_days_before=last_days_before)
    visits = schedule_due_visits(uow, actor, as_of=as_of, horizon_days=horizon_days)
    return ContractRun(renewals.reminded, renewals.expired, visits.jobs_created)


# --- appointment reminders ---------------------------------------------------------------------

@dataclass(frozen=True)
class AppointmentReminders:
    day: date
    reminded: list[str]


def send_appointment_reminders(uow: UnitOfWork, actor: Actor = SYSTEM, *, as_of: date | None = None,
                               zone: str = "UTC") -> AppointmentReminders:
    """B1: the customer of every job booked for the day after ``as_of`` (a day
    of the company's ``zone``) is reminded of the visit, once per job and day
    (``appt-reminder-<job>-<day>``): a visit moved to another day is
    reminded again for the new day."""
    _allowed(actor)
    tz = ZoneInfo(zone)
    as_of = as_of or datetime.now(tz).date()
    day = as_of + timedelta(days=1)
    start = datetime.combine(day, time(0), tz).astimezone(timezone.utc)
    end = datetime.combine(day + timedelta(days=1), time(0), tz).astimezone(timezone.utc)

    def once() -> list[str]:
        reminded = []
        with uow() as s:
            jobs = s.scalars(select(Job).where(Job.state.in_([str(x) for x in BOOKED]), Job.scheduled_start >= start,
                                               Job.scheduled_start < end).order_by(Job.scheduled_start, Job.id))
            for job in jobs:
                key = f"appt-reminder-{job.id}-{day.isoformat()}"
                if _sent(s, key):
                    continue
                tech = s.get(User, job.technician_id) if job.technician_id else None
                notify(s, event="appointment_reminder", subject_type="job", subject_id=job.id,
                       customer_id=job.customer_id, dedupe_key=key, job=job.number,
                       start=job.scheduled_start.isoformat(),
                       end=job.scheduled_end.isoformat() if job.scheduled_end else None,
                       technician=tech.name if tech else None)
                reminded.append(job.number)
        return reminded

    return AppointmentReminders(day, _again_on_clash(once))


# --- collection reminders ----------------------------------------------------------------------

@dataclass(frozen=True)
class CollectionReminder:
    invoice_number: str
    level: str
    days_overdue: int
    outstanding: Decimal


def collection_level(days_overdue: int) -> str | None:
    """The reminder an invoice this many days past its due date has reached."""
    reached = [name for name, after in COLLECTION_LEVELS if days_overdue >= after]
    return reached[-1] if reached else None


def send_collection_reminders(uow: UnitOfWork, actor: Actor = SYSTEM, *,
                              as_of: date | None = None) -> list[CollectionReminder]:
    """B11, escalating: an open invoice is reminded **polite** the day after
    its due date (due + 1), **firm** at due + 15 and **final** at due + 30.
    Each reminder is sent once per invoice and level (``payment-reminder:
    <invoice>:<level>``), recorded on the invoice as a collection follow-up
    (no user: the scheduled run; the next level's date as its next follow-up)
    and told to the customer (``payment_reminder`` with the level). An
    invoice first found late gets only the level it has reached, never a
    lower one after a higher. One transaction per invoice."""
    _allowed(actor)
    as_of = as_of or date.today()
    first = COLLECTION_LEVELS[0][1]
    with uow() as s:
        ids = s.scalars(select(Invoice.id).where(Invoice.state == InvoiceState.OPEN,
                                                 Invoice.due_on <= as_of - timedelta(days=first))
                        .order_by(Invoice.due_on, Invoice.id)).all()
    sent = []
    for invoice_id in ids:
        try:
            with uow() as s:
                done = _remind_invoice(s, actor, invoice_id, as_of)
        except IntegrityError:
            continue  # a concurrent run sent this very reminder: nothing of ours was kept
        if done is not None:
            sent.append(done)
    return sent


def _remind_invoice(s: Session, actor: Actor, invoice_id: int, as_of: date) -> CollectionReminder | None:
    inv = s.scalar(select(Invoice).where(Invoice.id == invoice_id).with_for_update())
    if inv is None or inv.state != InvoiceState.OPEN:
        return None
    days = (as_of - inv.due_on).days
    level = collection_level(days)
    if level is None:
        return None
    names = [name for name, _ in COLLECTION_LEVELS]
    if any(_sent(s, f"payment-reminder:{inv.id}:{name}") for name in names[names.index(level):]):
        return None
    outstanding = invoice_view(s, inv).outstanding
    if outstanding <= 0:
        return None
    later = [after for _, after in COLLECTION_LEVELS if after > days]
    next_on = inv.due_on + timedelta(days=later[0]) if later else None
    s.add(CollectionFollowUp(
        invoice_id=inv.id, by_user=actor.user_id, next_on=next_on,
        note=f"Automatic {level} payment reminder: {days} days past due, {outstanding} outstanding.",
    ))
    notify(s, event="payment_reminder", subject_type="invoice", subject_id=inv.id, customer_id=inv.customer_id,
           dedupe_key=f"payment-reminder:{inv.id}:{level}", invoice=inv.number, outstanding=str(outstanding),
           level=level, days_overdue=days, due_on=inv.due_on.isoformat())
    s.flush()
    return CollectionReminder(inv.number, level, days, outstanding)


# --- help-desk tickets answered and left -------------------------------------------------------

def close_quiet_tickets(uow: UnitOfWork, actor: Actor = SYSTEM, *, now: datetime | None = None,
                        after_days: int = TICKET_AUTOCLOSE_DAYS) -> list[str]:
    """A1: a ticket still ``answered`` ``after_days`` (7) after its latest
    answer, with no reply from the customer (a reply reopens it), is closed
    through the ticket lifecycle with a note, and the customer is told."""
    _allowed(actor)
    _days(after_days, "after_days")
    now = now or utcnow()
    cutoff = now - timedelta(days=after_days)
    answered = (select(StateChange.entity_id.label("ticket_id"), func.max(StateChange.at).label("at"))
                .where(StateChange.entity_type == "ticket", StateChange.to_state == TicketState.ANSWERED)
                .group_by(StateChange.entity_id).subquery())
    closed = []
    with uow() as s:
        tickets = s.scalars(select(Ticket).join(answered, answered.c.ticket_id == Ticket.id)
                            .where(Ticket.state == TicketState.ANSWERED, answered.c.at <= cutoff)
                            .order_by(Ticket.id).with_for_update(of=Ticket)).all()
        for t in tickets:
            move(s, TICKET_MOVES, t, TicketState.CLOSED, actor, entity_type="ticket", request_id=t.request_id,
                 note=f"closed automatically: no reply within {after_days} days of the answer")
            notify(s, event="ticket_closed", subject_type="ticket", subject_id=t.id, customer_id=t.customer_id,
                   ticket=t.number, reason="no_reply", after_days=after_days)
            closed.append(t.number)
    return closed


# --- overdue work: the managers are told ---------------------------------------------------------

@dataclass(frozen=True)
class OverdueItem:
    kind: str  # job | ticket
    reference: str
    state: str
    reason: str


@dataclass(frozen=True)
class OverdueRun:
    items: list[OverdueItem]
    alerts: int  # notices written now (one per item and manager, once a day)


def alert_overdue_work(uow: UnitOfWork, actor: Actor = SYSTEM, *, now: datetime | None = None,
                       as_of: date | None = None, job_days: int = OVERDUE_JOB_DAYS,
                       ticket_days: int = OVERDUE_TICKET_DAYS) -> OverdueRun:
    """Each active manager is told (``overdue_alert``, to the user) of every
    job past its time, and of every help-desk ticket waiting too long for an
    answer, once per item and day (``as_of``, the company's day):

    - a job not resolved whose booked visit has ended, or that is still not
      resolved ``job_days`` (7) after it was opened;
    - a ticket open (unanswered) ``ticket_days`` (2) after it was raised or
      last reopened."""
    _allowed(actor)
    _days(job_days, "job_days")
    _days(ticket_days, "ticket_days")
    now = now or utcnow()
    as_of = as_of or now.date()

    def once() -> OverdueRun:
        alerts = 0
        with uow() as s:
            items = [*_overdue_jobs(s, now, job_days), *_overdue_tickets(s, now, ticket_days)]
            managers = s.scalars(select(User).where(User.role == Role.MANAGER, User.active.is_(True))
                                 .order_by(User.id)).all()
            for item, subject_id in items:
                for manager in managers:
                    key = f"overdue-{item.kind}-{subject_id}-{manager.id}-{as_of.isoformat()}"
                    if _sent(s, key):
                        continue
                    notify(s, event="overdue_alert", subject_type=item.kind, subject_id=subject_id,
                           user_id=manager.id, dedupe_key=key, reference=item.reference, state=item.state,
                           reason=item.reason)
                    alerts += 1
        return OverdueRun([item for item, _ in items], alerts)

    return _again_on_clash(once)


def _overdue_jobs(s: Session, now: datetime, job_days: int) -> list[tuple[OverdueItem, int]]:
    opened_before = now - timedelta(days=job_days)
    rows = s.scalars(select(Job).where(Job.state.in_([str(x) for x in UNRESOLVED]),
                                       (Job.scheduled_end < now) | (Job.created_at < opened_before))
                     .order_by(Job.id))
    found = []
    for job in rows:
        if job.scheduled_end is not None and job.scheduled_end < now:
            reason = f"its visit was booked to end {job.scheduled_end.isoformat(timespec='minutes')}; still {job.state}"
        else:
            reason = f"opened {(now - job.created_at).days} days ago; still {job.state}"
        found.append((OverdueItem("job", job.number, job.state, reason), job.id))
    return found


def _overdue_tickets(s: Session, now: datetime, ticket_days: int) -> list[tuple[OverdueItem, int]]:
    reopened = (select(StateChange.entity_id.label("ticket_id"), func.max(StateChange.at).label("at"))
                .where(StateChange.entity_type == "ticket", StateChange.to_state == TicketState.OPEN)
                .group_by(StateChange.entity_id).subquery())
    since = func.coalesce(reopened.c.at, Ticket.created_at)
    rows = s.execute(select(Ticket, since).join(reopened, reopened.c.ticket_id == Ticket.id, isouter=True)
                     .where(Ticket.state == TicketState.OPEN, since < now - timedelta(days=ticket_days))
                     .order_by(Ticket.id)).all()
    found = []
    for ticket, waiting_since in rows:
        if isinstance(waiting_since, datetime) and waiting_since.tzinfo is None:
            waiting_since = waiting_since.replace(tzinfo=timezone.utc)
        days = (now - waiting_since).days if isinstance(waiting_since, datetime) else ticket_days
        found.append((OverdueItem("ticket", ticket.number, ticket.state, f"waiting {days} days for an answer"),
                      ticket.id))
    return found
