"""Notices in Debian's Chromium, driven by Playwright: an agent schedules a
visit in the portal; the worker's dispatch runs (``dispatch_once`` with the
real chat channel, pointed at this test's hub); the customer's open widget
shows the appointment within seconds and the portal header shows one unread
notice; the technician's chat shows the new assignment.

The hub runs with the portal mounted (as ``make run`` serves it) on its own
loop in a thread. The inbox's screenshot goes to docs/images/portal-inbox.png.
"""

from __future__ import annotations

import re
from datetime import date, timedelta
from pathlib import Path

import pytest

from backend.delivery.chat import ChatChannel
from backend.delivery.dispatcher import dispatch_once
from tests.factories import PASSWORD
from tests.support.browser import ARGS, CHROMIUM, needs_chromium
from tests.support.hub_thread import hub_on_a_copy
from tests.unit.core.flows import new_job

ROOT = Path(__file__).resolve().parents[3]
IMAGES = ROOT / "docs" / "images"
ARTIFACTS = ROOT / "test-artifacts" / "portal"
TOKEN = "internal-token-for-the-browser-test"
NOTICE_WAIT_MS = 5000  # "within a few seconds"

pytestmark = [pytest.mark.browser, needs_chromium]


@pytest.fixture(scope="module")
def site(sqlite_template, tmp_path_factory):
    with hub_on_a_copy(sqlite_template, tmp_path_factory.mktemp("notices-e2e"), internal_token=TOKEN) as hub:
        yield hub


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield b
        b.close()


def dispatch(site):
    """One round of the worker, with its real chat channel."""
    return dispatch_once(site.uow, {"chat": ChatChannel(site.url, TOKEN)}, worker="e2e", batch=200)


def portal_login(browser, site, who: str, viewport=None):
    ctx = browser.new_context(viewport=viewport or {"width": 1280, "height": 860})
    page = ctx.new_page()
    page.goto(site.url + "/portal/login")
    page.get_by_label("E-mail").fill(site.world.emails[who])
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_load_state()
    return ctx, page


def chat_ready(page) -> None:
    page.wait_for_function("document.querySelector('.fsc-status') && "
                           "document.querySelector('.fsc-status').textContent.includes('assistant')")


def test_a_scheduled_visit_reaches_the_customers_widget_the_header_and_the_technicians_chat(browser, site):
    w = site.world
    job = new_job(site.uow, w)  # Alice's request: "request received" is in her inbox
    dispatch(site)

    customer, alice = portal_login(browser, site, "alice")
    assert alice.locator(".top .unread-count").get_attribute("data-count") == "1"
    alice.get_by_role("link", name=re.compile("^Inbox")).click()
    alice.get_by_role("button", name="Mark all read").click()
    assert "marked read" in alice.locator(".flash").inner_text()
    assert alice.locator(".top .unread-count").count() == 0
    alice.click(".fsc-launch")  # her chat is open while the visit is booked
    chat_ready(alice)

    technician = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    phone = technician.new_page()
    phone.goto(site.url + "/technician")
    phone.fill("#email", w.emails["tech"])
    phone.fill("#password", PASSWORD)
    phone.click("#login button")
    phone.wait_for_selector(".fsc-panel.fsc-open")
    chat_ready(phone)

    office, agent = portal_login(browser, site, "agent")
    agent.locator("tr", has_text=job).get_by_role("link", name="Schedule").click()
    card = agent.locator(f"#job-{job}")
    card.get_by_label("Technician").select_option(str(w.tech.user_id))
    card.get_by_label("Date").fill((date.today() + timedelta(days=1)).isoformat())
    card.get_by_label("Start").fill("10:00")
    card.get_by_role("button", name=f"Schedule {job}").click()
    assert f"{job} scheduled" in agent.locator(".flash").inner_text()
    office.close()

    result = dispatch(site)  # the worker's round: the inbox at once, the chat pushes through the hub
    assert result.sent >= 2

    notice = alice.locator(".fsc-notice[data-notice=appointment_confirmed]")
    notice.wait_for(timeout=NOTICE_WAIT_MS)
    assert job in notice.inner_text() and notice.inner_text().startswith("Appointment booked:")
    assigned = phone.locator(".fsc-notice[data-notice=job_assigned]")
    assigned.wait_for(timeout=NOTICE_WAIT_MS)
    assert assigned.inner_text().startswith(f"New job: {job} is assigned to you")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    phone.screenshot(path=str(ARTIFACTS / "technician-chat-notice.png"))

    alice.goto(site.url + "/portal/inbox")  # the header on the next page: one unread notice
    assert alice.locator(".top .unread-count").get_attribute("data-count") == "1"
    unread = alice.locator("li.notice.unread")
    assert unread.count() == 1 and "Appointment booked" in unread.inner_text() and job in unread.inner_text()
    assert alice.locator("li.notice.read").count() == 1
    alice.locator(".fsc-notice[data-notice=appointment_confirmed]").wait_for(timeout=NOTICE_WAIT_MS)  # replayed
    IMAGES.mkdir(parents=True, exist_ok=True)
    alice.screenshot(path=str(IMAGES / "portal-inbox.png"))

    unread.get_by_role("link").click()  # opening it marks it read and leads to the request
    alice.wait_for_url(re.compile(rf"/portal/c/requests/{job}$"))
    assert alice.locator(".top .unread-count").count() == 0
    customer.close()
    technician.close()
