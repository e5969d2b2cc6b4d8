"""GST summary of outward supplies, in the shape of GSTR-1's summary.

Over the tax invoices issued in the range (invoices issued before GST tax
invoices, with no place of supply, are counted in ``pre_gst_invoices`` and
left out), from their lines:

- ``b2b`` (GSTR-1 table 4): supplies to registered customers, per recipient
  GSTIN, place of supply and rate: invoices, taxable value, CGST, SGST, IGST;
- ``b2cl`` (table 5): inter-state invoices to unregistered customers whose
  invoice value exceeds :data:`B2CL_LIMIT`, per invoice and rate;
- ``b2cs`` (table 7): the other supplies to unregistered customers, per
  intra/inter-state, place of supply and rate;
- ``by_rate``: every supply per rate (the tax totals per rate of the register);
- ``hsn`` (table 12): per HSN/SAC and rate, B2B and B2C apart as the return
  asks since 2025: quantity (UQC ``NOS`` for goods, ``NA`` for services),
  taxable value and tax;
- ``credit_notes`` (tables 9B, CDNR and CDNUR): the credit notes issued in
  the range against tax invoices, per note: the recipient's GSTIN (none:
  unregistered), the invoice it corrects, its taxable value and the CGST,
  SGST and IGST it reversed (its voucher's debits on 2110/2120/2130);
  ``net_tax`` is the invoices' tax less these;
- ``documents`` (table 13): the invoice and credit-note numbers issued in the range.

Supplied within the state means the place of supply equals the supplier's
state (the state code of the GSTIN the invoice was issued under). Every
figure is a sum of invoice lines, whose tax the sales vouchers posted to
2110/2120/2130 line for line, so the totals equal those accounts' credits
from the range's sales and contract-invoice vouchers.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import and_, case, func, or_, select

from backend.billing.models import CreditNote, Invoice, InvoiceLine
from backend.company import COMPANY
from backend.customers.models import Customer
from backend.db import UnitOfWork
from backend.ledger import chart
from backend.ledger.models import Account, LedgerEntry
from backend.identity.actor import Actor
from backend.reports.common import MANAGERS, Sql, begin, day_filter, dec

QTY_PLACES = Decimal("0.001")
B2CL_LIMIT = Decimal("100000.00")  # GSTR-1 table 5 since 1 Aug 2024 (₹2.5 lakh before): invoice value above this


@dataclass(frozen=True)
class B2bRow:
    recipient_gstin: str
    customer: str
    place_of_supply: str
    rate: Decimal
    invoices: int
    taxable: Decimal
    cgst: Decimal
    sgst: Decimal
    igst: Decimal


@dataclass(frozen=True)
class B2clRow:
    invoice: str
    issued_on: date
    invoice_value: Decimal
    place_of_supply: str
    rate: Decimal
    taxable: Decimal
    igst: Decimal


@dataclass(frozen=True)
class B2csRow:
    supply: str  # intra-state | inter-state
    place_of_supply: str
    rate: Decimal
    taxable: Decimal
    cgst: Decimal
    sgst: Decimal
    igst: Decimal


@dataclass(frozen=True)
class RateRow:
    rate: Decimal
    taxable: Decimal
    cgst: Decimal
    sgst: Decimal
    igst: Decimal
    tax: Decimal


@dataclass(frozen=True)
class HsnRow:
    recipients: str  # B2B | B2C
    hsn_sac: str  # "" when a line had none
    kind: str  # goods | services
    uqc: str
    rate: Decimal
    qty: Decimal
    taxable: Decimal
    cgst: Decimal
    sgst: Decimal
    igst: Decimal
    total_value: Decimal


@dataclass(frozen=True)
class CreditNoteRow:
    number: str
    issued_on: date
    invoice_number: str
    recipient_gstin: str | None  # None: an unregistered customer (CDNUR)
    place_of_supply: str
    taxable: Decimal
    cgst: Decimal
    sgst: Decimal
    igst: Decimal
    value: Decimal


@dataclass(frozen=True)
class DocumentsRow:
    nature: str
    first: str | None
    last: str | None
    issued: int
    cancelled: int


@dataclass(frozen=True)
class GstSummary:
    start: date
    end: date
    supplier_gstin: str
    invoices: int
    taxable: Decimal
    cgst: Decimal
    sgst: Decimal
    igst: Decimal
    tax: Decimal
    invoice_value: Decimal
    pre_gst_invoices: int
    b2b: list[B2bRow]
    b2cl: list[B2clRow]
    b2cs: list[B2csRow]
    by_rate: list[RateRow]
    hsn: list[HsnRow]
    documents: list[DocumentsRow]
    credit_notes: list[CreditNoteRow]
    net_tax: Decimal  # the invoices' tax less what the credit notes reversed


def _sums():
    return (func.sum(InvoiceLine.amount), func.sum(InvoiceLine.cgst), func.sum(InvoiceLine.sgst),
            func.sum(InvoiceLine.igst))


def gst_summary(uow: UnitOfWork, actor: Actor, *, start: date | None = None, end: date | None = None,
                **unknown: Any) -> GstSummary:
    """Outward supplies of the range in the shape of the GSTR-1 summary: B2B by
    recipient GSTIN, B2C large and small, per rate, the HSN/SAC summary and
    the documents issued (managers and admins)."""
    p = begin(actor, MANAGERS, start, end, unknown)
    supplier_state = func.coalesce(func.substr(Invoice.supplier_gstin, 1, 2), COMPANY.state_code)
    inter = Invoice.place_of_supply != supplier_state
    in_range = day_filter(Invoice.issued_on, p)
    gst = and_(in_range, Invoice.place_of_supply.is_not(None))
    b2c = Invoice.customer_gstin.is_(None)
    large = and_(b2c, inter, Invoice.total > B2CL_LIMIT)
    with uow() as s:
        Sql(s).tune(s)
        head = s.execute(select(func.count(), func.sum(Invoice.subtotal), func.sum(Invoice.cgst),
                                func.sum(Invoice.sgst), func.sum(Invoice.igst), func.sum(Invoice.total))
                         .where(gst)).one()
        pre_gst = s.scalar(select(func.count()).select_from(Invoice)
                           .where(in_range, Invoice.place_of_supply.is_(None))) or 0
        b2b = s.execute(
            select(Invoice.customer_gstin, func.max(Customer.name), Invoice.place_of_supply, InvoiceLine.tax_rate,
                   func.count(func.distinct(Invoice.id)), *_sums())
            .select_from(InvoiceLine).join(Invoice, Invoice.id == InvoiceLine.invoice_id)
            .join(Customer, Customer.id == Invoice.customer_id)
            .where(gst, Invoice.customer_gstin.is_not(None))
            .group_by(Invoice.customer_gstin, Invoice.place_of_supply, InvoiceLine.tax_rate)
            .order_by(Invoice.customer_gstin, Invoice.place_of_supply, InvoiceLine.tax_rate)).all()
        b2cl = s.execute(
            select(Invoice.number, Invoice.issued_on, Invoice.total, Invoice.place_of_supply, InvoiceLine.tax_rate,
                   func.sum(InvoiceLine.amount), func.sum(InvoiceLine.igst))
            .select_from(InvoiceLine).join(Invoice, Invoice.id == InvoiceLine.invoice_id)
            .where(gst, large)
            .group_by(Invoice.id, Invoice.number, Invoice.issued_on, Invoice.total, Invoice.place_of_supply,
                      InvoiceLine.tax_rate)
            .order_by(Invoice.issued_on, Invoice.id, InvoiceLine.tax_rate)).all()
        kind = case((inter, "inter-state"), else_="intra-state")
        b2cs = s.execute(
            select(kind, Invoice.place_of_supply, InvoiceLine.tax_rate, *_sums())
            .select_from(InvoiceLine).join(Invoice, Invoice.id == InvoiceLine.invoice_id)
            .where(gst, b2c, or_(~inter, Invoice.total <= B2CL_LIMIT))
            .group_by(kind, Invoice.place_of_supply, InvoiceLine.tax_rate)
            .order_by(kind.desc(), Invoice.place_of_supply, InvoiceLine.tax_rate)).all()
        by_rate = s.execute(
            select(InvoiceLine.tax_rate, *_sums())
            .select_from(InvoiceLine).join(Invoice, Invoice.id == InvoiceLine.invoice_id)
            .where(gst).group_by(InvoiceLine.tax_rate).order_by(InvoiceLine.tax_rate)).all()
        recipients = case((b2c, "B2C"), else_="B2B")
        code = func.coalesce(InvoiceLine.hsn_sac, "")
        hsn = s.execute(
            select(recipients, code, InvoiceLine.tax_rate, func.sum(InvoiceLine.qty), *_sums())
            .select_from(InvoiceLine).join(Invoice, Invoice.id == InvoiceLine.invoice_id)
            .where(gst).group_by(recipients, code, InvoiceLine.tax_rate)
            .order_by(recipients, code, InvoiceLine.tax_rate)).all()
        first, last, issued, cancelled = s.execute(
            select(func.min(Invoice.id), func.max(Invoice.id), func.count(),
                   func.sum(case((Invoice.state == "cancelled", 1), else_=0))).where(in_range)).one()
        numbers = {i: n for i, n in s.execute(select(Invoice.id, Invoice.number)
                                              .where(Invoice.id.in_([x for x in (first, last) if x])))}
        notes = _credit_notes(s, p)
    count, taxable, cgst, sgst, igst, value = head
    hsn_rows = []
    for rcp, hs, rate, qty, tx, c, sg, ig in hsn:
        services = hs.startswith("99") or not hs
        tx, c, sg, ig = dec(tx), dec(c), dec(sg), dec(ig)
        hsn_rows.append(HsnRow(rcp, hs, "services" if services else "goods", "NA" if services else "NOS",
                               Decimal(rate), Decimal(str(qty or 0)).quantize(QTY_PLACES), tx, c, sg, ig,
                               tx + c + sg + ig))
    return GstSummary(
        p.start, p.end, COMPANY.gstin, int(count or 0), dec(taxable), dec(cgst), dec(sgst), dec(igst),
        dec(cgst) + dec(sgst) + dec(igst), dec(value), int(pre_gst),
        [B2bRow(g, n, pos, Decimal(r), int(k), dec(t), dec(c), dec(sg), dec(ig)) for g, n, pos, r, k, t, c, sg, ig in b2b],
        [B2clRow(n, d, dec(v), pos, Decimal(r), dec(t), dec(ig)) for n, d, v, pos, r, t, ig in b2cl],
        [B2csRow(k, pos, Decimal(r), dec(t), dec(c), dec(sg), dec(ig)) for k, pos, r, t, c, sg, ig in b2cs],
        [RateRow(Decimal(r), dec(t), dec(c), dec(sg), dec(ig), dec(c) + dec(sg) + dec(ig))
         for r, t, c, sg, ig in by_rate],
        hsn_rows,
        [DocumentsRow("Invoices for outward supply", numbers.get(first), numbers.get(last), int(issued or 0),
                      int(cancelled or 0)),
         DocumentsRow("Credit notes", notes[0].number if notes else None, notes[-1].number if notes else None,
                      len(notes), 0)],
        notes,
        dec(cgst) + dec(sgst) + dec(igst) - sum((n.cgst + n.sgst + n.igst for n in notes), Decimal("0.00")),
    )


def _credit_notes(s, p) -> list[CreditNoteRow]:
    """The range's credit notes on tax invoices, with the tax each reversed per account."""
    tax_account = {chart.OUTPUT_CGST: "cgst", chart.OUTPUT_SGST: "sgst", chart.OUTPUT_IGST: "igst"}
    rows = s.execute(
        select(CreditNote.id, CreditNote.number, CreditNote.issued_on, Invoice.number, Invoice.customer_gstin,
               Invoice.place_of_supply, CreditNote.taxable, CreditNote.amount, CreditNote.voucher_id)
        .join(Invoice, Invoice.id == CreditNote.invoice_id)
        .where(day_filter(CreditNote.issued_on, p), Invoice.place_of_supply.is_not(None))
        .order_by(CreditNote.issued_on, CreditNote.id)).all()
    taxes: dict[int, dict[str, Decimal]] = {}
    if rows:
        for voucher, code, debit in s.execute(
                select(LedgerEntry.voucher_id, Account.code, func.sum(LedgerEntry.debit))
                .join(Account, Account.id == LedgerEntry.account_id)
                .where(LedgerEntry.voucher_id.in_([r[-1] for r in rows]), Account.code.in_(tax_account))
                .group_by(LedgerEntry.voucher_id, Account.code)):
            taxes.setdefault(voucher, {})[tax_account[code]] = dec(debit)
    out = []
    for _, number, on, invoice, gstin, pos, taxable, amount, voucher in rows:
        t = taxes.get(voucher, {})
        out.append(CreditNoteRow(number, on, invoice, gstin, pos, dec(taxable), t.get("cgst", dec(0)),
                                 t.get("sgst", dec(0)), t.get("igst", dec(0)), dec(amount)))
    return out
