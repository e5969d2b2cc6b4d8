"""The development mail server that ``make run`` starts (``python -m
backend.devmail``), run here as its own process on free ports: it keeps each
message once by its Message-ID, so the resend of a worker that died after
sending (the same delivery, the same Message-ID) shows as one message in the
dev mailbox; it answers its health URL and stops cleanly on SIGTERM.

One server serves the whole module; each test starts with its folder emptied."""

from __future__ import annotations

import smtplib
from datetime import timedelta
from email.message import EmailMessage

import pytest

from backend.db import utcnow
from backend.delivery import dispatcher
from backend.delivery.dispatcher import LEASE, claim, dispatch_once
from backend.delivery.email import EmailChannel
from backend.devmail import mailbox
from backend.jobs import service as jobs
from backend.jobs.models import JobState as S
from tests.factories import build_world
from tests.support.devmail import devmail_process, health
from tests.unit.core.flows import drive_to

@pytest.fixture(scope="module")
def devmail_server(tmp_path_factory):
    with devmail_process(tmp_path_factory.mktemp("devmail") / "mail") as server:
        yield server


@pytest.fixture
def devmail(devmail_server):
    for path in devmail_server.folder.glob("*.eml"):
        path.unlink()
    return devmail_server


def _message(message_id: str, subject: str = "Hello") -> EmailMessage:
    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"], msg["Message-ID"] = "a@fieldserv.test", "b@example.com", subject, message_id
    msg.set_content("Hello there.")
    return msg


def test_a_message_sent_twice_with_one_message_id_is_kept_once(devmail):
    for subject in ("First", "First, sent again"):
        with smtplib.SMTP("127.0.0.1", devmail.port, timeout=30) as smtp:
            smtp.send_message(_message("<same@fieldserv.test>", subject))
    with smtplib.SMTP("127.0.0.1", devmail.port, timeout=30) as smtp:
        smtp.send_message(_message("<other@fieldserv.test>", "Second"))
    mails = mailbox.list_mail(devmail.folder)
    assert [m.subject for m in mails] == ["Second", "First"]  # newest first; the resend is not a new message
    assert [m.message_id for m in mails] == ["<other@fieldserv.test>", "<same@fieldserv.test>"]
    assert health(devmail.health) == {"status": "ok", "smtp": f"127.0.0.1:{devmail.port}",
                                       "folder": str(devmail.folder), "messages": 2}


def test_the_resend_of_a_worker_that_died_after_sending_is_one_mail_in_the_box(uow, devmail):
    w = build_world(uow)
    job = drive_to(uow, w, S.BILLED)
    invoice = jobs.get_job(uow, w.agent, job_ref=job).invoice_number
    channel = EmailChannel(devmail.url, "fieldserv <no-reply@fieldserv.local>", uow)
    dispatcher.fan_out(uow, {"email", "inbox"}, batch=500)
    now = utcnow()
    taken = claim(uow, {"email"}, worker="doomed", batch=500, now=now)
    bill = next(o for o in taken if o.event == "final_bill")
    channel.send(bill)  # ... the message is out, and the worker dies before it records so
    later = now + LEASE + timedelta(seconds=1)
    while dispatch_once(uow, {"email": channel}, worker="w2", batch=500, now=later).busy:
        pass  # the second worker takes over the lapsed leases and sends everything, the bill again

    bills = [m for m in mailbox.list_mail(devmail.folder) if m.subject == f"Your bill: {invoice}"]
    assert [m.message_id for m in bills] == [bill.message_id]
    assert len(mailbox.list_mail(devmail.folder)) == len(taken)  # every delivery once, however often sent
    mail = mailbox.read_mail(devmail.folder, bills[0].name)
    assert f"Invoice {invoice} for {job}" in mail.text and f"Invoice {invoice} for {job}" in mail.html
    assert [(a.filename, a.content_type) for a in mail.attachments] == [(f"{invoice}.pdf", "application/pdf")]
    part, data = mailbox.attachment(devmail.folder, bills[0].name, 0)
    assert data.startswith(b"%PDF") and part.size == len(data)


def test_the_folder_reader_refuses_names_it_did_not_write(devmail):
    assert mailbox.read_mail(devmail.folder, "../../etc/passwd") is None
    assert mailbox.attachment(devmail.folder, "20250101-000000-000000-0123456789abcdef.eml", 0) is None
    assert mailbox.list_mail(devmail.folder / "absent") == []
