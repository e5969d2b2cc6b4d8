"""GST tax invoices end to end (issue 14 item 5), on SQLite and PostgreSQL:
the place of supply from the customer's registration, CGST + SGST or IGST
per line against figures worked by hand, HSN/SAC from the catalog, the
output tax posted to its own accounts in a balanced voucher, and the
refusals of a wrong GSTIN that change nothing."""

from __future__ import annotations

from decimal import Decimal as D

import pytest
from sqlalchemy import func, select

from backend.billing import service as billing
from backend.billing.invoicing import LineInput, issue_invoice
from backend.billing.models import Invoice
from backend.catalog import admin as catalog_admin
from backend.customers import service as customers
from backend.customers.models import Customer
from backend.errors import DomainError, ErrorCode
from backend.history.models import StateChange
from backend.jobs import service as jobs
from backend.jobs.models import JobState as S
from backend.ledger.models import Account, LedgerEntry, Voucher
from tests.integration.api.conftest import snapshot
from tests.unit.core.flows import drive_to

KARNATAKA_GSTIN = "29AABCT1332L1ZA"


def postings(uow, invoice_number: str) -> dict[str, tuple[D, D]]:
    """The invoice's voucher as {account: (debit, credit)}."""
    with uow() as s:
        inv = s.scalar(select(Invoice).where(Invoice.number == invoice_number))
        rows = s.execute(select(Account.code, LedgerEntry.debit, LedgerEntry.credit)
                         .join(Account, Account.id == LedgerEntry.account_id)
                         .where(LedgerEntry.voucher_id == inv.voucher_id)).all()
    out: dict[str, tuple[D, D]] = {}
    for code, debit, credit in rows:
        d, c = out.get(code, (D("0.00"), D("0.00")))
        out[code] = (d + debit, c + credit)
    return out


def bill(uow, world) -> tuple[D, billing.InvoiceView]:
    """Alice's uncovered job driven to billed: the estimate she accepted and the invoice."""
    ref = drive_to(uow, world, S.BILLED)
    job = jobs.get_job(uow, world.agent, job_ref=ref)
    return job.estimate_amount, billing.get_invoice(uow, world.agent, invoice_ref=job.invoice_number)


def test_a_job_for_a_customer_in_the_companys_state_pays_cgst_and_sgst(uow, world):
    catalog_admin.edit_part(uow, world.admin, sku="P-PUMP", hsn_code="841370")
    estimate, inv = bill(uow, world)  # Alice: no GSTIN, no state on record -> the company's state, 27
    # visit 500.00 (SAC 998715 by default) + pump 1000.00 (HSN 841370), 18 %:
    # CGST 9 % = 45.00 + 90.00 = 135.00, SGST the same; total 1500.00 + 270.00 = 1770.00
    assert (inv.place_of_supply, inv.customer_gstin, inv.supplier_gstin) == ("27", None, "27AAPFU0939F1ZV")
    assert [(l.hsn_sac, l.amount, l.cgst_rate, l.cgst, l.sgst_rate, l.sgst, l.igst) for l in inv.lines] == [
        ("998715", D("500.00"), D(9), D("45.00"), D(9), D("45.00"), D("0.00")),
        ("841370", D("1000.00"), D(9), D("90.00"), D(9), D("90.00"), D("0.00"))]
    assert (inv.subtotal, inv.cgst, inv.sgst, inv.igst, inv.tax, inv.total) == (
        D("1500.00"), D("135.00"), D("135.00"), D("0.00"), D("270.00"), D("1770.00"))
    assert estimate == inv.total
    assert postings(uow, inv.number) == {
        "1100": (D("1770.00"), D("0.00")), "4000": (D("0.00"), D("500.00")), "4100": (D("0.00"), D("1000.00")),
        "2110": (D("0.00"), D("135.00")), "2120": (D("0.00"), D("135.00"))}


@pytest.mark.parametrize("gstin, state, place, split, total", [
    # visit 500.00 + pump 250.50, 18 %
    # within Maharashtra: CGST 45.00 + 22.545 -> 22.55 = 67.55, SGST 67.55; tax 135.10; total 885.60
    (None, "27", "27", {"2110": D("67.55"), "2120": D("67.55")}, D("885.60")),
    # a consumer in Gujarat: IGST 90.00 + 45.09 (45.09 is 250.50 x 18 % = 45.09) = 135.09; total 885.59
    (None, "24", "24", {"2130": D("135.09")}, D("885.59")),
    # registered in Karnataka: the GSTIN's state decides
    (KARNATAKA_GSTIN, None, "29", {"2130": D("135.09")}, D("885.59")),
], ids=["intra-state", "unregistered-inter-state", "registered-inter-state"])
def test_the_place_of_supply_decides_the_split_and_the_paisa(uow, world, gstin, state, place, split, total):
    catalog_admin.edit_part(uow, world.admin, sku="P-PUMP", unit_price="250.50", hsn_code="841370")
    customers.set_gst_registration(uow, world.agent, customer_id=world.alice.customer_id, gstin=gstin,
                                   state_code=state)
    estimate, inv = bill(uow, world)
    assert (inv.place_of_supply, inv.customer_gstin) == (place, gstin)
    assert inv.total == total and estimate == total  # the estimate the customer accepted is what is invoiced
    assert inv.total == inv.subtotal + inv.cgst + inv.sgst + inv.igst
    assert (sum(l.cgst for l in inv.lines), sum(l.igst for l in inv.lines)) == (inv.cgst, inv.igst)
    got = postings(uow, inv.number)
    assert got.pop("1100") == (total, D("0.00"))
    assert got.pop("4000") == (D("0.00"), D("500.00")) and got.pop("4100") == (D("0.00"), D("250.50"))
    assert got == {code: (D("0.00"), amount) for code, amount in split.items()}  # nothing on 2100


@pytest.mark.parametrize("intra", [True, False], ids=["intra-state", "inter-state"])
def test_every_caller_gets_hsn_sac_and_the_split_from_issue_invoice(uow, world, intra):
    catalog_admin.edit_part(uow, world.admin, sku="P-BELT", hsn_code="401693")
    catalog_admin.edit_service_charge(uow, world.admin, code="VISIT", sac_code="998719")
    if not intra:
        customers.set_gst_registration(uow, world.agent, customer_id=world.bob.customer_id, gstin=KARNATAKA_GSTIN)
    lines = [LineInput("labour", "Visit", D(1), D("499.00"), D(18), code="VISIT"),
             LineInput("part", "Belt clips", D(3), D("33.35"), D(18), code="P-BELT"),
             LineInput("other", "Hose", D(1), D("100.50"), D(18)),
             LineInput("contract", "AMC", D(1), D("1000.00"), D(18)),
             LineInput("part", "Fuse (no HSN on file)", D(1), D("10.00"), D(5), code="P-NONE")]
    with uow() as s:
        number = issue_invoice(s, customer_id=world.bob.customer_id, source_type="order", source_id=1,
                               lines=lines, actor=world.agent).number
    inv = billing.get_invoice(uow, world.agent, invoice_ref=number)
    assert [l.hsn_sac for l in inv.lines] == ["998719", "401693", "998715", "998715", None]
    if intra:
        # CGST: 44.91 + 9.0045->9.00 + 9.045->9.05 + 90.00 + 2.5 % of 10 = 0.25; SGST the same
        assert [l.cgst for l in inv.lines] == [D("44.91"), D("9.00"), D("9.05"), D("90.00"), D("0.25")]
        assert [l.sgst for l in inv.lines] == [l.cgst for l in inv.lines]
        assert [l.cgst_rate for l in inv.lines] == [D(9)] * 4 + [D("2.5")]
        assert (inv.cgst, inv.sgst, inv.igst) == (D("153.21"), D("153.21"), D("0.00"))
        # taxable 499.00 + 100.05 + 100.50 + 1000.00 + 10.00 = 1709.55; tax 306.42; total 2015.97
        assert (inv.subtotal, inv.tax, inv.total) == (D("1709.55"), D("306.42"), D("2015.97"))
        assert {k: v for k, v in postings(uow, number).items() if k.startswith("21")} == {
            "2110": (D("0.00"), D("153.21")), "2120": (D("0.00"), D("153.21"))}
    else:
        # IGST: 89.82 + 18.009->18.01 + 18.09 + 180.00 + 0.50
        assert [l.igst for l in inv.lines] == [D("89.82"), D("18.01"), D("18.09"), D("180.00"), D("0.50")]
        assert (inv.cgst, inv.sgst, inv.igst, inv.total) == (D("0.00"), D("0.00"), D("306.42"), D("2015.97"))
        assert {k: v for k, v in postings(uow, number).items() if k.startswith("21")} == {
            "2130": (D("0.00"), D("306.42"))}
    with uow() as s:  # every voucher balances
        for v in s.scalars(select(Voucher.id)):
            d, c = s.execute(select(func.sum(LedgerEntry.debit), func.sum(LedgerEntry.credit))
                             .where(LedgerEntry.voucher_id == v)).one()
            assert d == c


def test_a_registration_is_set_by_staff_and_a_wrong_one_changes_nothing(uow, world):
    cid = world.alice.customer_id
    view = customers.set_gst_registration(uow, world.agent, customer_id=cid, gstin=" 29aabct1332l1za ")
    assert (view.gstin, view.state_code, view.state) == (KARNATAKA_GSTIN, "29", "Karnataka")
    with uow() as s:
        before = (s.get(Customer, cid).gstin, s.get(Customer, cid).state_code,
                  s.scalar(select(func.count()).select_from(StateChange)))
    for gstin, state, field, reason in [("29AABCT1332L1ZB", None, "gstin", "checksum"),
                                        ("29AABCT1332L1Z", None, "gstin", "format"),
                                        (KARNATAKA_GSTIN, "27", "state_code", "state_mismatch"),
                                        (None, "42", "state_code", "unknown_state")]:
        with pytest.raises(DomainError) as caught:
            customers.set_gst_registration(uow, world.agent, customer_id=cid, gstin=gstin, state_code=state)
        assert caught.value.code == ErrorCode.INVALID_INPUT
        assert (caught.value.details["field"], caught.value.details["reason"]) == (field, reason)
    for who, code in [(world.alice, ErrorCode.FORBIDDEN), (world.tech, ErrorCode.FORBIDDEN)]:
        with pytest.raises(DomainError) as caught:
            customers.set_gst_registration(uow, who, customer_id=cid, gstin=None, state_code="27")
        assert caught.value.code == code
    with pytest.raises(DomainError) as caught:
        customers.set_gst_registration(uow, world.agent, customer_id=99999, state_code="27")
    assert caught.value.code == ErrorCode.NOT_FOUND
    with uow() as s:
        assert (s.get(Customer, cid).gstin, s.get(Customer, cid).state_code,
                s.scalar(select(func.count()).select_from(StateChange))) == before


def test_an_issued_invoice_keeps_the_registration_it_was_issued_under(uow, world):
    customers.set_gst_registration(uow, world.agent, customer_id=world.alice.customer_id, gstin=KARNATAKA_GSTIN)
    _, inv = bill(uow, world)
    customers.set_gst_registration(uow, world.agent, customer_id=world.alice.customer_id, gstin=None,
                                   state_code="27")
    again = billing.get_invoice(uow, world.agent, invoice_ref=inv.number)
    assert (again.place_of_supply, again.customer_gstin, again.igst) == ("29", KARNATAKA_GSTIN, inv.igst)


def test_the_catalog_refuses_a_wrong_hsn_or_sac(uow, world):
    with pytest.raises(DomainError) as caught:
        catalog_admin.create_part(uow, world.admin, sku="P-NEW", name="New", unit_price="10", unit_cost="5",
                                  hsn_code="85A2")
    assert (caught.value.code, caught.value.details["field"]) == (ErrorCode.INVALID_INPUT, "hsn_code")
    with pytest.raises(DomainError) as caught:
        catalog_admin.edit_service_charge(uow, world.admin, code="VISIT", sac_code="853225")
    assert (caught.value.code, caught.value.details["field"]) == (ErrorCode.INVALID_INPUT, "sac_code")
    made = catalog_admin.create_part(uow, world.admin, sku="P-NEW", name="New", unit_price="10", unit_cost="5",
                                     hsn_code="8536 1010")
    assert made.hsn_code == "85361010"
    assert catalog_admin.get_service_charge(uow, world.admin, code="VISIT").sac_code is None


def test_the_api_sets_a_registration_for_staff_only(api):
    cid = api.world.cust_b
    got = api.ok("POST", f"/api/customers/{cid}/gst", who="agent", json={"gstin": KARNATAKA_GSTIN})
    assert (got["gstin"], got["state_code"], got["state"]) == (KARNATAKA_GSTIN, "29", "Karnataka")
    assert api.ok("GET", f"/api/customers/{cid}", who="ravi")["gstin"] == KARNATAKA_GSTIN
    before = snapshot(api.engine)
    r = api.post(f"/api/customers/{cid}/gst", who="agent", json={"gstin": "29AABCT1332L1ZB"})
    assert r.status_code == 422 and r.json()["error"]["details"] == {"field": "gstin", "reason": "checksum"}
    assert api.post(f"/api/customers/{cid}/gst", who="ravi", json={"state_code": "27"}).status_code == 403
    assert snapshot(api.engine) == before
