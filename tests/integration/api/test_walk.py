"""Process B end to end through HTTP: one job under an AMC (labour covered,
parts billed) and one job with no cover (everything billed, with a travel
advance and an expense claim), each from the customer's request to the
receipt that settles it; then the party statements, the ageing and the
trial balance against figures worked out by hand here.

Prices (world.py): visit 500.00, drain pump 250.00, air filter 120.00, all
with 18 % tax.

  billable job : visit 500.00 + 2 pumps 500.00 = 1000.00, tax 180.00 -> 1180.00
                 paid 700.00 (cash) then 480.00 (bank)
  covered job  : labour covered; 1 filter 120.00, tax 21.60        ->  141.60
                 paid 141.60 (upi, i.e. bank)
  technician 1 : advance 1000.00; bills 300.00 passed, 200.00 rejected;
                 holds 700.00, hands it back (recover)
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from tests.support.delivery import deliver

from .conftest import Api

PDF = b"%PDF-1.4\n% a small bill\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"
D = Decimal


def test_covered_and_billable_jobs_from_request_to_settled_receipt(api: Api) -> None:
    w = api.world
    today = date.today()

    # --- A: two requests from Asha; the entitlement check classifies them -------------
    billable = api.ok("POST", "/api/requests", who="asha", status=201,
                      json={"want": "service", "problem": "Washer does not drain", "serial": w.serial_uncovered})
    covered = api.ok("POST", "/api/requests", who="asha", status=201,
                     json={"want": "service", "problem": "AC not cooling", "serial": w.serial_amc})
    assert billable["kind"] == "order" and billable["entitlement"]["covered"] is False
    assert covered["kind"] == "job" and covered["entitlement"]["cover"] == "AMC"
    assert covered["entitlement"]["billable"] == ["parts"]
    bjob, cjob = billable["job_number"], covered["job_number"]
    assert api.ok("GET", f"/api/jobs/{bjob}", who="asha")["state"] == "new"

    # --- B1-B2: schedule (agent), confirm (technician) ----------------------------------
    api.ok("POST", f"/api/jobs/{bjob}/schedule", who="agent", json={"technician_id": w.tech1, **api.next_slot()})
    api.ok("POST", f"/api/jobs/{cjob}/schedule", who="agent", json={"technician_id": w.tech2, **api.next_slot()})
    assert api.ok("POST", f"/api/jobs/{bjob}/confirm", who="tech1")["state"] == "confirmed"
    api.ok("POST", f"/api/jobs/{cjob}/confirm", who="tech2")

    # --- B3: travel advance for the billable job, sanctioned by the agent ---------------
    advance = api.ok("POST", f"/api/jobs/{bjob}/advances", who="tech1", status=201,
                     json={"amount": "1000.00", "purpose": "Taxi and tools"})
    assert advance["state"] == "requested" and advance["amount"] == "1000.00"
    sanctioned = api.ok("POST", f"/api/advances/{advance['id']}/sanction", who="agent")
    assert sanctioned["state"] == "sanctioned" and sanctioned["voucher"]

    # --- B4-B6: release, arrival, parts, resolution --------------------------------------
    for job, tech in ((bjob, "tech1"), (cjob, "tech2")):
        assert api.ok("POST", f"/api/jobs/{job}/release", who="agent")["state"] == "released"
        assert api.ok("POST", f"/api/jobs/{job}/arrival", who=tech)["state"] == "in_progress"
    view = api.ok("POST", f"/api/jobs/{bjob}/parts", who="tech1", json={"part_sku": "P-PUMP", "qty": 2})
    assert [(p["sku"], p["qty"], p["covered"]) for p in view["parts"]] == [("P-PUMP", "2.00", False)]
    api.ok("POST", f"/api/jobs/{cjob}/parts", who="tech2", json={"part_sku": "P-FILTER", "qty": "1"})
    resolved = api.ok("POST", f"/api/jobs/{bjob}/resolve", who="tech1", json={"service_notes": "Pump replaced"})
    assert (resolved["state"], resolved["estimate_state"], resolved["estimate_amount"]) == ("resolved", "pending", "1180.00")
    resolved = api.ok("POST", f"/api/jobs/{cjob}/resolve", who="tech2", json={"service_notes": "Filter replaced"})
    assert resolved["estimate_amount"] == "141.60"

    # --- B7: the customer accepts the estimates and rates the work ----------------------
    for job in (bjob, cjob):
        assert api.ok("POST", f"/api/jobs/{job}/estimate/accept", who="asha")["estimate_state"] == "accepted"
    assert api.ok("POST", f"/api/jobs/{bjob}/feedback", who="asha",
                  json={"rating": 5, "comment": "Quick and tidy"})["state"] == "feedback"

    # --- B8: bills uploaded, claimed, passed line by line by the manager ----------------
    bill = api.ok("POST", "/api/attachments", who="tech1", status=201,
                  files={"file": ("taxi.pdf", PDF, "application/pdf")})
    assert bill["size"] == len(PDF) and bill["content_type"] == "application/pdf"
    claim = api.ok("POST", f"/api/jobs/{bjob}/expense-claims", who="tech1", status=201, json={"lines": [
        {"category": "travel", "description": "Taxi both ways", "amount": "300.00", "attachment_id": bill["id"]},
        {"category": "food", "description": "Lunch", "amount": 200},
    ]})
    travel, food = claim["lines"]
    api.ok("POST", f"/api/expense-lines/{travel['id']}/decision", who="manager", json={"passed": True})
    claim = api.ok("POST", f"/api/expense-lines/{food['id']}/decision", who="manager",
                   json={"passed": False, "reason": "Meals are not reimbursed"})
    assert (claim["state"], claim["passed_total"]) == ("part_passed", "300.00")

    # --- B9-B10: billed, with the invoice and its sales voucher -------------------------
    billed = api.ok("POST", f"/api/jobs/{bjob}/bill", who="agent")
    assert billed["state"] == "billed"
    b_inv = billed["invoice_number"]
    invoice = api.ok("GET", f"/api/invoices/{b_inv}", who="asha")
    assert (invoice["subtotal"], invoice["tax"], invoice["total"], invoice["outstanding"]) == (
        "1000.00", "180.00", "1180.00", "1180.00")
    assert sorted((x["kind"], x["qty"], x["amount"], x["tax"]) for x in invoice["lines"]) == [
        ("labour", "1.00", "500.00", "90.00"), ("part", "2.00", "500.00", "90.00")]
    c_inv = api.ok("POST", f"/api/jobs/{cjob}/bill", who="agent")["invoice_number"]
    c_invoice = api.ok("GET", f"/api/invoices/{c_inv}", who="agent")
    assert (c_invoice["total"], [line["kind"] for line in c_invoice["lines"]]) == ("141.60", ["part"])

    # --- B11: a follow-up, and what is outstanding before any payment -------------------
    api.ok("POST", f"/api/invoices/{b_inv}/follow-ups", who="agent", status=201,
           json={"note": "Called; will pay in two parts", "next_on": (today + timedelta(days=3)).isoformat()})
    owed = api.ok("GET", f"/api/ledger/outstanding?party_id={w.cust_a}", who="asha")
    assert owed == [{"party_type": "customer", "party_id": w.cust_a, "total": "1321.60",
                     "buckets": {"current": "1321.60", "1-30": "0.00", "31-60": "0.00", "61-90": "0.00",
                                 "90+": "0.00"}}]

    # --- B12: receipts; the billable job is paid in two parts ---------------------------
    first = api.ok("POST", f"/api/invoices/{b_inv}/receipts", who="agent", status=201,
                   json={"amount": "700.00", "method": "cash"}, headers={"Idempotency-Key": "walk-b-1"})
    assert (first["amount"], first["invoice_outstanding"], first["created"]) == ("700.00", "480.00", True)
    assert api.ok("GET", f"/api/jobs/{bjob}", who="agent")["state"] == "billed"
    # 50 days on, the 480.00 left on the billable invoice (due in 15 days) is 35 days overdue.
    later = (today + timedelta(days=50)).isoformat()
    aged = api.ok("GET", f"/api/ledger/outstanding?party_id={w.cust_a}&as_of={later}", who="agent")
    assert aged[0]["total"] == "621.60"
    assert aged[0]["buckets"] == {"current": "0.00", "1-30": "0.00", "31-60": "621.60", "61-90": "0.00", "90+": "0.00"}

    second = api.ok("POST", f"/api/invoices/{b_inv}/receipts", who="agent", status=201,
                    json={"amount": 480, "method": "bank", "reference": "NEFT 4411"})
    assert second["invoice_outstanding"] == "0.00"
    api.ok("POST", f"/api/invoices/{c_inv}/receipts", who="agent", status=201,
           json={"amount": "141.60", "method": "upi", "received_on": today.isoformat()})
    for job in (bjob, cjob):
        assert api.ok("GET", f"/api/jobs/{job}", who="asha")["state"] == "settled"
    assert api.ok("GET", f"/api/invoices/{b_inv}", who="asha")["state"] == "paid"
    assert api.ok("GET", f"/api/ledger/outstanding?party_id={w.cust_a}", who="asha") == []

    # --- the customer's statement, line by line ------------------------------------------
    st = api.ok("GET", f"/api/ledger/statements/customer/{w.cust_a}", who="asha")
    assert [(line["kind"], line["debit"], line["credit"], line["balance"]) for line in st["lines"]] == [
        ("sales", "1180.00", "0.00", "1180.00"),
        ("sales", "141.60", "0.00", "1321.60"),
        ("receipt", "0.00", "700.00", "621.60"),
        ("receipt", "0.00", "480.00", "141.60"),
        ("receipt", "0.00", "141.60", "0.00"),
    ]
    assert (st["opening"], st["total_debit"], st["total_credit"], st["closing"]) == (
        "0.00", "1321.60", "1321.60", "0.00")

    # --- the technician's statement: advance out, passed bills back, the rest recovered --
    tst = api.ok("GET", f"/api/ledger/statements/technician/{w.tech1}", who="tech1")
    assert [(line["kind"], line["debit"], line["credit"]) for line in tst["lines"]] == [
        ("advance", "1000.00", "0.00"), ("expense", "0.00", "300.00")]
    assert tst["closing"] == "700.00"
    api.ok("POST", f"/api/technicians/{w.tech1}/settlements", who="manager", status=201,
           json={"amount": "700.00", "direction": "recover"})
    assert api.ok("GET", f"/api/ledger/statements/technician/{w.tech1}", who="manager")["closing"] == "0.00"

    # --- the trial balance: every account, and debits = credits --------------------------
    tb = {r["code"]: (D(r["debit"]), D(r["credit"])) for r in api.ok("GET", "/api/ledger/trial-balance", who="manager")}
    assert tb["1100"] == (D("1321.60"), D("1321.60"))  # receivable: invoiced, all received
    assert tb["4000"] == (D(0), D("500.00"))  # labour: the uncovered visit only
    assert tb["4100"] == (D(0), D("620.00"))  # parts: 2 pumps + 1 filter
    # tax 180.00 + 21.60 = 201.60, within Maharashtra: half CGST, half SGST (GST tax invoices); none undivided
    assert (tb["2110"], tb["2120"], tb.get("2100", (D(0), D(0)))) == ((D(0), D("100.80")), (D(0), D("100.80")),
                                                                      (D(0), D(0)))
    assert tb["1000"] == (D("1400.00"), D("1000.00"))  # cash: 700 received + 700 recovered; 1000 advanced
    assert tb["1010"] == (D("621.60"), D(0))  # bank: 480.00 + 141.60 (upi)
    assert tb["1200"] == (D("1000.00"), D("1000.00"))  # technician: advanced = passed + recovered
    assert tb["5000"] == (D("300.00"), D(0))
    assert sum(d for d, _ in tb.values()) == sum(c for _, c in tb.values()) == D("4643.20")

    # --- a CMC job (Ravi): labour and parts covered, closed with no invoice -------------
    ravi = api.ok("POST", "/api/requests", who="ravi", status=201,
                  json={"want": "service", "problem": "Noisy drum", "serial": w.serial_cmc})
    rjob = ravi["job_number"]
    api.ok("POST", f"/api/jobs/{rjob}/schedule", who="agent", json={"technician_id": w.tech2, **api.next_slot()})
    for step, who in (("confirm", "tech2"), ("release", "agent"), ("arrival", "tech2")):
        api.ok("POST", f"/api/jobs/{rjob}/{step}", who=who)
    api.ok("POST", f"/api/jobs/{rjob}/parts", who="tech2", json={"part_sku": "P-PUMP", "qty": 1})
    assert api.ok("POST", f"/api/jobs/{rjob}/resolve", who="tech2",
                  json={"service_notes": "Pump replaced"})["estimate_amount"] == "0.00"
    closed = api.ok("POST", f"/api/jobs/{rjob}/bill", who="agent")
    assert (closed["state"], closed["invoice_number"]) == ("closed", None)
    assert api.ok("GET", f"/api/ledger/statements/customer/{w.cust_b}", who="ravi")["lines"] == []

    # --- stock left: 5 - 2 - 1 pumps, 3 - 1 filters ---------------------------------------
    stock = {p["sku"]: p["stock_qty"] for p in api.ok("GET", "/api/parts", who="agent")}
    assert (D(stock["P-PUMP"]), D(stock["P-FILTER"])) == (D(2), D(2))

    # --- every "customer informed" of the card reached Asha's inbox -----------------------
    deliver(api.uow)  # what the worker does every second
    told = {n["event"] for n in api.ok("GET", "/api/inbox?limit=200", who="asha")}
    assert {"appointment_confirmed", "technician_confirmed", "technician_arrived", "job_resolved", "final_bill",
            "payment_received"} <= told
    assert api.ok("GET", f"/api/customers/{w.cust_a}", who="asha")["name"] == "Asha Mehta"

    # --- the whole journey of the billable request is recorded ---------------------------
    journey = api.ok("GET", f"/api/requests/{billable['number']}", who="asha")["journey"]
    job_moves = [s["to_state"] for s in journey if s["entity"] == "job" and s["from_state"] != s["to_state"]]
    assert job_moves == ["new", "scheduled", "confirmed", "advance_requested", "advance_sanctioned", "released",
                         "in_progress", "resolved", "feedback", "billed", "settled"]
