"""The service delivery plan of a contract: planned visits, each run as a job (B).

Turning due visits into jobs spans two areas: ``backend.processes.contract_visits``."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.coverage.lifecycle import VISIT_MOVES
from backend.coverage.models import Contract, CoverageType, CoveredItem, PlannedVisit, VisitState
from backend.history.moves import move
from backend.identity.actor import Actor

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


def due_visits(s: Session, *, as_of: date, horizon_days: int) -> list[tuple[PlannedVisit, Contract, CoverageType]]:
    """C7: planned visits due within the horizon of contracts still in force,
    locked, with their contract and its type (what the visit's job covers)."""
    visits = s.scalars(
        select(PlannedVisit).where(PlannedVisit.state == VisitState.PLANNED,
                                   PlannedVisit.due_on <= as_of + timedelta(days=horizon_days))
        .order_by(PlannedVisit.due_on, PlannedVisit.id).with_for_update()
    ).all()
    due = []
    for visit in visits:
        contract = s.get(Contract, visit.contract_id)
        if contract.status in ("active", "due_for_renewal"):
            due.append((visit, contract, s.get(CoverageType, contract.type_code)))
    return due


def visit_scheduled(s: Session, visit: PlannedVisit, actor: Actor, *, job_id: int, job_number: str) -> None:
    """The visit's job exists."""
    visit.job_id = job_id
    _move(s, visit, VisitState.SCHEDULED, actor, note=job_number)


def on_visit_job_resolved(s: Session, job_id: int, actor: Actor, *, partly_done: bool) -> None:
    """A visit's job resolved: the visit is done, or carries over if left partly done."""
    visit = s.scalar(select(PlannedVisit).where(PlannedVisit.job_id == job_id))
    if visit is None:
        return
    if partly_done:
        _carry_over(s, visit, actor, date.today())
    else:
        _move(s, visit, VisitState.DONE, actor)


def on_visit_job_cancelled(s: Session, job_id: int, actor: Actor) -> None:
    visit = s.scalar(select(PlannedVisit).where(PlannedVisit.job_id == job_id))
    if visit is not None:
        _carry_over(s, visit, actor, date.today())


def _carry_over(s: Session, visit: PlannedVisit, actor: Actor, today: date) -> None:
    _move(s, visit, VisitState.CARRIED_OVER, actor)
    s.add(PlannedVisit(contract_id=visit.contract_id, item_id=visit.item_id, due_on=today + CARRY_OVER_AFTER,
                       carried_from_id=visit.id))


def _move(s: Session, visit: PlannedVisit, target: VisitState, actor: Actor, note: str | None = None) -> None:
    move(s, VISIT_MOVES, visit, target, actor, entity_type="planned_visit", note=note)
