"""Invoices, account statements and contract documents as PDF (fpdf2).

Pure rendering: each function takes the areas' view dataclasses and returns
the PDF's bytes; nothing here reads the database or knows HTTP. The portal
(``backend/web``) serves them; the e-mail channel attaches them.

A Unicode font (DejaVu Sans, from Debian's fonts-dejavu) is used when the
machine has it, so any customer name prints; without it the built-in
Helvetica is used and characters outside Latin-1 print as '?'.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path

from fpdf import FPDF

from backend.billing.service import InvoiceView
from backend.coverage.service import ContractView, OfferView
from backend.customers.service import CustomerView
from backend.db import money
from backend.ledger.service import Statement

FONT_DIRS = (Path("/usr/share/fonts/truetype/dejavu"),)
COMPANY = "fieldserv field service"
MAX_VISIT_ROWS = 24  # a long plan is summarised after this many visits


@dataclass(frozen=True)
class CoveredLine:
    serial: str
    product: str


@dataclass(frozen=True)
class InstalmentLine:
    seq: int
    due_on: date
    amount: Decimal


@dataclass(frozen=True)
class ContractDocument:
    """What a contract offer (C3) or an order acceptance (C5) states."""

    contract: ContractView
    offer: OfferView  # the offer this document is about: the one sent, or the one accepted
    accepted: bool  # an order acceptance; else an offer
    type_name: str
    covers_labour: bool
    covers_parts: bool
    items: list[CoveredLine]
    instalments: list[InstalmentLine]  # scheduled once accepted; empty before
    visits: list[date]  # the delivery plan once accepted; empty before

    @property
    def tax(self) -> Decimal:
        return money(self.offer.amount * self.offer.tax_rate / 100)

    @property
    def total(self) -> Decimal:
        return self.offer.amount + self.tax


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

    def heading(self, text: str) -> None:
        self.pdf.ln(3)
        self.line(text, 12, bold=True, h=8)

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


def _covers(d: ContractDocument) -> str:
    labour = "labour covered" if d.covers_labour else "labour not covered"
    parts = "parts covered" if d.covers_parts else "parts not covered"
    return f"{labour}, {parts}"


def contract_pdf(d: ContractDocument, customer: CustomerView, currency: str) -> bytes:
    """The contract offer (C3), or once accepted the order acceptance (C5)."""
    c, o = d.contract, d.offer
    title = f"Order acceptance {c.number}" if d.accepted else f"Contract offer {c.number}"
    doc = _Doc(title)
    doc.header(title if d.accepted else f"{title} (version {o.version})", customer)
    doc.line(f"Contract {c.number}   Type {o.type_code}: {d.type_name}; {_covers(d)}", 10)
    doc.line(f"Period {o.starts_on.isoformat()} to {o.ends_on.isoformat()}", 10)
    if d.accepted:
        accepted = f"Accepted: offer version {o.version}"
        doc.line(accepted + (f"   Invoice {c.invoice_number}" if c.invoice_number else ""), 10)
    else:
        doc.line(f"This offer is valid until {o.valid_until.isoformat()}.", 10)

    doc.heading("Items covered")
    widths = [60, 126]
    doc.row(["Serial", "Product"], widths, bold=True, fill=True)
    for item in d.items:
        doc.row([item.serial, item.product], widths)
    if not d.items:
        doc.line("(none listed)", 9)

    doc.heading(f"Amount ({currency})")
    for label, value, bold in (("Contract value", o.amount, False), (f"Tax at {_m(o.tax_rate)} %", d.tax, False),
                               (f"Total ({currency})", d.total, True)):
        doc.row(["", label, _m(value)], [110, 50, 26], bold=bold, aligns="LLR")

    doc.heading(f"Instalments: {o.instalments}")
    if d.instalments:
        widths = [20, 50, 40]
        doc.row(["#", "Due on", "Amount"], widths, bold=True, aligns="LLR", fill=True)
        for i in d.instalments:
            doc.row([str(i.seq), i.due_on.isoformat(), _m(i.amount)], widths, aligns="LLR")
    else:
        share = money(d.total / max(o.instalments, 1))
        doc.line(f"{o.instalments} instalment(s) of about {_m(share)} {currency}, "
                 "the first due with the contract invoice.", 10)

    doc.heading(f"Maintenance visits: {o.visits_per_year} a year")
    if d.visits:
        shown = d.visits[:MAX_VISIT_ROWS]
        doc.line("Planned on: " + ", ".join(v.isoformat() for v in shown)
                 + (f" and {len(d.visits) - len(shown)} more" if len(d.visits) > len(shown) else ""), 10)
    else:
        doc.line("The visits are planned over the period when the offer is accepted.", 10)
    doc.pdf.ln(6)
    if d.accepted:
        doc.line("Thank you for your order. The contract invoice follows separately.", 9)
    else:
        doc.line(f"To accept this offer, answer in the portal by {o.valid_until.isoformat()}.", 9)
    return doc.bytes()
