"""Paying an invoice without staff help, in Debian's Chromium: the worker's
e-mail channel mails Alice her bill over real SMTP to the development mail
server; she opens the mail, follows its "Pay now" link to the invoice's
public payment page (no login), sees the UPI QR code and reports her payment
with its UTR. An agent imports the bank statement that carries the UTR: the
report becomes a confirmed receipt and the job is settled.

Screenshots for the README: docs/images/portal-pay-page.png (the payment
page with its QR) and docs/images/portal-bank-reconciliation.png.
"""

from __future__ import annotations

from datetime import date, timedelta
from email import policy
from email.parser import BytesParser
from pathlib import Path

import pytest

from backend.billing import service as billing
from backend.delivery.dispatcher import dispatch_once
from backend.delivery.email import EmailChannel
from backend.jobs import service as jobs
from backend.jobs.models import JobState as S
from backend.processes import payments
from backend.settings import Settings
from tests.factories import PASSWORD
from tests.integration.livechat.harness import SECRET
from tests.support.browser import ARGS, CHROMIUM, needs_chromium
from tests.support.devmail import devmail_process
from tests.support.hub_thread import hub_on_a_copy
from tests.unit.core.flows import drive_to

ROOT = Path(__file__).resolve().parents[3]
IMAGES = ROOT / "docs" / "images"
UTR = "433012998877"

pytestmark = [pytest.mark.browser, needs_chromium]


def mail_to(folder: Path, subject: str):
    for path in sorted(folder.glob("*.eml")):
        msg = BytesParser(policy=policy.default).parsebytes(path.read_bytes())
        if msg["Subject"] == subject:
            return msg
    raise AssertionError(f"no mail '{subject}' in {folder}")


def statement(due, other_receipt_day: date) -> bytes:
    today = date.today()
    rows = [
        f"{today - timedelta(days=1):%d/%m/%Y},UPI/{UTR}/ALICE/alice@okicici,{UTR},,{due},",
        f"{other_receipt_day + timedelta(days=1):%d/%m/%Y},NEFT CR GREENLEAF CAFE,N0042,,320.00,",
        f"{today - timedelta(days=1):%d/%m/%Y},NEFT CR UNKNOWN PAYER,N0077,,1250.00,",
        f"{today - timedelta(days=1):%d/%m/%Y},SMS CHARGES,,17.70,,",
    ]
    return ("Txn Date,Description,Ref No.,Debit,Credit,Balance\n" + "\n".join(rows) + "\n").encode()


def test_a_customer_pays_from_the_mail_and_the_agent_reconciles_the_statement(sqlite_template, tmp_path):
    from playwright.sync_api import expect, sync_playwright

    core = Settings(database_url=f"sqlite:///{tmp_path / 'hub.sqlite3'}", secret_key=SECRET, var_dir=tmp_path)
    with devmail_process(tmp_path / "mail") as mail, hub_on_a_copy(sqlite_template, tmp_path, core=core) as site:
        uow, world = site.uow, site.world
        job = drive_to(uow, world, S.BILLED)
        invoice = jobs.get_job(uow, world.agent, job_ref=job).invoice_number
        due = billing.get_invoice(uow, world.agent, invoice_ref=invoice).outstanding
        # another invoice paid by bank transfer, entered by the agent: the statement's fuzzy line
        other = jobs.get_job(uow, world.agent, job_ref=drive_to(uow, world, S.BILLED)).invoice_number
        paid_day = date.today() - timedelta(days=3)
        payments.record_receipt(uow, world.agent, invoice_ref=other, amount="320.00", method="bank",
                                received_on=paid_day)
        # and a cheque entered today, not yet on a statement: the books' side of what is unreconciled
        payments.record_receipt(uow, world.agent, invoice_ref=other, amount="500.00", method="cheque",
                                reference="004417")
        channel = EmailChannel(mail.url, "fieldserv <no-reply@fieldserv.local>", uow, portal_url=site.url + "/portal",
                               pay_secret=SECRET)
        while dispatch_once(uow, {"email": channel}, worker="e2e", batch=200).busy:
            pass
        bill = mail_to(mail.folder, f"Your bill: {invoice}")
        html = bill.get_body(preferencelist=("html",)).get_content()

        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
            # Alice, on her phone: the mail, then its pay link
            phone = browser.new_context(viewport={"width": 412, "height": 915})
            page = phone.new_page()
            page.set_content(html)
            page.get_by_role("link", name="Pay now").click()
            page.wait_for_url(f"{site.url}/portal/pay/**")
            expect(page.get_by_role("heading", name=f"Invoice {invoice}")).to_be_visible()
            qr = page.get_by_role("img", name=f"UPI QR code to pay ₹ {due:,.2f} for {invoice}")
            expect(qr).to_be_visible()
            assert page.evaluate("img => img.naturalWidth", qr.element_handle()) > 200  # the PNG loaded
            assert page.get_by_role("link", name="Pay with a UPI app").get_attribute("href").startswith("upi://pay?")
            body = page.locator("main").inner_text()
            assert "Alice" not in body and "alice@example.com" not in body
            IMAGES.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(IMAGES / "portal-pay-page.png"), full_page=True)
            page.get_by_label("UPI transaction reference (UTR)").fill(UTR)
            page.get_by_label("Amount paid (₹)").fill(f"{due}")
            page.get_by_role("button", name="Report my payment").click()
            expect(page.get_by_role("status")).to_contain_text(f"(UTR {UTR}) is reported")
            pay_url = page.url.split("?")[0]

            # the agent imports the bank statement
            desk = browser.new_context(viewport={"width": 1280, "height": 900})
            agent = desk.new_page()
            agent.goto(site.url + "/portal/login")
            agent.get_by_label("E-mail").fill(world.emails["agent"])
            agent.get_by_label("Password").fill(PASSWORD)
            agent.get_by_role("button", name="Log in").click()
            agent.get_by_role("link", name="UPI reports").click()
            expect(agent.locator("main")).to_contain_text(UTR)
            agent.get_by_role("link", name="Bank reconciliation").first.click()
            agent.get_by_label("Name (e.g. the bank)").fill("State Bank CSV")
            agent.get_by_label("Date column").fill("Txn Date")
            agent.get_by_label("Date format").fill("%d/%m/%Y")
            agent.get_by_label("or Credit column").fill("Credit")
            agent.get_by_label("and Debit column").fill("Debit")
            agent.get_by_label("Reference column").fill("Ref No.")
            agent.get_by_label("Narration column").fill("Description")
            agent.get_by_role("button", name="Save format").click()
            expect(agent.get_by_role("status")).to_contain_text("Bank format 'State Bank CSV' saved")
            agent.get_by_label("Statement file (CSV or OFX)").set_input_files(
                files=[{"name": "sbi-statement.csv", "mimeType": "text/csv", "buffer": statement(due, paid_day)}])
            agent.get_by_label("Bank format (for CSV)").select_option("State Bank CSV")
            agent.get_by_role("button", name="Import and match").click()
            expect(agent.get_by_role("status")).to_contain_text(
                "4 new lines of 4; 1 matched, 1 proposed, 1 unmatched; 1 UPI reports confirmed into receipts")
            expect(agent.locator("#proposed")).to_be_visible()
            agent.screenshot(path=str(IMAGES / "portal-bank-reconciliation.png"), full_page=True)
            # the proposal is right: confirm it
            agent.locator("tr", has_text="NEFT CR GREENLEAF CAFE").get_by_role("button", name="Confirm").click()
            expect(agent.get_by_role("status")).to_contain_text("confirmed")

            # Alice's link now says the invoice is paid
            page.goto(pay_url)
            expect(page.get_by_role("status")).to_contain_text("This invoice is paid in full")
            browser.close()

        assert jobs.get_job(uow, world.agent, job_ref=job).state == "settled"
        assert billing.get_invoice(uow, world.alice, invoice_ref=invoice).outstanding == 0
