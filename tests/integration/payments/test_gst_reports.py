"""The sales register's GST columns and the GST summary (the GSTR-1 shape),
against a month of invoices worked by hand, and both against the ledger."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal as D

import pytest
from sqlalchemy import func, select

from backend.billing.invoicing import LineInput, issue_invoice
from backend.billing.models import Invoice, InvoiceLine
from backend.catalog import admin as catalog_admin
from backend.customers import service as customers
from backend.customers.models import Customer
from backend.errors import DomainError, ErrorCode
from backend.identity.actor import Actor
from backend.identity.models import Role, User
from backend.ledger import chart
from backend.ledger.models import Account, LedgerEntry, VoucherKind
from backend.ledger.posting import Line, post_voucher
from backend.references import assign_number
from backend.reports import gst, money
from tests.integration.web.served import serve

D0 = date(2026, 3, 2)
RANGE = {"start": D0, "end": date(2026, 3, 31)}
BOB_GSTIN = "29AABCT1332L1ZA"


def _issue(uow, world, customer_id: int, day: int, *lines: LineInput) -> str:
    with uow() as s:
        return issue_invoice(s, customer_id=customer_id, source_type="order", source_id=1, lines=list(lines),
                             actor=world.agent, on=D0 + timedelta(days=day)).number


def visit() -> LineInput:
    return LineInput("labour", "Service visit", D(1), D("499.00"), D(18), code="VISIT")


@pytest.fixture
def month(uow, world):
    """A month of invoices:

    - INV-1 (1 Mar, the day before the range): Alice, a visit.
    - INV-2 Alice, a consumer in Maharashtra (the company's state): visit 499.00 + pump 1000.00 (HSN 841370):
      CGST 44.91 + 90.00 = 134.91, SGST the same; total 1499.00 + 269.82 = 1768.82.
    - INV-3 Bob, registered in Karnataka: 3 belts at 33.35 = 100.05 (HSN 401693, IGST 18.009 -> 18.01), an
      AMC 1000.00 (SAC 998715, IGST 180.00), a 5 % line 100.10 (IGST 5.005 -> 5.01): 1200.15 + 203.02 = 1403.17.
    - INV-4 Carol, a consumer in Gujarat: a CMC of 100000.00, IGST 18000.00: 118000.00 (above 1 lakh: B2C large).
    - INV-5 Carol: a visit 499.00, IGST 89.82: 588.82 (B2C small, inter-state).
    - INV-6 an invoice from before tax invoices (no place of supply): 200.00 + 36.00 on 2100.
    """
    catalog_admin.edit_part(uow, world.admin, sku="P-PUMP", hsn_code="841370")
    catalog_admin.edit_part(uow, world.admin, sku="P-BELT", hsn_code="401693")
    customers.set_gst_registration(uow, world.agent, customer_id=world.alice.customer_id, state_code="27")
    customers.set_gst_registration(uow, world.agent, customer_id=world.bob.customer_id, gstin=BOB_GSTIN)
    with uow() as s:
        carol = Customer(code="C-C", name="Carol", email="carol@example.com", state_code="24")
        s.add(carol)
        s.flush()
        carol_id = carol.id
    alice, bob = world.alice.customer_id, world.bob.customer_id
    numbers = [
        _issue(uow, world, alice, -1, visit()),
        _issue(uow, world, alice, 0, visit(), LineInput("part", "Drain pump", D(1), D("1000.00"), D(18),
                                                        code="P-PUMP")),
        _issue(uow, world, bob, 3, LineInput("part", "Belt", D(3), D("33.35"), D(18), code="P-BELT"),
               LineInput("contract", "AMC", D(1), D("1000.00"), D(18)),
               LineInput("other", "Water softener service", D(1), D("100.10"), D(5))),
        _issue(uow, world, carol_id, 5, LineInput("contract", "CMC", D(1), D("100000.00"), D(18))),
        _issue(uow, world, carol_id, 9, visit()),
    ]
    with uow() as s:  # as an invoice issued before GST tax invoices stands in the books
        old = Invoice(customer_id=alice, source_type="job", source_id=9, issued_on=D0 + timedelta(days=10),
                      due_on=D0 + timedelta(days=25), subtotal=D("200.00"), tax=D("36.00"), total=D("236.00"))
        s.add(old)
        assign_number(s, old, "INV")
        s.add(InvoiceLine(invoice_id=old.id, kind="labour", description="Visit", qty=D(1), unit_price=D("200.00"),
                          tax_rate=D(18), amount=D("200.00"), tax=D("36.00")))
        old.voucher_id = post_voucher(
            s, kind=VoucherKind.SALES, on=old.issued_on, narration="old", actor=world.agent, source_type="invoice",
            source_id=old.id, invoice=old,
            lines=[Line(chart.RECEIVABLE, debit=D("236.00"), party_type="customer", party_id=alice),
                   Line(chart.LABOUR_REVENUE, credit=D("200.00")), Line(chart.TAX_PAYABLE, credit=D("36.00"))]).id
        numbers.append(old.number)
    return numbers


def credits(uow, *codes: str) -> D:
    """What the ledger credited to these accounts in the range, less debits."""
    with uow() as s:
        return s.scalar(select(func.coalesce(func.sum(LedgerEntry.credit - LedgerEntry.debit), 0))
                        .join(Account, Account.id == LedgerEntry.account_id)
                        .where(Account.code.in_(codes), LedgerEntry.on >= RANGE["start"],
                               LedgerEntry.on <= RANGE["end"]))


def test_the_sales_register_shows_each_invoices_split(uow, world, month):
    reg = money.sales_register(uow, world.manager, **RANGE)
    rows = {l.number: (l.customer_gstin, l.place_of_supply, l.subtotal, l.cgst, l.sgst, l.igst, l.tax, l.total)
            for l in reg.lines}
    assert rows == {
        month[1]: (None, "27", D("1499.00"), D("134.91"), D("134.91"), D("0.00"), D("269.82"), D("1768.82")),
        month[2]: (BOB_GSTIN, "29", D("1200.15"), D("0.00"), D("0.00"), D("203.02"), D("203.02"), D("1403.17")),
        month[3]: (None, "24", D("100000.00"), D("0.00"), D("0.00"), D("18000.00"), D("18000.00"), D("118000.00")),
        month[4]: (None, "24", D("499.00"), D("0.00"), D("0.00"), D("89.82"), D("89.82"), D("588.82")),
        month[5]: (None, None, D("200.00"), D("0.00"), D("0.00"), D("0.00"), D("36.00"), D("236.00")),
    }
    assert (reg.invoices, reg.subtotal, reg.cgst, reg.sgst, reg.igst, reg.tax, reg.total) == (
        5, D("103398.15"), D("134.91"), D("134.91"), D("18292.84"), D("18598.66"), D("121996.81"))
    # the register equals the ledger: revenue, and output tax on the GST accounts and the old 2100
    assert reg.subtotal == credits(uow, chart.LABOUR_REVENUE, chart.PARTS_REVENUE, chart.CONTRACT_REVENUE)
    assert reg.tax == credits(uow, chart.TAX_PAYABLE, chart.OUTPUT_CGST, chart.OUTPUT_SGST, chart.OUTPUT_IGST)
    assert (reg.cgst, reg.sgst, reg.igst) == tuple(credits(uow, code) for code in
                                                   (chart.OUTPUT_CGST, chart.OUTPUT_SGST, chart.OUTPUT_IGST))


def test_the_gst_summary_in_the_gstr1_shape(uow, world, month):
    g = gst.gst_summary(uow, world.manager, **RANGE)
    assert (g.invoices, g.pre_gst_invoices, g.taxable, g.cgst, g.sgst, g.igst, g.tax, g.invoice_value) == (
        4, 1, D("103198.15"), D("134.91"), D("134.91"), D("18292.84"), D("18562.66"), D("121760.81"))
    assert [(r.recipient_gstin, r.customer, r.place_of_supply, r.rate, r.invoices, r.taxable, r.cgst, r.sgst, r.igst)
            for r in g.b2b] == [
        (BOB_GSTIN, "Bob", "29", D(5), 1, D("100.10"), D("0.00"), D("0.00"), D("5.01")),
        (BOB_GSTIN, "Bob", "29", D(18), 1, D("1100.05"), D("0.00"), D("0.00"), D("198.01"))]
    assert [(r.invoice, r.invoice_value, r.place_of_supply, r.rate, r.taxable, r.igst) for r in g.b2cl] == [
        (month[3], D("118000.00"), "24", D(18), D("100000.00"), D("18000.00"))]
    assert [(r.supply, r.place_of_supply, r.rate, r.taxable, r.cgst, r.sgst, r.igst) for r in g.b2cs] == [
        ("intra-state", "27", D(18), D("1499.00"), D("134.91"), D("134.91"), D("0.00")),
        ("inter-state", "24", D(18), D("499.00"), D("0.00"), D("0.00"), D("89.82"))]
    assert [(r.rate, r.taxable, r.cgst, r.sgst, r.igst, r.tax) for r in g.by_rate] == [
        (D(5), D("100.10"), D("0.00"), D("0.00"), D("5.01"), D("5.01")),
        (D(18), D("103098.05"), D("134.91"), D("134.91"), D("18287.83"), D("18557.65"))]
    assert [(r.recipients, r.hsn_sac, r.kind, r.uqc, r.rate, r.qty, r.taxable, r.cgst, r.sgst, r.igst,
             r.total_value) for r in g.hsn] == [
        ("B2B", "401693", "goods", "NOS", D(18), D(3), D("100.05"), D("0.00"), D("0.00"), D("18.01"), D("118.06")),
        ("B2B", "998715", "services", "NA", D(5), D(1), D("100.10"), D("0.00"), D("0.00"), D("5.01"), D("105.11")),
        ("B2B", "998715", "services", "NA", D(18), D(1), D("1000.00"), D("0.00"), D("0.00"), D("180.00"),
         D("1180.00")),
        ("B2C", "841370", "goods", "NOS", D(18), D(1), D("1000.00"), D("90.00"), D("90.00"), D("0.00"),
         D("1180.00")),
        # two visits and the CMC: 499 + 100000 + 499; CGST/SGST 44.91 each; IGST 18000 + 89.82
        ("B2C", "998715", "services", "NA", D(18), D(3), D("100998.00"), D("44.91"), D("44.91"), D("18089.82"),
         D("119177.64"))]
    assert [(d.first, d.last, d.issued, d.cancelled) for d in g.documents] == [(month[1], month[5], 5, 0),
                                                                             (None, None, 0, 0)]
    assert (g.credit_notes, g.net_tax) == ([], g.tax)
    # every section adds up to the totals, and the totals to the ledger's output-tax accounts
    for rows in (g.by_rate, g.hsn):
        assert (sum(r.taxable for r in rows), sum(r.cgst for r in rows), sum(r.igst for r in rows)) == (
            g.taxable, g.cgst, g.igst)
    parts = g.b2b + g.b2cs
    assert sum(r.taxable for r in parts) + sum(r.taxable for r in g.b2cl) == g.taxable
    assert sum(r.igst for r in parts) + sum(r.igst for r in g.b2cl) == g.igst
    assert (g.cgst, g.sgst, g.igst) == tuple(credits(uow, code) for code in
                                             (chart.OUTPUT_CGST, chart.OUTPUT_SGST, chart.OUTPUT_IGST))


def test_credit_notes_are_listed_with_the_tax_they_reversed_and_net_off_the_tax(uow, world, month):
    from backend.processes import invoice_corrections

    # INV-2 (Alice, intra-state, 1768.82): 118.00 back, in proportion: 33.29 visit + 66.71 pump + 9.00 + 9.00
    small = invoice_corrections.credit_invoice(uow, world.agent, invoice_ref=month[1], amount="118.00",
                                               reason="visit charged twice", issued_on=D0 + timedelta(days=12))
    # INV-3 (Bob, registered in Karnataka, IGST 203.02): wholly credited
    whole = invoice_corrections.credit_invoice(uow, world.agent, invoice_ref=month[2], amount="1403.17",
                                               reason="wrong customer", issued_on=D0 + timedelta(days=13))
    g = gst.gst_summary(uow, world.manager, **RANGE)
    assert [(n.number, n.invoice_number, n.recipient_gstin, n.place_of_supply, n.taxable, n.cgst, n.sgst, n.igst,
             n.value) for n in g.credit_notes] == [
        (small.number, month[1], None, "27", D("100.00"), D("9.00"), D("9.00"), D("0.00"), D("118.00")),
        (whole.number, month[2], BOB_GSTIN, "29", D("1200.15"), D("0.00"), D("0.00"), D("203.02"), D("1403.17"))]
    assert g.net_tax == g.tax - D("18.00") - D("203.02")
    assert g.documents[1].issued == 2
    # what is left on the output-tax accounts is the net tax
    assert g.net_tax == credits(uow, chart.OUTPUT_CGST, chart.OUTPUT_SGST, chart.OUTPUT_IGST)


def test_the_gst_summary_is_for_managers(uow, world, month):
    for who in (world.agent, world.alice, world.tech):
        with pytest.raises(DomainError) as caught:
            gst.gst_summary(uow, who, **RANGE)
        assert caught.value.code == ErrorCode.FORBIDDEN
    with pytest.raises(DomainError) as caught:
        gst.gst_summary(uow, world.manager, start=RANGE["end"], end=RANGE["start"])
    assert (caught.value.code, caught.value.details["field"]) == (ErrorCode.INVALID_INPUT, "start")
    assert gst.gst_summary(uow, world.admin, start=date(2026, 1, 1), end=date(2026, 1, 31)).invoices == 0


def test_the_api_serves_the_summary_as_json_and_csv(api):
    with api.uow() as s:  # an invoice to Ravi, who has no registration on file: the company's state
        agent = s.scalar(select(User).where(User.email == api.world.emails["agent"]))
        issue_invoice(s, customer_id=api.world.cust_b, source_type="order", source_id=1, on=D0,
                      actor=Actor(Role.AGENT, agent.id, None, agent.name, "api"),
                      lines=[LineInput("labour", "Visit", D(1), D("500.00"), D(18))])
    query = "start=2026-03-01&end=2026-03-31"
    doc = api.ok("GET", f"/api/reports/gst-summary?{query}", who="manager")
    assert (doc["invoices"], doc["cgst"], doc["sgst"], doc["igst"]) == (1, "45.00", "45.00", "0.00")
    assert doc["b2cs"] == [{"supply": "intra-state", "place_of_supply": "27", "rate": "18.00", "taxable": "500.00",
                            "cgst": "45.00", "sgst": "45.00", "igst": "0.00"}]
    r = api.get(f"/api/reports/gst-summary?{query}&format=csv", who="manager")
    assert r.status_code == 200 and r.headers["Content-Type"].startswith("text/csv")
    header, *rows = [line.split(",") for line in r.text.strip().splitlines()]
    assert header[0] == "section" and [row[0] for row in rows] == ["b2cs", "by_rate", "hsn", "documents", "documents"]
    assert api.get(f"/api/reports/gst-summary?{query}", who="agent").status_code == 403
    sales = api.ok("GET", f"/api/reports/sales-register?{query}", who="manager")
    assert [(l["place_of_supply"], l["cgst"], l["sgst"], l["igst"]) for l in sales["lines"]] == [
        ("27", "45.00", "45.00", "0.00")]


@pytest.fixture
def portal(sqlite_url, tmp_path):
    served, portal = serve(sqlite_url, tmp_path)
    with served:
        portal.url = served.base_url
        yield portal


def test_the_manager_reads_the_summary_on_the_report_board(portal):
    w = portal.world
    with portal.uow() as s:
        issue_invoice(s, customer_id=w.alice.customer_id, source_type="order", source_id=1, actor=w.agent, on=D0,
                      lines=[LineInput("labour", "Visit", D(1), D("500.00"), D(18))])
    manager = portal.client("manager")
    board = manager.get("/portal/m/reports")
    assert board.status_code == 200 and "GST summary (GSTR-1)" in board.text
    page = manager.get("/portal/m/reports/gst-summary?start=2026-03-01&end=2026-03-31")
    assert page.status_code == 200 and "b2cs" in page.text and "45.00" in page.text
    csv = manager.get("/portal/m/reports/gst-summary?start=2026-03-01&end=2026-03-31&format=csv&table=by_rate")
    assert csv.status_code == 200 and csv.text.splitlines()[0] == "rate,taxable,cgst,sgst,igst,tax"
    assert csv.text.splitlines()[1] == "18.00,500.00,45.00,45.00,0.00,90.00"
    assert portal.client("agent").get("/portal/m/reports/gst-summary").status_code in (403, 404)
