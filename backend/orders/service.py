"""Process D: a one-time service order — order entry, invoice up front, a
planned job (process B) delivers it, done, paid."""

from __future__ import annotations

from dataclasses import dataclass, replace
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from backend import idempotency
from backend.billing.invoicing import LineInput, issue_invoice
from backend.billing.models import Invoice, InvoiceState
from backend.catalog.items import installed_item
from backend.catalog.models import ServiceCharge
from backend.customers.models import Customer
from backend.db import UnitOfWork
from backend.errors import DomainError, ErrorCode, invalid, not_found
from backend.history.moves import move, record
from backend.identity.actor import STAFF, Actor, require_role
from backend.identity.scope import newest_visible
from backend.identity.models import Role
from backend.jobs.models import Job
from backend.lifecycle import Lifecycle
from backend.notifications.outbox import notify
from backend.orders.models import OrderLine, OrderState as S, ServiceOrder
from backend.references import assign_number, parse

ORDER_MOVES = Lifecycle("service order", {
    S.NEW: {S.INVOICED, S.CANCELLED},
    S.INVOICED: {S.PLANNED, S.NEW},  # planned; or its invoice cancelled: to be invoiced again
    S.PLANNED: {S.DONE},
    S.DONE: {S.PAID},
})
MAX_LINES = 20


@dataclass(frozen=True)
class OrderLineView:
    code: str
    description: str
    qty: Decimal
    unit_price: Decimal


@dataclass(frozen=True)
class OrderView:
    number: str
    customer_id: int
    description: str
    state: str
    lines: list[OrderLineView]
    invoice_number: str | None
    job_number: str | None
    created: bool = True  # False: a retry with the same idempotency key, answered with the first result


def order_view(s: Session, o: ServiceOrder) -> OrderView:
    lines = [OrderLineView(l.code, l.description, l.qty, l.unit_price)
             for l in s.scalars(select(OrderLine).where(OrderLine.order_id == o.id).order_by(OrderLine.id))]
    invoice = s.get(Invoice, o.invoice_id) if o.invoice_id else None
    job = s.scalar(select(Job.number).where(Job.order_id == o.id).order_by(Job.id).limit(1))
    return OrderView(o.number, o.customer_id, o.description, o.state, lines, invoice.number if invoice else None, job)


def load_order(s: Session, actor: Actor, ref: str, *, lock: bool = False) -> ServiceOrder:
    parsed = parse(ref)
    o = None
    if parsed and parsed[0] == "SO":
        q = select(ServiceOrder).where(ServiceOrder.id == parsed[1])
        o = s.scalar(q.with_for_update() if lock else q)
    if o is None or not (actor.is_staff or (actor.role == Role.CUSTOMER and actor.customer_id == o.customer_id)):
        raise not_found("service order", ref)
    return o


def _move(s: Session, o: ServiceOrder, target: S, actor: Actor, note: str | None = None) -> None:
    move(s, ORDER_MOVES, o, target, actor, entity_type="order", request_id=o.request_id, note=note)


def new_order(s: Session, actor: Actor, *, customer_id: int, description: str, codes: list[tuple[str, Decimal]],
              item_id: int | None = None, site_id: int | None = None, request_id: int | None = None) -> ServiceOrder:
    """D1 inside the caller's transaction: lines priced from the labour price list."""
    if not codes:
        codes = [("VISIT", Decimal(1))]
    if len(codes) > MAX_LINES:
        raise invalid(f"an order has at most {MAX_LINES} lines", field="lines")
    charges = {c.code: c for c in s.scalars(select(ServiceCharge).where(ServiceCharge.code.in_([c for c, _ in codes])))}
    unknown = sorted({c for c, _ in codes} - set(charges))
    if unknown:
        raise DomainError(ErrorCode.NOT_FOUND, f"not on the price list: {unknown}", codes=unknown)
    o = ServiceOrder(customer_id=customer_id, description=description, item_id=item_id, site_id=site_id,
                     request_id=request_id, created_by=actor.user_id)
    s.add(o)
    assign_number(s, o, "SO")
    for code, qty in codes:
        c = charges[code]
        s.add(OrderLine(order_id=o.id, kind="labour", code=code, description=c.name, qty=qty, unit_price=c.unit_price,
                        tax_rate=c.tax_rate))
    record(s, entity_type="order", entity_id=o.id, request_id=request_id, to_state=S.NEW, actor=actor)
    return o


def create_service_order(
    uow: UnitOfWork, actor: Actor, *, customer_id: int, description: str, lines: list[dict] | None = None,
    serial: str | None = None, idempotency_key: str | None = None,
) -> OrderView:
    """D1: a walk-in customer's order, entered by the help desk; a retry with
    the same idempotency key answers with the first order."""
    require_role(actor, *STAFF)
    description = (description or "").strip()
    if not description or len(description) > 2000:
        raise invalid("describe the work ordered (1 to 2000 characters)", field="description")
    codes = []
    for line in lines or []:
        try:
            qty = Decimal(str(line.get("qty", 1)))
        except Exception:
            raise invalid("a quantity is not a number", field="qty") from None
        if not qty.is_finite() or not 0 < qty <= 100:
            raise invalid("quantities are above 0 and at most 100", field="qty")
        codes.append((str(line.get("code", "")).strip(), qty))
    with uow() as s:
        once = idempotency.claim(s, actor, "orders.create_service_order", idempotency_key, customer=customer_id,
                                 description=description, lines=codes, serial=serial or None)
        if once.replay is not None:
            return replace(order_view(s, load_order(s, actor, once.replay)), created=False)
        if s.get(Customer, customer_id) is None:
            raise not_found("customer", customer_id)
        item = None
        if serial:
            item = installed_item(s, serial, customer_id=customer_id)
            if item is None:
                raise not_found("item", serial)
        o = new_order(s, actor, customer_id=customer_id, description=description, codes=codes,
                      item_id=item.id if item else None, site_id=item.site_id if item else None)
        once.done(o.number)
        return order_view(s, o)


def invoice_service_order(uow: UnitOfWork, actor: Actor, *, order_ref: str) -> OrderView:
    """D3: the service invoice with its sales voucher, before the work."""
    require_role(actor, *STAFF)
    with uow() as s:
        o = load_order(s, actor, order_ref, lock=True)
        invoice_order(s, actor, o)
        return order_view(s, o)


def invoice_order(s: Session, actor: Actor, o: ServiceOrder, *, note: str | None = None) -> Invoice:
    """D3 inside the caller's transaction: the order moves to invoiced, its lines are invoiced
    (sales voucher) and the customer is sent the invoice."""
    _move(s, o, S.INVOICED, actor, note=note)
    lines = [LineInput("labour", l.description, l.qty, l.unit_price, l.tax_rate, code=l.code)
             for l in s.scalars(select(OrderLine).where(OrderLine.order_id == o.id).order_by(OrderLine.id))]
    invoice = issue_invoice(s, customer_id=o.customer_id, source_type="order", source_id=o.id, lines=lines,
                            actor=actor, narration=f"Service order {o.number}")
    o.invoice_id = invoice.id
    notify(s, event="order_invoice", subject_type="order", subject_id=o.id, customer_id=o.customer_id,
           order=o.number, invoice=invoice.number, total=str(invoice.total))
    return invoice


def mark_planned(s: Session, actor: Actor, o: ServiceOrder) -> None:
    """D2 inside the caller's transaction: the order's delivery is planned
    (its job is ``backend.processes.service_orders``' business)."""
    require_role(actor, *STAFF)
    _move(s, o, S.PLANNED, actor)


def get_service_order(uow: UnitOfWork, actor: Actor, *, order_ref: str) -> OrderView:
    with uow() as s:
        return order_view(s, load_order(s, actor, order_ref))


def list_service_orders(uow: UnitOfWork, actor: Actor, *, state: str | None = None) -> list[OrderView]:
    q = newest_visible(ServiceOrder, actor, state=state, customer=ServiceOrder.customer_id)
    with uow() as s:
        return [order_view(s, o) for o in s.scalars(q)]


def cancel_service_order(uow: UnitOfWork, actor: Actor, *, order_ref: str, reason: str) -> OrderView:
    require_role(actor, *STAFF)
    if not (reason or "").strip():
        raise invalid("say why the order is cancelled", field="reason")
    with uow() as s:
        o = load_order(s, actor, order_ref, lock=True)
        _move(s, o, S.CANCELLED, actor, note=reason[:400])
        return order_view(s, o)


def on_order_job_resolved(s: Session, job: Job, actor: Actor) -> None:
    """The job delivered the order: done, and paid at once if the invoice is."""
    o = s.get(ServiceOrder, job.order_id)
    if o is None or o.state != S.PLANNED:
        return
    _move(s, o, S.DONE, actor, note=f"{job.number} resolved")
    invoice = s.get(Invoice, o.invoice_id)
    if invoice is not None and invoice.state == InvoiceState.PAID:
        _move(s, o, S.PAID, actor)


def on_order_invoice_cancelled(s: Session, order_id: int, actor: Actor, *, note: str) -> None:
    """The order's up-front invoice was cancelled before the work was
    planned: to be invoiced again (or the order cancelled). Once planned,
    the invoice is corrected by a credit note instead (refused here)."""
    o = s.get(ServiceOrder, order_id)
    if o is None:
        return
    if o.state != S.INVOICED:
        raise DomainError(ErrorCode.CONFLICT, f"{o.number} is under way; correct its invoice with a credit note "
                          "instead", order=o.number, current=o.state)
    _move(s, o, S.NEW, actor, note=note)
    o.invoice_id = None


def on_order_invoice_paid(s: Session, order_id: int, actor: Actor) -> None:
    o = s.get(ServiceOrder, order_id)
    if o is not None and o.state == S.DONE:
        _move(s, o, S.PAID, actor)
