"""The admin's API: catalog maintenance, contract types, desk settings —
through HTTP on both databases; refusals with their stable codes change
nothing; a customer, a technician and an agent are each refused."""

from __future__ import annotations

import uuid

import pytest

from .conftest import Api, snapshot


def fresh_code() -> str:
    return f"T_{uuid.uuid4().hex[:10].upper()}"  # coverage_types is kept between PostgreSQL tests


def error(r) -> dict:
    return r.json()["error"]


def test_admin_keeps_parts_stock_and_the_price_list(api: Api) -> None:
    body = {"sku": "P-FAN", "name": "Fan motor", "unit_price": "850.00", "unit_cost": "510", "reorder_level": "2",
            "opening_stock": "3"}
    made = api.ok("POST", "/api/parts", who="admin", json=body, status=201)
    assert (made["unit_price"], made["stock_qty"], made["to_reorder"]) == ("850.00", "3.00", False)
    r = api.post("/api/parts", who="admin", json={**body, "sku": "p-fan"})
    assert r.status_code == 409 and error(r)["code"] == "duplicate" and error(r)["details"]["field"] == "sku"
    r = api.post("/api/parts", who="admin", json={**body, "sku": "P-NEG", "unit_price": "-1"})
    assert r.status_code == 422 and error(r)["details"]["field"] == "unit_price"
    edited = api.ok("POST", "/api/parts/P-FAN", who="manager", json={"unit_price": "900", "reorder_level": "3"})
    assert (edited["unit_price"], edited["unit_cost"], edited["to_reorder"]) == ("900.00", "510.00", True)
    r = api.post("/api/parts/P-FAN/stock-adjustments", who="admin", json={"change": "-3.5", "reason": "damaged"})
    assert r.status_code == 422 and error(r)["code"] == "out_of_stock" and error(r)["details"]["in_stock"] == "3.000"
    after = api.ok("POST", "/api/parts/P-FAN/stock-adjustments", who="admin", json={"change": -2, "reason": "damaged"})
    assert after["stock_qty"] == "1.00"
    assert [p["sku"] for p in api.ok("GET", "/api/stock?to_reorder=true", who="manager")] == ["P-FAN"]
    assert api.post("/api/parts/P-NONE", who="admin", json={"unit_price": "1"}).status_code == 404
    api.ok("POST", "/api/service-charges", who="admin", json={"code": "NIGHT", "name": "Night visit",
                                                              "unit_price": "750"}, status=201)
    api.ok("POST", "/api/service-charges/VISIT", who="admin", json={"unit_price": "525.00"})
    prices = {c["code"]: c["unit_price"] for c in api.ok("GET", "/api/service-charges", who="asha")}
    assert prices == {"NIGHT": "750.00", "VISIT": "525.00"}
    api.ok("POST", "/api/products", who="admin", json={"sku": "FR-300", "name": "Fridge", "category": "fridge"},
           status=201)
    assert api.ok("POST", "/api/products/FR-300", who="admin", json={"warranty_months": 24})["warranty_months"] == 24
    changes = api.ok("GET", "/api/changes?kind=part", who="admin")
    assert [c["change"] for c in changes] == ["stock_adjusted", "edited", "created"]
    assert changes[0]["note"] == "P-FAN: -2 (3 → 1): damaged" and changes[1]["by"] == "Manager"


def test_contract_types_through_the_api(api: Api) -> None:
    code = fresh_code()
    made = api.ok("POST", "/api/contract-types", who="admin", status=201,
                  json={"code": code, "name": "Gold", "covers_parts": True, "visits_per_year": 6})
    assert (made["covers_labour"], made["covers_parts"], made["active"]) == (True, True, True)
    assert api.ok("POST", f"/api/contract-types/{code}", who="admin", json={"visits_per_year": 2})["visits_per_year"] \
        == 2
    r = api.post("/api/contract-types", who="admin", json={"code": "AMC", "name": "Again"})
    assert r.status_code == 409 and error(r)["code"] == "duplicate"
    r = api.call("DELETE", "/api/contract-types/AMC", who="admin")
    assert r.status_code == 409 and error(r)["code"] == "conflict" and error(r)["details"]["reason"] == "in_use"
    assert api.ok("POST", f"/api/contract-types/{code}/retire", who="admin")["active"] is False
    listed = [t["code"] for t in api.ok("GET", "/api/contract-types?include_retired=false", who="agent")]
    assert code not in listed and "AMC" in listed
    assert api.post(f"/api/contract-types/{code}/retire", who="admin").status_code == 409  # already_done
    assert api.ok("POST", f"/api/contract-types/{code}/restore", who="admin")["active"] is True
    assert api.ok("DELETE", f"/api/contract-types/{code}", who="admin")["code"] == code


def test_desk_settings_through_the_api(api: Api) -> None:
    assert api.ok("GET", "/api/desk/settings", who="manager")["business_hours"] is None
    r = api.post("/api/desk/settings", who="admin", json={"business_hours": "mon-fri 9-5"})
    assert r.status_code == 422 and error(r)["details"]["field"] == "business_hours"
    assert "cannot read 'mon-fri 9-5'" in error(r)["message"]
    stored = api.ok("POST", "/api/desk/settings", who="admin",
                    json={"business_hours": "mon-fri 09:00-18:00", "assign_timeout_s": 45})
    assert (stored["business_hours"], stored["assign_timeout_s"]) == ("mon-fri 09:00-18:00", 45)
    kept = api.ok("POST", "/api/desk/settings", who="admin", json={"assign_timeout_s": None})
    assert (kept["business_hours"], kept["assign_timeout_s"]) == ("mon-fri 09:00-18:00", None)
    agents = {a["name"]: a for a in api.ok("GET", "/api/desk/agents", who="admin")}
    assert set(agents) == {"Admin", "Agent", "Manager"}
    agent_id = agents["Agent"]["user_id"]
    assert api.ok("POST", f"/api/desk/agents/{agent_id}/max-chats", who="admin", json={"max_chats": 5})["max_chats"] \
        == 5
    r = api.post(f"/api/desk/agents/{api.world.tech1}/max-chats", who="admin", json={"max_chats": 5})
    assert r.status_code == 404


REFUSED = [
    ("POST", "/api/parts", {"sku": "P-X", "name": "X", "unit_price": "1", "unit_cost": "1"}),
    ("POST", "/api/parts/P-PUMP", {"unit_price": "1"}),
    ("POST", "/api/parts/P-PUMP/stock-adjustments", {"change": "5", "reason": "found"}),
    ("GET", "/api/stock", None),
    ("POST", "/api/products", {"sku": "X", "name": "X", "category": "x"}),
    ("POST", "/api/products/AC-15T", {"name": "Y"}),
    ("POST", "/api/service-charges", {"code": "X", "name": "X", "unit_price": "1"}),
    ("POST", "/api/service-charges/VISIT", {"unit_price": "1"}),
    ("GET", "/api/changes", None),
    ("POST", "/api/contract-types", {"code": "NEWT", "name": "New"}),
    ("POST", "/api/contract-types/AMC", {"name": "Renamed"}),
    ("POST", "/api/contract-types/AMC/retire", None),
    ("DELETE", "/api/contract-types/CMC", None),
    ("POST", "/api/desk/settings", {"business_hours": "never"}),
    ("GET", "/api/desk/agents", None),
    ("POST", "/api/desk/agents/1/max-chats", {"max_chats": 9}),
]


@pytest.mark.parametrize("who", ["asha", "tech1", "agent"])
def test_a_customer_a_technician_and_an_agent_are_refused(shared_api: Api, who: str) -> None:
    before = snapshot(shared_api.engine)
    for method, path, body in REFUSED:
        r = shared_api.call(method, path, who=who, json=body)
        assert r.status_code == 403 and error(r)["code"] == "forbidden", (who, method, path, r.text)
    assert snapshot(shared_api.engine) == before


def test_bad_input_changes_nothing(shared_api: Api) -> None:
    before = snapshot(shared_api.engine)
    for method, path, body, status, field in [
        ("POST", "/api/parts", {"sku": "P-PUMP", "name": "Again", "unit_price": "1", "unit_cost": "1"}, 409, "sku"),
        ("POST", "/api/parts", {"sku": "P-Y", "name": "Y", "unit_price": "1", "unit_cost": "-1"}, 422, "unit_cost"),
        ("POST", "/api/parts/P-PUMP", {"tax_rate": "100.01"}, 422, "tax_rate"),
        ("POST", "/api/parts/P-PUMP/stock-adjustments", {"change": "0", "reason": "count"}, 422, "change"),
        ("POST", "/api/parts/P-PUMP/stock-adjustments", {"change": "-99", "reason": "count"}, 422, "change"),
        ("POST", "/api/service-charges/VISIT", {"unit_price": "-5"}, 422, "unit_price"),
        ("POST", "/api/contract-types", {"code": "X", "name": "Short"}, 422, "code"),
        ("POST", "/api/contract-types/AMC", {"visits_per_year": 99}, 422, "visits_per_year"),
        ("POST", "/api/desk/settings", {"business_hours": "sun 10:00-09:00"}, 422, "business_hours"),
        ("POST", "/api/desk/settings", {"assign_timeout_s": 3}, 422, "assign_timeout_s"),
    ]:
        r = shared_api.call(method, path, who="admin", json=body)
        assert (r.status_code, error(r)["details"].get("field")) == (status, field), (path, body, r.text)
    assert snapshot(shared_api.engine) == before
