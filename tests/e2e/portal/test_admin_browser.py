"""The admin's pages in Debian's Chromium at phone width, used from the
keyboard: add a part (a refusal shows its code by the field), adjust its
stock, add a contract type, store the desk's business hours. Nothing on
these pages is wider than the phone. Screenshots under test-artifacts/portal/."""

from __future__ import annotations

import pytest

from backend.conversations import desk
from tests.e2e.portal.test_portal_browser import ARTIFACTS, PHONE, login, shot
from tests.integration.web.served import serve
from tests.support.browser import ARGS, CHROMIUM, needs_chromium

pytestmark = [
    pytest.mark.browser,
    needs_chromium,
]


@pytest.fixture
def site(sqlite_url, tmp_path):
    served, portal = serve(sqlite_url, tmp_path)
    with served:
        portal.url = served.base_url + "/portal"
        yield portal


@pytest.fixture
def browser():
    from playwright.sync_api import sync_playwright

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield b
        b.close()


def submit(page, press) -> None:
    """Press Enter (in a field) and wait for the page the form leads to."""
    with page.expect_navigation():
        press("Enter")


def fits(page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"] + 1, page.url


def test_admin_keeps_the_catalog_types_and_desk_on_a_phone_with_the_keyboard(browser, site):
    ctx, page = login(browser, site, "admin", PHONE)
    page.goto(site.url + "/x/catalog")
    fits(page)
    shot(page, "admin-catalog-phone")
    page.get_by_role("link", name="Add a part").click()
    page.get_by_label("Part number").fill("P-FAN")
    page.keyboard.press("Tab")  # the next field is the name
    page.keyboard.type("Fan motor")
    page.get_by_label("Price").fill("-850")
    page.get_by_label("Cost").fill("510")
    submit(page, page.get_by_label("Cost").press)
    assert page.locator("#err-unit_price code").inner_text() == "invalid_input"
    assert page.get_by_label("Price").input_value() == "-850"  # kept as typed
    fits(page)
    shot(page, "admin-part-refused-phone")
    page.get_by_label("Price").fill("850")
    submit(page, page.get_by_label("Price").press)
    assert "Part P-FAN added." in page.locator(".flash").inner_text()
    page.get_by_label("Change (+ adds, − takes)").fill("12")
    page.keyboard.press("Tab")
    page.keyboard.type("goods received")
    submit(page, page.keyboard.press)
    assert "Stock of P-FAN is now 12." in page.locator(".flash").inner_text()
    fits(page)
    shot(page, "admin-part-stock-phone")

    page.goto(site.url + "/x/contract-types")
    page.get_by_label("Code (capitals, like GOLD)").fill("GOLD")
    page.get_by_label("Name").fill("Gold")
    page.get_by_label("Parts").check()
    submit(page, page.get_by_label("Parts").press)
    assert "Contract type GOLD added." in page.locator(".flash").inner_text()
    fits(page)
    shot(page, "admin-contract-type-phone")

    page.goto(site.url + "/x/desk")
    page.get_by_label("Business hours").fill("mon-sat 08:00-20:00")
    submit(page, page.get_by_label("Business hours").press)
    assert "Desk settings saved" in page.locator(".flash").inner_text()
    fits(page)
    shot(page, "admin-desk-phone")
    assert desk.get_desk_settings(site.uow, site.world.admin).business_hours == "mon-sat 08:00-20:00"
    ctx.close()
