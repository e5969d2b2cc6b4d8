"""Process E: an item brought in for repair — estimate, approval, repair,
check, invoice, delivery, payment. The invoice is always the last estimate the
customer approved; a change of price needs a revised estimate and a new yes."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from backend import fields, idempotency
from backend.billing.invoicing import LineInput, issue_invoice, supply_for, totals
from backend.billing.models import Invoice, InvoiceState
from backend.catalog.items import installed_item
from backend.catalog.models import Item, Part, ServiceCharge
from backend.customers.models import Customer
from backend.db import UnitOfWork, utcnow
from backend.errors import DomainError, ErrorCode, invalid, not_found
from backend.history.moves import move, record
from backend.identity.actor import STAFF, Actor, require_role, require_technician_of
from backend.identity.scope import newest_visible
from backend.identity.models import Role, User
from backend.coverage.entitlement import find_cover
from backend.lifecycle import Lifecycle
from backend.notifications.outbox import notify
from backend.references import assign_number, normalise, parse
from backend.repairs.models import (
    RepairEstimate, RepairEstimateLine, RepairEstimateState as E, RepairOrder, RepairPart, RepairState as S,
)

REPAIR_MOVES = Lifecycle("repair", {
    S.RECEIVED: {S.ESTIMATING},
    S.ESTIMATING: {S.ESTIMATE_SENT},
    S.ESTIMATE_SENT: {S.APPROVED, S.DECLINED},
    S.DECLINED: {S.RETURNED},
    S.APPROVED: {S.UNDER_REPAIR},
    S.UNDER_REPAIR: {S.ESTIMATE_SENT, S.REPAIRED},  # a revised estimate, or done
    S.REPAIRED: {S.INVOICED},
    S.INVOICED: {S.DELIVERED, S.REPAIRED},  # handed back; or its invoice cancelled: to be invoiced again
    S.DELIVERED: {S.CLOSED},
})
# Each estimate (and each revision) the customer answers once.
ESTIMATE_MOVES = Lifecycle("repair estimate", {
    E.SENT: {E.APPROVED, E.DECLINED},
})
MAX_QTY = Decimal("100")


@dataclass(frozen=True)
class EstimateLineView:
    kind: str
    code: str
    description: str
    qty: Decimal
    unit_price: Decimal


@dataclass(frozen=True)
class EstimateView:
    version: int
    state: str
    total: Decimal
    lines: list[EstimateLineView]
    note: str | None


@dataclass(frozen=True)
class RepairView:
    number: str
    customer_id: int
    item_description: str
    fault: str
    state: str
    technician_id: int | None
    covers_labour: bool
    covers_parts: bool
    estimates: list[EstimateView]
    invoice_number: str | None
    check_notes: str | None
    created: bool = True  # False: a retry with the same idempotency key, answered with the first result


def repair_view(s: Session, r: RepairOrder) -> RepairView:
    estimates = []
    for e in s.scalars(select(RepairEstimate).where(RepairEstimate.repair_id == r.id).order_by(RepairEstimate.version)):
        lines = [EstimateLineView(l.kind, l.code, l.description, l.qty, l.unit_price)
                 for l in s.scalars(select(RepairEstimateLine).where(RepairEstimateLine.estimate_id == e.id)
                                    .order_by(RepairEstimateLine.id))]
        estimates.append(EstimateView(e.version, e.state, e.total, lines, e.note))
    invoice = s.get(Invoice, r.invoice_id) if r.invoice_id else None
    return RepairView(r.number, r.customer_id, r.item_description, r.fault, r.state, r.technician_id,
                      r.covers_labour, r.covers_parts, estimates, invoice.number if invoice else None, r.check_notes)


def load_repair(s: Session, actor: Actor, ref: str, *, lock: bool = False) -> RepairOrder:
    parsed = parse(ref)
    r = None
    if parsed and parsed[0] == "RO":
        q = select(RepairOrder).where(RepairOrder.id == parsed[1])
        r = s.scalar(q.with_for_update() if lock else q)
    visible = r is not None and (
        actor.is_staff
        or (actor.role == Role.CUSTOMER and actor.customer_id == r.customer_id)
        or (actor.role == Role.TECHNICIAN and actor.user_id is not None and actor.user_id == r.technician_id))
    if not visible:
        raise not_found("repair order", ref)
    return r


def _move(s: Session, r: RepairOrder, target: S, actor: Actor, note: str | None = None) -> None:
    move(s, REPAIR_MOVES, r, target, actor, entity_type="repair", request_id=r.request_id, note=note)


def _tell(s: Session, r: RepairOrder, event: str, **payload) -> None:
    notify(s, event=event, subject_type="repair", subject_id=r.id, customer_id=r.customer_id, repair=r.number, **payload)


def new_repair(s: Session, actor: Actor, *, customer_id: int, item_description: str, fault: str,
               item: Item | None = None, request_id: int | None = None, accessories: str | None = None,
               condition_notes: str | None = None) -> RepairOrder:
    """E1 inside the caller's transaction; the entitlement check sets the cover."""
    ent = find_cover(s, item, date.today())
    r = RepairOrder(customer_id=customer_id, item_id=item.id if item else None, request_id=request_id,
                    item_description=item_description[:200], fault=fault, covers_labour=ent.covers_labour,
                    covers_parts=ent.covers_parts, accessories=accessories, condition_notes=condition_notes)
    s.add(r)
    assign_number(s, r, "RO")
    record(s, entity_type="repair", entity_id=r.id, request_id=request_id, to_state=S.RECEIVED, actor=actor,
           note=f"cover {ent.cover}" if ent.covered else None)
    notify(s, event="repair_received", subject_type="repair", subject_id=r.id, customer_id=customer_id,
           repair=r.number)
    return r


def receive_repair(uow: UnitOfWork, actor: Actor, *, customer_id: int, item_description: str, fault: str,
                   serial: str | None = None, idempotency_key: str | None = None, accessories: str | None = None,
                   condition_notes: str | None = None) -> RepairView:
    """E1: a walk-in customer hands an item over at the counter (with any
    accessories and its condition, as the receipt prints them); a retry with
    the same idempotency key answers with the first repair order."""
    require_role(actor, *STAFF)
    item_description, fault = (item_description or "").strip(), (fault or "").strip()
    if not item_description or not fault or len(fault) > 4000:
        raise invalid("say what the item is and what is wrong with it", field="fault")
    accessories = fields.text(accessories, "accessories", max_len=1000, required=False, multiline=True,
                              what="list of accessories handed over")
    condition_notes = fields.text(condition_notes, "condition_notes", max_len=2000, required=False, multiline=True,
                                  what="condition notes")
    handed_over = {k: v for k, v in (("accessories", accessories), ("condition", condition_notes)) if v}
    with uow() as s:
        once = idempotency.claim(s, actor, "repairs.receive_repair", idempotency_key, customer=customer_id,
                                 item=item_description, fault=fault, serial=serial or None, **handed_over)
        if once.replay is not None:
            return replace(repair_view(s, load_repair(s, actor, once.replay)), created=False)
        if s.get(Customer, customer_id) is None:
            raise not_found("customer", customer_id)
        item = installed_item(s, serial, customer_id=customer_id) if serial else None
        r = new_repair(s, actor, customer_id=customer_id, item_description=item_description, fault=fault, item=item,
                       accessories=accessories, condition_notes=condition_notes)
        once.done(r.number)
        return repair_view(s, r)


def assign_repair(uow: UnitOfWork, actor: Actor, *, repair_ref: str, technician_id: int) -> RepairView:
    """E2: sent to a technician to evaluate and estimate."""
    require_role(actor, *STAFF)
    with uow() as s:
        r = load_repair(s, actor, repair_ref, lock=True)
        tech = s.get(User, technician_id)
        if tech is None or tech.role != Role.TECHNICIAN or not tech.active:
            raise not_found("technician", technician_id)
        _move(s, r, S.ESTIMATING, actor, note=tech.name)
        r.technician_id = technician_id
        notify(s, event="repair_assigned", subject_type="repair", subject_id=r.id, user_id=technician_id,
               repair=r.number)
        return repair_view(s, r)


def _estimate_lines(s: Session, r: RepairOrder, lines: list[dict]) -> list[RepairEstimateLine]:
    if not isinstance(lines, list) or not 1 <= len(lines) <= 20:
        raise invalid("an estimate has 1 to 20 lines", field="lines")
    out = []
    for line in lines:
        code = str(line.get("code", "")).strip()
        try:
            qty = Decimal(str(line.get("qty", 1)))
        except Exception:
            raise invalid("a quantity is not a number", field="qty") from None
        if not qty.is_finite() or not 0 < qty <= MAX_QTY:
            raise invalid(f"quantities are above 0 and at most {MAX_QTY}", field="qty")
        part = s.scalar(select(Part).where(Part.sku == code))
        charge = None if part else s.scalar(select(ServiceCharge).where(ServiceCharge.code == code))
        if part is None and charge is None:
            raise not_found("part or service charge", code)
        kind = "part" if part else "labour"
        covered = r.covers_parts if part else r.covers_labour
        src = part or charge
        out.append(RepairEstimateLine(kind=kind, code=code, description=src.name + (" (covered)" if covered else ""),
                                      qty=qty, unit_price=Decimal("0.00") if covered else src.unit_price,
                                      tax_rate=src.tax_rate))
    return out


def send_repair_estimate(uow: UnitOfWork, actor: Actor, *, repair_ref: str, lines: list[dict],
                         note: str | None = None) -> RepairView:
    """E3 (and a revision while under repair): the technician's costing goes to the customer."""
    with uow() as s:
        r = load_repair(s, actor, repair_ref, lock=True)
        require_technician_of(actor, r.technician_id)
        REPAIR_MOVES.check(r.state, S.ESTIMATE_SENT)
        rows = _estimate_lines(s, r, lines)
        _, _, total = totals([LineInput(l.kind, l.description, l.qty, l.unit_price, l.tax_rate) for l in rows],
                             supply_for(s, r.customer_id))
        version = len(s.scalars(select(RepairEstimate.id).where(RepairEstimate.repair_id == r.id)).all()) + 1
        est = RepairEstimate(repair_id=r.id, version=version, total=total, note=(note or None))
        s.add(est)
        s.flush()
        for l in rows:
            l.estimate_id = est.id
            s.add(l)
        _move(s, r, S.ESTIMATE_SENT, actor, note=f"estimate v{version} {total}")
        _tell(s, r, "repair_estimate", version=version, total=str(total), revised=version > 1)
        return repair_view(s, r)


def _answer(uow: UnitOfWork, actor: Actor, ref: str, target: S) -> RepairView:
    require_role(actor, Role.CUSTOMER, *STAFF)
    with uow() as s:
        r = load_repair(s, actor, ref, lock=True)
        _move(s, r, target, actor)
        est = s.scalar(select(RepairEstimate).where(RepairEstimate.repair_id == r.id)
                       .order_by(RepairEstimate.version.desc()).limit(1))
        move(s, ESTIMATE_MOVES, est, E.APPROVED if target == S.APPROVED else E.DECLINED, actor,
             entity_type="repair_estimate", request_id=r.request_id, note=f"v{est.version}")
        est.answered_at = utcnow()
        if target == S.APPROVED:
            notify(s, event="repair_confirmed", subject_type="repair", subject_id=r.id, user_id=r.technician_id,
                   repair=r.number)
        return repair_view(s, r)


def approve_repair_estimate(uow: UnitOfWork, actor: Actor, *, repair_ref: str) -> RepairView:
    """E4: the customer accepts; the technician is told to go ahead."""
    return _answer(uow, actor, repair_ref, S.APPROVED)


def decline_repair_estimate(uow: UnitOfWork, actor: Actor, *, repair_ref: str) -> RepairView:
    return _answer(uow, actor, repair_ref, S.DECLINED)


def return_unrepaired(uow: UnitOfWork, actor: Actor, *, repair_ref: str) -> RepairView:
    require_role(actor, *STAFF)
    with uow() as s:
        r = load_repair(s, actor, repair_ref, lock=True)
        _move(s, r, S.RETURNED, actor)
        r.delivered_at = utcnow()
        _tell(s, r, "repair_returned")
        return repair_view(s, r)


def start_repair(uow: UnitOfWork, actor: Actor, *, repair_ref: str) -> RepairView:
    """E5: under repair; the customer is told."""
    with uow() as s:
        r = load_repair(s, actor, repair_ref, lock=True)
        require_technician_of(actor, r.technician_id)
        _move(s, r, S.UNDER_REPAIR, actor)
        _tell(s, r, "repair_started")
        return repair_view(s, r)


def add_repair_parts(uow: UnitOfWork, actor: Actor, *, repair_ref: str, part_sku: str, qty,
                     idempotency_key: str | None = None) -> RepairView:
    """E5: parts used leave stock at once; a retry with the same idempotency
    key takes nothing from stock again."""
    try:
        qty = Decimal(str(qty))
    except Exception:
        raise invalid("the quantity is not a number", field="qty") from None
    if not qty.is_finite() or not 0 < qty <= MAX_QTY:
        raise invalid(f"the quantity must be above 0 and at most {MAX_QTY}", field="qty")
    sku = (part_sku or "").strip()
    with uow() as s:
        once = idempotency.claim(s, actor, "repairs.add_repair_parts", idempotency_key, repair=normalise(repair_ref),
                                 part=sku, qty=qty)
        if once.replay is not None:
            return replace(repair_view(s, load_repair(s, actor, once.replay)), created=False)
        r = load_repair(s, actor, repair_ref, lock=True)
        require_technician_of(actor, r.technician_id)
        if r.state != S.UNDER_REPAIR:
            raise DomainError(ErrorCode.ILLEGAL_TRANSITION, "parts are recorded while under repair", current=r.state)
        part = s.scalar(select(Part).where(Part.sku == sku).with_for_update())
        if part is None:
            raise not_found("part", part_sku)
        if part.stock_qty < qty:
            raise DomainError(ErrorCode.OUT_OF_STOCK, f"only {part.stock_qty.normalize()} of {part.sku} in stock",
                              part=part.sku, in_stock=str(part.stock_qty))
        part.stock_qty -= qty
        s.add(RepairPart(repair_id=r.id, part_id=part.id, qty=qty, unit_cost=part.unit_cost))
        s.flush()
        once.done(r.number)
        return repair_view(s, r)


def complete_repair(uow: UnitOfWork, actor: Actor, *, repair_ref: str, check_notes: str) -> RepairView:
    """E6: repaired and checked OK."""
    notes = (check_notes or "").strip()
    if not notes:
        raise invalid("record how the repair was checked", field="check_notes")
    with uow() as s:
        r = load_repair(s, actor, repair_ref, lock=True)
        require_technician_of(actor, r.technician_id)
        _move(s, r, S.REPAIRED, actor)
        r.check_notes, r.repaired_at = notes[:4000], utcnow()
        _tell(s, r, "repair_completed")
        return repair_view(s, r)


def invoice_repair(uow: UnitOfWork, actor: Actor, *, repair_ref: str) -> RepairView:
    """E6: the invoice is the last approved estimate, line for line."""
    require_role(actor, *STAFF)
    with uow() as s:
        r = load_repair(s, actor, repair_ref, lock=True)
        REPAIR_MOVES.check(r.state, S.INVOICED)
        est = s.scalar(select(RepairEstimate).where(RepairEstimate.repair_id == r.id,
                                                    RepairEstimate.state == S.APPROVED)
                       .order_by(RepairEstimate.version.desc()).limit(1))
        lines = [LineInput(l.kind, l.description, l.qty, l.unit_price, l.tax_rate, code=l.code)
                 for l in s.scalars(select(RepairEstimateLine).where(RepairEstimateLine.estimate_id == est.id)
                                    .order_by(RepairEstimateLine.id)) if l.unit_price > 0]
        if lines:
            invoice = issue_invoice(s, customer_id=r.customer_id, source_type="repair", source_id=r.id, lines=lines,
                                    actor=actor, narration=f"Repair {r.number}")
            r.invoice_id = invoice.id
        _move(s, r, S.INVOICED, actor, note=f"estimate v{est.version}")
        invoiced = {"invoice": invoice.number, "total": str(invoice.total)} if lines else {"total": "0.00"}
        _tell(s, r, "repair_ready", **invoiced)
        return repair_view(s, r)


def deliver_repair(uow: UnitOfWork, actor: Actor, *, repair_ref: str) -> RepairView:
    """E7: handed back with its invoice; closed at once if nothing is owed."""
    require_role(actor, *STAFF)
    with uow() as s:
        r = load_repair(s, actor, repair_ref, lock=True)
        _move(s, r, S.DELIVERED, actor)
        r.delivered_at = utcnow()
        _tell(s, r, "repair_delivered")
        invoice = s.get(Invoice, r.invoice_id) if r.invoice_id else None
        if invoice is None or invoice.state == InvoiceState.PAID:
            _move(s, r, S.CLOSED, actor, note="nothing outstanding")
        return repair_view(s, r)


def on_repair_invoice_paid(s: Session, repair_id: int, actor: Actor) -> None:
    """E8: paid in full; closed if already delivered."""
    r = s.get(RepairOrder, repair_id)
    if r is not None and r.state == S.DELIVERED:
        _move(s, r, S.CLOSED, actor, note="paid")


def on_repair_invoice_cancelled(s: Session, repair_id: int, actor: Actor, *, note: str) -> None:
    """The repair's invoice was cancelled before the item was handed back: to
    be invoiced again. Once handed back with it, the invoice is corrected by
    a credit note instead (refused here, so nothing is written)."""
    r = s.get(RepairOrder, repair_id)
    if r is None:
        return
    if r.state != S.INVOICED:
        raise DomainError(ErrorCode.CONFLICT, f"{r.number} was handed back with its invoice; "
                          "correct the invoice with a credit note instead", repair=r.number, current=r.state)
    _move(s, r, S.REPAIRED, actor, note=note)
    r.invoice_id = None


def get_repair(uow: UnitOfWork, actor: Actor, *, repair_ref: str) -> RepairView:
    with uow() as s:
        return repair_view(s, load_repair(s, actor, repair_ref))


def list_repairs(uow: UnitOfWork, actor: Actor, *, state: str | None = None) -> list[RepairView]:
    q = newest_visible(RepairOrder, actor, state=state, customer=RepairOrder.customer_id,
                       technician=RepairOrder.technician_id)
    with uow() as s:
        return [repair_view(s, r) for r in s.scalars(q)]
