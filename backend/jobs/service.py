"""Process B, steps 1–7 and 9: schedule, confirm, release, execute, resolve,
estimate, feedback, bill or close. Advances and expense claims (B3, B8) live
in ``backend.jobs.expenses``."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, time, timedelta, timezone
from decimal import Decimal, InvalidOperation

from sqlalchemy import select
from sqlalchemy.orm import Session

from backend import fields, idempotency
from backend.billing.invoicing import LineInput, issue_invoice, supply_for, totals
from backend.catalog.models import Part, ServiceCharge
from backend.db import UnitOfWork, utcnow
from backend.errors import DomainError, ErrorCode, invalid, not_found
from backend.history.moves import move, record
from backend.identity.actor import STAFF, Actor, require_role, require_technician_of
from backend.identity.models import Role, User
from backend.jobs import media
from backend.jobs.lifecycle import (
    ACTIVE, BOOKED, ESTIMATE_MOVES, JOB_MOVES, can_answer_estimate, can_override_estimate,
)
from backend.jobs.models import EstimateState, Feedback, Job, JobPart, JobState
from backend.jobs.views import JobView, job_view, load_job
from backend.notifications.outbox import notify
from backend.references import assign_number, normalise

VISIT_CHARGE = "VISIT"
MAX_QTY = Decimal("1000")
MAX_SLOT = timedelta(hours=12)


def _move(s: Session, job: Job, target: JobState, actor: Actor, note: str | None = None) -> None:
    move(s, JOB_MOVES, job, target, actor, entity_type="job", request_id=job.request_id, note=note)


def _tell_customer(s: Session, job: Job, event: str, **payload) -> None:
    notify(s, event=event, subject_type="job", subject_id=job.id, customer_id=job.customer_id, job=job.number, **payload)


def get_job(uow: UnitOfWork, actor: Actor, *, job_ref: str) -> JobView:
    with uow() as s:
        return job_view(s, load_job(s, actor, job_ref))


def list_jobs(
    uow: UnitOfWork, actor: Actor, *, state: str | None = None, technician_id: int | None = None,
    day: date | None = None, limit: int = 500,
) -> list[JobView]:
    if state is not None and state not in set(JobState):
        raise invalid(f"unknown job state '{state}'", field="state")
    with uow() as s:
        q = select(Job).order_by(Job.scheduled_start.is_(None), Job.scheduled_start, Job.id)
        if actor.role == Role.CUSTOMER:
            q = q.where(Job.customer_id == actor.customer_id)
        elif actor.role == Role.TECHNICIAN:
            q = q.where(Job.technician_id == actor.user_id)
        elif technician_id is not None:
            q = q.where(Job.technician_id == technician_id)
        if state:
            q = q.where(Job.state == state)
        if day:
            start = datetime.combine(day, time.min, timezone.utc)
            q = q.where(Job.scheduled_start >= start, Job.scheduled_start < start + timedelta(days=1))
        return [job_view(s, j) for j in s.scalars(q.limit(min(max(limit, 1), 2000)))]


def list_technician_jobs(uow: UnitOfWork, actor: Actor, *, day: date | None = None) -> list[JobView]:
    """B1 for the technician: my jobs for a day (today by default), active ones only."""
    require_role(actor, Role.TECHNICIAN)
    return [j for j in list_jobs(uow, actor, day=day or date.today()) if j.state in ACTIVE]


# --- a new job (A2, C7, D2) --------------------------------------------------

def open_job(
    s: Session, actor: Actor, *, customer_id: int, problem: str, request_id: int | None = None,
    site_id: int | None = None, item_id: int | None = None, contract_id: int | None = None,
    order_id: int | None = None, covers_labour: bool = False, covers_parts: bool = False, note: str | None = None,
) -> Job:
    """A job in ``new`` inside the caller's transaction: numbered, its first history row."""
    job = Job(request_id=request_id, customer_id=customer_id, site_id=site_id, item_id=item_id,
              contract_id=contract_id, order_id=order_id, covers_labour=covers_labour, covers_parts=covers_parts,
              problem=problem, state=JobState.NEW)
    s.add(job)
    assign_number(s, job, "JB")
    record(s, entity_type="job", entity_id=job.id, request_id=request_id, to_state=JobState.NEW, actor=actor,
           note=note)
    return job


# --- B1 schedule, B2 confirm, B4 release -------------------------------------

def _check_slot(s: Session, job: Job, technician_id: int, start: datetime, end: datetime) -> None:
    if start.tzinfo is None or end.tzinfo is None:
        raise invalid("appointment times need a time zone", field="start")
    if not start < end or end - start > MAX_SLOT:
        raise invalid("an appointment ends after it starts and lasts at most 12 hours", field="end")
    if start < utcnow() - timedelta(minutes=5):
        raise invalid("an appointment cannot start in the past", field="start")
    clash = s.scalar(
        select(Job.number).where(Job.technician_id == technician_id, Job.id != job.id, Job.state.in_(ACTIVE),
                                 Job.scheduled_start < end, Job.scheduled_end > start).limit(1)
    )
    if clash:
        raise DomainError(ErrorCode.CONFLICT, f"the technician is already booked then ({clash})", clash=clash)


def schedule_job(
    uow: UnitOfWork, actor: Actor, *, job_ref: str, technician_id: int, start: datetime, end: datetime,
) -> JobView:
    """B1: an appointment slot and a technician; the customer is told."""
    require_role(actor, *STAFF)
    with uow() as s:
        job = load_job(s, actor, job_ref, lock=True)
        schedule(s, actor, job, technician_id=technician_id, start=start, end=end)
        return job_view(s, job)


def schedule(s: Session, actor: Actor, job: Job, *, technician_id: int, start: datetime, end: datetime) -> None:
    """B1 inside the caller's transaction (staff only)."""
    require_role(actor, *STAFF)
    tech = s.get(User, technician_id)
    if tech is None or tech.role != Role.TECHNICIAN or not tech.active:
        raise not_found("technician", technician_id)
    JOB_MOVES.check(job.state, JobState.SCHEDULED)
    _check_slot(s, job, technician_id, start, end)
    job.technician_id, job.scheduled_start, job.scheduled_end = technician_id, start, end
    _move(s, job, JobState.SCHEDULED, actor, note=f"{tech.name} {start.isoformat()}")
    _tell_customer(s, job, "appointment_confirmed", start=start.isoformat(), technician=tech.name)
    notify(s, event="job_assigned", subject_type="job", subject_id=job.id, user_id=tech.id, job=job.number,
           start=start.isoformat())


def reschedule_job(uow: UnitOfWork, actor: Actor, *, job_ref: str, start: datetime, end: datetime) -> JobView:
    """Move the appointment (customer or staff); the technician must confirm again."""
    if actor.role not in (Role.CUSTOMER, *STAFF):
        require_role(actor, Role.CUSTOMER, *STAFF)
    with uow() as s:
        job = load_job(s, actor, job_ref, lock=True)
        if job.state not in (JobState.SCHEDULED, JobState.CONFIRMED):
            raise DomainError(ErrorCode.ILLEGAL_TRANSITION, f"a job in state '{job.state}' has no appointment to move",
                              current=job.state)
        if (job.scheduled_start, job.scheduled_end) == (start, end):
            return replace(job_view(s, job), created=False)  # a resent move: already there, nobody told twice
        _check_slot(s, job, job.technician_id, start, end)
        job.scheduled_start, job.scheduled_end = start, end
        job.customer_confirmed_at = None  # a new slot: the customer's word was for the old one
        _move(s, job, JobState.SCHEDULED, actor, note=f"moved to {start.isoformat()}")
        _tell_customer(s, job, "appointment_moved", start=start.isoformat())
        notify(s, event="job_moved", subject_type="job", subject_id=job.id, user_id=job.technician_id,
               job=job.number, start=start.isoformat())
        return job_view(s, job)


def confirm_appointment(uow: UnitOfWork, actor: Actor, *, job_ref: str) -> JobView:
    """The customer confirms that the booked slot suits them; the technician is told.

    The job's state does not change (that is the technician's B2 confirm); the
    history records it. Once per slot: moving the appointment asks again."""
    require_role(actor, Role.CUSTOMER)
    with uow() as s:
        job = load_job(s, actor, job_ref, lock=True)
        if job.state not in BOOKED or job.scheduled_start is None:
            raise DomainError(ErrorCode.ILLEGAL_TRANSITION, f"a job in state '{job.state}' has no appointment to "
                              "confirm", current=job.state)
        if job.customer_confirmed_at is not None:
            raise DomainError(ErrorCode.ALREADY_DONE, "you have already confirmed this appointment",
                              confirmed_at=job.customer_confirmed_at.isoformat())
        job.customer_confirmed_at = utcnow()
        record(s, entity_type="job", entity_id=job.id, from_state=job.state, to_state=job.state, actor=actor,
               request_id=job.request_id, note=f"customer confirmed the slot {job.scheduled_start.isoformat()}")
        if job.technician_id:
            notify(s, event="customer_confirmed", subject_type="job", subject_id=job.id, user_id=job.technician_id,
                   job=job.number, start=job.scheduled_start.isoformat())
        return job_view(s, job)


def confirm_job(uow: UnitOfWork, actor: Actor, *, job_ref: str, idempotency_key: str | None = None) -> JobView:
    """B2: the assigned technician confirms; the customer is told. With an
    idempotency key (the phone sending it again after a lost answer) a retry
    answers with the job as it is, not ``illegal_transition``."""
    with uow() as s:
        once = idempotency.claim(s, actor, "jobs.confirm_job", idempotency_key, job=normalise(job_ref))
        if once.replay is not None:
            return replace(job_view(s, load_job(s, actor, once.replay)), created=False)
        job = load_job(s, actor, job_ref, lock=True)
        require_technician_of(actor, job.technician_id)
        _move(s, job, JobState.CONFIRMED, actor)
        _tell_customer(s, job, "technician_confirmed", technician=actor.name)
        once.done(job.number)
        return job_view(s, job)


def release_job(uow: UnitOfWork, actor: Actor, *, job_ref: str) -> JobView:
    """B4: released for execution (after the advance, if one was asked)."""
    require_role(actor, *STAFF)
    with uow() as s:
        job = load_job(s, actor, job_ref, lock=True)
        _move(s, job, JobState.RELEASED, actor)
        notify(s, event="job_released", subject_type="job", subject_id=job.id, user_id=job.technician_id,
               job=job.number)
        return job_view(s, job)


def cancel(s: Session, actor: Actor, *, job_ref: str, reason: str) -> Job:
    """Cancel before work starts, inside the caller's transaction; the customer
    and the technician are told. (A contract visit's carry-over is
    ``backend.processes.job_outcomes``' business.)"""
    reason = fields.text(reason, "reason", max_len=500, multiline=True, what="reason for cancelling")
    job = load_job(s, actor, job_ref, lock=True)
    if actor.role == Role.TECHNICIAN:
        require_role(actor, Role.CUSTOMER, *STAFF)
    _move(s, job, JobState.CANCELLED, actor, note=reason)
    _tell_customer(s, job, "job_cancelled", reason=reason[:200])
    if job.technician_id:
        notify(s, event="job_cancelled", subject_type="job", subject_id=job.id, user_id=job.technician_id,
               job=job.number)
    return job


# --- B5 arrival, B6 parts and resolution ---------------------------------------

def report_arrival(
    uow: UnitOfWork, actor: Actor, *, job_ref: str, location: str | None = None, latitude=None, longitude=None,
    accuracy_m=None, reported_at: datetime | str | None = None, idempotency_key: str | None = None,
) -> JobView:
    """B5: on site. The phone's position when the technician allows it (else
    why not: ``location`` denied, unavailable, unsupported; ``not_asked`` from
    the chat), and the phone's time when it was kept offline and sent later."""
    where = media.position(location, latitude, longitude, accuracy_m)
    at = media.phone_time(reported_at, "reported_at")
    with uow() as s:
        once = idempotency.claim(s, actor, "jobs.report_arrival", idempotency_key, job=normalise(job_ref),
                                 where=[where.location, where.latitude, where.longitude, where.accuracy_m], at=at)
        if once.replay is not None:
            return replace(job_view(s, load_job(s, actor, once.replay)), created=False)
        job = load_job(s, actor, job_ref, lock=True)
        require_technician_of(actor, job.technician_id)
        _move(s, job, JobState.IN_PROGRESS, actor, note=media.describe(where))
        job.arrived_at = at or utcnow()
        job.visits += 1
        media.record_arrival(s, actor, job, where, job.arrived_at)
        _tell_customer(s, job, "technician_arrived", technician=actor.name)
        once.done(job.number)
        return job_view(s, job)


def _qty(value) -> Decimal:
    try:
        qty = Decimal(str(value))
    except (InvalidOperation, ValueError, TypeError):
        raise invalid("the quantity is not a number", field="qty") from None
    if not qty.is_finite() or qty <= 0 or qty > MAX_QTY or qty != qty.quantize(Decimal("0.001")):
        raise invalid(f"the quantity must be above 0 and at most {MAX_QTY}", field="qty")
    return qty


def add_parts_used(
    uow: UnitOfWork, actor: Actor, *, job_ref: str, part_sku: str, qty, idempotency_key: str | None = None,
) -> JobView:
    """B6: parts used leave stock at once; refused if stock would go negative.
    With an idempotency key a retried report takes nothing from stock again."""
    qty = _qty(qty)
    sku = (part_sku or "").strip()
    with uow() as s:
        once = idempotency.claim(s, actor, "jobs.add_parts_used", idempotency_key, job=normalise(job_ref), part=sku, qty=qty)
        if once.replay is not None:
            return replace(job_view(s, load_job(s, actor, once.replay)), created=False)
        job = load_job(s, actor, job_ref, lock=True)
        require_technician_of(actor, job.technician_id)
        if job.state != JobState.IN_PROGRESS:
            raise DomainError(ErrorCode.ILLEGAL_TRANSITION, "parts are recorded while the job is in progress",
                              current=job.state)
        part = s.scalar(select(Part).where(Part.sku == sku).with_for_update())
        if part is None:
            raise not_found("part", part_sku)
        if part.stock_qty < qty:
            raise DomainError(ErrorCode.OUT_OF_STOCK, f"only {part.stock_qty.normalize()} of {part.sku} in stock",
                              part=part.sku, in_stock=str(part.stock_qty))
        part.stock_qty -= qty
        s.add(JobPart(job_id=job.id, part_id=part.id, qty=qty, unit_price=part.unit_price, unit_cost=part.unit_cost,
                      tax_rate=part.tax_rate, covered=job.covers_parts))
        record(s, entity_type="job", entity_id=job.id, request_id=job.request_id, from_state=job.state,
               to_state=job.state, actor=actor, note=f"part {part.sku} x {qty.normalize()}")
        s.flush()
        once.done(job.number)
        return job_view(s, job)


def billable_lines(s: Session, job: Job) -> list[LineInput]:
    """What the cover does not include: labour (visit charge) and parts."""
    lines: list[LineInput] = []
    if not job.covers_labour and not job.order_id:  # an order's labour was invoiced up front (D)
        charge = s.scalar(select(ServiceCharge).where(ServiceCharge.code == VISIT_CHARGE))
        if charge is None:
            raise DomainError(ErrorCode.NOT_FOUND, "the price list has no VISIT charge; an admin must add it")
        lines.append(LineInput("labour", charge.name, Decimal(job.visits or 1), charge.unit_price, charge.tax_rate,
                               code=charge.code))
    for jp, part in s.execute(select(JobPart, Part).join(Part, Part.id == JobPart.part_id)
                              .where(JobPart.job_id == job.id, JobPart.covered.is_(False)).order_by(JobPart.id)):
        lines.append(LineInput("part", part.name, jp.qty, jp.unit_price, jp.tax_rate, code=part.sku))
    return lines


def resolution_notes(service_notes: str) -> str:
    return fields.text(service_notes, "service_notes", max_len=4000, multiline=True,
                       what="description of the service provided")


def resolve(s: Session, actor: Actor, *, job_ref: str, service_notes: str,
            completed_at: datetime | None = None) -> Job:
    """B6 inside the caller's transaction: service done; what lies outside the
    cover becomes the estimate the customer sees. (What a resolved job
    completes elsewhere is ``backend.processes.job_outcomes``' business.)"""
    notes = resolution_notes(service_notes)
    job = load_job(s, actor, job_ref, lock=True)
    require_technician_of(actor, job.technician_id)
    _move(s, job, JobState.RESOLVED, actor)
    job.service_notes, job.resolved_at = notes, completed_at or utcnow()  # the phone's time when sent later
    _, _, total = totals(billable_lines(s, job), supply_for(s, job.customer_id))
    job.estimate_amount = total
    if total > 0:
        move(s, ESTIMATE_MOVES, job, EstimateState.PENDING, actor, entity_type="estimate",
             request_id=job.request_id, attr="estimate_state")
    _tell_customer(s, job, "job_resolved", estimate=str(total))
    return job


# --- B7 estimate and feedback (customer) ---------------------------------------

def _answer_estimate(uow: UnitOfWork, actor: Actor, job_ref: str, answer: EstimateState) -> JobView:
    with uow() as s:
        job = load_job(s, actor, job_ref, lock=True)
        require_role(actor, Role.CUSTOMER, *STAFF)
        if not can_answer_estimate(job):
            raise DomainError(ErrorCode.ILLEGAL_TRANSITION, f"there is no estimate waiting for an answer on {job.number}",
                              current=job.estimate_state)
        move(s, ESTIMATE_MOVES, job, answer, actor, entity_type="estimate", request_id=job.request_id,
             attr="estimate_state")
        return job_view(s, job)


def accept_estimate(uow: UnitOfWork, actor: Actor, *, job_ref: str) -> JobView:
    return _answer_estimate(uow, actor, job_ref, EstimateState.ACCEPTED)


def reject_estimate(uow: UnitOfWork, actor: Actor, *, job_ref: str) -> JobView:
    return _answer_estimate(uow, actor, job_ref, EstimateState.REJECTED)


def give_feedback(uow: UnitOfWork, actor: Actor, *, job_ref: str, rating: int, comment: str | None = None) -> JobView:
    require_role(actor, Role.CUSTOMER)
    if isinstance(rating, bool) or not isinstance(rating, int) or not 1 <= rating <= 5:
        raise invalid("the rating is a whole number from 1 to 5", field="rating")
    if comment is not None and len(comment) > 2000:
        raise invalid("the comment is too long (2000 characters at most)", field="comment")
    with uow() as s:
        job = load_job(s, actor, job_ref, lock=True)
        if job.state not in (JobState.RESOLVED, JobState.FEEDBACK, JobState.BILLED, JobState.CLOSED, JobState.SETTLED):
            raise DomainError(ErrorCode.ILLEGAL_TRANSITION, "feedback is given once the job is resolved",
                              current=job.state)
        if s.scalar(select(Feedback.id).where(Feedback.job_id == job.id)):
            raise DomainError(ErrorCode.ALREADY_DONE, f"feedback on {job.number} was already given")
        s.add(Feedback(job_id=job.id, customer_id=job.customer_id, rating=rating, comment=comment))
        if job.state == JobState.RESOLVED:
            _move(s, job, JobState.FEEDBACK, actor, note=f"rating {rating}")
        return job_view(s, job)


def override_estimate_answer(uow: UnitOfWork, actor: Actor, *, job_ref: str, reason: str) -> JobView:
    """The customer's answer to the estimate is not coming through the portal
    or the chat (agreed on the phone or at the counter): an agent or manager
    records why the job may be billed anyway. The history row keeps who and
    the reason; the customer can no longer answer it."""
    require_role(actor, Role.AGENT, Role.MANAGER)
    reason = fields.text(reason, "reason", max_len=500, multiline=True, what="reason for billing without an answer")
    with uow() as s:
        job = load_job(s, actor, job_ref, lock=True)
        if not can_override_estimate(job):
            raise DomainError(ErrorCode.ILLEGAL_TRANSITION,
                              f"there is no estimate waiting for the customer's answer on {job.number}",
                              current=job.estimate_state)
        move(s, ESTIMATE_MOVES, job, EstimateState.OVERRIDDEN, actor, entity_type="estimate",
             request_id=job.request_id, attr="estimate_state", note=reason)
        return job_view(s, job)


# --- B9 billable? invoice, else close ------------------------------------------

def bill_job(uow: UnitOfWork, actor: Actor, *, job_ref: str) -> JobView:
    """B9–B10: invoice what the cover excludes (with its sales voucher), or
    close the job when nothing is billable."""
    require_role(actor, *STAFF)
    with uow() as s:
        job = load_job(s, actor, job_ref, lock=True)
        JOB_MOVES.check(job.state, JobState.BILLED)
        if job.estimate_state == EstimateState.REJECTED:
            raise DomainError(ErrorCode.CONFLICT, "the customer rejected the estimate; agree a new one or close the job",
                              estimate=str(job.estimate_amount))
        if job.estimate_state == EstimateState.PENDING:
            raise DomainError(ErrorCode.ILLEGAL_TRANSITION,
                              f"the estimate on {job.number} ({job.estimate_amount}) is still waiting for the "
                              "customer's answer; ask the customer to accept it, or record an override with the "
                              "reason (for example, agreed on the phone) before billing",
                              current=job.estimate_state, reason="estimate_pending")
        lines = billable_lines(s, job)
        if not lines:
            _move(s, job, JobState.CLOSED, actor, note="nothing billable: covered")
            _tell_customer(s, job, "job_closed", billable=False)
            return job_view(s, job)
        invoice = issue_invoice(s, customer_id=job.customer_id, source_type="job", source_id=job.id, lines=lines,
                                actor=actor, narration=f"Service {job.number}")
        _move(s, job, JobState.BILLED, actor, note=invoice.number)
        _tell_customer(s, job, "final_bill", invoice=invoice.number, total=str(invoice.total))
        return job_view(s, job)


def close_job(uow: UnitOfWork, actor: Actor, *, job_ref: str, note: str) -> JobView:
    """Close without an invoice (covered, or the charge waived); the note says why."""
    require_role(actor, *STAFF)
    note = fields.text(note, "note", max_len=500, multiline=True, what="reason for closing without a bill")
    with uow() as s:
        job = load_job(s, actor, job_ref, lock=True)
        _move(s, job, JobState.CLOSED, actor, note=note)
        _tell_customer(s, job, "job_closed", billable=False)
        return job_view(s, job)


def settle_job(s: Session, job_id: int, actor: Actor) -> None:
    """B12: the job's invoice is fully paid (called from billing, same transaction)."""
    job = s.get(Job, job_id)
    if job is not None and job.state == JobState.BILLED:
        _move(s, job, JobState.SETTLED, actor)


def reopen_billing(s: Session, job_id: int, actor: Actor, *, note: str) -> None:
    """The job's invoice was cancelled (same transaction): the job is to be
    billed again, or closed without a bill."""
    job = s.get(Job, job_id)
    if job is not None and job.state == JobState.BILLED:
        _move(s, job, JobState.RESOLVED, actor, note=note)


def stock_of(uow: UnitOfWork, *, sku: str) -> Decimal:
    with uow() as s:
        qty = s.scalar(select(Part.stock_qty).where(Part.sku == sku))
        if qty is None:
            raise not_found("part", sku)
        return qty


__all__ = [
    "get_job", "list_jobs", "list_technician_jobs", "open_job", "schedule_job", "schedule", "reschedule_job",
    "confirm_job", "release_job", "cancel", "report_arrival", "add_parts_used", "resolve", "accept_estimate",
    "reject_estimate", "override_estimate_answer", "give_feedback", "bill_job", "close_job", "settle_job", "billable_lines", "stock_of",
    # B3 and B8, re-exported so that callers find every job use case here:
    "request_advance", "sanction_advance", "reject_advance", "store_attachment", "submit_expense_claim",
    "decide_expense_line", "get_expense_claim", "list_expense_claims",
]

from backend.jobs.expenses import (  # noqa: E402
    decide_expense_line, get_expense_claim, list_expense_claims, reject_advance, request_advance,
    sanction_advance, store_attachment, submit_expense_claim,
)
