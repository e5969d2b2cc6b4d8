"""Issuing an invoice and its sales voucher, inside the caller's transaction."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy.orm import Session

from backend.billing.models import Invoice, InvoiceLine
from backend.db import money
from backend.identity.actor import Actor
from backend.ledger import chart
from backend.ledger.models import VoucherKind
from backend.ledger.posting import Line, post_voucher
from backend.references import assign_number

REVENUE_ACCOUNT = {"labour": chart.LABOUR_REVENUE, "part": chart.PARTS_REVENUE, "contract": chart.CONTRACT_REVENUE,
                   "other": chart.LABOUR_REVENUE}
PAYMENT_TERMS_DAYS = 15


@dataclass(frozen=True)
class LineInput:
    kind: str
    description: str
    qty: Decimal
    unit_price: Decimal
    tax_rate: Decimal

    @property
    def amount(self) -> Decimal:
        return money(self.qty * self.unit_price)

    @property
    def tax(self) -> Decimal:
        return money(self.amount * self.tax_rate / 100)


def totals(lines: list[LineInput]) -> tuple[Decimal, Decimal, Decimal]:
    subtotal = money(sum((l.amount for l in lines), Decimal(0)))
    tax = money(sum((l.tax for l in lines), Decimal(0)))
    return subtotal, tax, subtotal + tax


def issue_invoice(
    s: Session, *, customer_id: int, source_type: str, source_id: int, lines: list[LineInput], actor: Actor,
    on: date | None = None, narration: str = "",
) -> Invoice:
    on = on or date.today()
    subtotal, tax, total = totals(lines)
    invoice = Invoice(customer_id=customer_id, source_type=source_type, source_id=source_id, issued_on=on,
                      due_on=on + timedelta(days=PAYMENT_TERMS_DAYS), subtotal=subtotal, tax=tax, total=total,
                      created_by=actor.user_id)
    s.add(invoice)
    assign_number(s, invoice, "INV")
    revenue: dict[str, Decimal] = {}
    for l in lines:
        s.add(InvoiceLine(invoice_id=invoice.id, kind=l.kind, description=l.description, qty=l.qty,
                          unit_price=l.unit_price, tax_rate=l.tax_rate, amount=l.amount, tax=l.tax))
        account = REVENUE_ACCOUNT[l.kind]
        revenue[account] = revenue.get(account, Decimal(0)) + l.amount
    entries = [Line(chart.RECEIVABLE, debit=total, party_type="customer", party_id=customer_id,
                    invoice_id=invoice.id)]
    entries += [Line(acc, credit=amt) for acc, amt in revenue.items()]
    entries.append(Line(chart.TAX_PAYABLE, credit=tax))
    kind = VoucherKind.CONTRACT_INVOICE if source_type == "contract" else VoucherKind.SALES
    voucher = post_voucher(s, kind=kind, on=on, narration=narration or f"Invoice {invoice.number}",
                           lines=entries, actor=actor, source_type="invoice", source_id=invoice.id,
                           invoice=invoice)
    invoice.voucher_id = voucher.id
    return invoice
