"""Invoices: the states and the moves allowed between them.

An invoice is ``open`` until receipts clear it. The money work adds its
corrections here (a credit note, a cancellation) as further moves."""

from backend.billing.models import Invoice, InvoiceState as S
from backend.lifecycle import Lifecycle

INVOICE_MOVES = Lifecycle("invoice", {
    S.OPEN: {S.PAID},
})


def can_pay(invoice: Invoice) -> bool:
    """Whether a payment may still clear this invoice."""
    return INVOICE_MOVES.can(invoice.state, S.PAID)
