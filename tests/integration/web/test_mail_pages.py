"""The staff pages about e-mail: the captured mails of the development mail
server (list, message with both parts and its attachments) and the dead
letters an admin or manager sends again. One portal serves the module."""

from __future__ import annotations

import re
import shutil
from email.message import EmailMessage

import pytest
from sqlalchemy import select

from backend.delivery.channels import PermanentFailure
from backend.delivery.dispatcher import dispatch_once
from backend.devmail import mailbox
from backend.notifications.models import Delivery
from backend.notifications.outbox import notify

from .served import serve

PDF = b"%PDF-1.4\n% a tiny invoice\n%%EOF\n"


@pytest.fixture(scope="module")
def site(sqlite_template, tmp_path_factory):
    folder = tmp_path_factory.mktemp("mail-pages")
    shutil.copy(sqlite_template, folder / "db.sqlite3")
    served, portal = serve(f"sqlite:///{folder / 'db.sqlite3'}", folder)
    with served:
        portal.url = served.base_url
        yield portal


@pytest.fixture
def mail_dir(site):
    folder = site.settings.var_dir / "mail"
    shutil.rmtree(folder, ignore_errors=True)
    return folder


def _captured(folder, subject="Your bill: INV-000042") -> str:
    msg = EmailMessage()
    msg["From"] = "fieldserv <no-reply@fieldserv.local>"
    msg["To"] = "Alice <alice@example.com>"
    msg["Subject"] = subject
    msg["Message-ID"] = "<notice-42.email.user-6@fieldserv.local>"
    msg["Date"] = "Tue, 02 Jun 2026 10:15:00 +0000"
    msg.set_content("Invoice INV-000042 for JB-000007: 1180.00.\n")
    msg.add_alternative('<p class="x">Invoice <b>INV-000042</b> &amp; more</p><script>alert(1)</script>',
                        subtype="html")
    msg.add_attachment(PDF, maintype="application", subtype="pdf", filename="INV-000042.pdf")
    path, _ = mailbox.store(folder, msg.as_bytes())
    return path.name


def test_staff_see_the_captured_mails_newest_first_and_open_one(site, mail_dir):
    first = _captured(mail_dir, "Appointment booked: JB-000007")
    name = _captured(mail_dir)  # another Message-ID? no: the same one, so it is kept once
    assert name == first
    name = mailbox.store(mail_dir, _message_bytes("Your bill: INV-000042", "<notice-43@fieldserv.local>"))[0].name
    agent = site.client("agent")
    page = agent.get("/portal/x/mail")
    assert page.status_code == 200
    rows = re.findall(r'<a href="/portal/x/mail/([^"]+)">([^<]+)</a>', page.text)
    assert rows == [(name, "Your bill: INV-000042"), (first, "Appointment booked: JB-000007")]
    assert "fieldserv &lt;no-reply@fieldserv.local&gt;" in page.text and "Alice &lt;alice@example.com&gt;" in page.text

    page = agent.get(f"/portal/x/mail/{first}")
    assert page.status_code == 200
    assert "Invoice INV-000042 for JB-000007: 1180.00." in page.text  # the plain-text part
    srcdoc = re.search(r'<iframe[^>]*\bsandbox\b[^>]*srcdoc="([^"]*)"', page.text)
    assert srcdoc and "&lt;script&gt;" in srcdoc.group(1) and "<script>" not in srcdoc.group(1)
    assert "&lt;b&gt;INV-000042&lt;/b&gt; &amp;amp; more" in srcdoc.group(1)  # escaped once more for the attribute
    assert "&lt;notice-42.email.user-6@fieldserv.local&gt;" in page.text
    link = re.search(r'<a href="([^"]+)" download>INV-000042.pdf</a>', page.text).group(1)
    pdf = agent.get(link)
    assert pdf.status_code == 200 and pdf.content == PDF and pdf.headers["Content-Type"] == "application/pdf"
    assert pdf.headers["Content-Disposition"] == 'attachment; filename="INV-000042.pdf"'
    for missing in ("/portal/x/mail/nothing.eml", f"/portal/x/mail/{first}/parts/3",
                    "/portal/x/mail/..%2F..%2Fdb.sqlite3"):
        assert agent.get(missing).status_code == 404, missing

    for role in ("manager", "admin"):
        assert site.client(role).get("/portal/x/mail").status_code == 200
    for role in ("alice", "tech"):
        r = site.client(role).get(f"/portal/x/mail/{first}")
        assert r.status_code == 403 and "Invoice INV-000042" not in r.text


def _message_bytes(subject: str, message_id: str) -> bytes:
    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"], msg["Message-ID"] = "x@fieldserv.local", "b@example.com", subject, message_id
    msg.set_content("text only")
    return msg.as_bytes()


def test_no_folder_or_an_empty_one_says_production_sends_through_smtp_url(site, mail_dir):
    agent = site.client("agent")
    page = agent.get("/portal/x/mail")
    assert page.status_code == 200 and "No dev mail server" in page.text and "SMTP_URL" in page.text
    mail_dir.mkdir(parents=True)
    page = agent.get("/portal/x/mail")
    assert "No mail captured yet" in page.text and "SMTP_URL" in page.text


def test_a_dead_letter_is_sent_again_from_the_page(site):
    with site.uow() as s:
        notify(s, event="payment_reminder", subject_type="invoice", subject_id=1, customer_id=site.world.bob.customer_id,
               invoice="INV-000001", outstanding="10.00")

    class Refusing:
        name = "email"

        def send(self, out):
            raise PermanentFailure("550 5.1.1 no such mailbox")

    while dispatch_once(site.uow, {"email": Refusing()}, worker="w1").busy:
        pass
    with site.uow() as s:
        dead = s.scalar(select(Delivery).where(Delivery.state == "dead", Delivery.address == "bob@example.com"))
    manager = site.client("manager")
    page = manager.get("/portal/x/deliveries/dead")
    assert page.status_code == 200 and "bob@example.com" in page.text and "550 5.1.1 no such mailbox" in page.text
    assert manager.post(f"/portal/x/deliveries/{dead.id}/retry", {}, csrf=False).status_code == 403  # no form token
    r = manager.post(f"/portal/x/deliveries/{dead.id}/retry")
    assert r.status_code == 200 and f"Delivery {dead.id} (payment_reminder by email to bob@example.com)" in r.text
    with site.uow() as s:
        assert s.get(Delivery, dead.id).state == "pending"
    r = manager.post(f"/portal/x/deliveries/{dead.id}/retry")  # a second click: already on its way
    assert r.status_code == 409 and "illegal_transition" in r.text
    assert site.client("admin").get("/portal/x/deliveries/dead").status_code == 200
    assert site.client("agent").get("/portal/x/deliveries/dead").status_code == 403
    assert site.client("agent").post(f"/portal/x/deliveries/{dead.id}/retry").status_code == 403
