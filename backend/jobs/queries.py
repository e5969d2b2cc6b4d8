"""Readers of jobs inside the caller's transaction, for work that spans areas."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.identity.actor import Actor, require_customer_access
from backend.jobs.lifecycle import FINISHED
from backend.jobs.models import Job
from backend.jobs.views import JobView, job_view


def open_jobs(s: Session, actor: Actor, *, customer_id: int, limit: int = 10) -> list[JobView]:
    """A customer's jobs that are not finished, the next visit first."""
    require_customer_access(actor, customer_id)
    q = (select(Job).where(Job.customer_id == customer_id, Job.state.not_in(sorted(FINISHED)))
         .order_by(Job.scheduled_start.is_(None), Job.scheduled_start, Job.id)
         .limit(min(max(limit, 1), 500)))
    return [job_view(s, j) for j in s.scalars(q)]
