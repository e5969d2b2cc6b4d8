"""A job that resolves or is cancelled, and what that completes elsewhere:
the contract visit it ran (C7) and the service order it delivered (D)."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from backend import idempotency
from backend.catalog.models import ServiceCharge
from backend.coverage import visits
from backend.coverage.models import Contract, CoverageType
from backend.db import UnitOfWork
from backend.errors import DomainError, ErrorCode
from backend.identity.actor import Actor
from backend.jobs import media
from backend.jobs import service as jobs
from backend.jobs.models import Job, JobState
from backend.jobs.views import JobView, job_view, load_job
from backend.orders.models import OrderLine
from backend.orders.service import on_order_job_resolved
from backend.references import normalise


def resolve_job(
    uow: UnitOfWork, actor: Actor, *, job_ref: str, service_notes: str, partly_done: bool = False,
    completed_at: datetime | str | None = None, idempotency_key: str | None = None,
) -> JobView:
    """B6: service done, the estimate raised; a planned contract visit is done
    (or, left ``partly_done``, carries over) and a service order is done.
    Refused (``illegal_transition`` with ``details.reason`` ``signature_required``)
    while a job whose type needs the customer's signature has none. ``completed_at``: the phone's time when it
    kept the completion offline; with an idempotency key a resend answers
    with the job as it is."""
    jobs.resolution_notes(service_notes)  # refused before anything is read
    at = media.phone_time(completed_at, "completed_at")
    with uow() as s:
        once = idempotency.claim(s, actor, "jobs.resolve_job", idempotency_key, job=normalise(job_ref),
                                 notes=service_notes.strip(), partly_done=bool(partly_done), at=at)
        if once.replay is not None:
            return replace(job_view(s, load_job(s, actor, once.replay)), created=False)
        job = load_job(s, actor, job_ref)
        if job.state == JobState.IN_PROGRESS and signature_required(s, job) and not media.has_signature(s, job.id):
            raise DomainError(ErrorCode.ILLEGAL_TRANSITION, f"{job.number} is completed only with the customer's "
                              "signature: ask the customer to sign, then complete the job", field="signature",
                              reason=SIGNATURE_REQUIRED, current=job.state)
        job = jobs.resolve(s, actor, job_ref=job_ref, service_notes=service_notes, completed_at=at)
        if job.contract_id:
            visits.on_visit_job_resolved(s, job.id, actor, partly_done=partly_done)
        if job.order_id:
            on_order_job_resolved(s, job, actor)
        once.done(job.number)
        return job_view(s, job)


SIGNATURE_REQUIRED = "signature_required"  # details.reason of the refusal: the job's type wants the signature


def signature_required(s: Session, job: Job) -> bool:
    """Whether the job's type says the customer signs on completion: a contract
    visit's contract type, a service order's labour charges, else the visit
    charge of the price list (``requires_signature`` on each)."""
    if job.contract_id:
        return bool(s.scalar(select(CoverageType.requires_signature)
                             .join(Contract, Contract.type_code == CoverageType.code)
                             .where(Contract.id == job.contract_id)))
    if job.order_id:
        codes = select(OrderLine.code).where(OrderLine.order_id == job.order_id)
        return s.scalar(select(ServiceCharge.id).where(ServiceCharge.code.in_(codes),
                                                       ServiceCharge.requires_signature.is_(True)).limit(1)) is not None
    return bool(s.scalar(select(ServiceCharge.requires_signature).where(ServiceCharge.code == jobs.VISIT_CHARGE)))


def field_report(uow: UnitOfWork, actor: Actor, *, job_ref: str) -> media.Evidence:
    """What was recorded on a job in the field (photos, signature, arrival,
    notes; see ``backend.jobs.media``) and whether its type needs a signature."""
    with uow() as s:
        job = load_job(s, actor, job_ref)
        return replace(media.evidence(s, actor, job), signature_required=signature_required(s, job))


def cancel_job(uow: UnitOfWork, actor: Actor, *, job_ref: str, reason: str) -> JobView:
    """Cancelled before work starts; a contract visit it was for carries over."""
    with uow() as s:
        job = jobs.cancel(s, actor, job_ref=job_ref, reason=reason)
        if job.contract_id:
            visits.on_visit_job_cancelled(s, job.id, actor)
        return job_view(s, job)
