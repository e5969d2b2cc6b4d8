"""Invoices, account statements and contract documents as PDF (fpdf2).

Pure rendering: each function takes the areas' view dataclasses and returns
the PDF's bytes; nothing here reads the database or knows HTTP. The portal
(``backend/web``) serves them; the e-mail channel attaches them.

A Unicode font (DejaVu Sans, from Debian's fonts-dejavu) is used when the
machine has it, so any customer name prints; without it the built-in
Helvetica is used and characters outside Latin-1 print as '?'.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path

from fpdf import FPDF, FontFace

from backend.billing.gst import split
from backend.billing.service import InvoiceView
from backend.billing.upi import UpiRequest
from backend.company import COMPANY as THE_COMPANY
from backend.company import Company
from backend.coverage.service import ContractView, OfferView
from backend.customers.gstin import state_label
from backend.customers.service import CustomerView
from backend.db import money
from backend.ledger.service import Statement

FONT_DIRS = (Path("/usr/share/fonts/truetype/dejavu"),)
COMPANY = THE_COMPANY.name  # as the documents and the e-mails sign
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
    visits: list[date]  # the delivery plan: accepted, or drafted with the latest offer
    intra_state: bool = True  # supplied within the company's state: CGST + SGST (else IGST), as invoiced

    @property
    def tax(self) -> Decimal:
        return split(self.offer.amount, self.offer.tax_rate, intra_state=self.intra_state).tax

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


def invoice_pdf(inv: InvoiceView, customer: CustomerView, currency: str, payment: UpiRequest | None = None,
                company: Company = THE_COMPANY) -> bytes:
    """The tax invoice (CGST Rules, rule 46): the supplier's name, address,
    GSTIN and state; the recipient's name, address, GSTIN (or unregistered)
    and state; the place of supply; per line the description, HSN/SAC, qty,
    price, taxable value and the CGST + SGST or IGST rate and amount; the tax
    per rate; the total in figures. Then what is still due, with its UPI QR
    code and link (``payment``; None: nothing due)."""
    doc = _Doc(f"Tax invoice {inv.number}")
    pdf = doc.pdf
    gst = inv.place_of_supply is not None
    doc.line(company.name, 13, bold=True, h=7)
    doc.line(company.address, 9, h=5)
    supplier_gstin = inv.supplier_gstin or company.gstin  # as the invoice was issued
    supplier_state = supplier_gstin[:2] if supplier_gstin else company.state_code
    if supplier_gstin:
        doc.line(f"GSTIN {supplier_gstin}   State {state_label(supplier_state)}", 9, h=5)
    pdf.ln(2)
    doc.line("Tax invoice" if gst else "Invoice", 18, bold=True, h=10)
    doc.line(f"Invoice {inv.number}   Date {inv.issued_on.isoformat()}   Due {inv.due_on.isoformat()}   "
             f"State {inv.state}", 10)
    pdf.ln(1)
    doc.line("Bill to", 9, bold=True, h=5)
    doc.line(f"{customer.name} ({customer.code})", 11, bold=True)
    for site in customer.sites[:1]:
        doc.line(", ".join(x for x in (site.address, site.city or "") if x), 9, h=5)
    contact = " · ".join(x for x in (customer.email, customer.phone) if x)
    if contact:
        doc.line(contact, 9, h=5)
    if gst:
        state = inv.customer_gstin[:2] if inv.customer_gstin else (customer.state_code or inv.place_of_supply)
        registered = f"GSTIN {inv.customer_gstin}" if inv.customer_gstin else "Unregistered (no GSTIN)"
        doc.line(f"{registered}   State {state_label(state)}", 9, h=5)
        doc.line(f"Place of supply {state_label(inv.place_of_supply)}   Reverse charge: No", 10, bold=True)
    pdf.ln(2)
    if gst:
        _gst_lines(doc, inv, intra=inv.place_of_supply == supplier_state)
    else:
        _plain_lines(doc, inv)
    pdf.ln(2)
    totals: list[tuple[str, Decimal, bool]] = [("Taxable value" if gst else "Subtotal", inv.subtotal, False)]
    if gst:
        totals += [(name, getattr(inv, name.lower()), False) for name in ("CGST", "SGST", "IGST")
                   if getattr(inv, name.lower())]
    else:
        totals.append(("Tax", inv.tax, False))
    totals.append((f"Invoice total ({currency})", inv.total, True))
    if inv.paid:
        totals.append(("Paid", inv.paid, False))
    for label, value in (("Credited (credit notes)", inv.credited), ("Refunded", inv.refunded)):
        if value:
            totals.append((label, value, False))
    totals.append((f"Amount due ({currency})", max(inv.outstanding, Decimal("0.00")), True))
    for label, value, bold in totals:
        doc.row(["", label, _m(value)], [110, 50, 30], bold=bold, aligns="LLR")
    pdf.ln(4)
    _payment(doc, payment, currency)
    pdf.ln(4)
    doc.line(f"For {company.name}: authorised signatory. This is a computer-generated invoice.", 8, h=5)
    return doc.bytes()


def _gst_lines(doc: _Doc, inv: InvoiceView, *, intra: bool) -> None:
    """One row per line with its tax split (CGST + SGST within the state, else IGST), then the tax per rate."""
    if intra:
        head = ["#", "Description", "HSN/SAC", "Qty", "Price", "Taxable", "CGST %", "CGST", "SGST %", "SGST", "Total"]
        widths = (6, 37, 16, 10, 18, 20, 14, 16, 14, 16, 23)
    else:
        head = ["#", "Description", "HSN/SAC", "Qty", "Price", "Taxable", "IGST %", "IGST", "Total"]
        widths = (6, 60, 16, 10, 20, 22, 14, 19, 23)
    aligns = ("R", "L", "L") + ("R",) * (len(head) - 3)
    doc.font(8)
    with doc.pdf.table(col_widths=widths, width=sum(widths), text_align=aligns, line_height=5, align="LEFT",
                       borders_layout="HORIZONTAL_LINES", padding=(0.6, 0.8),
                       headings_style=FontFace(emphasis="BOLD", fill_color=(230, 236, 238))) as table:
        table.row([doc.t(h) for h in head])
        for i, l in enumerate(inv.lines, 1):
            tax = ([_rate(l.cgst_rate), _m(l.cgst), _rate(l.sgst_rate), _m(l.sgst)] if intra
                   else [_rate(l.igst_rate), _m(l.igst)])
            table.row([str(i), doc.t(l.description), l.hsn_sac or "-", f"{l.qty.normalize():f}", _m(l.unit_price),
                       _m(l.amount), *tax, _m(l.amount + l.tax)])
    doc.pdf.ln(3)
    doc.line("Tax by rate", 10, bold=True, h=6)
    widths = [24, 34, 30, 30, 30, 32]
    doc.row(["GST rate", "Taxable value", "CGST", "SGST", "IGST", "Total tax"], widths, bold=True,
            aligns="LRRRRR", fill=True)
    for rate, taxable, cgst, sgst, igst in _by_rate(inv):
        doc.row([f"{_rate(rate)} %", _m(taxable), _m(cgst), _m(sgst), _m(igst), _m(cgst + sgst + igst)], widths,
                aligns="LRRRRR")
    doc.row(["Total", _m(inv.subtotal), _m(inv.cgst), _m(inv.sgst), _m(inv.igst), _m(inv.tax)], widths, bold=True,
            aligns="LRRRRR")


def _by_rate(inv: InvoiceView) -> list[tuple[Decimal, Decimal, Decimal, Decimal, Decimal]]:
    rates: dict[Decimal, list[Decimal]] = {}
    for l in inv.lines:
        sums = rates.setdefault(l.tax_rate, [Decimal("0.00")] * 4)
        for k, v in enumerate((l.amount, l.cgst, l.sgst, l.igst)):
            sums[k] += v
    return [(rate, *sums) for rate, sums in sorted(rates.items())]


def _plain_lines(doc: _Doc, inv: InvoiceView) -> None:
    """An invoice issued before tax invoices: one rate and one tax per line."""
    widths = [78, 16, 24, 16, 28, 24]
    doc.row(["Item", "Qty", "Price", "Tax %", "Amount", "Tax"], widths, bold=True, aligns="LRRRRR", fill=True)
    for line in inv.lines:
        doc.row([line.description, f"{line.qty.normalize():f}", _m(line.unit_price), _m(line.tax_rate),
                 _m(line.amount), _m(line.tax)], widths, aligns="LRRRRR")


def _payment(doc: _Doc, payment: UpiRequest | None, currency: str) -> None:
    """What is due as a UPI QR code, with the link beside it (kept together on one page)."""
    pdf = doc.pdf
    if payment is None:
        doc.line("Nothing is due on this invoice. Thank you.", 10, bold=True)
        return
    size = 42.0
    if pdf.get_y() + size + 4 > pdf.page_break_trigger:
        pdf.add_page()
    top, left = pdf.get_y(), pdf.l_margin
    pdf.image(io.BytesIO(payment.png(scale=8)), x=left, y=top, w=size, h=size, title="UPI payment QR code",
              alt_text=payment.url)
    text_x = left + size + 5
    width = pdf.w - pdf.r_margin - text_x
    pdf.set_xy(text_x, top + 2)
    doc.font(11, bold=True)
    pdf.multi_cell(width, 6, doc.t(f"Pay {_m(payment.amount)} {currency} by UPI"), align="L", new_x="LEFT",
                   new_y="NEXT")
    doc.font(9)
    pdf.multi_cell(width, 5, doc.t(f"Scan the code with any UPI app, or open the link below. Please keep the "
                                   f"reference {payment.transaction_ref} so we can match your payment."),
                   align="L", new_x="LEFT", new_y="NEXT")
    pdf.set_xy(text_x, pdf.get_y() + 1)
    doc.font(8)
    pdf.multi_cell(width, 4, doc.t(payment.url), align="L", new_x="LEFT", new_y="NEXT", link=payment.url)
    pdf.set_xy(left, max(pdf.get_y(), top + size) + 2)


def _rate(value: Decimal) -> str:
    """A GST rate as printed: 18, 9, 2.5, 0.125."""
    return f"{Decimal(value).normalize():f}"


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
        doc.line(("Planned on: " if d.accepted else "Proposed on (confirmed when the offer is accepted): ")
                 + ", ".join(v.isoformat() for v in shown)
                 + (f" and {len(d.visits) - len(shown)} more" if len(d.visits) > len(shown) else ""), 10)
    else:
        doc.line("The visits are planned over the period when the offer is accepted.", 10)
    doc.pdf.ln(6)
    if d.accepted:
        doc.line("Thank you for your order. The contract invoice follows separately.", 9)
    else:
        doc.line(f"To accept this offer, answer in the portal by {o.valid_until.isoformat()}.", 9)
    return doc.bytes()
