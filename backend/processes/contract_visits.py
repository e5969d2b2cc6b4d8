"""C7: the contract's planned visits that fall due become jobs (process B)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from backend.coverage import visits
from backend.db import UnitOfWork
from backend.identity.actor import STAFF, SYSTEM, Actor, require_role
from backend.jobs.service import open_job
from backend.notifications.outbox import notify


@dataclass(frozen=True)
class VisitRun:
    jobs_created: list[str]
    carried_over: int


def schedule_due_visits(uow: UnitOfWork, actor: Actor = SYSTEM, *, as_of: date | None = None,
                        horizon_days: int = 14) -> VisitRun:
    """Planned visits due within the horizon become jobs; safe to run twice."""
    if actor is not SYSTEM:
        require_role(actor, *STAFF)
    as_of = as_of or date.today()
    created: list[str] = []
    with uow() as s:
        for visit, contract, ctype in visits.due_visits(s, as_of=as_of, horizon_days=horizon_days):
            job = open_job(
                s, actor, customer_id=contract.customer_id, site_id=contract.site_id, item_id=visit.item_id,
                contract_id=contract.id, covers_labour=ctype.covers_labour, covers_parts=ctype.covers_parts,
                problem=f"Planned maintenance visit under {contract.number} (due {visit.due_on.isoformat()})",
                note=f"planned visit of {contract.number}",
            )
            visits.visit_scheduled(s, visit, actor, job_id=job.id, job_number=job.number)
            notify(s, event="visit_planned", subject_type="job", subject_id=job.id, customer_id=contract.customer_id,
                   job=job.number, contract=contract.number, due=visit.due_on.isoformat())
            created.append(job.number)
    return VisitRun(created, 0)
