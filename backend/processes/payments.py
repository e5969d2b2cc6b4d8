"""A payment against an invoice, and what the invoice's payment settles:
the job (B12), the service order (D6) or the repair (E) it was raised for."""

from __future__ import annotations

from datetime import date

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from backend.billing import service as billing
from backend.billing.models import Invoice, InvoiceState
from backend.billing.service import ReceiptView
from backend.db import UnitOfWork
from backend.identity.actor import Actor, require_role
from backend.identity.models import Role
from backend.jobs.service import settle_job
from backend.orders.service import on_order_invoice_paid
from backend.repairs.service import on_repair_invoice_paid

SETTLES = {
    "job": settle_job,
    "order": on_order_invoice_paid,
    "repair": on_repair_invoice_paid,
    # contract invoices: instalments are read against receipts, nothing moves
}


def record_receipt(
    uow: UnitOfWork, actor: Actor, *, invoice_ref: str, amount, method: str, reference: str | None = None,
    received_on: date | None = None, idempotency_key: str | None = None,
) -> ReceiptView:
    """B12 / D6: a payment against an invoice; posts the receipt voucher, and
    the payment that clears the invoice settles what it was for, in the same
    transaction. With an idempotency key a retried call returns the first receipt."""
    require_role(actor, Role.AGENT, Role.MANAGER, Role.ADMIN)
    amount = billing.payment_amount(amount)
    method = billing.payment_method(method)
    received_on = billing.payment_date(received_on)
    reference = billing.payment_reference(reference)
    try:
        with uow() as s:
            # Lock the invoice first: a concurrent retry waits here, then finds the receipt.
            inv = billing.load_invoice(s, actor, invoice_ref, lock=True)
            existing = billing.receipt_with_key(s, idempotency_key)
            if existing is not None:
                return billing.replay_receipt(s, existing, invoice_ref, amount)
            receipt = billing.take_payment(s, actor, inv, amount=amount, method=method, reference=reference,
                                           on=received_on, key=idempotency_key)
            if inv.state == InvoiceState.PAID:
                settle_source(s, inv, actor)
            return receipt
    except IntegrityError:
        if not idempotency_key:
            raise
        with uow() as s:  # a concurrent retry won the race: answer with its receipt
            existing = billing.receipt_with_key(s, idempotency_key)
            if existing is None:
                raise
            return billing.replay_receipt(s, existing, invoice_ref, amount)


def settle_source(s: Session, invoice: Invoice, actor: Actor) -> None:
    """What a fully paid invoice settles, by what it was raised for."""
    settle = SETTLES.get(invoice.source_type)
    if settle is not None:
        settle(s, invoice.source_id, actor)
