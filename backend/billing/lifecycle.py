"""Invoices: the states and the moves allowed between them.

An invoice is ``open`` until receipts (and credit notes) clear it; an
unpaid invoice wholly credited is ``cancelled``. A credit note on a paid
invoice leaves it paid: what the customer paid over is refunded."""

from backend.billing.models import Invoice, InvoiceState as S
from backend.lifecycle import Lifecycle

INVOICE_MOVES = Lifecycle("invoice", {
    S.OPEN: {S.PAID, S.CANCELLED},
})


def can_pay(invoice: Invoice) -> bool:
    """Whether a payment may still clear this invoice."""
    return INVOICE_MOVES.can(invoice.state, S.PAID)


def can_cancel(invoice: Invoice) -> bool:
    """Whether the invoice may still be cancelled (wholly credited)."""
    return INVOICE_MOVES.can(invoice.state, S.CANCELLED)
