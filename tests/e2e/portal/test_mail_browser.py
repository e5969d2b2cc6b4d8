"""The mail a customer was sent, as staff see it on the captured-mail page:
the worker's e-mail channel sends Alice's final bill over real SMTP to the
development mail server (``python -m backend.devmail``, a real process),
and an agent opens it in Debian's Chromium — subject, sentence, the invoice
attached. The page's screenshot goes to docs/images/portal-captured-mail.png.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from backend.delivery.dispatcher import dispatch_once
from backend.delivery.email import EmailChannel
from backend.jobs import service as jobs
from backend.jobs.models import JobState as S
from backend.settings import Settings
from tests.factories import PASSWORD
from tests.integration.livechat.harness import SECRET
from tests.support.browser import ARGS, CHROMIUM, needs_chromium
from tests.support.devmail import devmail_process
from tests.support.hub_thread import hub_on_a_copy
from tests.unit.core.flows import drive_to

ROOT = Path(__file__).resolve().parents[3]
IMAGES = ROOT / "docs" / "images"

pytestmark = [pytest.mark.browser, needs_chromium]


def test_staff_open_the_bill_the_customer_was_mailed(sqlite_template, tmp_path):
    from playwright.sync_api import sync_playwright

    core = Settings(database_url=f"sqlite:///{tmp_path / 'hub.sqlite3'}", secret_key=SECRET, var_dir=tmp_path)
    with devmail_process(tmp_path / "mail") as mail, hub_on_a_copy(sqlite_template, tmp_path, core=core) as site:
        uow, world = site.uow, site.world
        invoice = jobs.get_job(uow, world.agent, job_ref=drive_to(uow, world, S.BILLED)).invoice_number
        channel = EmailChannel(mail.url, "fieldserv <no-reply@fieldserv.local>", uow, portal_url=site.url + "/portal")
        while dispatch_once(uow, {"email": channel}, worker="e2e", batch=200).busy:
            pass
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            page.goto(site.url + "/portal/login")
            page.get_by_label("E-mail").fill(world.emails["agent"])
            page.get_by_label("Password").fill(PASSWORD)
            page.get_by_role("button", name="Log in").click()
            page.goto(site.url + "/portal/x/mail")
            page.get_by_role("link", name=f"Your bill: {invoice}").click()
            body = page.locator("main").inner_text()
            assert "alice@example.com" in body and f"{invoice}.pdf" in body
            assert f"Invoice {invoice}" in page.frame_locator("iframe").locator("body").inner_text()
            IMAGES.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(IMAGES / "portal-captured-mail.png"), full_page=True)
            browser.close()
