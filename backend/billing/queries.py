"""Readers of invoices inside the caller's transaction, for work that spans areas."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from backend.billing.models import Invoice, InvoiceState, Receipt
from backend.billing.service import InvoiceView, invoice_view, load_invoice
from backend.billing.upi import UpiRequest, upi_request
from backend.errors import DomainError
from backend.identity.actor import SYSTEM, Actor, require_customer_access


def open_invoices(s: Session, actor: Actor, *, customer_id: int, limit: int = 10) -> list[InvoiceView]:
    """A customer's invoices still open, oldest first."""
    require_customer_access(actor, customer_id)
    q = (select(Invoice).where(Invoice.customer_id == customer_id, Invoice.state == InvoiceState.OPEN)
         .order_by(Invoice.id).limit(min(max(limit, 1), 500)))
    return [invoice_view(s, inv) for inv in s.scalars(q)]


def invoice_of_notice(s: Session, *, subject_type: str, subject_id: int, payload: dict[str, Any]) -> Invoice | None:
    """The invoice a notice is about: named in it, its subject, or the last one raised for its subject."""
    if payload.get("invoice"):
        try:
            return load_invoice(s, SYSTEM, str(payload["invoice"]))
        except DomainError:
            return None
    if subject_type == "invoice":
        return s.get(Invoice, subject_id)
    return s.scalar(select(Invoice).where(Invoice.source_type == subject_type, Invoice.source_id == subject_id)
                    .order_by(Invoice.id.desc()).limit(1))


def upi_request_for(s: Session, inv: Invoice, due: Decimal) -> UpiRequest | None:
    """The UPI request for what is still due on an open invoice (its
    transaction reference counts the payments so far); None when nothing is."""
    if inv.state != InvoiceState.OPEN or due <= 0:
        return None
    payments = s.scalar(select(func.count(Receipt.id)).where(Receipt.invoice_id == inv.id)) or 0
    return upi_request(inv.number, due, int(payments))
