"""The portal's side of the defect fixes: the agent's billing page offers
the override instead of billing while the estimate waits for an answer; the
customer rates a repair on their repairs page; the admin sets a
technician's cost rate on the users page."""

from __future__ import annotations

import html

import pytest

from backend.jobs import service as jobs
from backend.jobs.models import JobState
from backend.processes import cost_rates
from backend.repairs import feedback
from tests.integration.defects.test_repair_feedback_and_pnl import delivered_repair
from tests.integration.web.served import serve
from tests.unit.core.flows import drive_to


@pytest.fixture
def portal(sqlite_url, tmp_path):
    served, portal = serve(sqlite_url, tmp_path)
    with served:
        portal.url = served.base_url
        yield portal


def test_the_billing_page_asks_for_an_override_while_the_estimate_waits(portal):
    uow, w = portal.uow, portal.world
    ref = drive_to(uow, w, JobState.RESOLVED)
    agent = portal.client("agent")
    page = agent.get("/portal/a/billing").text
    assert f"Record override for {ref}" in page and f"Bill {ref}" not in page
    assert "ask the customer" in page
    r = agent.post(f"/portal/a/jobs/{ref}/bill")
    assert r.status_code == 409 and "record an override" in html.unescape(r.text)
    r = agent.post(f"/portal/a/jobs/{ref}/override", {"reason": "  "})
    assert r.status_code == 400 and jobs.get_job(uow, w.agent, job_ref=ref).estimate_state == "pending"
    r = agent.post(f"/portal/a/jobs/{ref}/override", {"reason": "Agreed on the phone with Alice"})
    assert r.status_code == 200 and "override recorded" in r.text
    assert jobs.get_job(uow, w.agent, job_ref=ref).estimate_state == "overridden"
    page = agent.get("/portal/a/billing").text
    assert f"Bill {ref}" in page and f"Record override for {ref}" not in page
    r = agent.post(f"/portal/a/jobs/{ref}/bill")
    assert r.status_code == 200 and "billed: INV-" in r.text


def test_the_customer_rates_a_repair_on_their_repairs_page(portal):
    uow, w = portal.uow, portal.world
    ref = delivered_repair(uow, w)
    alice = portal.client("alice")
    page = alice.get("/portal/c/repairs").text
    assert f"Send feedback on {ref}" in page
    r = alice.post(f"/portal/c/repairs/{ref}/feedback", {"rating": "9", "comment": "Great & quick"})
    assert r.status_code == 400 and "invalid_input" in r.text and "Great &amp; quick" in r.text
    r = alice.post(f"/portal/c/repairs/{ref}/feedback", {"rating": "5", "comment": "Great & quick"})
    assert r.status_code == 200 and f"Thank you for your feedback on {ref}" in r.text
    assert "Your rating: <b>5/5</b>" in r.text and f"Send feedback on {ref}" not in r.text
    assert feedback.get_repair_feedback(uow, w.agent, repair_ref=ref).comment == "Great & quick"
    assert portal.client("bob").post(f"/portal/c/repairs/{ref}/feedback", {"rating": "1"}).status_code == 404


def test_the_admin_sets_a_technicians_cost_rate_on_the_users_page(portal):
    uow, w = portal.uow, portal.world
    admin = portal.client("admin")
    page = admin.get("/portal/x/users").text
    assert "Technicians' cost rates" in page and f"/portal/x/users/{w.tech.user_id}/cost-rate" in page
    r = admin.post(f"/portal/x/users/{w.tech.user_id}/cost-rate", {"rate": "lots"})
    assert r.status_code == 400 and "invalid_input" in r.text
    r = admin.post(f"/portal/x/users/{w.tech.user_id}/cost-rate", {"rate": "320.50"})
    assert r.status_code == 200 and "cost rate 320.50 per hour" in r.text
    rates = {v.user_id: v.cost_rate_per_hour for v in cost_rates.list_cost_rates(uow, w.admin)}
    assert str(rates[w.tech.user_id]) == "320.50" and str(rates[w.tech2.user_id]) == "250.00"
    assert portal.client("manager").post(f"/portal/x/users/{w.tech.user_id}/cost-rate",
                                         {"rate": "1"}).status_code == 403
