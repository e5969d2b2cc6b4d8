"""The service delivery plan of a contract: planned visits that become jobs (B)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.coverage.models import Contract, CoverageType, CoveredItem, PlannedVisit, VisitState
from backend.db import UnitOfWork
from backend.history.moves import record
from backend.identity.actor import STAFF, SYSTEM, Actor, require_role
from backend.jobs.models import Job, JobState
from backend.notifications.outbox import notify
from backend.references import assign_number

CARRY_OVER_AFTER = timedelta(days=7)


def plan_visits(s: Session, contract: Contract) -> int:
    """Spread visits_per_year evenly over the period, for each covered item."""
    days = (contract.ends_on - contract.starts_on).days + 1
    count = round(contract.visits_per_year * days / 365)
    if count <= 0:
        return 0
    items = s.scalars(select(CoveredItem.item_id).where(CoveredItem.contract_id == contract.id)).all() or [None]
    step = days / count
    for item_id in items:
        for i in range(count):
            due = contract.starts_on + timedelta(days=int(step * i + step / 2))
            s.add(PlannedVisit(contract_id=contract.id, item_id=item_id, due_on=due))
    return count * len(items)


@dataclass(frozen=True)
class VisitRun:
    jobs_created: list[str]
    carried_over: int


def schedule_due_visits(uow: UnitOfWork, actor: Actor = SYSTEM, *, as_of: date | None = None,
                        horizon_days: int = 14) -> VisitRun:
    """C7: planned visits due within the horizon become jobs; safe to run twice."""
    if actor is not SYSTEM:
        require_role(actor, *STAFF)
    as_of = as_of or date.today()
    created: list[str] = []
    with uow() as s:
        visits = s.scalars(
            select(PlannedVisit).where(PlannedVisit.state == VisitState.PLANNED,
                                       PlannedVisit.due_on <= as_of + timedelta(days=horizon_days))
            .order_by(PlannedVisit.due_on, PlannedVisit.id).with_for_update()
        ).all()
        for visit in visits:
            contract = s.get(Contract, visit.contract_id)
            if contract.status not in ("active", "due_for_renewal"):
                continue
            ctype = s.get(CoverageType, contract.type_code)
            job = Job(customer_id=contract.customer_id, site_id=contract.site_id, item_id=visit.item_id,
                      contract_id=contract.id, covers_labour=ctype.covers_labour, covers_parts=ctype.covers_parts,
                      problem=f"Planned maintenance visit under {contract.number} (due {visit.due_on.isoformat()})",
                      state=JobState.NEW)
            s.add(job)
            assign_number(s, job, "JB")
            record(s, entity_type="job", entity_id=job.id, to_state=JobState.NEW, actor=actor,
                   note=f"planned visit of {contract.number}")
            visit.state, visit.job_id = VisitState.SCHEDULED, job.id
            notify(s, event="visit_planned", subject_type="job", subject_id=job.id, customer_id=contract.customer_id,
                   job=job.number, contract=contract.number, due=visit.due_on.isoformat())
            created.append(job.number)
    return VisitRun(created, 0)


def on_visit_job_resolved(s: Session, job: Job, actor: Actor, *, partly_done: bool) -> None:
    """Called when a job resolves: its visit is done, or carries over if left partly done."""
    visit = s.scalar(select(PlannedVisit).where(PlannedVisit.job_id == job.id))
    if visit is None:
        return
    if partly_done:
        _carry_over(s, visit, actor, date.today())
    else:
        visit.state = VisitState.DONE


def on_visit_job_cancelled(s: Session, job: Job, actor: Actor) -> None:
    visit = s.scalar(select(PlannedVisit).where(PlannedVisit.job_id == job.id))
    if visit is not None:
        _carry_over(s, visit, actor, date.today())


def _carry_over(s: Session, visit: PlannedVisit, actor: Actor, today: date) -> None:
    visit.state = VisitState.CARRIED_OVER
    s.add(PlannedVisit(contract_id=visit.contract_id, item_id=visit.item_id, due_on=today + CARRY_OVER_AFTER,
                       carried_from_id=visit.id))
    record(s, entity_type="planned_visit", entity_id=visit.id, from_state=VisitState.SCHEDULED,
           to_state=VisitState.CARRIED_OVER, actor=actor)
