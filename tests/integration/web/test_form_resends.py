"""The technician's forms carry a hidden key per rendering of the page: the
same form sent twice (a double tap, a resend after a lost answer, the back
button) reports the parts, asks the advance and claims the expenses once."""

from __future__ import annotations

import io
import re
from datetime import date, timedelta

from sqlalchemy import func, select

from backend.coverage.models import ContractOffer
from backend.jobs import service as jobs
from backend.jobs.models import Advance, Attachment, ExpenseClaim, ExpenseLine
from tests.factories import AMC_SERIAL, BELT, NOCOVER_SERIAL

TOMORROW = (date.today() + timedelta(days=1)).isoformat()
KEY = re.compile(r'name="key" value="([0-9a-f]+)"')
PNG = b"\x89PNG\r\n\x1a\n" + b"taxi" * 32


def count(portal, model) -> int:
    with portal.uow() as s:
        return s.scalar(select(func.count()).select_from(model))


def job_for_tech(portal, *, arrive: bool) -> str:
    agent, tech = portal.client("agent"), portal.client("tech")
    r = portal.client("alice").post("/portal/c/new", {"want": "service", "serial": AMC_SERIAL, "problem": "noise"})
    job = re.search(r"Job (JB-[0-9A-Z-]+)", r.text).group(1)
    agent.post(f"/portal/a/jobs/{job}/schedule", {"technician_id": portal.world.tech.user_id, "day": TOMORROW,
                                                  "time": "10:00", "hours": "2"})
    tech.post(f"/portal/t/jobs/{job}/confirm")
    if arrive:
        agent.post(f"/portal/a/jobs/{job}/release")
        tech.post(f"/portal/t/jobs/{job}/arrive")
    return job


def page_key(client, job: str, section: str) -> str:
    page = client.get(f"/portal/t/jobs/{job}").text
    return KEY.search(page[page.index(f'id="{section}"'):]).group(1)


def test_the_parts_form_sent_twice_takes_stock_once(portal):
    job, tech = job_for_tech(portal, arrive=True), portal.client("tech")
    form = {"part_sku": BELT[0], "qty": "1", "key": page_key(tech, job, "parts")}
    for _ in range(2):
        assert "Part recorded" in tech.post(f"/portal/t/jobs/{job}/parts", form).text
    assert jobs.stock_of(portal.uow, sku=BELT[0]) == BELT[3] - 1
    # The old page sent again with another quantity is refused and comes back with a fresh key.
    r = tech.post(f"/portal/t/jobs/{job}/parts", dict(form, qty="2"))
    assert r.status_code == 409 and "idempotency_conflict" in r.text
    assert KEY.search(r.text[r.text.index('id="parts"'):]).group(1) != form["key"]
    assert jobs.stock_of(portal.uow, sku=BELT[0]) == BELT[3] - 1
    # The page after the report has a new key: the next report is a new one.
    form["key"] = page_key(tech, job, "parts")
    tech.post(f"/portal/t/jobs/{job}/parts", form)
    assert jobs.stock_of(portal.uow, sku=BELT[0]) == BELT[3] - 2


def test_the_advance_form_sent_twice_asks_once(portal):
    job, tech = job_for_tech(portal, arrive=False), portal.client("tech")
    form = {"amount": "300", "purpose": "bus fare", "key": page_key(tech, job, "advance")}
    for _ in range(2):
        assert "Advance requested" in tech.post(f"/portal/t/jobs/{job}/advance", form).text
    assert count(portal, Advance) == 1


def test_the_claim_form_sent_twice_with_its_bill_claims_once(portal):
    job, tech = job_for_tech(portal, arrive=True), portal.client("tech")
    form = {"category_0": "travel", "description_0": "Taxi", "amount_0": "250", "key": page_key(tech, job, "claim")}
    numbers = []
    for _ in range(2):
        r = tech.post(f"/portal/t/jobs/{job}/claim", form, files={"file_0": ("taxi.png", io.BytesIO(PNG), "image/png")})
        numbers.append(re.search(r"Expense claim (EC-[0-9]+) sent", r.text).group(1))
    assert numbers[0] == numbers[1]
    assert (count(portal, ExpenseClaim), count(portal, ExpenseLine), count(portal, Attachment)) == (1, 1, 1)


def test_the_offer_form_sent_twice_sends_one_offer(portal):
    alice, agent = portal.client("alice"), portal.client("agent")
    r = alice.post("/portal/c/new", {"want": "contract", "serial": NOCOVER_SERIAL, "problem": "AMC for my TV"})
    contract = re.search(r"contract</b>\s*(CT-[0-9A-Z-]+)", r.text).group(1)
    page = agent.get("/portal/a/processes").text
    key = KEY.search(page[page.index(f'id="c-{contract}"'):]).group(1)
    form = {"amount": "2400", "starts_on": date.today().isoformat(), "visits_per_year": "2", "instalments": "1",
            "ends_on": (date.today() + timedelta(days=364)).isoformat(), "key": key}
    for _ in range(2):
        assert f"Offer sent on {contract}" in agent.post(f"/portal/a/contracts/{contract}/offer", form).text
    with portal.uow() as s:
        assert s.scalar(select(func.count()).select_from(ContractOffer)) == 1


def test_the_repair_parts_form_sent_twice_takes_stock_once_and_other_input_gets_a_new_key(portal):
    alice, agent, tech = portal.client("alice"), portal.client("agent"), portal.client("tech")
    alice.post("/portal/c/new", {"want": "repair", "serial": NOCOVER_SERIAL, "problem": "No picture"})
    repair = re.search(r"<b>(RO-[0-9A-Z-]+)</b>", agent.get("/portal/a/processes").text).group(1)
    agent.post(f"/portal/a/repairs/{repair}/assign", {"technician_id": str(portal.world.tech.user_id)})
    tech.post(f"/portal/t/repairs/{repair}/estimate", {"code_0": "P-BELT", "qty_0": "1"})
    alice.post(f"/portal/c/repairs/{repair}/approve")
    page = tech.post(f"/portal/t/repairs/{repair}/start").text
    key = KEY.search(page[page.index(f'id="r-{repair}"'):]).group(1)
    for _ in range(2):
        r = tech.post(f"/portal/t/repairs/{repair}/parts", {"part_sku": BELT[0], "qty": "1", "key": key})
        assert f"{repair}: under repair" in r.text
    assert jobs.stock_of(portal.uow, sku=BELT[0]) == BELT[3] - 1
    # The old page sent again with another quantity: refused, and the form comes back with a fresh key.
    r = tech.post(f"/portal/t/repairs/{repair}/parts", {"part_sku": BELT[0], "qty": "2", "key": key})
    assert r.status_code == 409 and "idempotency_conflict" in r.text
    fresh = KEY.search(r.text[r.text.index(f'id="r-{repair}"'):]).group(1)
    assert fresh != key
    assert jobs.stock_of(portal.uow, sku=BELT[0]) == BELT[3] - 1
