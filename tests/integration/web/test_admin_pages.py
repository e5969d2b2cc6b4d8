"""The admin's pages: the catalog (parts with stock adjustments, the price
list, products), contract types and the live-chat desk. Refusals show the
core's code next to the field and keep what was typed; every form needs the
CSRF token; other roles are refused and change nothing."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest

from backend.catalog import admin as catalog_admin
from backend.conversations import desk
from backend.coverage import types
from backend.jobs import service as jobs


def error_of(html: str, field: str) -> str:
    """The code shown next to a field (or at the top of the form: ``_form``)."""
    if field == "_form":
        found = re.search(r'class="error-box" role="alert"><code>([a-z_]+)</code>', html)
    else:
        found = re.search(rf'id="err-{re.escape(field)}" role="alert"><code>([a-z_]+)</code>', html)
    assert found, f"no error shown for {field}"
    return found.group(1)


def test_admin_adds_a_part_with_errors_kept_then_edits_it_and_adjusts_its_stock(portal):
    admin = portal.client("admin")
    page = admin.get("/portal/x/catalog")
    assert page.status_code == 200 and "P-PUMP" in page.text and "Add a part" in page.text
    new = {"sku": "P-FAN", "name": "Fan motor", "unit_price": "-850", "unit_cost": "510", "tax_rate": "18",
           "reorder_level": "2", "opening_stock": "3"}
    r = admin.post("/portal/x/catalog/part/new", new)
    assert r.status_code == 400 and error_of(r.text, "unit_price") == "invalid_input"
    assert 'value="-850"' in r.text and 'value="Fan motor"' in r.text and 'value="P-FAN"' in r.text
    r = admin.post("/portal/x/catalog/part/new", {**new, "sku": "P-PUMP", "unit_price": "850"})
    assert r.status_code == 409 and error_of(r.text, "sku") == "duplicate"
    r = admin.post("/portal/x/catalog/part/new", {**new, "unit_price": "850"})
    assert r.status_code == 200 and "Part P-FAN added." in r.text and r.url.endswith("/portal/x/catalog/part/P-FAN?"
                                                                                     "done=Part+P-FAN+added.")
    edit = {"name": "Fan motor 12 W", "unit_price": "900.00", "unit_cost": "510.00", "tax_rate": "18.00",
            "reorder_level": "3"}
    r = admin.post("/portal/x/catalog/part/P-FAN", edit)
    assert "Part P-FAN saved." in r.text and 'value="900.00"' in r.text and "reorder level" in r.text
    r = admin.post("/portal/x/catalog/part/P-FAN/stock", {"change": "-4", "reason": "damaged"})
    assert r.status_code == 409 and error_of(r.text, "change") == "out_of_stock"
    assert 'value="-4"' in r.text and 'value="damaged"' in r.text
    r = admin.post("/portal/x/catalog/part/P-FAN/stock", {"change": "+7", "reason": "goods received"})
    assert "Stock of P-FAN is now 10." in r.text
    assert jobs.stock_of(portal.uow, sku="P-FAN") == Decimal(10)
    listing = admin.get("/portal/x/catalog").text
    assert "goods received" in listing and "P-FAN: +7 (3 → 10)" in listing  # the history, with who and why


def test_price_list_and_products_are_added_and_edited(portal):
    admin = portal.client("manager")  # the manager keeps the catalog too
    r = admin.post("/portal/x/catalog/charge/new", {"code": "NIGHT", "name": "Night visit", "unit_price": "abc",
                                                   "tax_rate": "18"})
    assert r.status_code == 400 and error_of(r.text, "unit_price") == "invalid_input" and 'value="abc"' in r.text
    r = admin.post("/portal/x/catalog/charge/new", {"code": "NIGHT", "name": "Night visit", "unit_price": "750",
                                                   "tax_rate": "18"})
    assert "Price-list entry NIGHT added." in r.text
    r = admin.post("/portal/x/catalog/charge/VISIT", {"name": "Visit", "unit_price": "550", "tax_rate": "18"})
    assert "Price-list entry VISIT saved." in r.text
    r = admin.post("/portal/x/catalog/product/WM", {"name": "Washer", "category": "washing_machine",
                                                   "warranty_months": "two"})
    assert r.status_code == 400 and error_of(r.text, "warranty_months") == "invalid_input"
    assert 'value="two"' in r.text
    r = admin.post("/portal/x/catalog/product/new", {"sku": "AC-18", "name": "Split AC", "category": "ac",
                                                    "warranty_months": "24"})
    assert "Product AC-18 added." in r.text
    assert admin.get("/portal/x/catalog/part/NOPE").status_code == 404


def test_contract_types_page_adds_edits_retires_and_refuses_deleting_one_in_use(portal):
    admin = portal.client("admin")
    page = admin.get("/portal/x/contract-types")
    assert page.status_code == 200 and "AMC" in page.text
    r = admin.post("/portal/x/contract-types", {"code": "GOLD", "name": "Gold", "visits_per_year": "60",
                                                "covers_parts": "on"})
    assert r.status_code == 400 and error_of(r.text, "visits_per_year") == "invalid_input"
    assert 'value="60"' in r.text and 'name="covers_parts" value="on" checked' in r.text
    assert 'name="covers_labour" value="on" checked' not in r.text  # unticked stays unticked
    r = admin.post("/portal/x/contract-types", {"code": "AMC", "name": "Again", "visits_per_year": "2"})
    assert r.status_code == 409 and error_of(r.text, "code") == "duplicate"
    r = admin.post("/portal/x/contract-types", {"code": "GOLD", "name": "Gold", "visits_per_year": "6",
                                                "covers_labour": "on", "covers_parts": "on"})
    assert "Contract type GOLD added." in r.text
    r = admin.post("/portal/x/contract-types/GOLD", {"action": "save", "name": "Gold plus", "visits_per_year": "3",
                                                     "covers_labour": "on"})
    assert "Contract type GOLD saved." in r.text
    gold = next(t for t in types.list_coverage_types(portal.uow, portal.world.admin) if t.code == "GOLD")
    assert (gold.name, gold.visits_per_year, gold.covers_labour, gold.covers_parts) == ("Gold plus", 3, True, False)
    r = admin.post("/portal/x/contract-types/AMC", {"action": "delete"})
    assert r.status_code == 409 and error_of(r.text, "_form") == "conflict" and "retire it instead" in r.text
    r = admin.post("/portal/x/contract-types/AMC", {"action": "retire"})
    assert "Contract type AMC retired." in r.text and "Take back into use" in r.text
    r = admin.post("/portal/x/contract-types/GOLD", {"action": "delete"})
    assert "Contract type GOLD deleted." in r.text
    assert "GOLD" not in [t.code for t in types.list_coverage_types(portal.uow, portal.world.admin)]


def test_desk_page_stores_hours_timeout_and_an_agents_limit(portal):
    admin = portal.client("admin")
    assert "Concurrent chats per agent" in admin.get("/portal/x/desk").text
    r = admin.post("/portal/x/desk", {"business_hours": "weekdays 9-5", "assign_timeout_s": "45"})
    assert r.status_code == 400 and error_of(r.text, "business_hours") == "invalid_input"
    assert "cannot read &#39;weekdays 9-5&#39;" in r.text and 'value="weekdays 9-5"' in r.text
    assert 'value="45"' in r.text
    r = admin.post("/portal/x/desk", {"business_hours": "mon-sat 08:00-20:00", "assign_timeout_s": "5"})
    assert r.status_code == 400 and error_of(r.text, "assign_timeout_s") == "invalid_input"
    r = admin.post("/portal/x/desk", {"business_hours": "mon-sat 08:00-20:00", "assign_timeout_s": "45"})
    assert "Desk settings saved" in r.text
    stored = desk.get_desk_settings(portal.uow, portal.world.admin)
    assert (stored.business_hours, stored.assign_timeout_s) == ("mon-sat 08:00-20:00", 45)
    agent = portal.world.agent.user_id
    r = admin.post(f"/portal/x/desk/agents/{agent}", {"max_chats": "0"})
    assert r.status_code == 400 and error_of(r.text, f"max-{agent}") == "invalid_input"
    assert f'id="max-{agent}" name="max_chats" size="3" inputmode="numeric" value="0"' in r.text
    r = admin.post(f"/portal/x/desk/agents/{agent}", {"max_chats": "4"})
    assert "Agent now takes up to 4 chats at once." in r.text
    r = admin.post("/portal/x/desk", {"business_hours": "", "assign_timeout_s": ""})  # back to the hub's own
    assert desk.get_desk_settings(portal.uow, portal.world.admin).business_hours is None
    assert "max_chats: 3 → 4" in r.text


def test_every_admin_form_needs_the_csrf_token(portal):
    admin = portal.client("admin")
    admin.get("/portal/x/catalog")
    for path, data in [("/portal/x/catalog/part/new", {"sku": "P-X", "name": "X", "unit_price": "1",
                                                       "unit_cost": "1"}),
                       ("/portal/x/catalog/part/P-PUMP/stock", {"change": "5", "reason": "found"}),
                       ("/portal/x/contract-types", {"code": "NEWT", "name": "New", "visits_per_year": "2"}),
                       ("/portal/x/contract-types/AMC", {"action": "retire"}),
                       ("/portal/x/desk", {"business_hours": "never"}),
                       (f"/portal/x/desk/agents/{portal.world.agent.user_id}", {"max_chats": "9"})]:
        assert admin.post(path, data, csrf=False).status_code == 403, path
    assert jobs.stock_of(portal.uow, sku="P-PUMP") == Decimal(5)
    assert desk.get_desk_settings(portal.uow, portal.world.admin).business_hours is None


@pytest.mark.parametrize("who", ["alice", "tech", "agent"])
def test_other_roles_cannot_open_or_post_the_admins_pages(portal, who):
    c = portal.client(who)
    for path in ("/portal/x/catalog", "/portal/x/catalog/part/P-PUMP", "/portal/x/contract-types", "/portal/x/desk"):
        r = c.get(path)
        assert r.status_code == 403 and "forbidden" in r.text, path
    c.get("/portal/")  # a page with this session's CSRF token
    assert c.post("/portal/x/catalog/part/P-PUMP/stock", {"change": "5", "reason": "found"}).status_code == 403
    assert c.post("/portal/x/desk", {"business_hours": "never"}).status_code == 403
    assert c.post("/portal/x/contract-types/AMC", {"action": "retire"}).status_code == 403
    assert jobs.stock_of(portal.uow, sku="P-PUMP") == Decimal(5)
    assert desk.get_desk_settings(portal.uow, portal.world.admin).business_hours is None
    assert [t.active for t in types.list_coverage_types(portal.uow, portal.world.admin) if t.code == "AMC"] == [True]


def test_the_manager_keeps_the_catalog_but_not_the_desk_or_contract_types(portal):
    manager = portal.client("manager")
    assert manager.get("/portal/x/catalog").status_code == 200
    assert manager.get("/portal/x/desk").status_code == 403
    assert manager.get("/portal/x/contract-types").status_code == 403
    assert catalog_admin.list_part_records(portal.uow, portal.world.manager)  # the same rule in the core
