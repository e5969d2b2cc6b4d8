"""The service delivery plan of a contract: planned visits, each run as a job (B).

Turning due visits into jobs spans two areas: ``backend.processes.contract_visits``."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.coverage.lifecycle import VISIT_MOVES
from backend.coverage.entitlement import COVERING_STATES
from backend.coverage.models import Contract, CoverageType, CoveredItem, PlannedVisit, VisitState
from backend.history.moves import move, record
from backend.identity.actor import Actor

CARRY_OVER_AFTER = timedelta(days=7)
PLAN_ENTITY = "delivery_plan"  # history rows about a contract's plan as a whole (entity_id: the contract)


def spread(starts_on: date, ends_on: date, visits_per_year: int) -> list[date]:
    """The due days of ``visits_per_year`` spread evenly over the period (per item)."""
    days = (ends_on - starts_on).days + 1
    count = round(visits_per_year * days / 365)
    if count <= 0:
        return []
    step = days / count
    return [starts_on + timedelta(days=int(step * i + step / 2)) for i in range(count)]


def _covered(s: Session, contract_id: int) -> list[int | None]:
    return list(s.scalars(select(CoveredItem.item_id).where(CoveredItem.contract_id == contract_id)
                          .order_by(CoveredItem.item_id)).all()) or [None]


def plan_visits(s: Session, contract: Contract, *, state: VisitState = VisitState.PLANNED,
                starts_on: date | None = None, ends_on: date | None = None,
                visits_per_year: int | None = None) -> int:
    """Spread visits_per_year evenly over the period, for each covered item
    (the contract's own period and visits unless given: an offer's draft)."""
    days = spread(starts_on or contract.starts_on, ends_on or contract.ends_on,
                  contract.visits_per_year if visits_per_year is None else visits_per_year)
    items = _covered(s, contract.id)
    for item_id in items:
        for due in days:
            s.add(PlannedVisit(contract_id=contract.id, item_id=item_id, due_on=due, state=state))
    return len(days) * len(items)


def live_visits(s: Session, contract_id: int) -> list[PlannedVisit]:
    """The contract's plan as it stands: every visit but the removed ones, by due day."""
    return list(s.scalars(select(PlannedVisit).where(PlannedVisit.contract_id == contract_id,
                                                     PlannedVisit.state != VisitState.REMOVED)
                          .order_by(PlannedVisit.due_on, PlannedVisit.id)))


def draft_plan(s: Session, contract: Contract, actor: Actor, *, version: int, starts_on: date, ends_on: date,
               visits_per_year: int, previous: tuple[date, date, int] | None) -> bool:
    """C2 at C3: the delivery plan drafted with an offer. A re-offer for the
    same period and visits keeps the draft as staff edited it; another period
    (or number of visits) removes the old draft and drafts it again. Returns
    whether the plan was drafted (anew)."""
    has_plan = s.scalar(select(PlannedVisit.id).where(PlannedVisit.contract_id == contract.id).limit(1)) is not None
    if has_plan and previous == (starts_on, ends_on, visits_per_year):
        return False
    for visit in s.scalars(select(PlannedVisit).where(PlannedVisit.contract_id == contract.id,
                                                      PlannedVisit.state == VisitState.DRAFT)):
        _move(s, visit, VisitState.REMOVED, actor, note=f"offer v{version} is for another period: plan drafted again")
    s.flush()
    n = plan_visits(s, contract, state=VisitState.DRAFT, starts_on=starts_on, ends_on=ends_on,
                    visits_per_year=visits_per_year)
    record(s, entity_type=PLAN_ENTITY, entity_id=contract.id, to_state=VisitState.DRAFT, actor=actor,
           note=f"drafted with offer v{version}: {n} visit(s)")
    return True


def adopt_plan(s: Session, contract: Contract, actor: Actor, *, version: int) -> int:
    """C5: the accepted offer's draft plan, as staff left it, becomes the plan
    (no draft at all — an offer sent before plans were drafted — : generated)."""
    drafts = list(s.scalars(select(PlannedVisit).where(PlannedVisit.contract_id == contract.id,
                                                       PlannedVisit.state == VisitState.DRAFT)
                            .order_by(PlannedVisit.due_on, PlannedVisit.id)))
    for visit in drafts:
        _move(s, visit, VisitState.PLANNED, actor, note=f"offer v{version} accepted")
    if drafts:
        return len(drafts)
    if s.scalar(select(PlannedVisit.id).where(PlannedVisit.contract_id == contract.id).limit(1)) is not None:
        return 0  # staff removed every visit of the draft: nothing planned
    return plan_visits(s, contract)


def due_visits(s: Session, *, as_of: date, horizon_days: int) -> list[tuple[PlannedVisit, Contract, CoverageType]]:
    """C7: planned visits due within the horizon of contracts still in force
    (a contract renewed early keeps its own visits until its end), locked,
    with their contract and its type (what the visit's job covers)."""
    visits = s.scalars(
        select(PlannedVisit).where(PlannedVisit.state == VisitState.PLANNED,
                                   PlannedVisit.due_on <= as_of + timedelta(days=horizon_days))
        .order_by(PlannedVisit.due_on, PlannedVisit.id).with_for_update()
    ).all()
    due = []
    for visit in visits:
        contract = s.get(Contract, visit.contract_id)
        if contract.status in COVERING_STATES and visit.due_on <= contract.ends_on:
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
