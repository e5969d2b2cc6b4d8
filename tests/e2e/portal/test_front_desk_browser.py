"""The front desk in Debian's Chromium (issue 12): an agent takes a phone call
from a new customer, finds nobody, adds the customer with their site and the
washing machine they just bought (the customer desk's pages), finds them by
the mobile typed another way, raises a service request with the cover shown
first (the new item's manufacturer's warranty), then receives a walk-in
repair whose printed receipt is fetched, rendered to an image and read: the
RO- reference as text, and the QR code decoding to it."""

from __future__ import annotations

import re
from datetime import date

import pytest

from tests.e2e.portal.test_portal_browser import ARTIFACTS, browser, login, site  # noqa: F401 (shared fixtures)
from tests.integration.desk.test_front_desk import read_pdf
from tests.support.browser import needs_chromium

pytestmark = [pytest.mark.browser, needs_chromium]


def test_an_agent_brings_in_a_new_caller_raises_a_request_and_prints_a_repair_receipt(browser, site):  # noqa: F811
    ctx, page = login(browser, site, "agent")
    try:
        # 1. the caller is not known yet
        page.goto(site.url + "/a/desk")
        page.get_by_label("Find a caller").fill("98201 33333")
        page.get_by_role("button", name="Search").click()
        assert "Nobody matches" in page.locator("main").inner_text()

        # 2. the customer, their site and their new washer, on the customer desk's pages
        page.get_by_role("link", name="New customer").first.click()
        page.locator("#f-new-name").fill("Kavya Rao")
        page.locator("#f-new-mobile").fill("98201 33333")
        page.locator("#f-new-site_name").fill("Home")
        page.locator("#f-new-address").fill("12 Lake View Road")
        page.locator("#f-new-city").fill("Pune")
        page.locator("#f-new-pin_code").fill("411001")
        page.get_by_role("button", name="Add customer").click()
        assert re.search(r"Customer CU-\d+ Kavya Rao added", page.locator("main").inner_text())
        page.locator("#f-item-product_sku").select_option("WM")
        page.locator("#f-item-serial").fill("WM-KAVYA-1")
        page.locator("#f-item-purchased_on").fill(date.today().isoformat())
        page.get_by_role("button", name="Register item").click()
        assert "under the manufacturer's warranty" in page.locator("main").inner_text()

        # 3. found again by the number typed another way; a service request with the cover shown first
        page.goto(site.url + "/a/desk")
        page.get_by_label("Find a caller").fill("+91 98201-33333")
        page.get_by_role("button", name="Search").click()
        page.get_by_role("link", name="Choose Kavya Rao").click()
        page.get_by_role("link", name="Raise a request").click()
        page.get_by_label("What does the caller want?").select_option("service")
        page.get_by_label("Their item").select_option("WM-KAVYA-1")
        page.get_by_label("Problem, as the caller tells it").fill("The drum does not turn")
        page.get_by_role("button", name="Check cover").click()
        cover = page.locator("#cover").inner_text()
        assert "Covered" in cover and "manufacturer's warranty until" in cover, cover
        assert page.get_by_label("Problem, as the caller tells it").input_value() == "The drum does not turn"
        page.get_by_role("button", name="Raise request").click()
        raised = page.locator("#raised").inner_text()
        assert re.search(r"It started: job JB-\d+", raised) and "by phone" in raised, raised
        page.screenshot(path=str(ARTIFACTS / "front-desk-request.png"), full_page=True)

        # 4. a walk-in repair, and its printed receipt read back from the PDF
        page.get_by_role("link", name="Back to Kavya Rao").click()
        page.get_by_role("link", name="Walk-in repair").click()
        page.get_by_label("One of their items").select_option("WM-KAVYA-1")
        page.get_by_label("Fault").fill("Leaks from the door")
        page.get_by_label("Accessories handed over").fill("Inlet hose")
        page.get_by_label("Condition notes").fill("Dent on the left side")
        page.get_by_role("button", name="Receive the item").click()
        ref = re.search(r"Repair (RO-\d+) received", page.locator("main").inner_text()).group(1)
        href = page.get_by_role("link", name="Print receipt").get_attribute("href")
        pdf = page.request.get(site.url.rsplit("/portal", 1)[0] + href)
        assert pdf.ok and pdf.headers["content-type"] == "application/pdf"
        text, codes = read_pdf(pdf.body())
        assert ref in text and "Kavya Rao" in text and "WM-KAVYA-1" in text and "Inlet hose" in text
        assert codes == [ref]
    finally:
        ctx.close()
