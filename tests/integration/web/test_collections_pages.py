"""The technician's phone form for money collected at the door, and the
office's "Cash and deposits" page: refusals next to their field with the
API's codes, what was typed kept, a form sent twice acting once."""

from __future__ import annotations

import re
from decimal import Decimal

from backend.billing import service as billing
from backend.jobs import service as jobs
from backend.jobs.models import JobState as S
from backend.processes import collections
from tests.support.delivery import told
from tests.unit.core.flows import drive_to


def _billed(portal) -> tuple[str, str, Decimal]:
    w = portal.world
    job = drive_to(portal.uow, w, S.BILLED)
    invoice = jobs.get_job(portal.uow, w.agent, job_ref=job).invoice_number
    inv = billing.get_invoice(portal.uow, w.agent, invoice_ref=invoice)
    return job, inv.number, inv.outstanding


def _key(page: str) -> str:
    return re.search(r'name="key" value="([0-9a-f]+)"', page).group(1)


def test_the_technician_records_cash_collected_at_the_door_on_the_phone_page(portal):
    job, inv, due = _billed(portal)
    tech = portal.client("tech")
    page = tech.get(f"/portal/t/jobs/{job}/collect")
    assert page.status_code == 200 and f"Invoice {inv} of {due:,.2f}" in page.text and f"{due:,.2f} due" in page.text
    key = _key(page.text)
    r = tech.post(f"/portal/t/jobs/{job}/collect", {"amount": str(due + 1), "method": "cash", "key": key})
    assert r.status_code == 409 and 'id="err-amount"' in r.text and "<code>overpayment</code>" in r.text
    assert f'value="{due + 1}"' in r.text
    r = tech.post(f"/portal/t/jobs/{job}/collect", {"amount": "1,000", "method": "cash", "reference": "at the door",
                                                    "key": key})
    assert r.status_code == 200 and re.search(r"CL-\d+: 1000.00 CASH collected, receipt RC-\d+", r.text)
    again = tech.post(f"/portal/t/jobs/{job}/collect", {"amount": "1,000", "method": "cash",
                                                        "reference": "at the door", "key": key})
    assert again.status_code == 200  # the same form sent twice: one collection
    mine = collections.list_collections(portal.uow, portal.world.tech)
    assert [(c.amount, c.method, c.invoice_number) for c in mine] == [(Decimal("1000.00"), "cash", inv)]
    assert 'id="cash-in-hand">1,000.00<' in again.text
    assert told(portal.uow, portal.world.alice)[-1] == "payment_received"
    # another technician's job answers not found; the office pages are not the technician's
    assert portal.client("tech2").get(f"/portal/t/jobs/{job}/collect").status_code == 404
    assert tech.get("/portal/m/cash").status_code == 403


def test_the_office_ticks_collections_into_a_deposit_with_its_slip(portal):
    w = portal.world
    refs = []
    for amount in ("400", "250.50"):
        job, _, _ = _billed(portal)
        refs.append(collections.record_collection(portal.uow, w.tech, job_ref=job, amount=amount,
                                                  method="cash").number)
    agent = portal.client("agent")
    page = agent.get("/portal/m/cash")
    assert page.status_code == 200 and all(f'value="{ref}"' in page.text for ref in refs)
    assert "Cash and deposits" in page.text
    key = _key(page.text)
    r = agent.post("/portal/m/deposits", {"collection": refs, "slip_reference": "", "key": key})
    assert r.status_code == 400 and 'id="err-slip_reference"' in r.text
    assert all(f'value="{ref}" checked' in r.text for ref in refs)  # the ticks are kept
    r = agent.post("/portal/m/deposits", {"collection": refs, "slip_reference": "HDFC 778812", "key": key})
    assert r.status_code == 200 and re.search(r"Deposit DP-\d+ of 650.50 \(slip HDFC 778812\) recorded", r.text)
    again = agent.post("/portal/m/deposits", {"collection": refs, "slip_reference": "HDFC 778812", "key": key})
    assert again.status_code == 200
    assert len(collections.list_deposits(portal.uow, w.manager)) == 1
    assert collections.cash_in_hand(portal.uow, w.manager)[0].cash_in_hand == Decimal("0.00")
    r = portal.client("manager").post("/portal/m/deposits", {"collection": refs[:1], "slip_reference": "again"})
    assert r.status_code == 409 and "<code>already_done</code>" in r.text
    assert "No cash waiting to be deposited." in r.text and "HDFC 778812" in r.text


def test_a_job_not_billed_yet_has_nothing_to_collect_and_a_paid_one_says_so(portal):
    w = portal.world
    job = drive_to(portal.uow, w, S.RESOLVED)
    tech = portal.client("tech")
    page = tech.get(f"/portal/t/jobs/{job}/collect")
    assert page.status_code == 200 and "no invoice yet" in page.text and 'name="amount"' not in page.text
    r = tech.post(f"/portal/t/jobs/{job}/collect", {"amount": "10", "method": "cash"})
    assert r.status_code == 409 and "<code>conflict</code>" in r.text
    paid, inv, due = _billed(portal)
    collections.record_collection(portal.uow, w.tech, job_ref=paid, amount=due, method="upi", reference="UTR-77")
    page = tech.get(f"/portal/t/jobs/{paid}/collect")
    assert "Nothing is due on this job." in page.text and "UPI" in page.text and 'name="amount"' not in page.text
