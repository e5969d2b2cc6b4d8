"""Plain data returned by the job use cases, and loading a job with access checks."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.billing.models import Invoice, InvoiceState
from backend.catalog.models import Part
from backend.errors import DomainError, ErrorCode, not_found
from backend.identity.actor import Actor
from backend.identity.models import Role, User
from backend.jobs.lifecycle import JOB_MOVES
from backend.jobs.models import Job, JobPart
from backend.references import parse


@dataclass(frozen=True)
class PartUsed:
    sku: str
    name: str
    qty: Decimal
    unit_price: Decimal
    covered: bool


@dataclass(frozen=True)
class JobView:
    number: str
    state: str
    customer_id: int
    problem: str
    technician_id: int | None
    technician_name: str | None
    scheduled_start: datetime | None
    scheduled_end: datetime | None
    arrived_at: datetime | None
    resolved_at: datetime | None
    covers_labour: bool
    covers_parts: bool
    service_notes: str | None
    estimate_state: str
    estimate_amount: Decimal
    parts: list[PartUsed]
    invoice_number: str | None
    next_states: list[str]
    customer_confirmed_at: datetime | None = None  # when the customer confirmed the current slot
    created: bool = True  # False: a retry with the same idempotency key, answered with the first result


def job_view(s: Session, job: Job) -> JobView:
    parts = [
        PartUsed(p.sku, p.name, jp.qty, jp.unit_price, jp.covered)
        for jp, p in s.execute(select(JobPart, Part).join(Part, Part.id == JobPart.part_id)
                               .where(JobPart.job_id == job.id).order_by(JobPart.id))
    ]
    tech = s.get(User, job.technician_id) if job.technician_id else None
    invoice = s.scalar(select(Invoice.number)  # the one in force: a cancelled invoice is replaced on re-billing
                       .where(Invoice.source_type == "job", Invoice.source_id == job.id,
                              Invoice.state != InvoiceState.CANCELLED)
                       .order_by(Invoice.id.desc()).limit(1))
    return JobView(job.number, job.state, job.customer_id, job.problem, job.technician_id,
                   tech.name if tech else None, job.scheduled_start, job.scheduled_end, job.arrived_at,
                   job.resolved_at, job.covers_labour, job.covers_parts, job.service_notes, job.estimate_state,
                   job.estimate_amount, parts, invoice, sorted(str(x) for x in JOB_MOVES.allowed(job.state)),
                   job.customer_confirmed_at)


def load_job(s: Session, actor: Actor, ref: str, *, lock: bool = False) -> Job:
    """A job the actor may see; someone else's job is reported as not found."""
    parsed = parse(ref)
    job = None
    if parsed and parsed[0] == "JB":
        q = select(Job).where(Job.id == parsed[1])
        job = s.scalar(q.with_for_update() if lock else q)
    if job is None or not may_see(actor, job):
        if actor.role == Role.TECHNICIAN:  # the same words whether it exists or not: nothing is given away
            raise DomainError(ErrorCode.NOT_FOUND, f"job {ref} is not one of your jobs: it may have been given to "
                              "another technician", entity="job", id=ref)
        raise not_found("job", ref)
    return job


def may_see(actor: Actor, job: Job) -> bool:
    if actor.is_staff:
        return True
    if actor.role == Role.CUSTOMER:
        return actor.customer_id == job.customer_id
    if actor.role == Role.TECHNICIAN:
        return actor.user_id is not None and actor.user_id == job.technician_id
    return False
