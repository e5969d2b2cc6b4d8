"""A retried request or payment (same Idempotency-Key) creates one row and
answers with the first result: 201 the first time, 200 with the same record
(``created: false``) after. The same key for something else is a 409."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from sqlalchemy import func, select

from backend.billing.models import Receipt
from backend.intake.models import ServiceRequest
from backend.jobs.models import Job
from backend.ledger.models import Voucher

from .conftest import Api, snapshot
from .flows import job_in_state


def _count(api: Api, column) -> int:
    with api.uow() as s:
        return s.scalar(select(func.count(column)))


def _billed_invoice(api: Api) -> str:
    ref = job_in_state(api, "resolved")  # visit only: 590.00
    api.ok("POST", f"/api/jobs/{ref}/estimate/accept", who="asha")
    return api.ok("POST", f"/api/jobs/{ref}/bill", who="agent")["invoice_number"]


def test_a_retried_request_creates_one_request_and_one_job(api: Api) -> None:
    body = {"want": "service", "problem": "No power", "serial": api.world.serial_amc}
    key = {"Idempotency-Key": "req-7f3a"}
    first = api.post("/api/requests", who="asha", json=body, headers=key)
    second = api.post("/api/requests", who="asha", json=body, headers=key)
    assert (first.status_code, second.status_code) == (201, 200)
    a, b = first.json(), second.json()
    assert (a["created"], b["created"]) == (True, False)
    assert {k: v for k, v in a.items() if k != "created"} == {k: v for k, v in b.items() if k != "created"}
    assert _count(api, ServiceRequest.id) == 1 and _count(api, Job.id) == 1
    # an agent raising the same key for another customer is refused, and nothing is written
    before = snapshot(api.engine)
    r = api.post("/api/requests", who="agent", headers=key,
                 json={**body, "customer_id": api.world.cust_b, "serial": None})
    assert (r.status_code, r.json()["error"]["code"]) == (409, "idempotency_conflict")
    assert snapshot(api.engine) == before
    # without a key, the same body is a new request
    assert api.post("/api/requests", who="asha", json=body).status_code == 201
    assert _count(api, ServiceRequest.id) == 2


def test_concurrent_retries_of_a_request_create_one(api: Api) -> None:
    body = {"want": "question", "problem": "Is my AC covered?"}
    token = api.token("asha")

    def send(_):
        return api.http.post(f"{api.base_url}/api/requests", json=body, timeout=60,
                             headers={"Authorization": f"Bearer {token}", "Idempotency-Key": "race-1"})

    with ThreadPoolExecutor(4) as pool:
        responses = list(pool.map(send, range(4)))
    assert sorted(r.status_code for r in responses) == [200, 200, 200, 201]
    assert len({r.json()["number"] for r in responses}) == 1
    assert _count(api, ServiceRequest.id) == 1


def test_a_retried_payment_is_recorded_once(api: Api) -> None:
    invoice = _billed_invoice(api)
    vouchers = _count(api, Voucher.id)
    key = {"Idempotency-Key": "pay-2024-001"}
    body = {"amount": "300.00", "method": "bank", "reference": "UTR 99"}
    first = api.post(f"/api/invoices/{invoice}/receipts", who="agent", json=body, headers=key)
    second = api.post(f"/api/invoices/{invoice}/receipts", who="agent", json=body, headers=key)
    assert (first.status_code, second.status_code) == (201, 200)
    assert first.json()["number"] == second.json()["number"]
    assert second.json()["created"] is False and second.json()["invoice_outstanding"] == "290.00"
    assert _count(api, Receipt.id) == 1 and _count(api, Voucher.id) == vouchers + 1
    assert api.ok("GET", f"/api/invoices/{invoice}", who="agent")["outstanding"] == "290.00"

    # the same key with another amount is not a retry: refused, nothing written
    before = snapshot(api.engine)
    r = api.post(f"/api/invoices/{invoice}/receipts", who="agent", json={**body, "amount": "290.00"}, headers=key)
    assert (r.status_code, r.json()["error"]["code"]) == (409, "idempotency_conflict")
    assert snapshot(api.engine) == before


def test_concurrent_retries_of_a_payment_record_one_receipt(api: Api) -> None:
    invoice = _billed_invoice(api)
    token = api.token("agent")
    body = {"amount": "590.00", "method": "cash"}

    def send(_):
        return api.http.post(f"{api.base_url}/api/invoices/{invoice}/receipts", json=body, timeout=60,
                             headers={"Authorization": f"Bearer {token}", "Idempotency-Key": "pay-race"})

    with ThreadPoolExecutor(3) as pool:
        responses = list(pool.map(send, range(3)))
    codes = sorted(r.status_code for r in responses)
    assert _count(api, Receipt.id) == 1  # never two payments, whatever the answers
    assert api.ok("GET", f"/api/invoices/{invoice}", who="agent")["state"] == "paid"
    assert codes == [200, 200, 201], [r.text for r in responses]
    assert len({r.json()["number"] for r in responses}) == 1


# --- every creation or append takes the header, not only requests and payments ------------------

def _stock(api: Api, sku: str):
    from backend.jobs.service import stock_of

    return stock_of(api.uow, sku=sku)


def test_a_retried_parts_report_takes_stock_once_and_a_reused_key_is_refused(api: Api) -> None:
    ref = job_in_state(api, "in_progress")
    key = {"Idempotency-Key": "parts-JB-1"}
    body = {"part_sku": "P-PUMP", "qty": "1"}
    first = api.post(f"/api/jobs/{ref}/parts", who="tech1", json=body, headers=key)
    second = api.post(f"/api/jobs/{ref}/parts", who="tech1", json=body, headers=key)
    assert (first.status_code, second.status_code) == (200, 200)
    assert (first.json()["created"], second.json()["created"]) == (True, False)
    assert second.json()["parts"] == first.json()["parts"]
    assert _stock(api, "P-PUMP") == 4
    before = snapshot(api.engine)
    r = api.post(f"/api/jobs/{ref}/parts", who="tech1", json={"part_sku": "P-FILTER", "qty": "1"}, headers=key)
    assert (r.status_code, r.json()["error"]["code"]) == (409, "idempotency_conflict")
    assert snapshot(api.engine) == before


def test_retried_advance_and_expense_claim_answer_200_with_the_first(api: Api) -> None:
    ref = job_in_state(api, "confirmed")
    adv = {"amount": "500", "purpose": "train"}
    first = api.post(f"/api/jobs/{ref}/advances", who="tech1", json=adv, headers={"Idempotency-Key": "adv-1"})
    second = api.post(f"/api/jobs/{ref}/advances", who="tech1", json=adv, headers={"Idempotency-Key": "adv-1"})
    assert (first.status_code, second.status_code) == (201, 200)
    assert first.json()["id"] == second.json()["id"] and second.json()["created"] is False
    api.ok("POST", f"/api/advances/{first.json()['id']}/sanction", who="agent")
    api.ok("POST", f"/api/jobs/{ref}/release", who="agent")
    api.ok("POST", f"/api/jobs/{ref}/arrival", who="tech1")
    claim = {"lines": [{"category": "travel", "description": "taxi", "amount": "350"}]}
    key = {"Idempotency-Key": "claim-1"}
    first = api.post(f"/api/jobs/{ref}/expense-claims", who="tech1", json=claim, headers=key)
    second = api.post(f"/api/jobs/{ref}/expense-claims", who="tech1", json=claim, headers=key)
    assert (first.status_code, second.status_code) == (201, 200)
    assert first.json()["number"] == second.json()["number"]
    assert len(api.ok("GET", "/api/expense-claims", who="tech1")) == 1


def test_concurrent_retries_of_a_walk_in_order_create_one(api: Api) -> None:
    token = api.token("agent")
    body = {"customer_id": api.world.cust_a, "description": "Deep clean of the AC"}

    def send(_):
        return api.http.post(f"{api.base_url}/api/orders", json=body, timeout=60,
                             headers={"Authorization": f"Bearer {token}", "Idempotency-Key": "walk-in-race"})

    with ThreadPoolExecutor(4) as pool:
        responses = list(pool.map(send, range(4)))
    assert sorted(r.status_code for r in responses) == [200, 200, 200, 201], [r.text for r in responses]
    assert len({r.json()["number"] for r in responses}) == 1
    assert len(api.ok("GET", "/api/orders", who="agent")) == 1
