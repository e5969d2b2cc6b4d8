"""GST on an invoice: where the supply is made and how each line's tax splits.

**Place of supply** (IGST Act, section 12(2), for services other than those
tied to immovable property, events or transport): to a registered customer,
the state of their GSTIN; to an unregistered one, the state of their address
on record (``customers.state_code``); with neither, the supplier's own state.
(The repair of goods at the customer's premises follows this general rule;
the sites of one customer are taken to be in the customer's state.)

**Split.** Supplied within the supplier's state (place of supply = the
company's state code): CGST and SGST at half the rate each; otherwise IGST at
the whole rate (IGST Act, section 5; CGST Act, section 9).

**Rounding**, as Indian tax invoices print it: a line's taxable value is
quantity × price rounded to the paisa; each tax on a line is its own figure,
taxable value × its rate, rounded half up to the paisa (CGST and SGST are two
taxes, so each half is rounded on its own and the pair can differ by a paisa
from the whole rate on the same value: 9 % of 100.05 is 9.0045 → 9.00 twice,
18.00 in all, where 18 % IGST is 18.009 → 18.01). The invoice's totals are
the sums of its lines. (No rounding of the invoice to the rupee: section 170
of the CGST Act rounds the tax *paid* in the return, not an invoice.)
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from backend.company import COMPANY, Company
from backend.customers.models import Customer
from backend.db import money

ZERO = Decimal("0.00")
RATE_PLACES = Decimal("0.001")


@dataclass(frozen=True)
class Supply:
    """Who supplies whom, and where: what decides the split."""

    supplier_state: str
    supplier_gstin: str | None
    place_of_supply: str
    customer_gstin: str | None  # None: an unregistered customer (B2C)

    @property
    def intra_state(self) -> bool:
        return self.place_of_supply == self.supplier_state


@dataclass(frozen=True)
class LineTax:
    """One line's GST: its taxable value and the split of its rate and tax."""

    taxable: Decimal
    rate: Decimal
    cgst_rate: Decimal
    cgst: Decimal
    sgst_rate: Decimal
    sgst: Decimal
    igst_rate: Decimal
    igst: Decimal

    @property
    def tax(self) -> Decimal:
        return self.cgst + self.sgst + self.igst


@dataclass(frozen=True)
class TaxTotals:
    taxable: Decimal
    cgst: Decimal
    sgst: Decimal
    igst: Decimal

    @property
    def tax(self) -> Decimal:
        return self.cgst + self.sgst + self.igst

    @property
    def total(self) -> Decimal:
        return self.taxable + self.tax


def supply_to(customer: Customer | None, company: Company = COMPANY) -> Supply:
    """The supply to ``customer`` (None: nobody on record, so the company's own state)."""
    gstin = customer.gstin if customer is not None else None
    if gstin:
        place = gstin[:2]
    elif customer is not None and customer.state_code:
        place = customer.state_code
    else:
        place = company.state_code
    return Supply(company.state_code, company.gstin or None, place, gstin or None)


def split(taxable: Decimal, rate: Decimal, *, intra_state: bool) -> LineTax:
    """The tax on one line's taxable value at ``rate`` percent, split by where it is supplied."""
    taxable, rate = money(taxable), Decimal(rate)
    if intra_state:
        half = (rate / 2).quantize(RATE_PLACES)
        part = money(taxable * half / 100)
        return LineTax(taxable, rate, half, part, half, part, Decimal(0), ZERO)
    return LineTax(taxable, rate, Decimal(0), ZERO, Decimal(0), ZERO, rate, money(taxable * rate / 100))


def add_up(lines: Iterable[LineTax]) -> TaxTotals:
    """An invoice's totals: the sums of its lines."""
    taxable = cgst = sgst = igst = ZERO
    for l in lines:
        taxable, cgst, sgst, igst = taxable + l.taxable, cgst + l.cgst, sgst + l.sgst, igst + l.igst
    return TaxTotals(taxable, cgst, sgst, igst)
