"""Issuing an invoice and its sales voucher, inside the caller's transaction.

Every invoice is a GST tax invoice: ``issue_invoice`` finds the place of
supply from the customer (``backend/billing/gst.py``), names each line by
its HSN or SAC code (from the catalog row the caller names in
``LineInput.code``, else the service default), splits each line's tax into
CGST + SGST or IGST, and posts the output tax to its own account (2110, 2120,
2130). The callers (jobs, service orders, repairs, contracts) hand over
lines with a price and a rate and compute no tax themselves; ``totals`` gives
an estimate the same figures the invoice will have.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.billing.gst import LineTax, Supply, add_up, split, supply_to
from backend.billing.models import Invoice, InvoiceLine
from backend.catalog.hsn import CONTRACT_SAC, SERVICE_SAC
from backend.catalog.models import Part, ServiceCharge
from backend.customers.models import Customer
from backend.db import money
from backend.identity.actor import Actor
from backend.ledger import chart, dues
from backend.ledger.models import VoucherKind
from backend.ledger.posting import Line, post_voucher
from backend.references import assign_number

REVENUE_ACCOUNT = {"labour": chart.LABOUR_REVENUE, "part": chart.PARTS_REVENUE, "contract": chart.CONTRACT_REVENUE,
                   "other": chart.LABOUR_REVENUE}
# Where each tax of a GST invoice is owed (a credit note reverses the same accounts).
TAX_ACCOUNTS = {"cgst": chart.OUTPUT_CGST, "sgst": chart.OUTPUT_SGST, "igst": chart.OUTPUT_IGST}
PAYMENT_TERMS_DAYS = 15


@dataclass(frozen=True)
class LineInput:
    kind: str  # labour | part | contract | other
    description: str
    qty: Decimal
    unit_price: Decimal
    tax_rate: Decimal
    code: str | None = None  # the catalog row it is priced from: a part's SKU, a service charge's code
    hsn_sac: str | None = None  # given: printed as it is; else found from ``code`` (see ``classify``)

    @property
    def amount(self) -> Decimal:
        """The taxable value: quantity × price, to the paisa."""
        return money(self.qty * self.unit_price)


@dataclass(frozen=True)
class TaxedLine:
    line: LineInput
    hsn_sac: str | None
    tax: LineTax


def classify(s: Session, line: LineInput) -> str | None:
    """The HSN (a part) or SAC (a service) an invoice line carries: the one
    given, else the catalog's for ``code``, else the repair-service SAC for
    labour and contracts (a part with no HSN in the catalog has none)."""
    if line.hsn_sac:
        return line.hsn_sac
    if line.kind == "part":
        return s.scalar(select(Part.hsn_code).where(Part.sku == line.code)) if line.code else None
    if line.kind == "contract":
        return CONTRACT_SAC
    found = s.scalar(select(ServiceCharge.sac_code).where(ServiceCharge.code == line.code)) if line.code else None
    return found or SERVICE_SAC


def supply_for(s: Session, customer_id: int) -> Supply:
    """Where a supply to this customer is made (their GSTIN's state, their state, or the company's)."""
    return supply_to(s.get(Customer, customer_id))


def taxed(lines: list[LineInput], supply: Supply) -> list[LineTax]:
    return [split(l.amount, l.tax_rate, intra_state=supply.intra_state) for l in lines]


def totals(lines: list[LineInput], supply: Supply | None = None) -> tuple[Decimal, Decimal, Decimal]:
    """(taxable value, tax, total) of these lines as an invoice to ``supply``
    would have them (None: a supply within the company's state)."""
    t = add_up(taxed(lines, supply or supply_to(None)))
    return t.taxable, t.tax, t.total


def issue_invoice(
    s: Session, *, customer_id: int, source_type: str, source_id: int, lines: list[LineInput], actor: Actor,
    on: date | None = None, narration: str = "",
) -> Invoice:
    on = on or date.today()
    supply = supply_for(s, customer_id)
    priced = [TaxedLine(l, classify(s, l), t) for l, t in zip(lines, taxed(lines, supply), strict=True)]
    t = add_up(p.tax for p in priced)
    invoice = Invoice(customer_id=customer_id, source_type=source_type, source_id=source_id, issued_on=on,
                      due_on=on + timedelta(days=PAYMENT_TERMS_DAYS), subtotal=t.taxable, tax=t.tax, total=t.total,
                      created_by=actor.user_id, place_of_supply=supply.place_of_supply,
                      supplier_gstin=supply.supplier_gstin, customer_gstin=supply.customer_gstin,
                      cgst=t.cgst, sgst=t.sgst, igst=t.igst)
    s.add(invoice)
    assign_number(s, invoice, "INV")
    revenue: dict[str, Decimal] = {}
    for p in priced:
        l, x = p.line, p.tax
        s.add(InvoiceLine(invoice_id=invoice.id, kind=l.kind, description=l.description, qty=l.qty,
                          unit_price=l.unit_price, tax_rate=l.tax_rate, amount=x.taxable, tax=x.tax,
                          hsn_sac=p.hsn_sac, cgst_rate=x.cgst_rate, cgst=x.cgst, sgst_rate=x.sgst_rate,
                          sgst=x.sgst, igst_rate=x.igst_rate, igst=x.igst))
        account = REVENUE_ACCOUNT[l.kind]
        revenue[account] = revenue.get(account, Decimal(0)) + x.taxable
    entries = [Line(chart.RECEIVABLE, debit=t.total, party_type="customer", party_id=customer_id,
                    invoice_id=invoice.id)]
    entries += [Line(acc, credit=amt) for acc, amt in revenue.items()]
    entries += [Line(TAX_ACCOUNTS["cgst"], credit=t.cgst), Line(TAX_ACCOUNTS["sgst"], credit=t.sgst),
                Line(TAX_ACCOUNTS["igst"], credit=t.igst)]  # a zero line is left out by posting
    kind = VoucherKind.CONTRACT_INVOICE if source_type == "contract" else VoucherKind.SALES
    voucher = post_voucher(s, kind=kind, on=on, narration=narration or f"Invoice {invoice.number}",
                           lines=entries, actor=actor, source_type="invoice", source_id=invoice.id,
                           invoice=invoice)
    invoice.voucher_id = voucher.id
    return invoice


def schedule_payments(s: Session, invoice: Invoice, parts: list[tuple[date, Decimal]]) -> None:
    """The invoice is paid in parts (a contract's instalments), each due on its
    day, in the caller's transaction: collections, ageing and the dashboard
    count only the parts due by the day asked about, oldest paid first."""
    dues.set_schedule(s, invoice, parts, total=invoice.total)
