"""C2: a contract's delivery plan as staff see and edit it, and the agent's
contract desk (C1 inquiry form choices, the contract page).

The plan is drafted when an offer is sent (``draft`` visits: the offer's
visits per year spread over its period for each covered item,
``backend.coverage.visits.draft_plan``) and becomes the contract's plan when
the offer is accepted (``planned`` visits, which the daily run turns into
jobs). Staff may move a visit to another day, add one or remove one, before
and after acceptance; every edit writes a history row. A re-offer for the
same period and visits keeps the edited draft; one for another period drafts
the plan again.

Rules of an edit (each refused before anything is written):

- only staff (``forbidden``); someone's contract that does not exist is ``not_found``;
- the contract has an open offer, or is running (``active``, ``due_for_renewal``);
  otherwise ``illegal_transition``;
- a new day lies within the period (the open offer's before acceptance, the
  contract's after) and not in the past (``invalid_input``, field ``due_on``,
  reason ``outside_period`` or ``past``);
- only a ``draft`` or ``planned`` visit is moved or removed: a scheduled one
  has its job (reschedule or cancel the job), a done or carried-over one is
  history (``illegal_transition``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from backend import idempotency
from backend.billing.models import Invoice
from backend.catalog.models import Item, Product
from backend.coverage.lifecycle import VISIT_MOVES
from backend.coverage.models import (
    Contract, ContractOffer, ContractState, CoverageType, CoveredItem, Instalment, OfferState, PlannedVisit,
    VisitState,
)
from backend.coverage.service import ContractView, contract_view, load_contract
from backend.coverage.visits import PLAN_ENTITY, live_visits
from backend.customers.models import Customer
from backend.db import UnitOfWork
from backend.errors import DomainError, ErrorCode, invalid, not_found
from backend.history.models import StateChange
from backend.history.moves import move, record
from backend.identity.actor import STAFF, Actor, require_role
from backend.identity.models import User
from backend.references import format_reference, normalise

EDITABLE = (ContractState.OFFER_SENT, ContractState.ACTIVE, ContractState.DUE_FOR_RENEWAL)
CHANGEABLE = (VisitState.DRAFT, VisitState.PLANNED)
MAX_VISITS = 500  # per contract: more is a typing mistake


@dataclass(frozen=True)
class VisitView:
    id: int
    due_on: date
    serial: str | None
    state: str  # draft, planned, scheduled, done, carried_over
    job_number: str | None
    changeable: bool  # may be moved or removed


@dataclass(frozen=True)
class PlanView:
    contract: str
    contract_state: str
    draft: bool  # the offer's draft: planned only when the offer is accepted
    starts_on: date | None  # the period a visit may fall in (None: no offer yet)
    ends_on: date | None
    editable: bool
    serials: list[str]
    visits: list[VisitView]


@dataclass(frozen=True)
class InstalmentView:
    seq: int
    due_on: date
    amount: object  # Decimal


@dataclass(frozen=True)
class HistoryLine:
    at: datetime
    what: str  # contract, offer, visit, plan
    reference: str | None  # the visit's day, the offer's version
    from_state: str | None
    to_state: str
    by: str | None
    channel: str
    note: str | None


@dataclass(frozen=True)
class ContractDesk:
    contract: ContractView
    customer_code: str
    customer_name: str
    type_name: str
    plan: PlanView
    instalments: list[InstalmentView]
    history: list[HistoryLine]


# --- reading ------------------------------------------------------------------------------------

def _period(s: Session, c: Contract) -> tuple[date, date] | None:
    """Where a visit may fall: the open offer's period before acceptance, the contract's after."""
    if c.status == ContractState.OFFER_SENT:
        offer = s.scalar(select(ContractOffer).where(ContractOffer.contract_id == c.id,
                                                     ContractOffer.state == OfferState.SENT))
        return (offer.starts_on, offer.ends_on) if offer else None
    if c.status in (ContractState.ACTIVE, ContractState.DUE_FOR_RENEWAL, ContractState.RENEWED,
                    ContractState.EXPIRED):
        return c.starts_on, c.ends_on
    latest = s.scalar(select(ContractOffer).where(ContractOffer.contract_id == c.id)
                      .order_by(ContractOffer.version.desc()).limit(1))
    return (latest.starts_on, latest.ends_on) if latest else None


def _serials(s: Session, contract_id: int) -> dict[int, str]:
    return dict(s.execute(select(Item.id, Item.serial).join(CoveredItem, CoveredItem.item_id == Item.id)
                          .where(CoveredItem.contract_id == contract_id).order_by(Item.serial)).all())


def plan_view(s: Session, c: Contract) -> PlanView:
    serials = _serials(s, c.id)
    visits = live_visits(s, c.id)
    period = _period(s, c)
    return PlanView(
        c.number, c.status, c.status in (ContractState.INQUIRY, ContractState.OFFER_SENT, ContractState.REJECTED),
        period[0] if period else None, period[1] if period else None, c.status in EDITABLE,
        list(serials.values()),
        [VisitView(v.id, v.due_on, serials.get(v.item_id) if v.item_id else None, v.state,
                   format_reference("JB", v.job_id) if v.job_id else None,
                   v.state in CHANGEABLE) for v in visits],
    )


def get_plan(uow: UnitOfWork, actor: Actor, *, contract_ref: str) -> PlanView:
    """The delivery plan (the draft of the open offer, or the contract's):
    staff for any contract, a customer for their own."""
    with uow() as s:
        return plan_view(s, load_contract(s, actor, contract_ref))


def _history(s: Session, c: Contract) -> list[HistoryLine]:
    offers = dict(s.execute(select(ContractOffer.id, ContractOffer.version)
                            .where(ContractOffer.contract_id == c.id)).all())
    visits = dict(s.execute(select(PlannedVisit.id, PlannedVisit.due_on)
                            .where(PlannedVisit.contract_id == c.id)).all())
    kinds = [(StateChange.entity_type == "contract") & (StateChange.entity_id == c.id),
             (StateChange.entity_type == PLAN_ENTITY) & (StateChange.entity_id == c.id)]
    if offers:
        kinds.append((StateChange.entity_type == "contract_offer") & StateChange.entity_id.in_(list(offers)))
    if visits:
        kinds.append((StateChange.entity_type == "planned_visit") & StateChange.entity_id.in_(list(visits)))
    rows = s.execute(select(StateChange, User.name).join(User, User.id == StateChange.actor_id, isouter=True)
                     .where(or_(*kinds)).order_by(StateChange.at, StateChange.id)).all()
    out = []
    for ch, name in rows:
        if ch.entity_type == "contract_offer":
            what, ref = "offer", f"v{offers.get(ch.entity_id)}"
        elif ch.entity_type == "planned_visit":
            what, ref = "visit", visits[ch.entity_id].isoformat() if ch.entity_id in visits else None
        elif ch.entity_type == PLAN_ENTITY:
            what, ref = "plan", None
        else:
            what, ref = "contract", c.number
        out.append(HistoryLine(ch.at, what, ref, ch.from_state, ch.to_state, name or ch.actor_role, ch.channel,
                               ch.note))
    return out


def contract_desk(uow: UnitOfWork, actor: Actor, *, contract_ref: str) -> ContractDesk:
    """The staff contract page: the contract with its offers, delivery plan,
    instalments and history."""
    require_role(actor, *STAFF)
    with uow() as s:
        c = load_contract(s, actor, contract_ref)
        view = contract_view(s, c)
        customer = s.get(Customer, c.customer_id)
        ctype = s.get(CoverageType, c.type_code)
        invoice = s.scalar(select(Invoice.id).where(Invoice.source_type == "contract", Invoice.source_id == c.id))
        instalments = [InstalmentView(i.seq, i.due_on, i.amount) for i in s.scalars(
            select(Instalment).where(Instalment.invoice_id == invoice).order_by(Instalment.seq))] if invoice else []
        return ContractDesk(view, customer.code, customer.name, ctype.name if ctype else c.type_code,
                            plan_view(s, c), instalments, _history(s, c))


# --- editing ------------------------------------------------------------------------------------

def _editable(s: Session, actor: Actor, contract_ref: str) -> tuple[Contract, tuple[date, date]]:
    require_role(actor, *STAFF)
    c = load_contract(s, actor, contract_ref, lock=True)
    period = _period(s, c) if c.status in EDITABLE else None
    if period is None:
        why = ("send an offer first: the plan is drafted with it" if c.status in (ContractState.INQUIRY,
                                                                                  ContractState.REJECTED)
               else "its plan is closed")
        raise DomainError(ErrorCode.ILLEGAL_TRANSITION, f"{c.number} is {c.status.replace('_', ' ')}: {why}",
                          current=c.status)
    return c, period


def _check_day(day: date, period: tuple[date, date], today: date) -> None:
    if not isinstance(day, date):
        raise invalid("give the visit's day", field="due_on")
    if day < today:
        raise invalid(f"{day.isoformat()} is in the past: pick today or a later day", field="due_on",
                      reason="past")
    if not period[0] <= day <= period[1]:
        raise invalid(f"pick a day within the contract period, {period[0].isoformat()} to {period[1].isoformat()}",
                      field="due_on", reason="outside_period")


def _visit(s: Session, c: Contract, visit_id: int) -> PlannedVisit:
    visit = s.scalar(select(PlannedVisit).where(PlannedVisit.id == visit_id, PlannedVisit.contract_id == c.id)
                     .with_for_update()) if isinstance(visit_id, int) else None
    if visit is None or visit.state == VisitState.REMOVED:
        raise not_found("planned visit", visit_id)
    return visit


def _unchangeable(s: Session, visit: PlannedVisit, doing: str) -> DomainError:
    if visit.state == VisitState.SCHEDULED:
        job = format_reference("JB", visit.job_id) if visit.job_id else "its job"
        why = f"{job} exists; reschedule or cancel the job instead"
    else:
        why = f"it is {visit.state.replace('_', ' ')}; only a planned visit can be {doing}"
    return DomainError(ErrorCode.ILLEGAL_TRANSITION,
                       f"the visit of {visit.due_on.isoformat()} cannot be {doing}: {why}",
                       entity=VISIT_MOVES.name, current=visit.state)


def move_planned_visit(uow: UnitOfWork, actor: Actor, *, contract_ref: str, visit_id: int, due_on: date,
                       today: date | None = None) -> PlanView:
    """Move a draft or planned visit to another day within the period (staff)."""
    today = today or date.today()
    with uow() as s:
        c, period = _editable(s, actor, contract_ref)
        visit = _visit(s, c, visit_id)
        if visit.state not in CHANGEABLE:
            raise _unchangeable(s, visit, "moved")
        _check_day(due_on, period, today)
        if due_on == visit.due_on:
            raise invalid(f"the visit is already on {due_on.isoformat()}", field="due_on", reason="unchanged")
        before = visit.due_on
        visit.due_on = due_on
        record(s, entity_type="planned_visit", entity_id=visit.id, from_state=visit.state, to_state=visit.state,
               actor=actor, note=f"moved from {before.isoformat()} to {due_on.isoformat()}")
        return plan_view(s, c)


def add_planned_visit(uow: UnitOfWork, actor: Actor, *, contract_ref: str, due_on: date,
                      serial: str | None = None, today: date | None = None,
                      idempotency_key: str | None = None) -> PlanView:
    """Add a visit on a day within the period for one covered item (staff):
    a draft before acceptance, planned after. Without a serial: the one item
    the contract covers (several: say which). A retry with the same
    idempotency key adds nothing more."""
    today = today or date.today()
    with uow() as s:
        require_role(actor, *STAFF)
        once = idempotency.claim(s, actor, "coverage.add_planned_visit", idempotency_key,
                                 contract=normalise(contract_ref), due_on=due_on, serial=serial or None)
        if once.replay is not None:
            return plan_view(s, load_contract(s, actor, once.replay))
        c, period = _editable(s, actor, contract_ref)
        _check_day(due_on, period, today)
        serials = _serials(s, c.id)
        if serial:
            item_id = next((i for i, sn in serials.items() if sn == serial.strip()), None)
            if item_id is None:
                raise invalid(f"{serial} is not covered by {c.number}; pick one of {', '.join(serials.values())}",
                              field="serial", reason="not_covered")
        elif len(serials) > 1:
            raise invalid("say which covered item the visit is for", field="serial", reason="required")
        else:
            item_id = next(iter(serials), None)
        count = s.scalar(select(func.count(PlannedVisit.id)).where(PlannedVisit.contract_id == c.id))
        if count >= MAX_VISITS:
            raise invalid(f"a contract has at most {MAX_VISITS} visits", field="due_on", reason="too_many")
        state = VisitState.DRAFT if c.status == ContractState.OFFER_SENT else VisitState.PLANNED
        visit = PlannedVisit(contract_id=c.id, item_id=item_id, due_on=due_on, state=state)
        s.add(visit)
        s.flush()
        record(s, entity_type="planned_visit", entity_id=visit.id, to_state=state, actor=actor,
               note=f"added on {due_on.isoformat()}" + (f" for {serials[item_id]}" if item_id else ""))
        once.done(c.number)
        return plan_view(s, c)


def remove_planned_visit(uow: UnitOfWork, actor: Actor, *, contract_ref: str, visit_id: int,
                         reason: str | None = None) -> PlanView:
    """Take a draft or planned visit out of the plan (staff); it is kept as
    ``removed`` with its history. A scheduled, done or carried-over visit
    cannot be removed."""
    if reason is not None and len(reason) > 200:
        raise invalid("the reason is at most 200 characters", field="reason")
    with uow() as s:
        c, _ = _editable(s, actor, contract_ref)
        visit = _visit(s, c, visit_id)
        if visit.state not in CHANGEABLE:
            raise _unchangeable(s, visit, "removed")
        move(s, VISIT_MOVES, visit, VisitState.REMOVED, actor, entity_type="planned_visit",
             note=f"removed ({visit.due_on.isoformat()})" + (f": {reason.strip()}" if (reason or "").strip() else ""))
        return plan_view(s, c)


# --- the C1 form ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class CustomerMatch:
    id: int
    code: str
    name: str


@dataclass(frozen=True)
class ItemChoice:
    serial: str
    product: str
    covered_by: list[str]  # contracts in force that already cover it


@dataclass(frozen=True)
class TypeChoice:
    code: str
    name: str
    visits_per_year: int


@dataclass(frozen=True)
class InquiryChoices:
    matches: list[CustomerMatch]  # customers matching the search (one: chosen)
    customer: CustomerMatch | None
    items: list[ItemChoice]
    types: list[TypeChoice]


def inquiry_choices(uow: UnitOfWork, actor: Actor, *, customer: str = "") -> InquiryChoices:
    """What the agent's contract inquiry form offers: the customers matching a
    code or part of a name (up to 20; an exact code picks it), then the chosen
    customer's items and the contract types still offered (staff)."""
    require_role(actor, *STAFF)
    wanted = (customer or "").strip()
    if len(wanted) > 100:
        raise invalid("the search text is too long", field="customer")
    with uow() as s:
        types = [TypeChoice(t.code, t.name, t.visits_per_year) for t in s.scalars(
            select(CoverageType).where(CoverageType.active.is_(True)).order_by(CoverageType.code))]
        if not wanted:
            return InquiryChoices([], None, [], types)
        exact = s.scalar(select(Customer).where(func.upper(Customer.code) == wanted.upper()))
        found = [exact] if exact else list(s.scalars(
            select(Customer).where(Customer.name.ilike(f"%{wanted}%") | Customer.code.ilike(f"%{wanted}%"))
            .order_by(Customer.name, Customer.id).limit(20)))
        matches = [CustomerMatch(c.id, c.code, c.name) for c in found]
        if len(matches) != 1:
            return InquiryChoices(matches, None, [], types)
        chosen = matches[0]
        items = []
        for item, product in s.execute(select(Item, Product).join(Product, Product.id == Item.product_id)
                                       .where(Item.customer_id == chosen.id, Item.active.is_(True))
                                       .order_by(Item.serial)):
            covered = list(s.scalars(select(Contract.number).join(CoveredItem, CoveredItem.contract_id == Contract.id)
                                     .where(CoveredItem.item_id == item.id,
                                            Contract.status.in_([ContractState.ACTIVE,
                                                                 ContractState.DUE_FOR_RENEWAL]))))
            items.append(ItemChoice(item.serial, product.name, covered))
        return InquiryChoices(matches, chosen, items, types)

