"""What a fully paid invoice settles, by what it was raised for. One place, listed."""

from __future__ import annotations

from sqlalchemy.orm import Session

from backend.billing.models import Invoice
from backend.identity.actor import Actor


def on_invoice_paid(s: Session, invoice: Invoice, actor: Actor) -> None:
    if invoice.source_type == "job":
        from backend.jobs.service import settle_job

        settle_job(s, invoice.source_id, actor)
    elif invoice.source_type == "order":
        from backend.orders.service import on_order_invoice_paid

        on_order_invoice_paid(s, invoice.source_id, actor)
    elif invoice.source_type == "repair":
        from backend.repairs.service import on_repair_invoice_paid

        on_repair_invoice_paid(s, invoice.source_id, actor)
    # contract invoices: instalments are read against receipts, nothing moves
