"""The HTTP API of paying by UPI, payment reports and bank reconciliation,
served for real (SQLite and PostgreSQL): who may call what, and a statement
imported twice through the upload route."""

from __future__ import annotations

from datetime import date

from backend.banking import payment_reports as reports
from backend.banking.paylinks import PayLinks
from tests.integration.api.flows import job_in_state

LINKS = PayLinks("test-secret")  # the served API's settings.secret_key


def billed_invoice(api, who: str = "asha") -> tuple[str, str]:
    job = job_in_state(api, "resolved", who=who)
    api.ok("POST", f"/api/jobs/{job}/estimate/accept", who=who)
    bill = api.ok("POST", f"/api/jobs/{job}/bill", who="agent")
    invoice = api.ok("GET", f"/api/invoices/{bill['invoice_number']}", who="agent")
    return invoice["number"], invoice["outstanding"]


def test_a_customer_gets_the_payment_link_of_their_own_invoice_only(api):
    number, due = billed_invoice(api)
    pay = api.ok("GET", f"/api/invoices/{number}/payment", who="asha")
    assert pay["invoice_number"] == number and pay["amount_due"] == due
    assert pay["qr_png_url"] == pay["url"] + "/qr.png" and pay["upi_url"].startswith("upi://pay?")
    assert LINKS.read(pay["url"].rsplit("/pay/", 1)[1]) == number
    r = api.get(f"/api/invoices/{number}/payment", who="ravi")
    assert (r.status_code, r.json()["error"]["code"]) == (404, "not_found")
    r = api.get(f"/api/invoices/{number}/payment", who="tech1")
    assert r.status_code == 403


def test_an_agent_confirms_a_reported_payment_once_through_the_api(api):
    number, due = billed_invoice(api)
    report = reports.report_payment(api.uow, token=LINKS.token(number), utr="300000000007", amount=due,
                                    links=LINKS)
    waiting = api.ok("GET", "/api/payment-reports", who="agent")
    assert [(w["id"], w["utr"], w["state"]) for w in waiting] == [(report.id, "300000000007", "reported")]
    r = api.get("/api/payment-reports", who="asha")
    assert (r.status_code, r.json()["error"]["code"]) == (403, "forbidden")
    done = api.ok("POST", f"/api/payment-reports/{report.id}/confirm", who="agent")
    assert done["report"]["state"] == "confirmed" and done["receipt"]["invoice_outstanding"] == "0.00"
    r = api.post(f"/api/payment-reports/{report.id}/confirm", who="agent")
    assert (r.status_code, r.json()["error"]["code"]) == (409, "already_done")
    assert api.ok("GET", f"/api/invoices/{number}", who="asha")["state"] == "paid"


def test_a_statement_uploaded_twice_is_imported_once(api):
    number, due = billed_invoice(api)
    api.ok("POST", f"/api/invoices/{number}/receipts", who="agent",
           json={"amount": "100.00", "method": "cheque", "reference": "771234"})
    fmt = api.ok("POST", "/api/bank/formats", who="agent", status=200,
                 json={"name": "HDFC", "date_column": "Date", "date_format": "%d/%m/%y", "amount_column": "Amount",
                       "reference_column": "Chq./Ref.No.", "narration_column": "Narration"})
    assert fmt["created"] is True
    today = date.today()
    csv = (f"Date,Narration,Chq./Ref.No.,Amount\n{today:%d/%m/%y},CHQ DEP 771234,771234,100.00\n"
           f"{today:%d/%m/%y},NEFT CR SOMEONE,N55,42.00\n").encode()
    files = {"file": ("hdfc.csv", csv, "text/csv")}
    first = api.ok("POST", "/api/bank/statements?bank_format=HDFC", who="agent", files=files, status=200)
    assert (first["created"], first["lines_new"], first["matched"], first["unmatched"]) == (True, 2, 1, 1)
    again = api.ok("POST", "/api/bank/statements?bank_format=HDFC", who="agent", files=files, status=200)
    assert (again["created"], again["lines_new"]) == (False, 0)
    rec = api.ok("GET", "/api/bank/reconciliation", who="manager")
    assert [ln["amount"] for ln in rec["unmatched_lines"]] == ["42.00"]
    line = rec["unmatched_lines"][0]["id"]
    r = api.post(f"/api/bank/lines/{line}/match", who="agent", json={"item": "receipt:999999"})
    assert (r.status_code, r.json()["error"]["code"]) == (409, "conflict")
    for who in ("asha", "tech1"):
        r = api.call("POST", "/api/bank/statements?bank_format=HDFC", who=who, files=files)
        assert r.status_code == 403
        assert api.get("/api/bank/reconciliation", who=who).status_code == 403
