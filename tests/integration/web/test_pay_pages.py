"""The public payment page (no login) and the staff pages of UPI reports and
bank reconciliation, over a served portal."""

from __future__ import annotations

import io
import re
import time
from datetime import date
from urllib.parse import unquote

from itsdangerous import TimestampSigner, URLSafeTimedSerializer

from backend.banking import paylinks
from backend.billing import service as billing
from backend.jobs import service as jobs
from backend.jobs.models import JobState as S
from tests.unit.core.flows import drive_to

PAY_LINK = re.compile(r'href="(http://[^"]+/portal/pay/[^"/]+)"')


def billed(portal) -> tuple[str, str]:
    ref = drive_to(portal.uow, portal.world, S.BILLED)
    number = jobs.get_job(portal.uow, portal.world.agent, job_ref=ref).invoice_number
    return number, f"{billing.get_invoice(portal.uow, portal.world.agent, invoice_ref=number).outstanding:,.2f}"


def decode_qr(png: bytes) -> str:
    from PIL import Image
    from pyzbar.pyzbar import decode

    found = decode(Image.open(io.BytesIO(png)))
    assert len(found) == 1
    return found[0].data.decode()


def test_the_customer_invoice_page_links_to_a_public_page_that_shows_nothing_else_of_them(portal):
    number, due = billed(portal)
    other, _ = billed(portal)
    alice = portal.client("alice")
    page = alice.get(f"/portal/c/invoices/{number}")
    assert page.status_code == 200 and f"Pay ₹ {due} by UPI" in page.text
    link = PAY_LINK.search(page.text).group(1)

    visitor = portal.client()  # no login
    r = visitor.get(link)
    assert r.status_code == 200
    assert number in r.text and due in r.text and "Amount due" in r.text and "Pay with a UPI app" in r.text
    for private in ("Alice", "alice@example.com", "1 Elm St", "+1 555 0100", other, "Log out"):
        assert private not in r.text, private
    upi = re.search(r'href="(upi://pay\?[^"]+)"', r.text).group(1).replace("&amp;", "&")
    qr = visitor.get(link + "/qr.png")
    assert qr.headers["Content-Type"] == "image/png"
    assert decode_qr(qr.content) == upi
    assert f"am={due.replace(',', '')}" in upi and f"tn={number}" in unquote(upi)


def test_a_visitor_reports_a_payment_and_a_bad_utr_is_shown_next_to_the_field(portal):
    number, due = billed(portal)
    links = paylinks.PayLinks(portal.settings.secret_key, portal.url + "/portal")
    visitor = portal.client()
    link = links.url(number)
    visitor.get(link)
    bad = visitor.post(link, {"utr": "12ab", "amount": due.replace(",", ""), "paid_on": ""})
    assert bad.status_code == 400 and 'role="alert"' in bad.text and "invalid_input" in bad.text
    assert 'value="12ab"' in bad.text  # what was typed is kept
    ok = visitor.post(link, {"utr": "498765432101", "amount": due.replace(",", ""),
                             "paid_on": date.today().isoformat()})
    assert ok.status_code == 200 and "is reported" in ok.text and "waiting to be confirmed" in ok.text

    agent = portal.client("agent")
    waiting = agent.get("/portal/a/payment-reports")
    assert "498765432101" in waiting.text and number in waiting.text
    report_id = re.search(r'id="report-(\d+)"', waiting.text).group(1)
    done = agent.post(f"/portal/a/payment-reports/{report_id}/confirm", {})
    assert done.status_code == 200 and "confirmed: receipt RC-" in done.text
    assert "This invoice is paid in full" in visitor.get(link).text


def test_an_expired_or_altered_link_says_how_to_get_a_new_one(portal):
    number, _ = billed(portal)

    class Then(TimestampSigner):
        def get_timestamp(self) -> int:
            return int(time.time()) - 31 * 24 * 3600

    old = URLSafeTimedSerializer(portal.settings.secret_key, salt=paylinks.SALT, signer=Then).dumps({"inv": number})
    visitor = portal.client()
    r = visitor.get(f"/portal/pay/{old}")
    assert r.status_code == 410 and "This payment link has expired" in r.text and "Log in to the portal" in r.text
    assert number not in r.text
    token = paylinks.PayLinks(portal.settings.secret_key).token(number)
    r = visitor.get(f"/portal/pay/{token[:-3]}xyz")
    assert r.status_code == 403 and "does not work" in r.text and 'role="alert"' in r.text
    assert visitor.get(f"/portal/pay/{old}/qr.png").status_code == 404
    r = visitor.post(f"/portal/pay/{old}", {"utr": "498765432101", "amount": "10"})
    assert r.status_code == 410


def test_the_bank_page_imports_a_statement_with_a_saved_format(portal):
    number, due = billed(portal)
    from backend.processes import payments

    payments.record_receipt(portal.uow, portal.world.agent, invoice_ref=number, amount="250.00", method="cheque",
                            reference="661122")
    agent = portal.client("agent")
    page = agent.get("/portal/a/bank")
    assert page.status_code == 200 and "Bank reconciliation" in page.text
    saved = agent.post("/portal/a/bank/formats", {"name": "Axis CSV", "date_column": "Tran Date",
                                                  "date_format": "%d-%m-%Y", "credit_column": "CR",
                                                  "debit_column": "DR", "reference_column": "CHQNO",
                                                  "narration_column": "PARTICULARS", "delimiter": "comma",
                                                  "skip_rows": "0"})
    assert "Bank format &#39;Axis CSV&#39; saved" in saved.text
    today = date.today().strftime("%d-%m-%Y")
    csv = f"Tran Date,CHQNO,PARTICULARS,DR,CR,BAL\n{today},661122,CLG CHQ 661122,,250.00,\n{today},,ATM,100,,\n"
    r = agent.http.post(agent.base + "/portal/a/bank/statements", data={"_csrf": agent.csrf, "bank_format": "Axis CSV"},
                        files={"file": ("axis.csv", csv.encode(), "text/csv")}, timeout=30)
    assert r.status_code == 200 and "2 new lines of 2; 1 matched, 0 proposed, 0 unmatched" in r.text
    assert "CLG CHQ 661122" in r.text  # in the matched table
    for who in ("alice", "tech"):
        assert portal.client(who).get("/portal/a/bank").status_code == 403


def test_the_unreconciled_items_report_is_on_the_managers_board(portal):
    number, _ = billed(portal)
    from backend.processes import payments

    payments.record_receipt(portal.uow, portal.world.agent, invoice_ref=number, amount="250.00", method="bank",
                            reference="NEFT-77")
    manager = portal.client("manager")
    assert "unreconciled" in manager.get("/portal/m/reports").text
    page = manager.get("/portal/m/reports/unreconciled")
    assert page.status_code == 200 and "NEFT-77" in page.text and "not on a statement" in page.text
    csv = manager.get("/portal/m/reports/unreconciled?format=csv&table=rows")
    assert csv.status_code == 200 and "NEFT-77" in csv.text
