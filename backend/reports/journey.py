"""A request's journey: every history row of everything the request became,
across processes A-E, in time order."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import and_, case, literal, or_, select, union, union_all

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
           "service_order": "D", "repair": "E", "repair_order": "E", "repair_estimate": "E"}
NUMBERED = {"request": ServiceRequest, "ticket": Ticket, "job": Job, "estimate": Job, "expense_claim": ExpenseClaim,
            "invoice": Invoice, "contract": Contract, "order": ServiceOrder, "service_order": ServiceOrder,
            "repair": RepairOrder, "repair_order": RepairOrder}


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


def _linked(req: ServiceRequest):
    """(entity_type, entity_id) of everything the request became, as one SELECT."""
    rid = req.id
    jobs_of_request = select(Job.id).where(Job.request_id == rid)
    orders = select(ServiceOrder.id).where(ServiceOrder.request_id == rid)
    repairs = select(RepairOrder.id).where(RepairOrder.request_id == rid)
    contract_ids = select(Contract.id).where(Contract.id == req.contract_id) if req.kind == "contract" \
        else select(Contract.id).where(literal(False))
    jobs = union(jobs_of_request, select(Job.id).where(Job.order_id.in_(orders)),
                 select(Job.id).where(Job.contract_id.in_(contract_ids), Job.request_id.is_(None)))
    job_ids = select(jobs.subquery().c.id)

    def pair(kind: str, ids):
        sub = ids.subquery()
        return select(literal(kind).label("etype"), sub.c[0].label("eid"))

    invoices = select(Invoice.id).where(or_(
        and_(Invoice.source_type == "job", Invoice.source_id.in_(job_ids)),
        and_(Invoice.source_type == "order", Invoice.source_id.in_(orders)),
        and_(Invoice.source_type == "repair", Invoice.source_id.in_(repairs)),
        and_(Invoice.source_type == "contract", Invoice.source_id.in_(contract_ids)),
    ))
    return union_all(
        pair("request", select(literal(rid))),
        pair("ticket", select(Ticket.id).where(Ticket.request_id == rid)),
        pair("job", job_ids), pair("estimate", job_ids),
        pair("expense_claim", select(ExpenseClaim.id).where(ExpenseClaim.job_id.in_(job_ids))),
        pair("contract", contract_ids),
        pair("offer", select(ContractOffer.id).where(ContractOffer.contract_id.in_(contract_ids))),
        pair("contract_offer", select(ContractOffer.id).where(ContractOffer.contract_id.in_(contract_ids))),
        pair("planned_visit", select(PlannedVisit.id).where(PlannedVisit.contract_id.in_(contract_ids))),
        pair("order", orders), pair("service_order", orders),
        pair("repair", repairs), pair("repair_order", repairs),
        pair("invoice", invoices),
    )


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
        linked = _linked(req).subquery()
        ids = union(
            select(StateChange.id).where(StateChange.request_id == req.id),
            select(StateChange.id).join(linked, and_(StateChange.entity_type == linked.c.etype,
                                                     StateChange.entity_id == linked.c.eid)),
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

