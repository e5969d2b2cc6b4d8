"""The portal's inbox (every role), the unread count in every page's header,
the preferences page, and a help-desk answer on the customer's request page.
One served portal for the module; each test uses its own people or records."""

from __future__ import annotations

import re
import shutil

import pytest

from backend.delivery.dispatcher import dispatch_once
from backend.intake import service as intake
from backend.jobs import service as jobs
from backend.notifications import inbox
from backend.notifications.outbox import notify
from backend.notifications.preferences import get_preferences
from tests.integration.web.served import serve
from tests.unit.core.flows import new_job

COUNT = re.compile(r'class="unread-count" data-count="(\d+)"')
ITEM = re.compile(r'<li id="n-(\d+)" class="notice (read|unread)" data-event="([a-z_]+)"')


@pytest.fixture(scope="module")
def portal(sqlite_template, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("notice-pages")
    shutil.copy(sqlite_template, tmp / "db.sqlite3")
    served, portal = serve(f"sqlite:///{tmp / 'db.sqlite3'}", tmp)
    with served:
        portal.url = served.base_url
        yield portal


def deliver(portal) -> None:
    while dispatch_once(portal.uow, {}, worker="test", batch=200).busy:
        pass


def header_count(html: str) -> int:
    m = COUNT.search(html)
    return int(m.group(1)) if m else 0


def items(html: str) -> list[tuple[int, str, str]]:
    return [(int(i), state, event) for i, state, event in ITEM.findall(html)]


def _reminder(portal, who, invoice: str) -> None:
    with portal.uow() as s:
        notify(s, event="payment_reminder", subject_type="invoice", subject_id=1, customer_id=who.customer_id,
               invoice=invoice, outstanding="10.00")


def test_the_inbox_lists_newest_first_counts_in_every_header_and_marks_read(portal):
    alice = portal.client("alice")
    _reminder(portal, portal.world.alice, "INV-000001")
    _reminder(portal, portal.world.alice, "INV-000002")
    deliver(portal)
    before = inbox.unread_count(portal.uow, portal.world.alice)
    assert before >= 2
    for path in ("/portal/c/", "/portal/c/invoices", "/portal/c/statement", "/portal/inbox", "/portal/preferences"):
        page = alice.get(path)
        assert page.status_code == 200 and header_count(page.text) == before, path

    page = alice.get("/portal/inbox")
    listed = items(page.text)
    assert [i for i, _, _ in listed] == sorted((i for i, _, _ in listed), reverse=True)  # newest first
    newest = listed[0][0]
    assert page.text.index("INV-000002") < page.text.index("INV-000001")
    assert "Payment reminder" in page.text and "INV-000002 has 10.00 outstanding." in page.text

    opened = alice.get(f"/portal/inbox/{newest}?ref=INV-000002", allow_redirects=False)
    assert opened.status_code == 303 and opened.headers["Location"].endswith("/portal/c/invoices/INV-000002")
    page = alice.get("/portal/inbox")
    assert (newest, "read", "payment_reminder") in items(page.text) and header_count(page.text) == before - 1

    done = alice.post("/portal/inbox/read")
    assert done.status_code == 200 and "marked read" in done.text
    assert header_count(done.text) == 0 and 'class="unread-count"' not in done.text
    assert {state for _, state, _ in items(done.text)} == {"read"}


def test_someone_elses_notice_is_not_found(portal):
    _reminder(portal, portal.world.alice, "INV-000003")
    deliver(portal)
    [mine] = [i for i in inbox.inbox(portal.uow, portal.world.alice) if i.reference == "INV-000003"]
    bob = portal.client("bob")
    page = bob.get(f"/portal/inbox/{mine.id}?ref=INV-000003", allow_redirects=False)
    assert page.status_code == 404 and "not_found" in page.text
    assert "INV-000003" not in bob.get("/portal/inbox").text
    assert not next(i for i in inbox.inbox(portal.uow, portal.world.alice) if i.id == mine.id).read
    assert portal.client().get("/portal/inbox", allow_redirects=False).status_code == 303  # log in first


def test_every_role_has_an_inbox_and_the_technician_is_led_to_the_job(portal):
    w = portal.world
    ref = new_job(portal.uow, w)
    start, end = w.next_slot()
    jobs.schedule_job(portal.uow, w.agent, job_ref=ref, technician_id=w.tech.user_id, start=start, end=end)
    deliver(portal)
    tech = portal.client("tech")
    home = tech.get("/portal/t/")
    assert header_count(home.text) == inbox.unread_count(portal.uow, w.tech) >= 1
    page = tech.get("/portal/inbox")
    item = next(i for i, state, event in items(page.text) if event == "job_assigned" and state == "unread")
    assert f"{ref} is assigned to you" in page.text
    opened = tech.get(f"/portal/inbox/{item}?ref={ref}", allow_redirects=False)
    assert opened.headers["Location"].endswith(f"/portal/t/jobs/{ref}")
    for who in ("agent", "manager", "admin"):
        page = portal.client(who).get("/portal/inbox")
        assert page.status_code == 200 and "<h1>Inbox</h1>" in page.text, who


def test_the_preferences_page_saves_the_users_own_choices(portal):
    w = portal.world
    bob = portal.client("bob")
    page = bob.get("/portal/preferences")
    assert page.status_code == 200
    assert 'name="email_enabled" checked' in page.text and 'name="chat_reminders" checked' in page.text
    assert "always e-mailed to you" in page.text and 'name="webhook_enabled"' not in page.text  # none configured
    saved = bob.post("/portal/preferences", {"email_enabled": "on", "chat_enabled": "on"})
    assert saved.status_code == 200 and "Your choices are saved." in saved.text
    assert 'name="email_reminders" checked' not in saved.text and 'name="chat_enabled" checked' in saved.text
    prefs = get_preferences(portal.uow, w.bob, channels=("email", "chat"))
    assert [(c.enabled, c.reminders) for c in prefs.channels] == [(True, False), (True, False)]
    assert get_preferences(portal.uow, w.alice).of("email").reminders  # only bob's changed

    chosen = bob.post("/portal/preferences/language", {"language": "hi"})
    assert chosen.status_code == 200 and "<option value=\"hi\" selected>" in chosen.text
    _reminder(portal, w.bob, "INV-000004")
    deliver(portal)
    assert "भुगतान की याद" in bob.get("/portal/inbox").text
    refused = bob.post("/portal/preferences/language", {"language": "fr"})
    assert refused.status_code == 400 and "invalid_input" in refused.text

    tech = portal.client("tech").get("/portal/preferences")
    assert tech.status_code == 200 and 'id="language"' not in tech.text and "always e-mailed" not in tech.text
    assert portal.client("tech").post("/portal/preferences/language", {"language": "hi"}).status_code == 403


def test_the_request_page_shows_the_help_desk_answer(portal):
    w = portal.world
    view = intake.raise_request(portal.uow, w.alice, want="question", problem="How do I descale the washer?")
    alice = portal.client("alice")
    page = alice.get(f"/portal/c/requests/{view.number}")
    assert view.ticket_number in page.text and "The answer will appear here" in page.text
    intake.answer_ticket(portal.uow, w.agent, ticket_ref=view.ticket_number,
                         answer="Run an empty hot wash with citric acid once a month.")
    deliver(portal)
    page = alice.get(f"/portal/c/requests/{view.ticket_number}")
    assert "Our help desk's answer" in page.text
    assert '<p class="answer">Run an empty hot wash with citric acid once a month.</p>' in page.text
    listed = alice.get("/portal/inbox").text
    assert f"The help desk answered {view.ticket_number}: Run an empty hot wash" in listed
    item = next(i for i, _, event in items(listed) if event == "ticket_answered")
    opened = alice.get(f"/portal/inbox/{item}?ref={view.ticket_number}", allow_redirects=False)
    assert opened.headers["Location"].endswith(f"/portal/c/requests/{view.ticket_number}")
