"""The master-data routes of the JSON API: an agent brings a customer in with a
site and a contact, edits and deactivates; a customer registers their own
item and sees its warranty cover; refusals answer with their stable codes."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta

import pytest

from tests.integration.api.conftest import Api, serve, snapshot


@pytest.fixture
def api(engine, tmp_path) -> Iterator[Api]:
    with serve(engine, tmp_path) as client:
        yield client


def test_an_agent_brings_a_customer_in_and_keeps_the_record(api):
    body = {"name": "Kiran Shah", "mobile": "098220 33344", "email": "Kiran@Example.com",
            "address": "9 Lake Road", "city": "Pune", "pin_code": "411001"}
    made = api.ok("POST", "/api/customers", who="agent", json=body, headers={"Idempotency-Key": "new-kiran"},
                  status=201)
    assert (made["code"], made["phone"], made["email"], made["kind"]) == (
        f"CU-{made['id']:06d}", "+919822033344", "kiran@example.com", "person")
    assert made["sites"][0]["pin_code"] == "411001"
    again = api.ok("POST", "/api/customers", who="agent", json=body, headers={"Idempotency-Key": "new-kiran"},
                   status=200)
    assert (again["id"], again["created"]) == (made["id"], False)

    cid = made["id"]
    site = api.ok("POST", f"/api/customers/{cid}/sites", who="agent", status=201,
                  json={"name": "Office", "address": "2 MG Road", "pin_code": "411002"})
    contact = api.ok("POST", f"/api/customers/{cid}/contacts", who="agent", status=201,
                     json={"name": "Asha Shah", "mobile": "+91 98220 55566"})
    api.ok("PATCH", f"/api/sites/{site['id']}", who="manager", json={"city": "Pune"})
    edited = api.ok("PATCH", f"/api/contacts/{contact['id']}", who="agent", json={"email": "asha@shah.example"})
    assert (edited["phone"], edited["email"]) == ("+919822055566", "asha@shah.example")
    renamed = api.ok("PATCH", f"/api/customers/{cid}", who="agent", json={"name": "Kiran R. Shah"})
    assert (renamed["name"], renamed["phone"]) == ("Kiran R. Shah", "+919822033344")
    found = api.ok("GET", "/api/customers", who="agent", params={"search": "98220 33344"})
    assert [c["code"] for c in found] == [made["code"]]
    gone = api.ok("POST", f"/api/customers/{cid}/deactivate", who="admin", json={"reason": "duplicate record"})
    assert (gone["active"], gone["deactivated_reason"]) == (False, "duplicate record")
    history = api.ok("GET", f"/api/customers/{cid}/history", who="agent")
    assert {(h["entity_type"], h["change"]) for h in history} >= {
        ("customer", "created"), ("site", "created"), ("contact", "created"), ("contact", "edited"),
        ("customer", "edited"), ("customer", "deactivated")}


@pytest.mark.parametrize("body, status, code, field", [
    ({"name": "X", "mobile": "12345"}, 422, "invalid_input", "mobile"),
    ({"name": "X", "email": "asha@example.test"}, 409, "duplicate", "email"),
    ({"name": "X", "kind": "business", "gstin": "27AAGFG4821K1ZB"}, 422, "invalid_input", "gstin"),
    ({"name": "X", "address": "1 Road", "pin_code": "012345"}, 422, "invalid_input", "pin_code"),
])
def test_a_refused_customer_changes_nothing(api, body, status, code, field):
    before = snapshot(api.engine)
    r = api.post("/api/customers", who="agent", json=body)
    assert r.status_code == status, r.text
    error = r.json()["error"]
    assert (error["code"], error["details"]["field"]) == (code, field)
    assert snapshot(api.engine) == before


def test_customers_may_not_create_customers(api):
    before = snapshot(api.engine)
    r = api.post("/api/customers", who="asha", json={"name": "Me again"})
    assert (r.status_code, r.json()["error"]["code"]) == (403, "forbidden")
    assert snapshot(api.engine) == before


def test_a_customer_registers_their_new_ac_and_it_is_covered(api):
    bought = (date.today() - timedelta(days=3)).isoformat()
    item = api.ok("POST", "/api/items", who="asha", status=201,
                  json={"product_sku": "AC-15T", "serial": "ac15 2026 0001", "purchased_on": bought,
                        "site_id": api.world.site_a})
    assert (item["serial"], item["customer_id"], item["purchased_on"]) == ("AC1520260001", api.world.cust_a, bought)
    cover = api.ok("GET", "/api/entitlement", who="asha", params={"serial": "AC1520260001"})
    assert (cover["covered"], cover["cover"]) == (True, "MANUFACTURER_WARRANTY")


def test_item_refusals_answer_with_their_codes(api):
    before = snapshot(api.engine)
    cases = [
        ("asha", {"product_sku": "NOPE", "serial": "X-1"}, 422, "invalid_input"),
        ("asha", {"product_sku": "AC-15T", "serial": "WM-CMC-2"}, 409, "duplicate"),  # Ravi's
        ("asha", {"product_sku": "AC-15T", "serial": "X-2", "customer_id": api.world.cust_b}, 403, "forbidden"),
        ("agent", {"product_sku": "AC-15T", "serial": "X-3", "customer_id": api.world.cust_b,
                   "site_id": api.world.site_a}, 422, "invalid_input"),
    ]
    for who, body, status, code in cases:
        r = api.post("/api/items", who=who, json=body)
        assert (r.status_code, r.json()["error"]["code"]) == (status, code), (body, r.text)
    assert snapshot(api.engine) == before
