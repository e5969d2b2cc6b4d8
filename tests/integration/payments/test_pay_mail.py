"""An invoice notice's e-mail carries the invoice's payment link and its UPI
QR code (inline in the HTML part), over real SMTP; the link opens the
invoice's payment page; a notice with nothing due carries none."""

from __future__ import annotations

import io

import pytest

from backend.banking.paylinks import PayLinks
from backend.billing import service as billing
from backend.delivery.dispatcher import dispatch_once
from backend.delivery.email import EmailChannel
from backend.jobs import service as jobs
from backend.jobs.models import JobState as S
from backend.processes import payments
from tests.support.smtp import SmtpServer
from tests.unit.core.flows import drive_to

PORTAL = "https://service.example/portal"
SECRET = "mail-test-secret"


@pytest.fixture(scope="module")
def smtp_server():
    with SmtpServer() as server:
        yield server


@pytest.fixture
def smtp(smtp_server):
    smtp_server.box.reset()
    return smtp_server


def deliver(uow, url: str) -> None:
    channel = EmailChannel(url, "fieldserv <no-reply@fieldserv.test>", uow, portal_url=PORTAL, pay_secret=SECRET)
    while dispatch_once(uow, {"email": channel}, worker="w1", batch=200).busy:
        pass


def qr_text(png: bytes) -> str:
    from PIL import Image
    from pyzbar.pyzbar import decode

    [found] = decode(Image.open(io.BytesIO(png)))
    return found.data.decode()


def test_the_bill_and_a_reminder_carry_the_pay_link_and_the_qr(uow, world, smtp):
    job = drive_to(uow, world, S.BILLED)
    number = jobs.get_job(uow, world.agent, job_ref=job).invoice_number
    due = billing.get_invoice(uow, world.agent, invoice_ref=number).outstanding
    deliver(uow, smtp.url)
    [bill] = smtp.box.with_subject(f"Your bill: {number}")
    msg = bill.message
    text = msg.get_body(preferencelist=("plain",)).get_content()
    link = next(w for w in text.split() if w.startswith(f"{PORTAL}/pay/"))
    assert PayLinks(SECRET).read(link.rsplit("/", 1)[1]) == number
    assert f"{due:.2f} INR is due" in text and "upi://pay?" in text
    html = msg.get_body(preferencelist=("html",)).get_content()
    assert f'href="{link}"' in html and 'src="cid:pay-qr-' in html
    [image] = [p for p in msg.walk() if p.get_content_type() == "image/png"]
    assert image["Content-ID"] == f"<pay-qr-{number}@fieldserv>"
    upi = qr_text(image.get_content())
    assert f"am={due:.2f}" in upi and f"tn={number}" in upi and f"tr={number}-1" in upi
    assert [a.get_filename() for a in msg.iter_attachments()] == [f"{number}.pdf"]  # the QR is inline, not attached

    # a part payment, then a reminder: the code asks for the rest, with the next transaction reference
    payments.record_receipt(uow, world.agent, invoice_ref=number, amount="100.00", method="cash")
    billing.add_follow_up(uow, world.agent, invoice_ref=number, note="called, will pay today")
    smtp.box.reset()
    deliver(uow, smtp.url)
    [reminder] = smtp.box.with_subject(f"Payment reminder: {number}")
    [image] = [p for p in reminder.message.walk() if p.get_content_type() == "image/png"]
    upi = qr_text(image.get_content())
    assert f"am={due - 100:.2f}" in upi and f"tr={number}-2" in upi


def test_a_notice_with_nothing_due_carries_no_pay_link(uow, world, smtp):
    job = drive_to(uow, world, S.BILLED)
    number = jobs.get_job(uow, world.agent, job_ref=job).invoice_number
    due = billing.get_invoice(uow, world.agent, invoice_ref=number).outstanding
    payments.record_receipt(uow, world.agent, invoice_ref=number, amount=due, method="bank")
    deliver(uow, smtp.url)
    [bill] = smtp.box.with_subject(f"Your bill: {number}")
    assert "/pay/" not in bill.message.get_body(preferencelist=("plain",)).get_content()
    assert not [p for p in bill.message.walk() if p.get_content_type() == "image/png"]
