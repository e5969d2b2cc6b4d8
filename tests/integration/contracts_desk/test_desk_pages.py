"""The contract desk in the portal: an agent's inquiry (C1), the offer with
its draft plan edited on the contract page (C2), the acceptance recorded on
the customer's behalf, the offer and order acceptance as PDFs (C3, C5) for
staff and for their customer only, and any customer's statement printed by
staff (E7). The PDFs are rendered and their text read back (pypdfium2)."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pypdfium2 as pdfium
from sqlalchemy import func, select

from backend.coverage import plan
from backend.coverage import service as contracts
from backend.coverage.models import PlannedVisit
from backend.history.models import StateChange
from tests.factories import NOCOVER_SERIAL, WARRANTY_SERIAL

TODAY = date.today()


def pdf_text(body: bytes) -> str:
    doc = pdfium.PdfDocument(body)
    return "\n".join(doc[i].get_textpage().get_text_range() for i in range(len(doc)))


def snapshot(uow) -> tuple:
    with uow() as s:
        visits = s.execute(select(PlannedVisit.id, PlannedVisit.due_on, PlannedVisit.state)
                           .order_by(PlannedVisit.id)).all()
        return [tuple(v) for v in visits], s.scalar(select(func.count(StateChange.id)))


def _inquiry_by_form(portal) -> str:
    agent = portal.client("agent")
    page = agent.get("/portal/a/contracts/new?customer=C-A")
    assert page.status_code == 200 and NOCOVER_SERIAL in page.text and "Alice (C-A)" in page.text
    customer_id = re.search(r'name="customer_id" value="(\d+)"', page.text).group(1)
    key = re.search(r'name="key" value="([0-9a-f]+)"', page.text).group(1)
    form = [("customer_id", customer_id), ("customer", "C-A"), ("type_code", "AMC"), ("key", key),
            ("serials", NOCOVER_SERIAL), ("serials", WARRANTY_SERIAL), ("starts_on", TODAY.isoformat()),
            ("note", "asked on the phone"), ("_csrf", agent.csrf)]
    r = agent.http.post(agent.base + "/portal/a/contracts/new", data=form, timeout=30)
    found = re.search(r"Contract inquiry (CT-\d+) opened for 2 item\(s\)", r.text)
    assert r.status_code == 200 and found, r.text[:600]
    assert r.url.endswith(f"/portal/a/contracts/{found.group(1)}?done=" + r.url.split("?done=")[1])
    return found.group(1)


def test_an_agent_opens_an_inquiry_offers_it_and_edits_the_draft_plan_on_the_contract_page(portal):
    agent = portal.client("agent")
    r = agent.get("/portal/a/contracts/new")
    assert r.status_code == 200
    empty = agent.post("/portal/a/contracts/new", {"customer_id": str(portal.world.alice.customer_id),
                                                   "customer": "C-A", "type_code": "AMC"})
    assert empty.status_code == 400 and 'id="err-serials"' in empty.text  # no item ticked: said next to the field
    ref = _inquiry_by_form(portal)
    assert contracts.get_contract(portal.uow, portal.world.agent, contract_ref=ref).state == "inquiry"
    assert f'href="/portal/a/contracts/{ref}"' in agent.get("/portal/a/processes").text

    r = agent.post(f"/portal/a/contracts/{ref}/send-offer", {
        "amount": "9000", "starts_on": TODAY.isoformat(), "ends_on": (TODAY + timedelta(days=364)).isoformat(),
        "visits_per_year": "2", "instalments": "2"})
    assert r.status_code == 200 and f"Offer v1 sent on {ref}" in r.text
    assert "draft" in r.text and "A re-offer for another period drafts the plan again" in r.text
    visits = plan.get_plan(portal.uow, portal.world.agent, contract_ref=ref).visits
    assert len(visits) == 4 and {v.state for v in visits} == {"draft"}
    first = visits[0]

    before = snapshot(portal.uow)
    r = agent.post(f"/portal/a/contracts/{ref}/visits/{first.id}/move",
                   {"due_on": (TODAY - timedelta(days=1)).isoformat()})
    assert r.status_code == 400 and "invalid_input" in r.text and "in the past" in r.text
    r = agent.post(f"/portal/a/contracts/{ref}/visits", {"due_on": (TODAY + timedelta(days=500)).isoformat(),
                                                          "serial": NOCOVER_SERIAL})
    assert r.status_code == 400 and 'id="err-due_on"' in r.text and "within the contract period" in r.text
    assert portal.client("alice").post(f"/portal/a/contracts/{ref}/visits",
                                       {"due_on": TODAY.isoformat()}).status_code == 403
    assert snapshot(portal.uow) == before

    moved_to = TODAY + timedelta(days=7)
    r = agent.post(f"/portal/a/contracts/{ref}/visits/{first.id}/move", {"due_on": moved_to.isoformat()})
    assert f"Visit moved to {moved_to.isoformat()}" in r.text
    r = agent.post(f"/portal/a/contracts/{ref}/visits/{visits[1].id}/remove", {})
    assert "Visit removed from the plan" in r.text
    added = TODAY + timedelta(days=20)
    r = agent.post(f"/portal/a/contracts/{ref}/visits", {"due_on": added.isoformat(), "serial": WARRANTY_SERIAL})
    assert f"Visit added on {added.isoformat()}" in r.text
    edited = [(v.due_on, v.serial) for v in plan.get_plan(portal.uow, portal.world.agent, contract_ref=ref).visits]

    # the offer PDF carries the draft plan as edited
    offer_pdf = agent.get(f"/portal/a/contracts/{ref}/offer.pdf")
    assert offer_pdf.status_code == 200 and offer_pdf.headers["Content-Type"] == "application/pdf"
    assert offer_pdf.headers["Content-Disposition"].startswith("inline")
    words = pdf_text(offer_pdf.content)
    assert ref in words and all(d.isoformat() in words for d, _ in edited)
    assert visits[1].due_on.isoformat() not in words  # the removed one is gone
    assert agent.get(f"/portal/a/contracts/{ref}/acceptance.pdf").status_code == 404  # not accepted yet

    r = agent.post(f"/portal/a/contracts/{ref}/accept", {})
    assert f"{ref}: active." in r.text and "Instalments" in r.text
    after = plan.get_plan(portal.uow, portal.world.agent, contract_ref=ref)
    assert [(v.due_on, v.serial) for v in after.visits] == edited and {v.state for v in after.visits} == {"planned"}
    words = pdf_text(agent.get(f"/portal/a/contracts/{ref}/acceptance.pdf").content)
    assert f"Order acceptance {ref}" in words and all(d.isoformat() in words for d, _ in edited)


def test_the_customer_prints_their_own_contract_documents_only(portal):
    w, uow = portal.world, portal.uow
    ref = contracts.open_inquiry(uow, w.agent, type_code="AMC", serials=[NOCOVER_SERIAL],
                                 customer_id=w.alice.customer_id).number
    contracts.send_offer(uow, w.agent, contract_ref=ref, amount="5000", starts_on=TODAY,
                         ends_on=TODAY + timedelta(days=364), visits_per_year=3)
    due = [v.due_on for v in plan.get_plan(uow, w.agent, contract_ref=ref).visits]
    alice, bob = portal.client("alice"), portal.client("bob")
    assert f"/portal/c/contracts/{ref}/offer.pdf" in alice.get("/portal/c/contracts").text
    words = pdf_text(alice.get(f"/portal/c/contracts/{ref}/offer.pdf").content)
    assert f"Contract offer {ref}" in words and all(d.isoformat() in words for d in due)
    for path in (f"/portal/c/contracts/{ref}/offer.pdf", f"/portal/c/contracts/{ref}/acceptance.pdf",
                 "/portal/c/contracts/CT-999999/offer.pdf"):
        r = bob.get(path)
        assert r.status_code == 404 and "not_found" in r.text and not r.content.startswith(b"%PDF")
    assert alice.get(f"/portal/a/contracts/{ref}/offer.pdf").status_code == 403  # the staff page is not hers
    contracts.accept_offer(uow, w.alice, contract_ref=ref)
    words = pdf_text(alice.get(f"/portal/c/contracts/{ref}/acceptance.pdf").content)
    assert f"Order acceptance {ref}" in words and all(d.isoformat() in words for d in due)


def test_staff_print_any_customers_statement_from_the_invoice_desk(portal):
    w, uow = portal.world, portal.uow
    ref = contracts.open_inquiry(uow, w.agent, type_code="AMC", serials=[NOCOVER_SERIAL],
                                 customer_id=w.alice.customer_id).number
    contracts.send_offer(uow, w.agent, contract_ref=ref, amount="1000", starts_on=TODAY,
                         ends_on=TODAY + timedelta(days=364))
    invoice = contracts.accept_offer(uow, w.agent, contract_ref=ref).invoice_number
    agent = portal.client("agent")
    page = agent.get(f"/portal/a/invoices/{invoice}")
    assert 'href="/portal/a/customers/C-A/statement.pdf"' in page.text
    r = agent.get("/portal/a/customers/C-A/statement.pdf")
    assert r.status_code == 200 and r.headers["Content-Type"] == "application/pdf"
    words = pdf_text(r.content)
    assert "Account statement" in words and "Alice (C-A)" in words and "1,180.00" in words  # 1000 + 18% tax
    assert portal.client("manager").get("/portal/a/customers/c-b/statement.pdf").status_code == 200
    assert agent.get("/portal/a/customers/C-NOPE/statement.pdf").status_code == 404
    assert portal.client("alice").get("/portal/a/customers/C-A/statement.pdf").status_code == 403
    assert portal.client("tech").get("/portal/a/customers/C-A/statement.pdf").status_code == 403
