"""The portal in Debian's Chromium, driven by Playwright: one job's story told
by each role in turn, on one served portal and database (the tests of this
module run in order and build on each other):

1. a customer checks their cover and raises a request;
2. an agent schedules it in the calendar (technician lanes);
3. the technician confirms it on a phone-sized screen;
4. the agent drags its card to "released" on the kanban (an illegal drag is
   refused with the reason first);
5. the technician reports arrival, a part from stock, completion and an
   expense claim with a photo of the bill, on the phone;
6. the customer accepts the estimate and gives feedback;
7. the manager passes the claim line and opens the job-wise P&L.

A screenshot of each main page is saved under ``test-artifacts/portal/``.
"""

from __future__ import annotations

import re
from datetime import date, timedelta
from pathlib import Path

import pytest

from tests.factories import AMC_SERIAL, PASSWORD
from tests.integration.web.served import serve
from tests.support.browser import ARGS, CHROMIUM, needs_chromium

ROOT = Path(__file__).resolve().parents[3]
ARTIFACTS = ROOT / "test-artifacts" / "portal"
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64

pytestmark = [
    pytest.mark.browser,
    needs_chromium,
]


@pytest.fixture(scope="module")
def site(sqlite_template, tmp_path_factory):
    import shutil

    tmp = tmp_path_factory.mktemp("portal-e2e")
    shutil.copy(sqlite_template, tmp / "db.sqlite3")
    served, portal = serve(f"sqlite:///{tmp / 'db.sqlite3'}", tmp)
    with served:
        portal.url = served.base_url + "/portal"
        yield portal


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield b
        b.close()


@pytest.fixture(scope="module")
def story() -> dict:
    return {}


def login(browser, site, who: str, viewport=DESKTOP):
    ctx = browser.new_context(viewport=viewport)
    page = ctx.new_page()
    page.goto(site.url + "/login")
    page.get_by_label("E-mail").fill(site.world.emails[who])
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_load_state()
    return ctx, page


def shot(page, name: str) -> None:
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def test_1_customer_checks_cover_and_raises_a_request(browser, site, story):
    ctx, page = login(browser, site, "alice")
    shot(page, "customer-home")
    page.get_by_role("link", name="Raise a request").first.click()
    page.get_by_label("Serial number").fill(AMC_SERIAL)
    page.get_by_role("button", name="Check cover").click()
    assert "Covered" in page.locator("#entitlement").inner_text()
    page.get_by_label("What do you need?").select_option("service")
    page.get_by_label("Product serial").fill(AMC_SERIAL)
    page.get_by_label("Describe the problem").fill("The washer leaks from the door")
    shot(page, "customer-raise-request")
    page.get_by_role("button", name="Send request").click()
    assert "received" in page.locator(".flash").inner_text()
    story["job"] = re.search(r"Job (JB-\d+)", page.content()).group(1)
    story["request_url"] = page.url
    shot(page, "customer-request-journey")
    ctx.close()


def test_2_agent_schedules_it_in_the_calendar(browser, site, story):
    job = story["job"]
    ctx, page = login(browser, site, "agent")
    assert job in page.content()
    shot(page, "agent-intake")
    page.locator("tr", has_text=job).get_by_role("link", name="Schedule").click()
    card = page.locator(f"#job-{job}")
    card.get_by_label("Technician").select_option(str(site.world.tech.user_id))
    card.get_by_label("Date").fill((date.today() + timedelta(days=1)).isoformat())
    card.get_by_label("Start").fill("10:00")
    card.get_by_role("button", name=f"Schedule {job}").click()
    assert f"{job} scheduled" in page.locator(".flash").inner_text()
    lane = page.locator(".lane", has_text="Tech")
    assert job in lane.first.inner_text()
    shot(page, "agent-calendar")
    ctx.close()


def test_3_technician_confirms_on_a_phone(browser, site, story):
    job = story["job"]
    ctx, page = login(browser, site, "tech", PHONE)
    page.get_by_role("link", name=re.compile(job)).click()
    page.get_by_role("button", name="Confirm job").click()
    assert "Confirmed." in page.locator(".flash").inner_text()
    ctx.close()


def drag(page, source: str, target: str) -> None:
    """A real mouse drag (HTML5 drag and drop), by small steps."""
    s, d = page.locator(source).bounding_box(), page.locator(target).bounding_box()
    page.mouse.move(s["x"] + 8, s["y"] + 8)
    page.mouse.down()
    page.mouse.move(s["x"] + 30, s["y"] + 30, steps=5)
    page.mouse.move(d["x"] + 40, d["y"] + 40, steps=10)
    page.mouse.up()


def test_4_agent_releases_it_by_dragging_the_card(browser, site, story):
    job = story["job"]
    ctx, page = login(browser, site, "agent", {"width": 3100, "height": 900})  # every column on screen
    page.goto(site.url + "/a/kanban")
    card = f"#card-{job}"
    drag(page, card, ".column[data-state=billed]")  # not allowed from confirmed
    status = page.locator("#kanban-status")
    status.filter(has_text="illegal_transition").wait_for()
    assert "cannot move to 'billed'" in status.inner_text()
    drag(page, card, ".column[data-state=released]")
    page.locator(f".column[data-state=released] {card}").wait_for()
    shot(page, "agent-kanban")
    page.goto(site.url + "/a/billing")
    shot(page, "agent-release-and-bill")
    page.goto(site.url + "/a/collections")
    shot(page, "agent-collections")
    ctx.close()


def test_5_technician_reports_arrival_parts_completion_and_a_claim_on_a_phone(browser, site, story, tmp_path):
    job = story["job"]
    ctx, page = login(browser, site, "tech", PHONE)
    shot(page, "technician-jobs")
    page.get_by_role("link", name=re.compile(job)).click()
    page.get_by_role("button", name="I have arrived").click()
    assert "Arrival recorded" in page.locator(".flash").inner_text()
    page.get_by_label("Part (from stock)").select_option("P-PUMP")
    page.get_by_label("Quantity").fill("1")
    page.get_by_role("button", name="Add part").click()
    assert "Part recorded" in page.locator(".flash").inner_text()
    shot(page, "technician-job")
    page.get_by_label("Service provided").fill("Replaced the drain pump; tested a full cycle")
    page.get_by_role("button", name="Complete job").click()
    assert "Job completed" in page.locator(".flash").inner_text()
    bill = tmp_path / "bill.png"
    bill.write_bytes(PNG)
    page.locator("#description_0").fill("Auto fare to site")
    page.locator("#amount_0").fill("180")
    page.locator("#file_0").set_input_files(str(bill))
    page.get_by_role("button", name="Send claim").click()
    assert "Expense claim EC-" in page.locator(".flash").inner_text()
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"] + 1  # nothing wider than the phone
    ctx.close()


def test_6_customer_accepts_the_estimate_and_gives_feedback(browser, site, story):
    ctx, page = login(browser, site, "alice")
    page.goto(story["request_url"])
    page.get_by_role("button", name="Accept estimate").click()
    assert "Estimate accepted" in page.locator(".flash").inner_text()
    page.get_by_label("Rating (5 is best)").select_option("5")
    page.get_by_label("Comment (optional)").fill("Quick and tidy")
    page.get_by_role("button", name="Send feedback").click()
    assert "Thank you" in page.locator(".flash").inner_text()
    ctx.close()


def test_7_manager_passes_the_claim_and_opens_the_pnl(browser, site, story):
    job = story["job"]
    ctx, page = login(browser, site, "manager")
    shot(page, "manager-dashboard")
    page.get_by_role("link", name="Expense claims").first.click()
    shot(page, "manager-expense-claims")
    page.get_by_role("button", name="Pass line 1").click()
    assert "bill passed" in page.locator(".flash").inner_text()
    page.get_by_role("link", name="Job P&L").first.click()
    assert job in page.locator("table").last.inner_text()
    shot(page, "manager-job-pnl")
    page.goto(site.url + "/m/scoreboard")
    shot(page, "manager-scoreboard")
    page.goto(site.url + "/m/reports")
    shot(page, "manager-report-board")
    ctx.close()


def test_8_admin_pages(browser, site, story):
    ctx, page = login(browser, site, "admin")
    shot(page, "admin-users")
    page.goto(site.url + "/x/kb/new")
    page.get_by_label("Title", exact=True).fill("Washer leaks from the door")
    page.get_by_label("Body (Markdown)").fill("# Door leaks\n\nCheck the **gasket** for tears.")
    page.get_by_role("button", name="Preview").click()
    assert "gasket" in page.locator(".preview strong").inner_text()
    page.get_by_role("button", name="Save and publish").click()
    assert "published" in page.locator(".flash").inner_text()
    shot(page, "admin-kb-article")
    ctx.close()
