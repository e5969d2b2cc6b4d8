"""The e-mail channel over real SMTP, on SQLite and PostgreSQL: a job walked
to billed with the real use cases, the dispatcher run once with the real
``EmailChannel``, and the message read back from an SMTP server started here
(aiosmtpd): its headers, both parts, the same Message-ID as the delivery,
and the invoice PDF rendered to an image. Then what a refusal does: put off
(451) → tried again after its backoff; refused (550) → dead at once.

One SMTP server serves the whole module; each test starts with it emptied."""

from __future__ import annotations

import socket
import ssl
import subprocess
from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path

import pypdfium2 as pdfium
import pytest
from aiosmtpd.smtp import AuthResult, LoginPassword
from sqlalchemy import select

from backend.billing import service as billing
from backend.coverage import service as contracts
from backend.db import utcnow
from backend.delivery.channels import NotApplicable, Outgoing, PermanentFailure
from backend.delivery.dispatcher import dispatch_once
from backend.delivery.email import DEFAULT_SENDER, EmailChannel, record_link, redact
from backend.delivery.email import SmtpServer as Target
from backend.delivery.registry import default_channels
from backend.jobs import service as jobs
from backend.jobs.models import JobState as S
from backend.notifications import inbox
from backend.notifications.models import Delivery, DeliveryAttempt, Notification
from backend.notifications.outbox import notify
from backend.orders import service as orders
from backend.repairs import service as repairs
from backend.settings import Settings
from tests.factories import NOCOVER_SERIAL, PUMP, WARRANTY_SERIAL, build_world
from tests.support.smtp import SmtpServer, free_port
from tests.unit.core.flows import drive_to

PORTAL = "https://service.example/portal"
SENDER = "fieldserv billing <billing@fieldserv.test>"


@pytest.fixture(scope="module")
def smtp_server():
    with SmtpServer() as server:
        yield server


@pytest.fixture
def smtp(smtp_server):
    smtp_server.box.reset()
    return smtp_server


def _channel(uow, url: str, **kw) -> EmailChannel:
    return EmailChannel(url, SENDER, uow, portal_url=PORTAL, **kw)


def _deliver_all(uow, channel, **kw) -> None:
    for _ in range(20):  # a round handles up to 50 deliveries; a walked job makes fewer
        if not dispatch_once(uow, {"email": channel}, worker="w1", **kw).busy:
            return
    raise AssertionError("the dispatcher never ran out of work")


def _delivery(uow, event: str, address: str) -> Delivery:
    with uow() as s:
        return s.scalar(select(Delivery).join(Notification, Notification.id == Delivery.notification_id)
                        .where(Notification.event == event, Delivery.channel == "email", Delivery.address == address))


def _pdf_shows(data: bytes, *texts: str) -> None:
    """The PDF opens, its first page carries the texts, and it renders to ink on paper."""
    assert data.startswith(b"%PDF")
    page = pdfium.PdfDocument(data)[0]
    words = page.get_textpage().get_text_range()
    for text in texts:
        assert text in words, (text, words[:400])
    image = page.render(scale=1).to_pil().convert("L")
    lo, hi = image.getextrema()
    assert hi - lo > 100 and sum(image.histogram()[:128]) > 500  # not a blank page


def _notice(uow, customer_id, event="payment_reminder", **payload):
    with uow() as s:
        notify(s, event=event, subject_type="invoice", subject_id=1, customer_id=customer_id,
               invoice="INV-000001", outstanding="10.00", **payload)


# --- end to end -----------------------------------------------------------------------------------

def test_a_billed_job_mails_the_customer_the_bill_with_its_invoice_pdf(any_uow, smtp):
    w = build_world(any_uow)
    job = drive_to(any_uow, w, S.BILLED)
    invoice = jobs.get_job(any_uow, w.agent, job_ref=job).invoice_number
    _deliver_all(any_uow, _channel(any_uow, smtp.url))

    [bill] = smtp.box.with_subject(f"Your bill: {invoice}")
    msg = bill.message
    assert (bill.mail_from, bill.rcpt_tos) == ("billing@fieldserv.test", ["alice@example.com"])
    assert (msg["From"], msg["To"]) == (SENDER, "Alice <alice@example.com>")
    delivery = _delivery(any_uow, "final_bill", "alice@example.com")
    assert msg["Message-ID"] == delivery.message_id and delivery.state == "sent"
    assert msg["Auto-Submitted"] == "auto-generated"

    total = billing.get_invoice(any_uow, w.alice, invoice_ref=invoice).total
    sentence = f"Invoice {invoice} for {job}: {total}."
    link = f"{PORTAL}/c/invoices/{invoice}"
    text = msg.get_body(preferencelist=("plain",)).get_content()
    assert "fieldserv field service" in text and sentence in text and link in text
    assert "Dear Alice" in text and "notification settings" in text and f"{PORTAL}/preferences" in text
    html = msg.get_body(preferencelist=("html",)).get_content()
    assert sentence in html and f'href="{link}"' in html and f'href="{PORTAL}/preferences"' in html

    [pdf] = list(msg.iter_attachments())
    assert (pdf.get_filename(), pdf.get_content_type()) == (f"{invoice}.pdf", "application/pdf")
    _pdf_shows(pdf.get_content(), invoice, "Alice")

    # the other notices of the walk went too, each once, to whom they concern, with their own links
    subjects = [r.message["Subject"] for r in smtp.box.received]
    assert len(subjects) == len(set(subjects))
    [assigned] = smtp.box.with_subject(f"New job: {job}")
    assert assigned.rcpt_tos == ["tech@example.com"]
    assert f"{PORTAL}/t/jobs/{job}" in assigned.message.get_body(preferencelist=("plain",)).get_content()
    assert not list(assigned.message.iter_attachments())  # only documents carry a PDF
    assert not dispatch_once(any_uow, {"email": _channel(any_uow, smtp.url)}, worker="w1").busy  # nothing twice


def test_an_offer_and_its_acceptance_carry_the_contract_documents(any_uow, smtp):
    w = build_world(any_uow)
    ref = contracts.open_inquiry(any_uow, w.agent, type_code="AMC", serials=[NOCOVER_SERIAL],
                                 customer_id=w.alice.customer_id).number
    today = date.today()
    contracts.send_offer(any_uow, w.agent, contract_ref=ref, amount="12000", starts_on=today,
                         ends_on=today + timedelta(days=364), visits_per_year=4, instalments=4, type_code="AMC")
    accepted = contracts.accept_offer(any_uow, w.alice, contract_ref=ref)
    _deliver_all(any_uow, _channel(any_uow, smtp.url))

    [offer] = smtp.box.with_subject(f"Your contract offer: {ref}")
    [doc] = list(offer.message.iter_attachments())
    assert doc.get_filename() == f"{ref}-offer-v1.pdf"
    _pdf_shows(doc.get_content(), f"Contract offer {ref}", NOCOVER_SERIAL, "12,000.00", "14,160.00", "4 a year")
    assert f"{PORTAL}/c/contracts" in offer.message.get_body(preferencelist=("plain",)).get_content()

    [acceptance] = smtp.box.with_subject(f"Contract accepted: {ref}")
    [doc] = list(acceptance.message.iter_attachments())
    assert doc.get_filename() == f"{ref}-order-acceptance.pdf"
    _pdf_shows(doc.get_content(), f"Order acceptance {ref}", accepted.invoice_number, "Instalments: 4", "3,540.00")

    [invoice] = smtp.box.with_subject(f"Contract invoice: {accepted.invoice_number}")
    [doc] = list(invoice.message.iter_attachments())
    _pdf_shows(doc.get_content(), accepted.invoice_number, "14,160.00")


def _repaired(uow, w, serial: str):
    r = repairs.receive_repair(uow, w.agent, customer_id=w.alice.customer_id, item_description="TV",
                               fault="No picture", serial=serial)
    repairs.assign_repair(uow, w.agent, repair_ref=r.number, technician_id=w.tech.user_id)
    repairs.send_repair_estimate(uow, w.tech, repair_ref=r.number, lines=[{"code": PUMP[0], "qty": 1}])
    repairs.approve_repair_estimate(uow, w.alice, repair_ref=r.number)
    repairs.start_repair(uow, w.tech, repair_ref=r.number)
    repairs.complete_repair(uow, w.tech, repair_ref=r.number, check_notes="OK")
    return repairs.invoice_repair(uow, w.agent, repair_ref=r.number)


def test_an_order_invoice_and_a_repair_invoice_carry_their_pdf_and_a_free_repair_none(uow, smtp):
    w = build_world(uow)
    o = orders.create_service_order(uow, w.agent, customer_id=w.alice.customer_id, description="Install a washer",
                                    lines=[{"code": "VISIT", "qty": 2}])
    o = orders.invoice_service_order(uow, w.agent, order_ref=o.number)
    paid, free = _repaired(uow, w, NOCOVER_SERIAL), _repaired(uow, w, WARRANTY_SERIAL)
    assert paid.invoice_number and free.invoice_number is None
    _deliver_all(uow, _channel(uow, smtp.url))

    [order] = smtp.box.with_subject(f"Service order invoice: {o.invoice_number}")
    [doc] = list(order.message.iter_attachments())
    _pdf_shows(doc.get_content(), o.invoice_number, "1,180.00")
    [ready] = smtp.box.with_subject(f"Ready for collection: {paid.invoice_number}")  # the bill to pay
    [doc] = list(ready.message.iter_attachments())
    assert doc.get_filename() == f"{paid.invoice_number}.pdf"
    _pdf_shows(doc.get_content(), paid.invoice_number)
    [ready] = smtp.box.with_subject(f"Ready for collection: {free.number}")
    assert list(ready.message.iter_attachments()) == []  # nothing to pay, no invoice


# --- refusals -------------------------------------------------------------------------------------

def test_a_message_put_off_is_sent_on_a_later_round_after_its_backoff(any_uow, smtp):
    w = build_world(any_uow)
    _notice(any_uow, w.alice.customer_id)
    smtp.box.put_off.append("451 4.3.0 try later")
    channel, now = _channel(any_uow, smtp.url), utcnow()
    assert dispatch_once(any_uow, {"email": channel}, worker="w1", now=now).failed == 1
    assert smtp.box.received == []
    assert not dispatch_once(any_uow, {"email": channel}, worker="w1", now=now + timedelta(seconds=5)).busy
    assert dispatch_once(any_uow, {"email": channel}, worker="w1", now=now + timedelta(minutes=1)).sent == 1

    [got] = smtp.box.received
    d = _delivery(any_uow, "payment_reminder", "alice@example.com")
    with any_uow() as s:
        attempts = s.execute(select(DeliveryAttempt.outcome, DeliveryAttempt.message_id, DeliveryAttempt.error)
                             .where(DeliveryAttempt.delivery_id == d.id).order_by(DeliveryAttempt.id)).all()
    assert [a.outcome for a in attempts] == ["failed", "sent"]
    assert "451" in attempts[0].error and "try later" in attempts[0].error
    assert attempts[0].message_id == attempts[1].message_id == got.message["Message-ID"] == d.message_id
    assert (d.state, d.attempts) == ("sent", 2)


def test_a_refused_recipient_is_dead_at_once_and_can_be_sent_again(any_uow, smtp):
    w = build_world(any_uow)
    _notice(any_uow, w.alice.customer_id)
    smtp.box.refuse["alice@example.com"] = "550 5.1.1 no such mailbox"
    channel = _channel(any_uow, smtp.url)
    assert dispatch_once(any_uow, {"email": channel}, worker="w1").dead == 1
    [dead] = inbox.dead_letters(any_uow, w.admin)
    assert (dead.channel, dead.address, dead.attempts) == ("email", "alice@example.com", 1)
    assert "550" in dead.last_error and "no such mailbox" in dead.last_error
    assert smtp.box.received == []

    smtp.box.refuse.clear()  # the mailbox was set up; the admin sends it again
    inbox.retry_delivery(any_uow, w.admin, delivery_id=dead.id)
    assert dispatch_once(any_uow, {"email": channel}, worker="w1").sent == 1
    [got] = smtp.box.received
    assert got.message["Message-ID"] == _delivery(any_uow, "payment_reminder", "alice@example.com").message_id


def test_a_refused_connection_or_a_silent_server_is_tried_again(uow):
    w = build_world(uow)
    _notice(uow, w.alice.customer_id)
    nobody = _channel(uow, f"smtp://127.0.0.1:{free_port()}")
    assert dispatch_once(uow, {"email": nobody}, worker="w1").failed == 1
    d = _delivery(uow, "payment_reminder", "alice@example.com")
    assert d.state == "failed" and "ConnectionRefusedError" in d.last_error

    with socket.socket() as silent:  # accepts the connection, never greets
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        channel = _channel(uow, f"smtp://127.0.0.1:{silent.getsockname()[1]}", timeout=0.5)
        assert dispatch_once(uow, {"email": channel}, worker="w1", now=utcnow() + timedelta(minutes=5)).failed == 1
    d = _delivery(uow, "payment_reminder", "alice@example.com")
    assert d.state == "failed" and "timed out" in d.last_error


def test_no_address_is_not_applicable_and_a_broken_one_is_permanent(uow, smtp):
    channel = _channel(uow, smtp.url)
    out = Outgoing(delivery_id=1, notification_id=1, channel="email", event="payment_reminder", subject_type="invoice",
                   subject_id=1, payload={"invoice": "INV-000001"}, message_id="<n-1@fieldserv.local>", attempt=1)
    with pytest.raises(NotApplicable):
        channel.send(out)
    with pytest.raises(PermanentFailure):
        channel.send(replace(out, address="alice@@example..com, bob"))
    assert smtp.box.received == []


# --- TLS and authentication -----------------------------------------------------------------------

@pytest.fixture(scope="module")
def certificate(tmp_path_factory) -> tuple[Path, Path]:
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    try:
        subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key), "-out",
                        str(cert), "-days", "2", "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"],
                       check=True, capture_output=True, timeout=60)
    except (OSError, subprocess.CalledProcessError) as exc:
        pytest.skip(f"openssl could not make a test certificate: {exc}")
    return cert, key


def _authenticator(server, session, envelope, mechanism, auth_data) -> AuthResult:
    ok = isinstance(auth_data, LoginPassword) and (auth_data.login, auth_data.password) == (b"mailer", b"p@ss word")
    return AuthResult(success=ok, handled=False)


@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")
@pytest.mark.parametrize("scheme", ["smtp+starttls", "smtps"])
def test_tls_and_authentication_as_the_url_says(uow, certificate, scheme):
    cert, key = certificate
    server_ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_ctx.load_cert_chain(cert, key)
    client_ctx = ssl.create_default_context(cafile=str(cert))
    tls = {"tls_context": server_ctx, "require_starttls": True} if scheme == "smtp+starttls" else {
        "ssl_context": server_ctx, "auth_require_tls": False}  # aiosmtpd does not see its own TLS on SMTPS
    w = build_world(uow)
    _notice(uow, w.alice.customer_id)
    with SmtpServer(scheme, "mailer:p%40ss%20word@", authenticator=_authenticator, auth_required=True, **tls) as good:
        channel = _channel(uow, good.url, ssl_context=client_ctx)
        assert dispatch_once(uow, {"email": channel}, worker="w1").sent == 1
        [got] = good.box.received
        assert got.rcpt_tos == ["alice@example.com"]
        # a wrong password: refused for good (535), so the admin sees it at once
        wrong = _channel(uow, good.url.replace("p%40ss%20word", "nope"), ssl_context=client_ctx)
        _notice(uow, w.alice.customer_id)
        assert dispatch_once(uow, {"email": wrong}, worker="w1").dead == 1
        assert "535" in inbox.dead_letters(uow, w.admin)[0].last_error


# --- configuration --------------------------------------------------------------------------------

def test_the_smtp_url_forms():
    assert Target.from_url("smtp://127.0.0.1:8025") == Target("plain", "127.0.0.1", 8025)
    assert Target.from_url("smtp+starttls://me%40corp:s%3Acret@mail.example") == Target(
        "starttls", "mail.example", 587, "me@corp", "s:cret")
    assert Target.from_url("smtps://u:p@mail.example:2465") == Target("ssl", "mail.example", 2465, "u", "p")
    assert str(Target.from_url("smtps://u:p@mail.example")) == "smtps://u@mail.example:465"  # no password shown
    assert redact("smtps://u:secret@mail.example") == "smtps://u:***@mail.example"
    for bad in ("http://mail.example", "smtp://", "mail.example:25", "smtp://h:notaport"):
        with pytest.raises(ValueError):
            Target.from_url(bad)


def test_links_lead_each_reader_to_their_own_page():
    assert record_link(PORTAL + "/", "INV-000002", "customer") == f"{PORTAL}/c/invoices/INV-000002"
    assert record_link(PORTAL, "CT-000001", "customer") == f"{PORTAL}/c/contracts"
    assert record_link(PORTAL, "JB-000003", "technician") == f"{PORTAL}/t/jobs/JB-000003"
    assert record_link(PORTAL, "EC-000004", "manager") == f"{PORTAL}/m/claims"
    assert record_link(PORTAL, "JB-000003", "admin") == f"{PORTAL}/"
    assert record_link(PORTAL, None, "customer") == f"{PORTAL}/"


def test_the_registry_mails_only_when_smtp_url_is_set(uow):
    settings = Settings(var_dir=Path("/nonexistent"))
    assert "email" not in default_channels(settings, uow, env={})
    channel = default_channels(settings, uow, env={"SMTP_URL": "smtp://127.0.0.1:8025"})["email"]
    assert (channel.name, channel.sender, channel.portal_url) == ("email", DEFAULT_SENDER,
                                                                   "http://127.0.0.1:8080/portal")
    channel = default_channels(settings, uow, env={"SMTP_URL": "smtps://u:p@mail.example", "MAIL_FROM": SENDER,
                                                   "PORTAL_URL": PORTAL + "/"})["email"]
    assert (channel.server.security, channel.sender, channel.portal_url) == ("ssl", SENDER, PORTAL)
    with pytest.raises(ValueError):
        default_channels(settings, uow, env={"SMTP_URL": "smtp://h", "MAIL_FROM": "nobody"})
