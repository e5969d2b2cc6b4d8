"""A request's journey: every history row of everything the request became,
across processes A-E, in time order."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import and_, case, or_, select, union

from backend.billing.models import Invoice
from backend.coverage.models import Contract, ContractOffer, PlannedVisit
from backend.db import UnitOfWork
from backend.errors import invalid
from backend.history.models import StateChange
from backend.identity.actor import Actor
from backend.identity.models import User
from backend.intake.models import ServiceRequest, Ticket
from backend.intake.service import load_request
from backend.jobs.models import ExpenseClaim, Job
from backend.orders.models import ServiceOrder
from backend.repairs.models import RepairOrder
from backend.reports.common import CUSTOMER_OR_OPERATIONS, as_utc, begin, range_filter

# Which process an entity belongs to, and the table holding its reference.
PROCESS = {"request": "A", "ticket": "A", "job": "B", "estimate": "B", "expense_claim": "B", "invoice": "B",
           "contract": "C", "offer": "C", "contract_offer": "C", "planned_visit": "C", "order": "D",
           "service_order": "D", "repair": "E", "repair_order": "E", "repair_estimate": "E", "repair_feedback": "E"}
NUMBERED = {"request": ServiceRequest, "ticket": Ticket, "job": Job, "estimate": Job, "expense_claim": ExpenseClaim,
            "invoice": Invoice, "contract": Contract, "order": ServiceOrder, "service_order": ServiceOrder,
            "repair": RepairOrder, "repair_order": RepairOrder, "repair_feedback": RepairOrder}


@dataclass(frozen=True)
class JourneyStep:
    at: datetime
    process: str
    entity: str
    reference: str | None
    from_state: str | None
    to_state: str
    actor_role: str
    actor: str | None
    channel: str
    note: str | None


@dataclass(frozen=True)
class Journey:
    request: str
    kind: str
    customer_id: int
    created_at: datetime
    steps: list[JourneyStep]


def _linked(s, req: ServiceRequest) -> list[tuple[str, int]]:
    """(entity_type, entity_id) of everything the request became: a few small
    indexed look-ups, so that the history is then read by its entity index."""
    rid = req.id
    orders = list(s.scalars(select(ServiceOrder.id).where(ServiceOrder.request_id == rid)))
    repairs = list(s.scalars(select(RepairOrder.id).where(RepairOrder.request_id == rid)))
    contracts = [req.contract_id] if req.kind == "contract" and req.contract_id else []
    jobs = set(s.scalars(select(Job.id).where(Job.request_id == rid)))
    if orders:
        jobs |= set(s.scalars(select(Job.id).where(Job.order_id.in_(orders))))
    if contracts:
        jobs |= set(s.scalars(select(Job.id).where(Job.contract_id.in_(contracts), Job.request_id.is_(None))))
    jobs = sorted(jobs)
    sources = [("job", jobs), ("order", orders), ("repair", repairs), ("contract", contracts)]
    invoices = list(s.scalars(select(Invoice.id).where(or_(*[
        and_(Invoice.source_type == kind, Invoice.source_id.in_(ids)) for kind, ids in sources if ids]))))\
        if any(ids for _, ids in sources) else []
    pairs = [("request", rid)]
    pairs += [("ticket", i) for i in s.scalars(select(Ticket.id).where(Ticket.request_id == rid))]
    pairs += [(kind, i) for i in jobs for kind in ("job", "estimate")]
    if jobs:
        pairs += [("expense_claim", i) for i in s.scalars(select(ExpenseClaim.id).where(ExpenseClaim.job_id.in_(jobs)))]
    if contracts:
        offers = list(s.scalars(select(ContractOffer.id).where(ContractOffer.contract_id.in_(contracts))))
        pairs += [(kind, i) for i in offers for kind in ("offer", "contract_offer")]
        pairs += [("planned_visit", i) for i in
                  s.scalars(select(PlannedVisit.id).where(PlannedVisit.contract_id.in_(contracts)))]
    pairs += [("contract", i) for i in contracts]
    pairs += [(kind, i) for i in orders for kind in ("order", "service_order")]
    pairs += [(kind, i) for i in repairs for kind in ("repair", "repair_order")]
    pairs += [("invoice", i) for i in invoices]
    return pairs


def journey(uow: UnitOfWork, actor: Actor, *, request: str | None = None, start: date | None = None,
            end: date | None = None, **unknown: Any) -> Journey:
    """Every state change of the request and of what it became (ticket, job,
    contract with its offers and visits, order, repair, their invoices and
    claims), oldest first. A customer sees only their own requests; the
    range, when given, keeps the steps that happened in it."""
    p = begin(actor, CUSTOMER_OR_OPERATIONS, start, end, unknown, default_days=None)
    if not isinstance(request, str) or not request.strip():
        raise invalid("give the request's reference (SR-..., or the JB-/TK- it became)", field="request")
    with uow() as s:
        req = load_request(s, actor, request)
        pairs = _linked(s, req)
        ids = union(
            select(StateChange.id).where(StateChange.request_id == req.id),
            *[select(StateChange.id).where(StateChange.entity_type == kind,
                                           StateChange.entity_id.in_([i for k, i in pairs if k == kind]))
              for kind in sorted({k for k, _ in pairs})],
        ).subquery()
        reference = case(
            *[(StateChange.entity_type == kind, select(model.number).where(model.id == StateChange.entity_id)
               .correlate(StateChange).scalar_subquery()) for kind, model in NUMBERED.items()],
            else_=None,
        )
        rows = s.execute(
            select(StateChange.at, StateChange.entity_type, reference, StateChange.from_state, StateChange.to_state,
                   StateChange.actor_role, User.name, StateChange.channel, StateChange.note)
            .join(ids, ids.c.id == StateChange.id)
            .join(User, User.id == StateChange.actor_id, isouter=True)
            .where(range_filter(StateChange.at, p))
            .order_by(StateChange.at, StateChange.id)
        ).all()
        steps = [JourneyStep(as_utc(at), PROCESS.get(et, "?"), et, ref, fr, to, role, who, ch, note)
                 for at, et, ref, fr, to, role, who, ch, note in rows]
        return Journey(req.number, req.kind, req.customer_id, req.created_at, steps)

