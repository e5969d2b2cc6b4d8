"""A tax invoice as its PDF shows it: the invoice with its GST lines, the
customer, the company, and the UPI payment request for what is still due.

``tax_invoice`` loads it inside the caller's transaction (the e-mail channel
attaches it as the notice is sent); ``get_tax_invoice`` is the use case the
portal's PDF page calls (a customer: only their own invoices).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from backend.billing.models import Invoice
from backend.billing.queries import upi_request_for
from backend.billing.service import InvoiceView, invoice_view, load_invoice
from backend.billing.upi import UpiRequest
from backend.company import COMPANY, Company
from backend.customers.service import CustomerView, customer_view
from backend.db import UnitOfWork
from backend.identity.actor import SYSTEM, Actor


@dataclass(frozen=True)
class TaxInvoice:
    invoice: InvoiceView
    customer: CustomerView
    company: Company
    payment: UpiRequest | None  # None: nothing is due


def payment_request(s: Session, inv: Invoice, view: InvoiceView) -> UpiRequest | None:
    """The UPI request for what is still due on the invoice (its transaction
    reference counts the payments so far), or None when nothing is due."""
    return upi_request_for(s, inv, view.outstanding)


def tax_invoice(s: Session, inv: Invoice, *, company: Company = COMPANY) -> TaxInvoice:
    view = invoice_view(s, inv)
    customer = customer_view(s, SYSTEM, customer_id=inv.customer_id)
    return TaxInvoice(view, customer, company, payment_request(s, inv, view))


def get_tax_invoice(uow: UnitOfWork, actor: Actor, *, invoice_ref: str) -> TaxInvoice:
    """An invoice with what its tax invoice PDF prints (someone else's answers not_found)."""
    with uow() as s:
        return tax_invoice(s, load_invoice(s, actor, invoice_ref))
