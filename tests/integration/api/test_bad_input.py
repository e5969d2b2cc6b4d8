"""Bad input, one row each: the response carries its stable code (and the
offending field where there is one), and the database is exactly as before."""

from __future__ import annotations

import pytest

from .conftest import UPLOAD_LIMIT, Api, snapshot
from .flows import job_in_state

PDF = b"%PDF-1.4\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 16
LATER = {"start": "2031-03-03T10:00:00+05:30", "end": "2031-03-03T12:00:00+05:30"}


@pytest.fixture(scope="module")
def refs(shared_api: Api) -> dict:
    api = shared_api
    r: dict = {"tech1": api.world.tech1}
    r["new"] = job_in_state(api, "new")
    r["progress"] = job_in_state(api, "in_progress")
    job = api.ok("GET", f"/api/jobs/{r['progress']}", who="agent")
    r["busy"] = {"start": job["scheduled_start"], "end": job["scheduled_end"]}
    billed = job_in_state(api, "resolved")  # visit only: 500.00 + 90.00 tax
    api.ok("POST", f"/api/jobs/{billed}/estimate/accept", who="asha")
    api.ok("POST", f"/api/jobs/{billed}/feedback", who="asha", json={"rating": 4})
    r["rated"] = billed
    r["invoice"] = api.ok("POST", f"/api/jobs/{billed}/bill", who="agent")["invoice_number"]
    confirmed = job_in_state(api, "confirmed")
    r["advance"] = api.ok("POST", f"/api/jobs/{confirmed}/advances", who="tech1",
                          json={"amount": "100", "purpose": "Bus"})["id"]
    api.ok("POST", f"/api/advances/{r['advance']}/sanction", who="agent")
    return r


def row(name, who, method, path, status, code, field=None, **request):
    return pytest.param(who, method, path, request, status, code, field, id=name)


CASES = [
    # unknown ids and routes
    row("unknown job", "agent", "GET", "/api/jobs/JB-999999", 404, "not_found"),
    row("unknown job, a move", "agent", "POST", "/api/jobs/JB-999999/release", 404, "not_found"),
    row("malformed job ref", "agent", "GET", "/api/jobs/XX-1", 422, "invalid_input", "job_ref"),
    row("unknown invoice", "agent", "POST", "/api/invoices/INV-999999/receipts", 404, "not_found",
        json={"amount": "1", "method": "cash"}),
    row("unknown advance", "agent", "POST", "/api/advances/999999/sanction", 404, "not_found"),
    row("unknown expense line", "manager", "POST", "/api/expense-lines/999999/decision", 404, "not_found",
        json={"passed": True}),
    row("unknown technician", "agent", "POST", "/api/jobs/{new}/schedule", 404, "not_found",
        json={"technician_id": 999999, **LATER}),
    row("unknown part", "tech1", "POST", "/api/jobs/{progress}/parts", 404, "not_found",
        json={"part_sku": "P-NOPE", "qty": 1}),
    row("unknown ticket", "agent", "POST", "/api/tickets/TK-999999/answer", 404, "not_found", json={"answer": "Hi"}),
    row("unknown route", "agent", "GET", "/api/nothing-here", 404, "not_found"),
    row("wrong method", "agent", "DELETE", "/api/jobs", 405, "method_not_allowed"),
    # wrong role
    row("customer schedules", "asha", "POST", "/api/jobs/{new}/schedule", 403, "forbidden",
        json={"technician_id": "{tech1}", **LATER}),
    # illegal moves
    row("release before confirmation", "agent", "POST", "/api/jobs/{new}/release", 409, "illegal_transition"),
    row("bill before resolution", "agent", "POST", "/api/jobs/{progress}/bill", 409, "illegal_transition"),
    row("arrive twice", "tech1", "POST", "/api/jobs/{progress}/arrival", 409, "illegal_transition"),
    row("feedback before resolution", "asha", "POST", "/api/jobs/{progress}/feedback", 409, "illegal_transition",
        json={"rating": 3}),
    row("feedback twice", "asha", "POST", "/api/jobs/{rated}/feedback", 409, "already_done", json={"rating": 5}),
    row("sanction twice", "agent", "POST", "/api/advances/{advance}/sanction", 409, "already_done"),
    row("technician double-booked", "agent", "POST", "/api/jobs/{new}/schedule", 409, "conflict",
        json={"technician_id": "{tech1}", "start": "{busy[start]}", "end": "{busy[end]}"}),
    row("duplicate user", "admin", "POST", "/api/users", 409, "duplicate",
        json={"email": "agent@fieldserv.test", "name": "Again", "role": "agent", "password": "password123"}),
    # quantities
    row("negative qty", "tech1", "POST", "/api/jobs/{progress}/parts", 422, "invalid_input", "qty",
        json={"part_sku": "P-PUMP", "qty": -1}),
    row("zero qty", "tech1", "POST", "/api/jobs/{progress}/parts", 422, "invalid_input", "qty",
        json={"part_sku": "P-PUMP", "qty": 0}),
    row("absurd qty", "tech1", "POST", "/api/jobs/{progress}/parts", 422, "invalid_input", "qty",
        json={"part_sku": "P-PUMP", "qty": 1e9}),
    row("qty with 4 decimals", "tech1", "POST", "/api/jobs/{progress}/parts", 422, "invalid_input", "qty",
        json={"part_sku": "P-PUMP", "qty": "0.0001"}),
    row("qty as boolean", "tech1", "POST", "/api/jobs/{progress}/parts", 422, "invalid_input", "qty",
        json={"part_sku": "P-PUMP", "qty": True}),
    row("out of stock", "tech1", "POST", "/api/jobs/{progress}/parts", 422, "out_of_stock",
        json={"part_sku": "P-FILTER", "qty": 4}),
    # amounts
    row("negative amount", "agent", "POST", "/api/invoices/{invoice}/receipts", 422, "invalid_input", "amount",
        json={"amount": -5, "method": "cash"}),
    row("zero amount", "agent", "POST", "/api/invoices/{invoice}/receipts", 422, "invalid_input", "amount",
        json={"amount": "0.00", "method": "cash"}),
    row("absurd amount", "agent", "POST", "/api/invoices/{invoice}/receipts", 422, "invalid_input", "amount",
        json={"amount": "99999999999999", "method": "cash"}),
    row("amount in fractions of a cent", "agent", "POST", "/api/invoices/{invoice}/receipts", 422,
        "invalid_input", "amount", json={"amount": "10.005", "method": "cash"}),
    row("amount NaN", "agent", "POST", "/api/invoices/{invoice}/receipts", 422, "invalid_input", "amount",
        json={"amount": "NaN", "method": "cash"}),
    row("payment above outstanding", "agent", "POST", "/api/invoices/{invoice}/receipts", 422, "overpayment",
        json={"amount": "590.01", "method": "cash"}),
    row("unknown payment method", "agent", "POST", "/api/invoices/{invoice}/receipts", 422, "invalid_input",
        "method", json={"amount": "1", "method": "bitcoin"}),
    row("advance above the limit", "tech1", "POST", "/api/jobs/{progress}/advances", 422, "invalid_input",
        "amount", json={"amount": "1000000", "purpose": "Flight"}),
    row("negative expense line", "tech1", "POST", "/api/jobs/{progress}/expense-claims", 422, "invalid_input",
        "lines[0].amount", json={"lines": [{"category": "travel", "description": "Taxi", "amount": "-20"}]}),
    # malformed and ill-typed bodies
    row("malformed JSON", "agent", "POST", "/api/jobs/{new}/schedule", 400, "malformed_request",
        data=b'{"technician_id": 1,', headers={"Content-Type": "application/json"}),
    row("JSON nested too deeply", "agent", "POST", "/api/jobs/{new}/schedule", 400, "malformed_request",
        data=b"[" * 100_000 + b"]" * 100_000, headers={"Content-Type": "application/json"}),
    row("missing body", "agent", "POST", "/api/jobs/{new}/schedule", 400, "malformed_request"),
    row("array body", "agent", "POST", "/api/jobs/{new}/schedule", 422, "invalid_input", "body", json=[1, 2]),
    row("unknown field", "asha", "POST", "/api/requests", 422, "invalid_input", "colour",
        json={"want": "question", "problem": "Hi", "colour": "red"}),
    row("rating as text", "asha", "POST", "/api/jobs/{progress}/feedback", 422, "invalid_input", "rating",
        json={"rating": "5"}),
    row("rating out of range", "asha", "POST", "/api/jobs/{progress}/feedback", 422, "invalid_input", "rating",
        json={"rating": 6}),
    row("required field missing", "tech1", "POST", "/api/jobs/{progress}/resolve", 422, "invalid_input",
        "service_notes", json={}),
    row("blank text", "asha", "POST", "/api/requests", 422, "invalid_input", "problem",
        json={"want": "question", "problem": "   "}),
    row("NUL in text", "asha", "POST", "/api/requests", 422, "invalid_input", "problem",
        json={"want": "question", "problem": "a\u0000b"}),
    row("lone surrogate in text", "asha", "POST", "/api/requests", 422, "invalid_input", "problem",
        data=b'{"want": "question", "problem": "\\ud800"}', headers={"Content-Type": "application/json"}),
    row("unknown query parameter", "agent", "GET", "/api/jobs?colour=red", 422, "invalid_input", "colour"),
    row("unknown state in query", "agent", "GET", "/api/jobs?state=flying", 422, "invalid_input", "state"),
    row("impossible date", "agent", "GET", "/api/collections?as_of=2025-02-30", 422, "invalid_input", "as_of"),
    row("time without zone", "agent", "POST", "/api/jobs/{new}/schedule", 422, "invalid_input", "start",
        json={"technician_id": "{tech1}", "start": "2031-03-03T10:00:00", "end": "2031-03-03T12:00:00Z"}),
    row("appointment in the past", "agent", "POST", "/api/jobs/{new}/schedule", 422, "invalid_input", "start",
        json={"technician_id": "{tech1}", "start": "2020-01-01T10:00:00Z", "end": "2020-01-01T11:00:00Z"}),
    row("appointment ends before it starts", "agent", "POST", "/api/jobs/{new}/schedule", 422, "invalid_input",
        "end", json={"technician_id": "{tech1}", "start": LATER["end"], "end": LATER["start"]}),
    row("bad idempotency key", "asha", "POST", "/api/requests", 422, "invalid_input", "Idempotency-Key",
        json={"want": "question", "problem": "Hi"}, headers={"Idempotency-Key": "not a key!"}),
    row("JSON body too large", "asha", "POST", "/api/requests", 413, "upload_too_large",
        json={"want": "question", "problem": "x" * 300_000}),
    # uploads
    row("oversized upload", "tech1", "POST", "/api/attachments", 413, "upload_too_large",
        files={"file": ("big.pdf", PDF + b"0" * UPLOAD_LIMIT, "application/pdf")}),
    row("wrong upload type", "tech1", "POST", "/api/attachments", 415, "upload_type_not_allowed",
        files={"file": ("bill.txt", b"a text bill", "text/plain")}),
    row("upload type that lies", "tech1", "POST", "/api/attachments", 415, "upload_type_not_allowed",
        files={"file": ("bill.png", PDF, "image/png")}),
    row("upload not multipart", "tech1", "POST", "/api/attachments", 415, "upload_type_not_allowed",
        json={"file": "JVBERi0="}),
    row("upload in an unknown field", "tech1", "POST", "/api/attachments", 422, "invalid_input", "bill",
        files={"bill": ("bill.png", PNG, "image/png")}),
    row("upload by a customer", "asha", "POST", "/api/attachments", 403, "forbidden",
        files={"file": ("bill.png", PNG, "image/png")}),
]


def _fill(value, refs: dict):
    if isinstance(value, str) and value.startswith("{") and value.endswith("}") and value[1:-1] in refs:
        return refs[value[1:-1]]
    if isinstance(value, str):
        return value.format(**refs)
    if isinstance(value, dict):
        return {k: _fill(v, refs) for k, v in value.items()}
    return value


@pytest.mark.parametrize(("who", "method", "path", "request_", "status", "code", "field"), CASES)
def test_bad_input_is_refused_and_changes_nothing(shared_api: Api, refs: dict, who, method, path, request_,
                                                  status, code, field) -> None:
    request_ = dict(request_)
    if "json" in request_:
        request_["json"] = _fill(request_["json"], refs)
    before = snapshot(shared_api.engine)
    r = shared_api.call(method, _fill(path, refs), who=who, **request_)
    assert snapshot(shared_api.engine) == before, "a refused call changed the database"
    assert r.status_code == status, r.text
    assert r.headers["Content-Type"].startswith("application/json")
    error = r.json()["error"]
    assert error["code"] == code, error
    assert error["message"]
    if field is not None:
        assert error["details"].get("field") == field, error


def test_an_unexpected_error_is_a_500_without_a_traceback(shared_api: Api, refs: dict, monkeypatch, caplog) -> None:
    from backend.jobs import service as jobs

    def broken(*args, **kwargs):
        raise RuntimeError("secret internals: /srv/db password=hunter2")

    monkeypatch.setattr(jobs, "get_job", broken)
    r = shared_api.get(f"/api/jobs/{refs['new']}", who="agent")
    assert r.status_code == 500
    body = r.json()
    assert body["error"]["code"] == "internal_error"
    assert "hunter2" not in r.text and "Traceback" not in r.text
    assert body["error"]["details"]["incident"] in caplog.text  # logged, with the traceback, for the operators
    assert "hunter2" in caplog.text


def test_a_constraint_race_the_core_did_not_foresee_is_a_409(shared_api: Api, refs: dict, monkeypatch) -> None:
    from sqlalchemy.exc import IntegrityError

    from backend.jobs import service as jobs

    def racing(*args, **kwargs):
        raise IntegrityError("INSERT ...", {}, Exception("UNIQUE constraint failed"))

    monkeypatch.setattr(jobs, "get_job", racing)
    r = shared_api.get(f"/api/jobs/{refs['new']}", who="agent")
    assert (r.status_code, r.json()["error"]["code"]) == (409, "conflict")
    assert "UNIQUE" not in r.text


def test_failed_logins_are_throttled(shared_api: Api) -> None:
    bad = {"email": "nobody@fieldserv.test", "password": "wrong-password"}
    codes = [shared_api.post("/api/login", json=bad).status_code for _ in range(6)]
    assert codes == [401] * 5 + [429]
    r = shared_api.post("/api/login", json=bad)
    assert r.json()["error"]["code"] == "rate_limited" and int(r.headers["Retry-After"]) > 0
