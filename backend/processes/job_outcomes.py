"""A job that resolves or is cancelled, and what that completes elsewhere:
the contract visit it ran (C7) and the service order it delivered (D)."""

from __future__ import annotations

from backend.coverage import visits
from backend.db import UnitOfWork
from backend.identity.actor import Actor
from backend.jobs import service as jobs
from backend.jobs.views import JobView, job_view
from backend.orders.service import on_order_job_resolved


def resolve_job(
    uow: UnitOfWork, actor: Actor, *, job_ref: str, service_notes: str, partly_done: bool = False,
) -> JobView:
    """B6: service done, the estimate raised; a planned contract visit is done
    (or, left ``partly_done``, carries over) and a service order is done."""
    jobs.resolution_notes(service_notes)  # refused before anything is read
    with uow() as s:
        job = jobs.resolve(s, actor, job_ref=job_ref, service_notes=service_notes)
        if job.contract_id:
            visits.on_visit_job_resolved(s, job.id, actor, partly_done=partly_done)
        if job.order_id:
            on_order_job_resolved(s, job, actor)
        return job_view(s, job)


def cancel_job(uow: UnitOfWork, actor: Actor, *, job_ref: str, reason: str) -> JobView:
    """Cancelled before work starts; a contract visit it was for carries over."""
    with uow() as s:
        job = jobs.cancel(s, actor, job_ref=job_ref, reason=reason)
        if job.contract_id:
            visits.on_visit_job_cancelled(s, job.id, actor)
        return job_view(s, job)
