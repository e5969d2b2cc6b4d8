"""Process A: every request starts here and becomes exactly one thing."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import and_, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from backend.catalog.items import installed_item
from backend.catalog.models import Item, Product
from backend.coverage.models import Contract
from backend.coverage.service import start_inquiry
from backend.customers.models import Customer, Site
from backend import fields
from backend.db import UnitOfWork, utcnow
from backend.errors import DomainError, ErrorCode, invalid, not_found
from backend.history.models import StateChange
from backend.history.moves import move, record
from backend.identity.actor import Actor, require_role
from backend.identity.models import Role
from backend.coverage.entitlement import Entitlement, find_cover
from backend.intake.models import RequestKind, ServiceRequest, Ticket, TicketState
from backend.jobs.models import Job
from backend.jobs.service import open_job
from backend.lifecycle import Lifecycle
from backend.notifications.outbox import notify
from backend.orders.models import ServiceOrder
from backend.orders.service import new_order
from backend.references import assign_number, parse
from backend.repairs.models import RepairOrder
from backend.repairs.service import new_repair

WANTS = ("question", "service", "contract", "order", "repair")
CHANNELS = ("chat", "portal", "website", "phone", "email", "api", "mobile", "walk_in", "system")
MAX_PROBLEM = 4000
MAX_SERIAL = 60
MAX_ANSWER = 20000

TICKET_MOVES = Lifecycle("ticket", {
    TicketState.OPEN: {TicketState.ANSWERED, TicketState.CLOSED},
    TicketState.ANSWERED: {TicketState.CLOSED, TicketState.OPEN},
    TicketState.CLOSED: {TicketState.OPEN},
})


@dataclass(frozen=True)
class JourneyStep:
    entity: str
    reference: str | None
    from_state: str | None
    to_state: str
    actor_role: str
    channel: str
    at: datetime
    note: str | None


@dataclass(frozen=True)
class RequestView:
    number: str
    kind: str
    customer_id: int
    problem: str
    channel: str
    entitlement: Entitlement | None
    job_number: str | None
    job_state: str | None
    ticket_number: str | None
    ticket_state: str | None
    created_at: datetime
    created: bool = True
    journey: list[JourneyStep] | None = None
    contract_number: str | None = None
    order_number: str | None = None
    repair_number: str | None = None
    ticket_answer: str | None = None  # the help desk's answer, once the ticket is answered


@dataclass(frozen=True)
class TicketView:
    number: str
    request_number: str
    customer_id: int
    subject: str
    body: str
    answer: str | None
    state: str


def check_entitlement(uow: UnitOfWork, actor: Actor, *, serial: str, on: date | None = None) -> Entitlement:
    serial = fields.text(serial, "serial", max_len=MAX_SERIAL, what="serial number printed on the product")
    with uow() as s:
        item = installed_item(s, serial)
        if item is not None and not actor.is_staff and item.customer_id != actor.customer_id:
            item = None  # another customer's serial: answer as if unknown
        return find_cover(s, item, on or date.today(), serial)


def raise_request(
    uow: UnitOfWork,
    actor: Actor,
    *,
    want: str,
    problem: str,
    customer_id: int | None = None,
    serial: str | None = None,
    site_id: int | None = None,
    preferred_at: datetime | None = None,
    idempotency_key: str | None = None,
    contract_type: str = "AMC",
) -> RequestView:
    """Classify a request into a ticket, a covered job, a contract inquiry,
    a one-time paid order or a repair, and start that process.

    ``want="service"`` without cover becomes a job billed after the visit
    (pay-after); ``want="order"`` is the counter's one-time service order,
    invoiced before the work (process D)."""
    try:
        with uow() as s:
            return new_request(s, actor, want=want, problem=problem, customer_id=customer_id, serial=serial,
                               site_id=site_id, preferred_at=preferred_at, idempotency_key=idempotency_key,
                               contract_type=contract_type)
    except IntegrityError:
        if not idempotency_key:
            raise
        with uow() as s:  # the same key arrived twice at once: answer with the one that won
            existing = _with_key(s, idempotency_key)
            if existing is None:
                raise
            return _replay(s, existing, _customer_for(actor, customer_id))


def new_request(
    s: Session,
    actor: Actor,
    *,
    want: str,
    problem: str,
    customer_id: int | None = None,
    serial: str | None = None,
    site_id: int | None = None,
    preferred_at: datetime | None = None,
    idempotency_key: str | None = None,
    contract_type: str = "AMC",
) -> RequestView:
    """``raise_request`` inside the caller's transaction: checks everything
    before it writes, and a known idempotency key answers with its request."""
    customer_id = _customer_for(actor, customer_id)
    if want not in WANTS:
        raise invalid(f"unknown request kind '{want}'", field="want", allowed=list(WANTS))
    problem = fields.text(problem, "problem", max_len=MAX_PROBLEM, multiline=True, what="problem description")
    serial = fields.text(serial, "serial", max_len=MAX_SERIAL, required=False, what="serial number")
    if preferred_at is not None:
        if preferred_at.tzinfo is None:
            raise invalid("the preferred time needs a time zone", field="preferred_at")
        if not utcnow() - timedelta(hours=1) <= preferred_at <= utcnow() + timedelta(days=366):
            raise invalid("the preferred time must be within the next year", field="preferred_at")
    existing = _with_key(s, idempotency_key) if idempotency_key else None
    if existing is not None:
        return _replay(s, existing, customer_id)
    return _create(s, actor, want, problem, customer_id, serial, site_id, preferred_at, idempotency_key,
                   contract_type)


def _with_key(s: Session, idempotency_key: str) -> ServiceRequest | None:
    return s.scalar(select(ServiceRequest).where(ServiceRequest.idempotency_key == idempotency_key))


def _customer_for(actor: Actor, customer_id: int | None) -> int:
    if actor.role == Role.CUSTOMER:
        if customer_id not in (None, actor.customer_id):
            raise DomainError(ErrorCode.FORBIDDEN, "you can raise requests only for yourself")
        return actor.customer_id
    require_role(actor, Role.AGENT, Role.MANAGER, Role.ADMIN)
    if customer_id is None:
        raise invalid("say which customer the request is for", field="customer_id")
    return customer_id


def _replay(s: Session, existing: ServiceRequest, customer_id: int) -> RequestView:
    if existing.customer_id != customer_id:
        raise DomainError(ErrorCode.IDEMPOTENCY_CONFLICT, "this idempotency key belongs to another request")
    return request_view(s, existing, created=False)


def _create(s, actor, want, problem, customer_id, serial, site_id, preferred_at, key, contract_type) -> RequestView:
    if s.get(Customer, customer_id) is None:
        raise not_found("customer", customer_id)
    if site_id is not None:
        site = s.get(Site, site_id)
        if site is None or site.customer_id != customer_id:
            raise not_found("site", site_id)
    item = None
    if serial:
        item = installed_item(s, serial)
        if item is not None and item.customer_id != customer_id:
            item = None
    ent = find_cover(s, item, date.today(), serial) if want in ("service", "order", "repair", "contract") else None
    kind = _classify(want, ent)
    req = ServiceRequest(
        customer_id=customer_id, kind=kind, channel=actor.channel, problem=problem,
        item_id=item.id if item else None, site_id=site_id or (item.site_id if item else None),
        preferred_at=preferred_at, contract_id=ent.contract_id if ent else None,
        cover=ent.cover if ent else None, covers_labour=bool(ent and ent.covers_labour),
        covers_parts=bool(ent and ent.covers_parts), created_by=actor.user_id, idempotency_key=key,
    )
    s.add(req)
    assign_number(s, req, "SR")
    record(s, entity_type="request", entity_id=req.id, request_id=req.id, to_state=f"classified:{kind}", actor=actor,
           note=(f"cover {ent.cover}" if ent and ent.covered else None))
    if kind == RequestKind.TICKET:
        ticket = Ticket(request_id=req.id, customer_id=customer_id, subject=problem.splitlines()[0][:200], body=problem)
        s.add(ticket)
        assign_number(s, ticket, "TK")
        record(s, entity_type="ticket", entity_id=ticket.id, request_id=req.id, to_state=TicketState.OPEN, actor=actor)
        notify(s, event="ticket_opened", subject_type="ticket", subject_id=ticket.id, customer_id=customer_id,
               ticket=ticket.number)
    elif kind == RequestKind.ORDER and want == "order":
        order = new_order(s, actor, customer_id=customer_id, description=problem, codes=[],
                          item_id=req.item_id, site_id=req.site_id, request_id=req.id)
        notify(s, event="request_received", subject_type="order", subject_id=order.id, customer_id=customer_id,
               request=req.number, order=order.number)
    elif kind in (RequestKind.JOB, RequestKind.ORDER):
        job = open_job(s, actor, request_id=req.id, customer_id=customer_id, site_id=req.site_id,
                       item_id=req.item_id, contract_id=req.contract_id, covers_labour=req.covers_labour,
                       covers_parts=req.covers_parts, problem=problem)
        notify(s, event="request_received", subject_type="job", subject_id=job.id, customer_id=customer_id,
               request=req.number, job=job.number, covered=bool(ent and ent.covered))
    elif kind == RequestKind.CONTRACT:
        contract = start_inquiry(s, actor, customer_id=customer_id, type_code=contract_type,
                                 item_ids=[item.id] if item else [], site_id=req.site_id, note=problem[:400])
        req.contract_id = contract.id
        notify(s, event="contract_inquiry_received", subject_type="contract", subject_id=contract.id,
               customer_id=customer_id, request=req.number, contract=contract.number)
    elif kind == RequestKind.REPAIR:
        product = s.get(Product, item.product_id).name if item else "item"
        new_repair(s, actor, customer_id=customer_id, item_description=product, fault=problem, item=item,
                   request_id=req.id)
    return request_view(s, req, created=True)


def _classify(want: str, ent: Entitlement | None) -> RequestKind:
    if want == "question":
        return RequestKind.TICKET
    if want == "repair":
        return RequestKind.REPAIR
    if want == "contract":
        return RequestKind.CONTRACT
    if want == "service" and ent is not None and ent.covered:
        return RequestKind.JOB
    return RequestKind.ORDER  # no cover: a one-time paid visit


def request_view(s: Session, req: ServiceRequest, *, created: bool = True, journey: bool = False) -> RequestView:
    job = request_job(s, req)
    ticket = s.scalar(select(Ticket).where(Ticket.request_id == req.id).limit(1))
    ent = None
    if req.kind in (RequestKind.JOB, RequestKind.ORDER, RequestKind.REPAIR, RequestKind.CONTRACT):
        ent = find_cover(s, s.get(Item, req.item_id) if req.item_id else None, req.created_at.date())
    contract = s.get(Contract, req.contract_id) if req.kind == RequestKind.CONTRACT and req.contract_id else None
    order = s.scalar(select(ServiceOrder).where(ServiceOrder.request_id == req.id).limit(1))
    repair = s.scalar(select(RepairOrder).where(RepairOrder.request_id == req.id).limit(1))
    steps = None
    if journey:
        mine = StateChange.request_id == req.id
        if contract is not None:
            mine = or_(mine, and_(StateChange.entity_type == "contract", StateChange.entity_id == contract.id))
        steps = [JourneyStep(c.entity_type, _ref_of(s, c), c.from_state, c.to_state, c.actor_role, c.channel, c.at, c.note)
                 for c in s.scalars(select(StateChange).where(mine).order_by(StateChange.at, StateChange.id))]
    return RequestView(req.number, req.kind, req.customer_id, req.problem, req.channel, ent,
                       job.number if job else None, job.state if job else None,
                       ticket.number if ticket else None, ticket.state if ticket else None,
                       req.created_at, created, steps, contract.number if contract else None,
                       order.number if order else None, repair.number if repair else None,
                       ticket.answer if ticket else None)


def request_job(s: Session, req: ServiceRequest) -> Job | None:
    """The job a request became (its first one), if any."""
    return s.scalar(select(Job).where(Job.request_id == req.id).order_by(Job.id).limit(1))


def _ref_of(s: Session, change: StateChange) -> str | None:
    model = {"request": ServiceRequest, "job": Job, "estimate": Job, "ticket": Ticket, "contract": Contract,
             "order": ServiceOrder, "repair": RepairOrder}.get(change.entity_type)
    if model is None:
        return None
    row = s.get(model, change.entity_id)
    return getattr(row, "number", None)


def load_request(s: Session, actor: Actor, reference: str) -> ServiceRequest:
    parsed = parse(reference)
    req = None
    if parsed and parsed[0] == "SR":
        req = s.get(ServiceRequest, parsed[1])
    elif parsed and parsed[0] in ("JB", "TK"):
        row = s.get(Job if parsed[0] == "JB" else Ticket, parsed[1])
        req = s.get(ServiceRequest, row.request_id) if row is not None and row.request_id else None
    if req is None or not _may_see(actor, s, req):
        raise not_found("request", reference)
    return req


def _may_see(actor: Actor, s: Session, req: ServiceRequest) -> bool:
    if actor.is_staff:
        return True
    if actor.role == Role.CUSTOMER:
        return actor.customer_id == req.customer_id
    if actor.role == Role.TECHNICIAN:
        return s.scalar(select(Job.id).where(Job.request_id == req.id, Job.technician_id == actor.user_id)) is not None
    return False


def get_request(uow: UnitOfWork, actor: Actor, *, reference: str) -> RequestView:
    with uow() as s:
        return request_view(s, load_request(s, actor, reference), journey=True)


def list_requests(uow: UnitOfWork, actor: Actor, *, customer_id: int | None = None, limit: int = 200) -> list[RequestView]:
    with uow() as s:
        return request_views(s, actor, customer_id=customer_id, limit=limit)


def request_views(s: Session, actor: Actor, *, customer_id: int | None = None, limit: int = 200) -> list[RequestView]:
    """The newest requests (a customer's own; staff: anyone's, or one customer's)."""
    if actor.role == Role.CUSTOMER:
        customer_id = actor.customer_id
    else:
        require_role(actor, Role.AGENT, Role.MANAGER, Role.ADMIN)
    q = select(ServiceRequest).order_by(ServiceRequest.id.desc()).limit(min(max(limit, 1), 1000))
    if customer_id is not None:
        q = q.where(ServiceRequest.customer_id == customer_id)
    return [request_view(s, r) for r in s.scalars(q)]


# --- help-desk tickets (A1): open → answered → closed, reopen ---------------

def load_ticket(s: Session, actor: Actor, ref: str) -> Ticket:
    """A ticket the actor may see; someone else's is reported as not found."""
    parsed = parse(ref)
    t = s.get(Ticket, parsed[1]) if parsed and parsed[0] == "TK" else None
    if t is None or not (actor.is_staff or (actor.role == Role.CUSTOMER and actor.customer_id == t.customer_id)):
        raise not_found("ticket", ref)
    return t


def _ticket_view(s: Session, t: Ticket) -> TicketView:
    req = s.get(ServiceRequest, t.request_id)
    return TicketView(t.number, req.number, t.customer_id, t.subject, t.body, t.answer, t.state)


def answer_ticket(uow: UnitOfWork, actor: Actor, *, ticket_ref: str, answer: str) -> TicketView:
    with uow() as s:
        return write_answer(s, actor, ticket_ref=ticket_ref, answer=answer)


def write_answer(s: Session, actor: Actor, *, ticket_ref: str, answer: str) -> TicketView:
    """``answer_ticket`` inside the caller's transaction."""
    require_role(actor, Role.AGENT, Role.MANAGER, Role.ADMIN)
    answer = checked_answer(answer)
    t = load_ticket(s, actor, ticket_ref)
    move(s, TICKET_MOVES, t, TicketState.ANSWERED, actor, entity_type="ticket", request_id=t.request_id)
    t.answer = answer
    t.assigned_to = actor.user_id
    notify(s, event="ticket_answered", subject_type="ticket", subject_id=t.id, customer_id=t.customer_id,
           ticket=t.number, answer=answer)
    return _ticket_view(s, t)


def checked_answer(answer: str | None) -> str:
    """An answer to a ticket as it is stored, or the refusal (nothing written yet)."""
    answer = (answer or "").strip()
    if not answer or len(answer) > MAX_ANSWER:
        raise invalid(f"an answer needs some text (at most {MAX_ANSWER} characters)", field="answer")
    return answer


def close_ticket(uow: UnitOfWork, actor: Actor, *, ticket_ref: str, note: str | None = None) -> TicketView:
    with uow() as s:
        t = load_ticket(s, actor, ticket_ref)
        move(s, TICKET_MOVES, t, TicketState.CLOSED, actor, entity_type="ticket", request_id=t.request_id, note=note)
        return _ticket_view(s, t)


def reopen_ticket(uow: UnitOfWork, actor: Actor, *, ticket_ref: str, note: str | None = None) -> TicketView:
    with uow() as s:
        return reopen(s, actor, ticket_ref=ticket_ref, note=note)


def reopen(s: Session, actor: Actor, *, ticket_ref: str, note: str | None = None) -> TicketView:
    """``reopen_ticket`` inside the caller's transaction."""
    t = load_ticket(s, actor, ticket_ref)
    move(s, TICKET_MOVES, t, TicketState.OPEN, actor, entity_type="ticket", request_id=t.request_id, note=note)
    return _ticket_view(s, t)


def list_tickets(uow: UnitOfWork, actor: Actor, *, state: str | None = None) -> list[TicketView]:
    with uow() as s:
        return ticket_views(s, actor, state=state)


def ticket_views(s: Session, actor: Actor, *, state: str | None = None, customer_id: int | None = None,
                 limit: int = 500) -> list[TicketView]:
    """The newest tickets (a customer's own; staff: anyone's, or one customer's)."""
    q = select(Ticket).order_by(Ticket.id.desc()).limit(min(max(limit, 1), 500))
    if actor.role == Role.CUSTOMER:
        customer_id = actor.customer_id
    else:
        require_role(actor, Role.AGENT, Role.MANAGER, Role.ADMIN)
    if customer_id is not None:
        q = q.where(Ticket.customer_id == customer_id)
    if state:
        q = q.where(Ticket.state == state)
    return [_ticket_view(s, t) for t in s.scalars(q)]
