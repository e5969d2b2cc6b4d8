"""The front desk in the portal: an agent finds a caller by mobile, checks the
cover and raises a request for them, enters a walk-in order (a refused code
keeps the form and saves nothing) and a walk-in repair whose receipt prints;
the request calendar lists them; customers and technicians are refused."""

from __future__ import annotations

import re

from sqlalchemy import func, select

from backend.billing.models import Invoice
from backend.orders.models import ServiceOrder
from tests.factories import AMC_SERIAL, WARRANTY_SERIAL
from tests.integration.desk.test_front_desk import read_pdf


def _set_mobile(portal, customer_id: int, mobile: str) -> None:
    from backend.customers.models import Customer

    with portal.uow() as s:
        s.get(Customer, customer_id).phone = mobile


def test_an_agent_finds_a_caller_checks_the_cover_and_raises_a_request(portal):
    w = portal.world
    _set_mobile(portal, w.alice.customer_id, "+919820022222")
    agent = portal.client("agent")
    page = agent.get("/portal/a/desk", params={"q": "098200 22222"})
    assert page.status_code == 200 and "Found by mobile" in page.text and "Alice" in page.text
    assert "New customer" in page.text
    alice = w.alice.customer_id
    form = agent.get(f"/portal/a/desk/customers/{alice}/request")
    key = re.search(r'name="key" value="([0-9a-f]+)"', form.text).group(1)
    check = agent.post(f"/portal/a/desk/customers/{alice}/request",
                       {"step": "check", "want": "service", "serial": WARRANTY_SERIAL, "problem": "Drum rattles",
                        "channel": "phone", "key": key})
    assert check.status_code == 200 and "manufacturer&#39;s warranty until" in check.text
    assert "Drum rattles" in check.text  # what was typed is kept
    with portal.uow() as s:
        from backend.intake.models import ServiceRequest

        assert s.scalar(select(func.count()).select_from(ServiceRequest)) == 0  # checking saved nothing
    done = agent.post(f"/portal/a/desk/customers/{alice}/request",
                      {"step": "raise", "want": "service", "serial": AMC_SERIAL, "problem": "Not spinning",
                       "channel": "phone", "key": key})
    assert done.status_code == 200 and re.search(r"Request SR-\d+ raised", done.text)
    assert re.search(r"It started: <b>job JB-\d+</b>", done.text)
    assert "covered by CT-T2 AMC" in done.text


def test_a_walk_in_order_is_invoiced_up_front_and_a_refused_code_saves_nothing(portal):
    bob = portal.world.bob.customer_id
    agent = portal.client("agent")
    page = agent.get(f"/portal/a/desk/customers/{bob}/walk-in-order")
    assert "VISIT · Visit" in page.text
    refused = agent.post(f"/portal/a/desk/customers/{bob}/walk-in-order",
                         {"description": "Service", "code_0": "VISIT", "qty_0": "1", "code_1": "GONE", "qty_1": "1"})
    assert refused.status_code == 404 and "not_found" in refused.text and "GONE" in refused.text
    assert 'Service</textarea>' in refused.text
    with portal.uow() as s:
        assert (s.scalar(select(func.count()).select_from(ServiceOrder)),
                s.scalar(select(func.count()).select_from(Invoice))) == (0, 0)
    done = agent.post(f"/portal/a/desk/customers/{bob}/walk-in-order",
                      {"description": "Gas top-up", "code_0": "VISIT", "qty_0": "2"})
    assert done.status_code == 200
    inv = re.search(r"Invoice <b>(INV-\d+)</b>", done.text).group(1)
    assert "1,180.00" in done.text or "1180.00" in done.text
    assert f"/portal/a/invoices/{inv}/pdf" in done.text and "Take payment" in done.text
    assert agent.get(f"/portal/a/invoices/{inv}/pdf").content.startswith(b"%PDF")


def test_a_walk_in_repair_prints_its_receipt_and_the_calendar_lists_it(portal):
    bob = portal.world.bob.customer_id
    agent = portal.client("agent")
    done = agent.post(f"/portal/a/desk/customers/{bob}/walk-in-repair",
                      {"item_description": "Mixer grinder", "fault": "Burning smell", "accessories": "Two jars",
                       "condition_notes": "Lid cracked"})
    ref = re.search(r"Repair (RO-\d+) received", done.text).group(1)
    pdf = agent.get(f"/portal/a/repairs/{ref}/receipt.pdf")
    assert pdf.headers["Content-Type"] == "application/pdf" and pdf.headers["Content-Disposition"].startswith("inline")
    text, codes = read_pdf(pdf.content)
    assert ref in text and "Two jars" in text and codes == [ref]
    assert f"/portal/a/repairs/{ref}/receipt.pdf" in agent.get("/portal/a/processes").text
    calendar = agent.get("/portal/a/calendar/requests")
    assert ref in calendar.text and "repair received" in calendar.text
    assert "Requests" in agent.get("/portal/a/calendar").text


def test_customers_and_technicians_are_refused_the_desk(portal):
    bob = portal.world.bob.customer_id
    for who in ("alice", "tech"):
        client = portal.client(who)
        for path in ("/portal/a/desk?q=Bob", f"/portal/a/desk/customers/{bob}", "/portal/a/calendar/requests"):
            assert client.get(path).status_code == 403, (who, path)
        r = client.post(f"/portal/a/desk/customers/{bob}/walk-in-repair", {"item_description": "Mixer",
                                                                          "fault": "Noisy"})
        assert r.status_code == 403
    with portal.uow() as s:
        from backend.repairs.models import RepairOrder

        assert s.scalar(select(func.count()).select_from(RepairOrder)) == 0
