"""The UPI payment request an invoice carries: its ``upi://pay`` link and QR code.

A customer's UPI app (any of them: the format is NPCI's common deep link)
opens the link or scans the code with the payee, the amount and the note
filled in::

    upi://pay?pa=<company VPA>&pn=<payee name>&am=<amount due>&cu=INR&tn=<invoice>&tr=<transaction ref>

The amount is what is still due when the link is made, so a part-paid
invoice asks for the rest. The transaction reference names the invoice and
how many payments it has had (``INV-000012-1`` for the first request,
``INV-000012-2`` after one part payment): unique per request, short enough
for UPI (35 characters), and what a bank statement line carries back, so the
reconciliation can find the invoice by it.

The code is drawn offline with ``segno`` (PNG for pages and mails, the
matrix for the PDF).
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from decimal import Decimal
from urllib.parse import quote

import segno

from backend.company import COMPANY, Company


@dataclass(frozen=True)
class UpiRequest:
    invoice_number: str
    amount: Decimal
    transaction_ref: str
    url: str

    def qr(self) -> segno.QRCode:
        return segno.make(self.url, error="m", micro=False)

    def png(self, *, scale: int = 6) -> bytes:
        out = io.BytesIO()
        self.qr().save(out, kind="png", scale=scale, border=4)
        return out.getvalue()


def transaction_ref(invoice_number: str, payments_so_far: int) -> str:
    return f"{invoice_number}-{payments_so_far + 1}"


def upi_request(invoice_number: str, amount_due: Decimal, payments_so_far: int = 0,
                company: Company = COMPANY) -> UpiRequest:
    """The request for ``amount_due`` on an invoice that has had ``payments_so_far`` payments."""
    if amount_due <= 0:
        raise ValueError(f"{invoice_number} has nothing due")
    tr = transaction_ref(invoice_number, payments_so_far)
    params = [("pa", company.upi_vpa), ("pn", company.upi_name), ("am", f"{amount_due:.2f}"), ("cu", "INR"),
              ("tn", invoice_number), ("tr", tr)]
    url = "upi://pay?" + "&".join(f"{k}={quote(str(v), safe='@.-')}" for k, v in params)
    return UpiRequest(invoice_number, amount_due, tr, url)
