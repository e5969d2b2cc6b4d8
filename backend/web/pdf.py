"""Invoices and account statements as PDF (fpdf2).

A Unicode font (DejaVu Sans, from Debian's fonts-dejavu) is used when the
machine has it, so any customer name prints; without it the built-in
Helvetica is used and characters outside Latin-1 print as '?'.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

from aiohttp import web
from fpdf import FPDF

from backend.billing.service import InvoiceView
from backend.customers.service import CustomerView
from backend.ledger.service import Statement

FONT_DIRS = (Path("/usr/share/fonts/truetype/dejavu"),)
COMPANY = "fieldserv field service"


def _font(pdf: FPDF) -> tuple[str, bool]:
    for folder in FONT_DIRS:
        regular, bold = folder / "DejaVuSans.ttf", folder / "DejaVuSans-Bold.ttf"
        if regular.is_file() and bold.is_file():
            pdf.add_font("DejaVu", "", str(regular))
            pdf.add_font("DejaVu", "B", str(bold))
            return "DejaVu", True
    return "Helvetica", False


class _Doc:
    def __init__(self, title: str) -> None:
        self.pdf = FPDF(format="A4")
        self.pdf.set_title(title)
        self.pdf.set_creator("fieldserv")
        self.pdf.set_auto_page_break(True, margin=18)
        self.family, self.unicode = _font(self.pdf)
        self.pdf.add_page()

    def t(self, value) -> str:
        text = "" if value is None else str(value)
        return text if self.unicode else text.encode("latin-1", "replace").decode("latin-1")

    def font(self, size: float, bold: bool = False) -> None:
        self.pdf.set_font(self.family, "B" if bold else "", size)

    def line(self, text, size: float = 10, bold: bool = False, h: float = 6) -> None:
        self.font(size, bold)
        self.pdf.multi_cell(0, h, self.t(text), new_x="LMARGIN", new_y="NEXT")

    def row(self, cells: list, widths: list[float], *, bold: bool = False, aligns: str | None = None,
            fill: bool = False) -> None:
        self.font(9, bold)
        if fill:
            self.pdf.set_fill_color(230, 236, 238)
        for i, (cell, w) in enumerate(zip(cells, widths, strict=True)):
            align = (aligns or "L" * len(cells))[i]
            self.pdf.cell(w, 7, self.t(cell)[:60], border="B", align=align, fill=fill)
        self.pdf.ln(7)

    def header(self, heading: str, customer: CustomerView) -> None:
        self.line(COMPANY, 9)
        self.line(heading, 18, bold=True, h=10)
        self.line(f"{customer.name} ({customer.code})", 11, bold=True)
        for site in customer.sites[:1]:
            self.line(", ".join(x for x in (site.address, site.city or "") if x), 9)
        contact = " · ".join(x for x in (customer.email, customer.phone) if x)
        if contact:
            self.line(contact, 9)
        self.pdf.ln(3)

    def bytes(self) -> bytes:
        return bytes(self.pdf.output())


def _m(value: Decimal) -> str:
    return f"{value:,.2f}"


def invoice_pdf(inv: InvoiceView, customer: CustomerView, currency: str) -> bytes:
    doc = _Doc(f"Invoice {inv.number}")
    doc.header(f"Tax invoice {inv.number}", customer)
    doc.line(f"Issued {inv.issued_on.isoformat()}   Due {inv.due_on.isoformat()}   State {inv.state}", 10)
    doc.pdf.ln(2)
    widths = [78, 16, 24, 16, 28, 24]
    doc.row(["Item", "Qty", "Price", "Tax %", "Amount", "Tax"], widths, bold=True, aligns="LRRRRR", fill=True)
    for line in inv.lines:
        doc.row([line.description, f"{line.qty.normalize():f}", _m(line.unit_price), _m(line.tax_rate),
                 _m(line.amount), _m(line.tax)], widths, aligns="LRRRRR")
    doc.pdf.ln(2)
    for label, value, bold in (("Subtotal", inv.subtotal, False), ("Tax", inv.tax, False),
                               (f"Total ({currency})", inv.total, True), ("Paid", inv.paid, False),
                               (f"Outstanding ({currency})", inv.outstanding, True)):
        doc.row(["", label, _m(value)], [110, 50, 26], bold=bold, aligns="LLR")
    doc.pdf.ln(6)
    doc.line("Thank you for your business. Please quote the invoice number with your payment.", 9)
    return doc.bytes()


def statement_pdf(st: Statement, customer: CustomerView, currency: str) -> bytes:
    doc = _Doc(f"Statement {customer.code}")
    doc.header("Account statement", customer)
    period = f"{st.start.isoformat() if st.start else 'beginning'} to {st.end.isoformat() if st.end else 'today'}"
    doc.line(f"Period: {period}   Amounts in {currency}", 10)
    doc.pdf.ln(2)
    widths = [24, 28, 70, 22, 22, 24]
    doc.row(["Date", "Voucher", "What", "Debit", "Credit", "Balance"], widths, bold=True, aligns="LLLRRR", fill=True)
    doc.row(["", "", "Opening balance", "", "", _m(st.opening)], widths, aligns="LLLRRR")
    for line in st.lines:
        doc.row([line.on.isoformat(), line.voucher, line.narration, _m(line.debit), _m(line.credit),
                 _m(line.balance)], widths, aligns="LLLRRR")
    doc.row(["", "", "Closing balance (owed)", _m(st.total_debit), _m(st.total_credit), _m(st.closing)], widths,
            bold=True, aligns="LLLRRR")
    return doc.bytes()


def response(body: bytes, filename: str) -> web.Response:
    safe = "".join(ch for ch in filename if ch.isalnum() or ch in "-_.") or "document.pdf"
    return web.Response(body=body, content_type="application/pdf",
                        headers={"Content-Disposition": f'inline; filename="{safe}"', "Cache-Control": "private, no-store"})
