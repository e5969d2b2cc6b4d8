"""Readers of invoices inside the caller's transaction, for work that spans areas."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.billing.models import Invoice, InvoiceState
from backend.billing.service import InvoiceView, invoice_view
from backend.identity.actor import Actor, require_customer_access


def open_invoices(s: Session, actor: Actor, *, customer_id: int, limit: int = 10) -> list[InvoiceView]:
    """A customer's invoices still open, oldest first."""
    require_customer_access(actor, customer_id)
    q = (select(Invoice).where(Invoice.customer_id == customer_id, Invoice.state == InvoiceState.OPEN)
         .order_by(Invoice.id).limit(min(max(limit, 1), 500)))
    return [invoice_view(s, inv) for inv in s.scalars(q)]
