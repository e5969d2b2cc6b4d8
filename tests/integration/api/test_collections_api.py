"""Collections at the door and bank deposits through the HTTP API, as the
technician and the office do it, on SQLite and PostgreSQL."""

from __future__ import annotations

from .conftest import Api, snapshot
from .flows import job_in_state


def billed_job(api: Api, *, who: str = "asha", tech: str = "tech1") -> tuple[str, dict]:
    job = job_in_state(api, "resolved", who=who, tech=tech)
    api.ok("POST", f"/api/jobs/{job}/estimate/accept", who=who)
    invoice = api.ok("POST", f"/api/jobs/{job}/bill", who="agent")["invoice_number"]
    return job, api.ok("GET", f"/api/invoices/{invoice}", who="agent")


def test_a_technician_collects_the_office_deposits_and_the_reports_agree(api: Api):
    job, inv = billed_job(api)
    due = inv["outstanding"]
    url = f"/api/jobs/{job}/collections"
    key = {"Idempotency-Key": "tech1-collect-1"}
    c = api.ok("POST", url, who="tech1", headers=key, json={"amount": due, "method": "cash"}, status=201)
    assert (c["job_number"], c["invoice_number"], c["amount"], c["invoice_outstanding"], c["created"]) == \
        (job, inv["number"], due, "0.00", True)
    again = api.ok("POST", url, who="tech1", headers=key, json={"amount": due, "method": "cash"}, status=200)
    assert again["number"] == c["number"] and again["created"] is False
    assert api.ok("GET", f"/api/jobs/{job}", who="agent")["state"] == "settled"
    assert api.ok("GET", f"/api/invoices/{inv['number']}", who="asha")["state"] == "paid"

    mine = api.ok("GET", "/api/cash-in-hand", who="tech1")
    assert [(r["technician_id"], r["cash_in_hand"], r["undeposited"]) for r in mine] == [(api.world.tech1, due, 1)]
    assert api.ok("GET", "/api/cash-in-hand", who="tech2")[0]["cash_in_hand"] == "0.00"
    pending = api.ok("GET", "/api/collections/technicians?undeposited=true", who="agent")
    assert [p["number"] for p in pending] == [c["number"]]

    body = {"collection_numbers": [c["number"]], "slip_reference": "SBI 0045-17"}
    dep = api.ok("POST", "/api/deposits", who="manager", headers={"Idempotency-Key": "dep-1"}, json=body, status=201)
    assert (dep["amount"], dep["collections"], dep["slip_reference"]) == (due, [c["number"]], "SBI 0045-17")
    assert api.ok("POST", "/api/deposits", who="manager", headers={"Idempotency-Key": "dep-1"}, json=body,
                  status=200)["number"] == dep["number"]
    assert api.ok("GET", "/api/cash-in-hand", who="agent")[0]["cash_in_hand"] == "0.00"
    assert [d["number"] for d in api.ok("GET", "/api/deposits", who="agent")] == [dep["number"]]

    channels = {r["channel"]: r["amount"] for r in api.ok("GET", "/api/reports/collections-by-channel",
                                                         who="manager")}
    assert channels["technician_cash"] == due and channels["office_cash"] == "0.00"
    rows = api.ok("GET", "/api/reports/cash-in-hand", who="agent")
    assert [(r["collected"], r["paid_in"], r["closing"]) for r in rows] == [(due, due, "0.00")]
    csv = api.get("/api/reports/deposits?format=csv", who="agent")
    assert csv.status_code == 200 and dep["number"] in csv.text and "SBI 0045-17" in csv.text


def test_refusals_through_the_api_change_nothing(api: Api):
    job, inv = billed_job(api)
    upi = api.ok("POST", f"/api/jobs/{job}/collections", who="tech1",
                 json={"amount": "100", "method": "upi", "reference": "UTR-1"}, status=201)
    before = snapshot(api.engine)
    cases = [
        ("tech2", "POST", f"/api/jobs/{job}/collections", {"amount": "10", "method": "cash"}, 404, "not_found"),
        ("agent", "POST", f"/api/jobs/{job}/collections", {"amount": "10", "method": "cash"}, 403, "forbidden"),
        ("tech1", "POST", f"/api/jobs/{job}/collections", {"amount": "999999", "method": "cash"}, 422, "overpayment"),
        ("tech1", "POST", f"/api/jobs/{job}/collections", {"amount": "10", "method": "card"}, 422, "invalid_input"),
        ("tech1", "POST", "/api/deposits", {"collection_numbers": [upi["number"]], "slip_reference": "s"}, 403,
         "forbidden"),
        ("agent", "POST", "/api/deposits", {"collection_numbers": [upi["number"]], "slip_reference": "s"}, 409,
         "conflict"),
        ("agent", "POST", "/api/deposits", {"collection_numbers": ["CL-999999"], "slip_reference": "s"}, 404,
         "not_found"),
        ("agent", "POST", "/api/deposits", {"collection_numbers": [upi["number"]], "slip_reference": "s",
                                            "deposited_on": "2100-01-01"}, 422, "invalid_input"),
        ("asha", "GET", "/api/cash-in-hand", None, 403, "forbidden"),
    ]
    for who, method, path, body, status, code in cases:
        r = api.call(method, path, who=who, json=body) if body is not None else api.call(method, path, who=who)
        assert (r.status_code, r.json()["error"]["code"]) == (status, code), (who, path, body, r.text)
    assert snapshot(api.engine) == before
