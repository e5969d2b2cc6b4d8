"""Correcting a billing mistake, each in one transaction: a credit note on
an invoice, the cancellation of an unpaid one, and the refund of what a
customer paid over. What the corrected invoice meant for its job, order or
repair follows in the same transaction:

- a credit note that leaves nothing to pay on an invoice with money
  received settles its source as a payment would (``payments.settle_source``);
- a cancelled invoice puts its source back to be billed again: the job to
  ``resolved``, the order to ``new``, the repair to ``repaired``. An order
  under way, a repair handed back with its invoice, and a contract's
  instalment invoice are corrected by credit notes instead: cancelling them
  is refused and nothing is written.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from backend.billing import credit_notes as notes
from backend.billing import service as billing
from backend.billing.credit_notes import CreditNoteView, RefundView
from backend.billing.models import CreditNote, Invoice, InvoiceState, Refund
from backend.db import UnitOfWork
from backend.errors import DomainError, ErrorCode
from backend.identity.actor import Actor, require_role
from backend.identity.models import Role
from backend.jobs.service import reopen_billing
from backend.orders.service import on_order_invoice_cancelled
from backend.processes.payments import settle_source
from backend.repairs.service import on_repair_invoice_cancelled

CORRECTORS = (Role.AGENT, Role.MANAGER, Role.ADMIN)
REFUNDERS = (Role.MANAGER, Role.ADMIN)  # money out of the company: a manager's call

REBILL: dict[str, Callable[..., None]] = {
    "job": reopen_billing,
    "order": on_order_invoice_cancelled,
    "repair": on_repair_invoice_cancelled,
}


def credit_invoice(uow: UnitOfWork, actor: Actor, *, invoice_ref: str, amount, reason: str,
                   issued_on: date | None = None, idempotency_key: str | None = None) -> CreditNoteView:
    """A credit note of ``amount`` (with tax) on an invoice, with its reason."""
    require_role(actor, *CORRECTORS)
    amount = billing.payment_amount(amount)
    reason = notes.reason_text(reason)
    on = billing.payment_date(issued_on)

    def work(s: Session, inv: Invoice) -> CreditNoteView:
        was = inv.state
        view = notes.credit(s, actor, inv, amount=amount, reason=reason, on=on, key=idempotency_key)
        _follow(s, inv, was, actor, reason)
        return view

    return _once(uow, actor, invoice_ref, idempotency_key, CreditNote, work,
                 lambda s, row, inv: _replay_note(s, row, inv, amount))


def cancel_invoice(uow: UnitOfWork, actor: Actor, *, invoice_ref: str, reason: str,
                   idempotency_key: str | None = None) -> CreditNoteView:
    """Cancel an invoice nothing was paid on: a credit note for all of it,
    and its job, order or repair back to be billed again."""
    require_role(actor, *CORRECTORS)
    reason = notes.reason_text(reason)

    def work(s: Session, inv: Invoice) -> CreditNoteView:
        if inv.state != InvoiceState.OPEN or notes.received(s, inv) - notes.refunded(s, inv) > 0:
            raise DomainError(ErrorCode.CONFLICT, f"{inv.number} has money received on it; "
                              "correct it with a credit note (and refund what was paid over)",
                              current=inv.state)
        if inv.source_type == "contract":
            raise DomainError(ErrorCode.CONFLICT, f"{inv.number} is a contract instalment invoice; "
                              "correct it with a credit note", source="contract")
        was = inv.state
        view = notes.credit(s, actor, inv, amount=None, reason=reason, on=billing.payment_date(None),
                            key=idempotency_key, cancels=True)
        _follow(s, inv, was, actor, reason)
        return view

    return _once(uow, actor, invoice_ref, idempotency_key, CreditNote, work,
                 lambda s, row, inv: _replay_note(s, row, inv, None))


def refund_overpayment(uow: UnitOfWork, actor: Actor, *, invoice_ref: str, amount, method: str,
                       reference: str | None = None, paid_on: date | None = None,
                       idempotency_key: str | None = None) -> RefundView:
    """Pay back (cash, bank, UPI…) what the customer is in credit on an invoice."""
    require_role(actor, *REFUNDERS)
    amount = billing.payment_amount(amount)
    method = billing.payment_method(method)
    reference = billing.payment_reference(reference)
    on = billing.payment_date(paid_on)

    def work(s: Session, inv: Invoice) -> RefundView:
        return notes.refund(s, actor, inv, amount=amount, method=method, reference=reference, on=on,
                            key=idempotency_key)

    def replay(s: Session, row: Refund, inv: Invoice) -> RefundView:
        if row.invoice_id != inv.id or row.amount != amount:
            raise DomainError(ErrorCode.IDEMPOTENCY_CONFLICT, "this idempotency key was used for a different refund")
        return notes.view_refund(s, row, inv, created=False)

    return _once(uow, actor, invoice_ref, idempotency_key, Refund, work, replay)


def _follow(s: Session, inv: Invoice, was: str, actor: Actor, reason: str) -> None:
    """What the invoice's move means for what it was raised for."""
    if inv.state == was:
        return
    if inv.state == InvoiceState.PAID:
        settle_source(s, inv, actor)
    elif inv.state == InvoiceState.CANCELLED:
        rebill = REBILL.get(inv.source_type)
        if rebill is not None:
            rebill(s, inv.source_id, actor, note=f"{inv.number} cancelled: {reason}")


def _replay_note(s: Session, row: CreditNote, inv: Invoice, amount: Decimal | None) -> CreditNoteView:
    if row.invoice_id != inv.id or (amount is not None and row.amount != amount):
        raise DomainError(ErrorCode.IDEMPOTENCY_CONFLICT, "this idempotency key was used for a different credit note")
    return notes.view_credit_note(s, row, inv, created=False)


def _once(uow: UnitOfWork, actor: Actor, invoice_ref: str, key: str | None, model, work, replay):
    """Run ``work`` on the locked invoice once per idempotency key: a retry
    (or a concurrent one that lost the race) is answered with the first result."""
    try:
        with uow() as s:
            inv = billing.load_invoice(s, actor, invoice_ref, lock=True)
            existing = s.scalar(select(model).where(model.idempotency_key == key)) if key else None
            if existing is not None:
                return replay(s, existing, inv)
            return work(s, inv)
    except IntegrityError:
        if not key:
            raise
        with uow() as s:
            inv = billing.load_invoice(s, actor, invoice_ref)
            existing = s.scalar(select(model).where(model.idempotency_key == key))
            if existing is None:
                raise
            return replay(s, existing, inv)


def corrections_of(uow: UnitOfWork, actor: Actor, *, invoice_ref: str) -> tuple[list[CreditNoteView], list[RefundView]]:
    """The credit notes and refunds of an invoice, oldest first (staff, or the invoice's customer)."""
    with uow() as s:
        inv = billing.load_invoice(s, actor, invoice_ref)
        credit = [notes.view_credit_note(s, n, inv) for n in
                  s.scalars(select(CreditNote).where(CreditNote.invoice_id == inv.id).order_by(CreditNote.id))]
        refunds = [notes.view_refund(s, r, inv) for r in
                   s.scalars(select(Refund).where(Refund.invoice_id == inv.id).order_by(Refund.id))]
        return credit, refunds
