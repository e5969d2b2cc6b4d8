"""An agent confirms a customer's UPI payment report: the receipt through
billing (method upi, the UTR as its reference) and what the paid invoice
settles (its job, order or repair), in one transaction. Rejecting one is
``backend.banking.payment_reports.reject_payment_report`` (nothing to settle).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.banking import payment_reports as reports
from backend.banking.models import PaymentReport
from backend.billing import service as billing
from backend.billing.models import Invoice, InvoiceState
from backend.db import UnitOfWork
from backend.identity.actor import STAFF, Actor, require_role
from backend.processes.payments import settle_source


@dataclass(frozen=True)
class ConfirmedReport:
    report: reports.PaymentReportView
    receipt: billing.ReceiptView


def confirm_report_in_session(s: Session, actor: Actor, r: PaymentReport, *, received_on: date | None = None,
                              note: str | None = None) -> billing.ReceiptView:
    """Inside the caller's transaction: the report's receipt, its move to
    ``confirmed``, and what the invoice settles when that paid it."""
    inv = s.scalar(select(Invoice).where(Invoice.id == r.invoice_id).with_for_update())
    receipt = reports.confirm_in_session(s, actor, r, inv, received_on=received_on, note=note)
    if inv.state == InvoiceState.PAID:
        settle_source(s, inv, actor)
    return receipt


def confirm_payment_report(uow: UnitOfWork, actor: Actor, *, report_id: int,
                           received_on: date | None = None) -> ConfirmedReport:
    """Staff: the reported UPI payment reached the bank. Posts its receipt once
    (a second confirmation is ``already_done``; more than is now due is
    ``overpayment``, with nothing written); the customer is told of the receipt."""
    require_role(actor, *STAFF)
    received_on = billing.payment_date(received_on) if received_on else None
    with uow() as s:
        r = reports.load_report(s, report_id, lock=True)
        receipt = confirm_report_in_session(s, actor, r, received_on=received_on, note="confirmed by staff")
        return ConfirmedReport(reports.report_view(s, r), receipt)
