"""Contracts (C), service orders (D) and repairs (E) through the pages."""

from __future__ import annotations

import re
from datetime import date, timedelta

from tests.factories import NOCOVER_SERIAL

TOMORROW = (date.today() + timedelta(days=1)).isoformat()


def test_a_contract_inquiry_is_offered_by_the_agent_and_accepted_by_the_customer(portal):
    alice, agent = portal.client("alice"), portal.client("agent")
    r = alice.post("/portal/c/new", {"want": "contract", "serial": NOCOVER_SERIAL, "problem": "AMC for my TV please"})
    contract = re.search(r"contract</b>\s*(CT-[0-9A-Z-]+)", r.text).group(1)
    r = agent.post(f"/portal/a/contracts/{contract}/offer", {"amount": "abc", "starts_on": date.today().isoformat(),
                                                             "ends_on": (date.today() + timedelta(days=364)).isoformat()})
    assert r.status_code == 400 and 'value="abc"' in r.text and "invalid_input" in r.text
    r = agent.post(f"/portal/a/contracts/{contract}/offer", {"amount": "2400", "starts_on": date.today().isoformat(),
                                                             "ends_on": (date.today() + timedelta(days=364)).isoformat(),
                                                             "visits_per_year": "2", "instalments": "1"})
    assert f"Offer sent on {contract}" in r.text
    r = alice.get("/portal/c/contracts")
    assert "Accept offer" in r.text
    r = alice.post(f"/portal/c/contracts/{contract}/accept")
    assert f"{contract}: active" in r.text and "INV-" in r.text


def test_a_service_order_is_invoiced_and_planned(portal):
    alice, agent = portal.client("alice"), portal.client("agent")
    alice.post("/portal/c/new", {"want": "order", "serial": NOCOVER_SERIAL, "problem": "Mount the TV on the wall"})
    page = agent.get("/portal/a/processes")
    order = re.search(r"<b>(SO-[0-9A-Z-]+)</b>", page.text).group(1)
    r = agent.post(f"/portal/a/orders/{order}/invoice")
    assert f"{order} invoiced" in r.text
    r = agent.post(f"/portal/a/orders/{order}/plan", {"technician_id": portal.world.tech.user_id, "day": TOMORROW,
                                                      "time": "09:00", "hours": "2"})
    assert f"{order} planned as job JB-" in r.text


def test_a_repair_goes_from_received_to_delivered(portal):
    alice, agent, tech = portal.client("alice"), portal.client("agent"), portal.client("tech")
    alice.post("/portal/c/new", {"want": "repair", "serial": NOCOVER_SERIAL, "problem": "No picture"})
    page = agent.get("/portal/a/processes")
    repair = re.search(r"<b>(RO-[0-9A-Z-]+)</b>", page.text).group(1)
    r = agent.post(f"/portal/a/repairs/{repair}/assign", {"technician_id": str(portal.world.tech.user_id)})
    assert "sent to the technician" in r.text
    r = tech.post(f"/portal/t/repairs/{repair}/estimate", {"code_0": "P-BELT", "qty_0": "0"})
    assert r.status_code == 400 and "invalid_input" in r.text
    r = tech.post(f"/portal/t/repairs/{repair}/estimate", {"code_0": "P-BELT", "qty_0": "1", "code_1": "VISIT",
                                                          "qty_1": "1", "note": "belt worn"})
    assert f"Estimate sent on {repair}" in r.text
    assert "Approve estimate" in alice.get("/portal/c/repairs").text
    assert f"{repair}: approved" in alice.post(f"/portal/c/repairs/{repair}/approve").text
    assert "under repair" in tech.post(f"/portal/t/repairs/{repair}/start").text
    r = tech.post(f"/portal/t/repairs/{repair}/complete", {"check_notes": "Ran for an hour, fine"})
    assert f"{repair}: repaired" in r.text
    assert f"{repair}: invoiced" in agent.post(f"/portal/a/repairs/{repair}/invoice").text
    assert f"{repair}: delivered" in agent.post(f"/portal/a/repairs/{repair}/deliver").text
