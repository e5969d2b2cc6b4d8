"""Agent, technician, manager and admin forms: refusals shown next to the
field with the API's codes, what was typed kept; advances; KB preview."""

from __future__ import annotations

import io
import re
from datetime import date, timedelta

from backend.web.tables import _csv_safe, to_csv, Table
from tests.factories import AMC_SERIAL

TOMORROW = (date.today() + timedelta(days=1)).isoformat()


def _new_job(portal, problem="noise") -> str:
    r = portal.client("alice").post("/portal/c/new", {"want": "service", "serial": AMC_SERIAL, "problem": problem})
    return re.search(r"Job (JB-[0-9A-Z-]+)", r.text).group(1)


def _schedule(agent, portal, job, time="10:00"):
    return agent.post(f"/portal/a/jobs/{job}/schedule", {"technician_id": portal.world.tech.user_id, "day": TOMORROW,
                                                         "time": time, "hours": "2"})


def test_a_clashing_appointment_is_refused_on_the_form_and_keeps_the_input(portal):
    agent = portal.client("agent")
    first, second = _new_job(portal, "one"), _new_job(portal, "two")
    assert f"{first} scheduled" in _schedule(agent, portal, first).text
    r = _schedule(agent, portal, second, time="11:00")
    assert r.status_code == 409 and "<code>conflict</code>" in r.text and first in r.text
    form = r.text[r.text.index(f'id="job-{second}"'):]
    assert 'value="11:00"' in form[:4000] and f'value="{TOMORROW}"' in form[:4000]
    r = agent.post(f"/portal/a/jobs/{second}/schedule", {"technician_id": portal.world.tech.user_id, "day": "tomorrow",
                                                         "time": "10:00", "hours": "2"})
    assert r.status_code == 400 and "<code>invalid_input</code>" in r.text and 'value="tomorrow"' in r.text


def test_an_advance_is_asked_on_the_phone_page_and_sanctioned_by_the_agent(portal):
    agent, tech = portal.client("agent"), portal.client("tech")
    job = _new_job(portal)
    _schedule(agent, portal, job)
    tech.post(f"/portal/t/jobs/{job}/confirm")
    r = tech.post(f"/portal/t/jobs/{job}/advance", {"amount": "-5", "purpose": "bus"})
    assert r.status_code == 400 and 'id="err-amount"' in r.text and 'value="bus"' in r.text
    r = tech.post(f"/portal/t/jobs/{job}/advance", {"amount": "300", "purpose": "bus fare"})
    assert "Advance requested" in r.text
    r = agent.get("/portal/a/advances")
    advance = re.search(r"/portal/a/advances/(\d+)/sanction", r.text).group(1)
    r = agent.post(f"/portal/a/advances/{advance}/reject", {"reason": ""})
    assert r.status_code == 400 and "invalid_input" in r.text
    r = agent.post(f"/portal/a/advances/{advance}/sanction")
    assert "sanctioned" in r.text
    assert "sanctioned" in tech.get("/portal/t/money").text
    r = agent.post(f"/portal/a/jobs/{job}/release")
    assert "released to the technician" in r.text


def test_a_bill_of_the_wrong_type_is_refused_and_the_claim_keeps_its_lines(portal):
    agent, tech = portal.client("agent"), portal.client("tech")
    job = _new_job(portal)
    _schedule(agent, portal, job)
    tech.post(f"/portal/t/jobs/{job}/confirm")
    agent.post(f"/portal/a/jobs/{job}/release")
    tech.post(f"/portal/t/jobs/{job}/arrive")
    r = tech.post(f"/portal/t/jobs/{job}/claim", {"category_0": "food", "description_0": "Lunch", "amount_0": "90"},
                  files={"file_0": ("bill.exe", io.BytesIO(b"MZ\x90\x00"), "application/octet-stream")})
    assert r.status_code == 415 and "upload_type_not_allowed" in r.text and 'value="Lunch"' in r.text
    r = tech.post(f"/portal/t/jobs/{job}/claim", {"category_0": "food", "description_0": "Lunch", "amount_0": "90"})
    assert "Expense claim EC-" in r.text


def test_agent_answers_a_question_from_the_intake_queue(portal):
    alice, agent = portal.client("alice"), portal.client("agent")
    alice.post("/portal/c/new", {"want": "question", "problem": "Do you service dryers?"})
    page = agent.get("/portal/a/")
    ticket = re.search(r"<b>(TK-[0-9A-Z-]+)</b>", page.text).group(1)
    r = agent.post(f"/portal/a/tickets/{ticket}/answer", {"answer": "  "})
    assert r.status_code == 400 and 'id="err-answer"' in r.text
    r = agent.post(f"/portal/a/tickets/{ticket}/answer", {"answer": "Yes, all brands."})
    assert f"{ticket} answered" in r.text


def test_admin_creates_users_with_field_errors_kept(portal):
    admin = portal.client("admin")
    r = admin.post("/portal/x/users", {"name": "Tara", "email": "tara@example.com", "role": "agent", "password": "short"})
    assert r.status_code == 400 and 'id="err-password"' in r.text and 'value="tara@example.com"' in r.text
    r = admin.post("/portal/x/users", {"name": "Tara", "email": "alice@example.com", "role": "agent",
                                       "password": "long-enough-1"})
    assert r.status_code == 409 and "<code>duplicate</code>" in r.text
    r = admin.post("/portal/x/users", {"name": "Tara", "email": "tara@example.com", "role": "agent",
                                       "password": "long-enough-1"})
    assert "tara@example.com (agent) created" in r.text


def test_kb_article_preview_escapes_html_publish_and_stale_edit(portal):
    admin = portal.client("admin")
    body = "# Filter\n\nClean it **monthly**.\n\n<script>alert(1)</script>"
    r = admin.post("/portal/x/kb/new", {"title": "Clean the filter", "body": body, "action": "preview"})
    assert "<strong>monthly</strong>" in r.text and "<script>alert(1)</script>" not in r.text
    assert "&lt;script&gt;" in r.text
    r = admin.post("/portal/x/kb/new", {"title": "Clean the filter", "body": body, "tags": "ac, filter",
                                        "language": "en", "action": "publish"})
    assert "published" in r.text
    edit_url = r.url
    r = admin.post(edit_url, {"title": "Clean the filter", "body": body + "\nMore.", "tags": "ac", "language": "en",
                              "version": "99", "action": "save"})
    assert r.status_code == 409 and "<code>conflict</code>" in r.text and "More." in r.text
    r = admin.post(edit_url, {"action": "archive", "title": "x", "body": "x"})
    assert "archived" in r.text


def test_csv_cells_that_a_spreadsheet_would_run_are_quoted():
    assert _csv_safe("=HYPERLINK(1)") == "'=HYPERLINK(1)" and _csv_safe("-12.5") == "-12.5"
    assert to_csv(Table("t", ["a"], [["@x"]])) == "a\r\n'@x\r\n"
