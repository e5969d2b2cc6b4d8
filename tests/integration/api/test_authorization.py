"""Each role tries what it must not, through HTTP, and is refused; the
database is exactly as it was.

Two kinds of refusal, both decided by the core services:
- a role doing what the role may never do -> 403 ``forbidden``;
- someone reaching another party's record (another customer's job, invoice
  or request; a job assigned to another technician) -> 404 ``not_found``: the
  core does not reveal that the record exists (backend/jobs/views.load_job,
  billing.load_invoice, intake.load_request). Party-level reports (statements,
  ageing) refuse with 403.
"""

from __future__ import annotations

import pytest

from .conftest import Api, snapshot
from .flows import job_in_state, raise_job


@pytest.fixture(scope="module")
def refs(shared_api: Api) -> dict:
    api = shared_api
    w = api.world
    r: dict = {"asha": w.cust_a, "ravi": w.cust_b, "tech1": w.tech1}
    r["asha_new"] = job_in_state(api, "new")
    r["asha_job"] = job_in_state(api, "in_progress")  # tech1
    r["asha_released"] = job_in_state(api, "released")  # tech1
    billed = job_in_state(api, "resolved")
    api.ok("POST", f"/api/jobs/{billed}/estimate/accept", who="asha")
    r["asha_invoice"] = api.ok("POST", f"/api/jobs/{billed}/bill", who="agent")["invoice_number"]
    r["asha_sr"] = raise_job(api, who="asha", problem="Another one")["number"]
    r["ravi_job"] = job_in_state(api, "scheduled", who="ravi", serial=w.serial_cmc, tech="tech2")
    ravi_billed = job_in_state(api, "resolved", who="ravi", tech="tech2")  # no serial of his: billable
    api.ok("POST", f"/api/jobs/{ravi_billed}/estimate/accept", who="ravi")
    r["ravi_invoice"] = api.ok("POST", f"/api/jobs/{ravi_billed}/bill", who="agent")["invoice_number"]
    confirmed = job_in_state(api, "confirmed")
    r["advance"] = api.ok("POST", f"/api/jobs/{confirmed}/advances", who="tech1",
                          json={"amount": "500", "purpose": "Bus fare"})["id"]
    claim = api.ok("POST", f"/api/jobs/{r['asha_job']}/expense-claims", who="tech1",
                   json={"lines": [{"category": "travel", "description": "Auto", "amount": "80"}]})
    r["line"] = claim["lines"][0]["id"]
    r["ticket"] = api.ok("POST", "/api/requests", who="asha",
                         json={"want": "question", "problem": "How do I clean the filter?"})["ticket_number"]
    return r


FORBIDDEN = [
    # a customer doing staff or technician work
    ("asha", "POST", "/api/jobs/{asha_new}/schedule", {"technician_id": "{tech1}", "start": "2030-01-01T10:00:00Z",
                                                        "end": "2030-01-01T11:00:00Z"}),
    ("asha", "POST", "/api/jobs/{asha_released}/release", None),
    ("asha", "POST", "/api/jobs/{asha_job}/confirm", None),
    ("tech1", "POST", "/api/jobs/{asha_released}/appointment/confirm", None),
    ("agent", "POST", "/api/jobs/{asha_released}/appointment/confirm", None),
    ("asha", "POST", "/api/advances/{advance}/sanction", None),
    ("asha", "POST", "/api/invoices/{asha_invoice}/receipts", {"amount": "10", "method": "cash"}),
    ("asha", "POST", "/api/tickets/{ticket}/answer", {"answer": "Self-service"}),
    ("asha", "POST", "/api/requests", {"want": "service", "problem": "For Ravi", "customer_id": "{ravi}"}),
    ("asha", "GET", "/api/users", None),
    ("asha", "GET", "/api/parts", None),
    ("asha", "GET", "/api/ledger/statements/customer/{ravi}", None),
    ("asha", "GET", "/api/ledger/outstanding?party_id={ravi}", None),
    ("ravi", "GET", "/api/ledger/statements/customer/{asha}", None),
    ("ravi", "GET", "/api/customers/{asha}", None),
    # a technician passing a bill, billing, taking money, raising requests
    ("tech1", "POST", "/api/expense-lines/{line}/decision", {"passed": True}),
    ("tech1", "POST", "/api/jobs/{asha_job}/bill", None),
    ("tech1", "POST", "/api/invoices/{asha_invoice}/receipts", {"amount": "10", "method": "cash"}),
    ("tech1", "POST", "/api/requests", {"want": "service", "problem": "x", "customer_id": "{asha}"}),
    ("tech1", "POST", "/api/tickets/{ticket}/answer", {"answer": "Try this"}),
    ("tech1", "GET", "/api/ledger/trial-balance", None),
    ("tech2", "GET", "/api/ledger/statements/technician/{tech1}", None),
    # staff outside their role
    ("agent", "POST", "/api/expense-lines/{line}/decision", {"passed": True}),
    ("agent", "POST", "/api/users", {"email": "x@y.test", "name": "X", "role": "admin", "password": "password12"}),
    ("manager", "POST", "/api/jobs/{asha_job}/feedback", {"rating": 5}),
]

NOT_THEIRS = [
    ("ravi", "GET", "/api/jobs/{asha_job}", None),
    ("ravi", "GET", "/api/invoices/{asha_invoice}", None),
    ("ravi", "GET", "/api/requests/{asha_sr}", None),
    ("ravi", "POST", "/api/jobs/{asha_job}/cancel", {"reason": "Not mine anyway"}),
    ("ravi", "POST", "/api/jobs/{asha_job}/feedback", {"rating": 1}),
    ("ravi", "POST", "/api/tickets/{ticket}/close", None),
    ("asha", "GET", "/api/invoices/{ravi_invoice}", None),
    ("asha", "POST", "/api/jobs/{ravi_job}/appointment/confirm", None),
    ("asha", "POST", "/api/jobs/{ravi_job}/reschedule", {"start": "2030-01-01T10:00:00Z", "end": "2030-01-01T11:00:00Z"}),
    ("tech2", "GET", "/api/jobs/{asha_job}", None),
    ("tech2", "POST", "/api/jobs/{asha_released}/arrival", None),
    ("tech2", "POST", "/api/jobs/{asha_job}/parts", {"part_sku": "P-PUMP", "qty": 1}),
    ("tech2", "POST", "/api/jobs/{asha_job}/resolve", {"service_notes": "Done"}),
    ("tech2", "POST", "/api/jobs/{asha_job}/expense-claims",
     {"lines": [{"category": "travel", "description": "Taxi", "amount": "10"}]}),
]


def _fill(value, refs: dict):
    if isinstance(value, str):
        if value.startswith("{") and value.endswith("}") and value[1:-1] in refs and value.count("{") == 1:
            return refs[value[1:-1]]
        return value.format(**refs)
    if isinstance(value, dict):
        return {k: _fill(v, refs) for k, v in value.items()}
    return value


def _attempt(api: Api, refs: dict, who: str, method: str, path: str, body) -> tuple[int, dict]:
    before = snapshot(api.engine)
    r = api.call(method, _fill(path, refs), who=who, json=_fill(body, refs) if body is not None else None)
    assert snapshot(api.engine) == before, "a refused call changed the database"
    return r.status_code, r.json()


@pytest.mark.parametrize(("who", "method", "path", "body"), FORBIDDEN,
                         ids=[f"{w} {m} {p}" for w, m, p, _ in FORBIDDEN])
def test_a_role_may_not(shared_api: Api, refs: dict, who, method, path, body) -> None:
    status, body = _attempt(shared_api, refs, who, method, path, body)
    assert (status, body["error"]["code"]) == (403, "forbidden")


@pytest.mark.parametrize(("who", "method", "path", "body"), NOT_THEIRS,
                         ids=[f"{w} {m} {p}" for w, m, p, _ in NOT_THEIRS])
def test_someone_elses_record_is_not_found(shared_api: Api, refs: dict, who, method, path, body) -> None:
    status, body = _attempt(shared_api, refs, who, method, path, body)
    assert (status, body["error"]["code"]) == (404, "not_found")


def test_no_or_forged_token_is_unauthenticated(shared_api: Api, refs: dict) -> None:
    for headers in ({}, {"Authorization": "Bearer forged.token.value"}, {"Authorization": "Basic YTpi"}):
        r = shared_api.get(f"/api/jobs/{refs['asha_job']}", headers=headers)
        assert (r.status_code, r.json()["error"]["code"]) == (401, "unauthenticated")
        assert r.headers["WWW-Authenticate"].startswith("Bearer")


def test_lists_hold_only_ones_own(shared_api: Api, refs: dict) -> None:
    api = shared_api
    assert {j["customer_id"] for j in api.ok("GET", "/api/jobs", who="ravi")} == {refs["ravi"]}
    # asking for another customer's invoices or requests still yields one's own
    invoices = api.ok("GET", f"/api/invoices?customer_id={refs['asha']}", who="ravi")
    assert [i["number"] for i in invoices] == [refs["ravi_invoice"]]
    requests_ = api.ok("GET", f"/api/requests?customer_id={refs['asha']}", who="ravi")
    assert requests_ and {r["customer_id"] for r in requests_} == {refs["ravi"]}
    assert {j["technician_name"] for j in api.ok("GET", "/api/jobs", who="tech2")} == {"Tech2"}
    notices = api.ok("GET", f"/api/notifications?customer_id={refs['asha']}&limit=500", who="ravi")
    assert notices and not any(refs["asha_job"] in str(n["payload"]) for n in notices)
    assert {a["technician_id"] for a in api.ok("GET", "/api/advances", who="tech2")} <= {api.world.tech2}
