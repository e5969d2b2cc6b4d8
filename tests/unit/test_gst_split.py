"""The split of a line's GST and its rounding, against figures worked by hand.

Within the supplier's state a line pays CGST and SGST at half the rate each,
each rounded half up to the paisa on its own; across states IGST at the
whole rate. An invoice's totals are the sums of its lines."""

from __future__ import annotations

from decimal import Decimal as D

import pytest

from backend.billing.gst import add_up, split, supply_to
from backend.company import Company
from backend.customers.models import Customer

MUMBAI = Company(gstin="27AAPFU0939F1ZV", state_code="27")


@pytest.mark.parametrize("taxable, rate, half, cgst_each", [
    # value    rate   half rate  CGST = SGST
    ("499.00", "18", "9",     "44.91"),                            # 499 x 9 % = 44.91 exactly
    ("100.05", "18", "9",     "9.00"),                             # 9.0045 -> 9.00; 18 % = 18.009 -> 18.01
    ("100.50", "18", "9",     "9.05"),                             # 9.045 -> 9.05 (half up); 18 % = 18.09
    ("250.50", "18", "9",     "22.55"),                            # 22.545 -> 22.55; 18 % = 45.09
    ("100.10", "5", "2.5",    "2.50"),                             # 2.5025 -> 2.50; 5 % = 5.005 -> 5.01
    ("333.33", "28", "14",    "46.67"),                            # 46.6662 -> 46.67; 28 % = 93.3324 -> 93.33
    ("1000.00", "0.25", "0.125", "1.25"),                          # a quarter percent halves to 0.125 %
    ("640.00", "0", "0",      "0.00"),
], ids=lambda v: str(v))
def test_within_the_state_each_half_is_rounded_on_its_own(taxable, rate, half, cgst_each):
    t = split(D(taxable), D(rate), intra_state=True)
    assert (t.cgst_rate, t.sgst_rate, t.igst_rate) == (D(half), D(half), D(0))
    assert (t.cgst, t.sgst, t.igst) == (D(cgst_each), D(cgst_each), D("0.00"))
    assert t.tax == 2 * D(cgst_each)


@pytest.mark.parametrize("taxable, rate, igst", [
    ("499.00", "18", "89.82"), ("100.05", "18", "18.01"), ("100.50", "18", "18.09"), ("250.50", "18", "45.09"),
    ("100.10", "5", "5.01"), ("333.33", "28", "93.33"), ("1000.00", "0.25", "2.50"),
])
def test_across_states_igst_is_the_whole_rate_rounded_once(taxable, rate, igst):
    t = split(D(taxable), D(rate), intra_state=False)
    assert (t.cgst, t.sgst, t.igst, t.igst_rate, t.cgst_rate) == (D("0.00"), D("0.00"), D(igst), D(rate), D(0))


def test_where_the_two_ways_differ_by_a_paisa():
    # the same value: CGST 9.00 + SGST 9.00 = 18.00 in Mumbai, IGST 18.01 in Bengaluru
    assert split(D("100.05"), D(18), intra_state=True).tax == D("18.00")
    assert split(D("100.05"), D(18), intra_state=False).tax == D("18.01")
    # and the other way round: 18.10 against 18.09
    assert split(D("100.50"), D(18), intra_state=True).tax == D("18.10")
    assert split(D("100.50"), D(18), intra_state=False).tax == D("18.09")


def test_an_invoice_is_the_sum_of_its_lines():
    # visit 499.00, three clips at 33.35 (100.05), a hose at 100.50; all 18 %
    values = [D("499.00"), D("100.05"), D("100.50")]
    intra = add_up(split(v, D(18), intra_state=True) for v in values)
    # CGST 44.91 + 9.00 + 9.05 = 62.96, SGST the same; taxable 699.55; total 699.55 + 125.92 = 825.47
    assert (intra.taxable, intra.cgst, intra.sgst, intra.igst) == (D("699.55"), D("62.96"), D("62.96"), D("0.00"))
    assert (intra.tax, intra.total) == (D("125.92"), D("825.47"))
    inter = add_up(split(v, D(18), intra_state=False) for v in values)
    # IGST 89.82 + 18.01 + 18.09 = 125.92
    assert (inter.cgst, inter.igst, inter.total) == (D("0.00"), D("125.92"), D("825.47"))
    # two lines where the halves round up: 2 x 100.50 -> CGST 9.05 + 9.05 = 18.10 (not 9% of 201.00 = 18.09)
    two = add_up(split(D("100.50"), D(18), intra_state=True) for _ in range(2))
    assert (two.cgst, two.sgst, two.tax, two.total) == (D("18.10"), D("18.10"), D("36.20"), D("237.20"))


def test_the_place_of_supply():
    registered = Customer(gstin="29AABCT1332L1ZA", state_code="29")
    consumer_elsewhere = Customer(gstin=None, state_code="24")
    consumer_here = Customer(gstin=None, state_code="27")
    unknown = Customer(gstin=None, state_code=None)
    assert supply_to(registered, MUMBAI).place_of_supply == "29"
    assert supply_to(registered, MUMBAI).customer_gstin == "29AABCT1332L1ZA"
    assert not supply_to(registered, MUMBAI).intra_state
    assert supply_to(consumer_elsewhere, MUMBAI).place_of_supply == "24"
    assert not supply_to(consumer_elsewhere, MUMBAI).intra_state
    assert supply_to(consumer_here, MUMBAI).intra_state
    assert supply_to(unknown, MUMBAI).place_of_supply == "27" and supply_to(unknown, MUMBAI).intra_state
    assert supply_to(None, MUMBAI).supplier_gstin == "27AAPFU0939F1ZV"
