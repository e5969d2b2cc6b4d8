"""The desk's invoice page: a credit note, a cancellation and a refund from
the portal, refusals next to the field, the printable invoice."""

from __future__ import annotations

import re
from decimal import Decimal

from backend.billing import service as billing
from backend.jobs import service as jobs
from backend.jobs.models import JobState
from backend.processes import payments
from tests.unit.core.flows import drive_to


def _billed(portal) -> tuple[str, str]:
    w, uow = portal.world, portal.uow
    job = drive_to(uow, w, JobState.BILLED)
    return job, jobs.get_job(uow, w.agent, job_ref=job).invoice_number


def test_an_agent_credits_part_of_an_invoice_and_a_manager_refunds_the_overpayment(portal):
    job, inv = _billed(portal)
    agent, manager = portal.client("agent"), portal.client("manager")
    total = billing.get_invoice(portal.uow, portal.world.agent, invoice_ref=inv).total
    payments.record_receipt(portal.uow, portal.world.agent, invoice_ref=inv, amount=total, method="bank")

    r = agent.post(f"/portal/a/invoices/{inv}/credit-note", {"amount": "118", "reason": ""})
    assert r.status_code == 400 and 'id="err-reason"' in r.text and 'value="118"' in r.text
    r = agent.post(f"/portal/a/invoices/{inv}/credit-note", {"amount": "118", "reason": "visit charged twice"})
    assert re.search(r"Credit note CN-\d+ of 118.00 issued", r.text)
    assert "In credit" in r.text and "a manager records the refund" in r.text
    r = agent.post(f"/portal/a/invoices/{inv}/refund", {"amount": "118", "method": "bank"})
    assert r.status_code == 403

    r = manager.post(f"/portal/a/invoices/{inv}/refund", {"amount": "118", "method": "upi", "reference": "UTR 1"})
    assert re.search(r"Refund RF-\d+ of 118.00 recorded", r.text)
    view = billing.get_invoice(portal.uow, portal.world.agent, invoice_ref=inv)
    assert (view.outstanding, view.credited, view.refunded) == (Decimal("0.00"), Decimal("118.00"), Decimal("118.00"))


def test_an_unpaid_invoice_is_cancelled_from_its_page_and_printed_by_staff(portal):
    job, inv = _billed(portal)
    agent = portal.client("agent")
    page = agent.get(f"/portal/a/invoices/{inv}")
    assert "Cancel invoice" in page.text
    r = agent.post(f"/portal/a/invoices/{inv}/cancel", {"reason": "wrong customer"})
    assert f"{inv} cancelled by credit note CN-" in r.text
    assert jobs.get_job(portal.uow, portal.world.agent, job_ref=job).state == "resolved"
    pdf = agent.get(f"/portal/a/invoices/{inv}/pdf")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    assert portal.client("alice").get(f"/portal/a/invoices/{inv}").status_code == 403
