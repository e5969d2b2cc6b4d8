"""The portal's customer pages: an agent brings a customer in with their first
site, adds a contact and an item, edits and deactivates; a refused form comes
back with what was typed and the error next to its field; a customer adds
their own appliance on "My equipment" and sees its warranty cover."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest

from backend.catalog import service as catalog
from backend.customers import service as customers
from backend.intake import service as intake
from tests.integration.web.served import serve

from .conftest import snapshot


@pytest.fixture
def portal(sqlite_url, tmp_path):
    served, portal = serve(sqlite_url, tmp_path)
    with served:
        portal.url = served.base_url
        yield portal


def error_of(html: str, field_id: str) -> str:
    """The code shown next to a field (``err-<form>-<field>``), or at the top of a form (``_form``)."""
    if field_id == "_form":
        found = re.search(r'class="error-box" role="alert"><code>([a-z_]+)</code>', html)
    else:
        found = re.search(rf'id="err-{re.escape(field_id)}" role="alert"><code>([a-z_]+)</code>', html)
    assert found, f"no error shown for {field_id}"
    return found.group(1)


def _customer_id(url: str) -> int:
    return int(re.search(r"/s/customers/(\d+)", url).group(1))


def test_an_agent_brings_a_customer_in_and_keeps_their_record(portal):
    agent = portal.client("agent")
    assert 'href="/portal/s/customers"' in agent.get("/portal/a/").text  # the nav entry
    page = agent.get("/portal/s/customers/new")
    key = re.search(r'name="key" value="([0-9a-f]+)"', page.text).group(1)
    new = {"kind": "person", "name": "Kiran Shah", "mobile": "98220 3334", "email": "kiran@example.com",
           "site_name": "Home", "address": "9 Lake Road", "city": "Pune", "pin_code": "411001", "language": "en",
           "key": key}
    before = snapshot(portal.uow)
    r = agent.post("/portal/s/customers/new", new)
    assert r.status_code == 400 and error_of(r.text, "new-mobile") == "invalid_input"
    assert 'value="98220 3334"' in r.text and 'value="Kiran Shah"' in r.text and "9 Lake Road" in r.text
    r = agent.post("/portal/s/customers/new", {**new, "mobile": "98220 33344", "email": "ALICE@example.com"})
    assert r.status_code == 409 and error_of(r.text, "new-email") == "duplicate"
    assert "alice@example.com already belongs to C-A Alice" in r.text
    assert snapshot(portal.uow) == before

    r = agent.post("/portal/s/customers/new", {**new, "mobile": "98220 33344"})
    assert r.status_code == 200 and "Customer CU-" in r.text and " Kiran Shah added." in r.text
    cid = _customer_id(r.url)
    again = agent.post("/portal/s/customers/new", {**new, "mobile": "98220 33344"})  # the form sent twice
    assert _customer_id(again.url) == cid
    assert "+919822033344" in r.text and "411001" in r.text

    r = agent.post(f"/portal/s/customers/{cid}/contacts", {"name": "Meera", "mobile": "+91 98220 33344",
                                                          "key": "c1"})
    assert "Contact Meera added." in r.text  # the customer's own number may be their contact's
    r = agent.post(f"/portal/s/customers/{cid}/items", {"product_sku": "WM", "serial": "wm kiran 1",
                                                       "purchased_on": (date.today() + timedelta(days=2)).isoformat(),
                                                       "site_id": "", "key": "i1"})
    assert r.status_code == 400 and error_of(r.text, "item-purchased_on") == "invalid_input"
    assert 'value="wm kiran 1"' in r.text
    bought = (date.today() - timedelta(days=20)).isoformat()
    r = agent.post(f"/portal/s/customers/{cid}/items", {"product_sku": "WM", "serial": "wm kiran 1",
                                                       "purchased_on": bought, "site_id": "", "key": "i2"})
    assert "Item WMKIRAN1 registered; under the manufacturer&#39;s warranty until" in r.text
    assert "under warranty" in r.text
    r = agent.post(f"/portal/s/customers/{cid}/items", {"product_sku": "WM", "serial": "WM-BOB-1", "key": "i3"})
    assert r.status_code == 409 and error_of(r.text, "item-serial") == "duplicate"
    assert "already installed for C-B Bob" in r.text

    r = agent.post(f"/portal/s/customers/{cid}", {"kind": "person", "name": "Kiran R. Shah", "mobile": "98220 33344",
                                                  "email": "kiran@example.com", "gstin": "", "state_code": "",
                                                  "language": "hi"})
    assert "Saved CU-" in r.text
    r = agent.post(f"/portal/s/customers/{cid}/deactivate", {"reason": ""})
    assert r.status_code == 400 and error_of(r.text, "deactivate-reason") == "invalid_input"
    r = agent.post(f"/portal/s/customers/{cid}/deactivate", {"reason": "asked to be removed"})
    assert "is deactivated." in r.text and "asked to be removed" in r.text
    view = customers.get_customer(portal.uow, portal.world.agent, customer_id=cid)
    assert (view.name, view.language, view.active) == ("Kiran R. Shah", "hi", False)
    history = r.text.split('id="history"')[1]
    for what in ("customer created", "site created", "contact created", "item registered", "customer edited",
                 "customer deactivated"):
        assert what in history


def test_sites_and_contacts_are_edited_next_to_their_rows(portal):
    manager = portal.client("manager")
    bob = portal.world.bob.customer_id
    r = manager.get(f"/portal/s/customers/{bob}")
    assert r.status_code == 200 and "2 Oak St" in r.text and "WM-BOB-1" in r.text
    site = portal.world.bob_site
    r = manager.post(f"/portal/s/customers/{bob}/sites/{site}", {"name": "Home", "address": "2 Oak St",
                                                                 "city": "Pune", "pin_code": "0123"})
    assert r.status_code == 400 and error_of(r.text, f"site-{site}-pin_code") == "invalid_input"
    r = manager.post(f"/portal/s/customers/{bob}/sites/{site}", {"name": "Home", "address": "2 Oak St",
                                                                 "city": "Pune", "pin_code": "411 002"})
    assert "Site Home saved." in r.text and "411002" in r.text
    r = manager.post(f"/portal/s/customers/{portal.world.alice.customer_id}/sites/{site}/deactivate", {})
    assert r.status_code == 404  # Bob's site under Alice's page
    r = manager.post(f"/portal/s/customers/{bob}/contacts", {"name": "Ravi", "email": "not-an-address", "key": "k"})
    assert r.status_code == 400 and error_of(r.text, "contact-email") == "invalid_input"


def test_the_list_finds_a_customer_by_mobile_and_is_for_staff_only(portal):
    agent = portal.client("agent")
    made = customers.create_customer(portal.uow, portal.world.agent, name="Kiran", mobile="9822033344")
    r = agent.get("/portal/s/customers", params={"q": "98220 33344"})
    assert made.code in r.text and "Alice" not in r.text
    assert "Alice" in agent.get("/portal/s/customers").text
    r = portal.client("alice").get(f"/portal/s/customers/{made.id}")
    assert r.status_code == 403
    r = portal.client("tech").get("/portal/s/customers")
    assert r.status_code == 403


def test_a_customer_adds_their_new_appliance_and_sees_its_cover(portal):
    alice = portal.client("alice")
    page = alice.get("/portal/c/equipment")
    assert page.status_code == 200 and "My equipment" in page.text and "WM-CMC-1" in page.text
    assert 'href="/portal/c/equipment"' in page.text  # the nav entry
    key = re.search(r'name="key" value="([0-9a-f]+)"', page.text).group(1)
    bought = (date.today() - timedelta(days=5)).isoformat()
    before = snapshot(portal.uow)
    r = alice.post("/portal/c/equipment", {"product_sku": "WM", "serial": "WM-BOB-1", "purchased_on": bought,
                                           "site_id": str(portal.world.alice_site), "key": key})
    assert r.status_code == 409 and error_of(r.text, "serial") == "duplicate"
    assert "Bob" not in r.text.split("<main")[1]  # another customer's name is not told
    r = alice.post("/portal/c/equipment", {"product_sku": "", "serial": "WM-NEW-5", "purchased_on": bought,
                                           "site_id": str(portal.world.alice_site), "key": key})
    assert r.status_code == 400 and error_of(r.text, "product_sku") == "invalid_input"
    r = alice.post("/portal/c/equipment", {"product_sku": "WM", "serial": "WM-NEW-5", "purchased_on": bought,
                                           "site_id": str(portal.world.bob_site), "key": key})
    assert r.status_code == 400 and error_of(r.text, "site_id") == "invalid_input"
    assert snapshot(portal.uow) == before
    r = alice.post("/portal/c/equipment", {"product_sku": "WM", "serial": "wm-new-5", "purchased_on": bought,
                                           "site_id": str(portal.world.alice_site), "key": key})
    assert r.status_code == 200 and "WM-NEW-5 is registered and covered by the manufacturer" in r.text
    assert "Under warranty" in r.text
    assert [i.serial for i in catalog.list_items(portal.uow, portal.world.alice) if i.serial == "WM-NEW-5"]
    cover = intake.check_entitlement(portal.uow, portal.world.alice, serial="WM-NEW-5")
    assert (cover.covered, cover.cover) == (True, "MANUFACTURER_WARRANTY")


def test_a_customer_without_an_address_yet_is_added_without_a_site(portal):
    agent = portal.client("agent")
    page = agent.get("/portal/s/customers/new")
    assert 'value="Main"' in page.text  # the site name offered
    r = agent.post("/portal/s/customers/new", {"kind": "business", "name": "Hill Cafe", "mobile": "", "email": "",
                                               "gstin": "27AAGFG4821K1ZA", "state_code": "", "language": "en",
                                               "site_name": "Main", "address": "", "city": "", "pin_code": ""})
    assert r.status_code == 200 and "Hill Cafe added." in r.text and "No sites yet." in r.text
    assert "GSTIN 27AAGFG4821K1ZA" in r.text and "Maharashtra" in r.text
