"""What a fully paid invoice settles, by what it was raised for. One place, listed."""

from __future__ import annotations

from sqlalchemy.orm import Session

from backend.billing.models import Invoice
from backend.identity.actor import Actor


def on_invoice_paid(s: Session, invoice: Invoice, actor: Actor) -> None:
    if invoice.source_type == "job":
        from backend.jobs.service import settle_job

        settle_job(s, invoice.source_id, actor)
