"""A worker killed with SIGKILL in the middle of a batch, and another
started: every notice is delivered, and the dev mailbox — like a mail
client, by Message-ID — shows each one once. The real worker process, the
real dev mail server, real SMTP."""

from __future__ import annotations

import os
import signal
import subprocess
import sys

from sqlalchemy import func, select

from backend.db import UnitOfWork, make_engine, make_session_factory
from backend.devmail import mailbox
from backend.notifications.models import Delivery, DeliveryAttempt
from backend.notifications.outbox import notify
from backend.settings import ROOT
from tests.factories import build_world
from tests.support.devmail import devmail_process
from tests.support.smtp import free_port

from .conftest import wait_until

NOTICES = 120


def _start_worker(env: dict, tmp_path, name: str) -> subprocess.Popen:
    log = (tmp_path / f"{name}.log").open("wb")
    return subprocess.Popen([sys.executable, "-m", "backend.worker"], cwd=ROOT, stdout=log, stderr=subprocess.STDOUT,
                            env={**env, "WORKER_ID": name, "WORKER_HEALTH_PORT": str(free_port())})


def _email_deliveries(uow, state: str | None = None) -> int:
    with uow() as s:
        q = select(func.count(Delivery.id)).where(Delivery.channel == "email")
        return s.scalar(q.where(Delivery.state == state) if state else q)


def test_a_worker_killed_mid_batch_loses_nothing_and_sends_nothing_twice(sqlite_url, tmp_path):
    engine = make_engine(sqlite_url)
    uow = UnitOfWork(make_session_factory(engine))
    w = build_world(uow)
    with uow() as s:
        for i in range(NOTICES):
            notify(s, event="payment_reminder", subject_type="invoice", subject_id=i + 1,
                   customer_id=w.alice.customer_id, invoice=f"INV-{i + 1:06d}", outstanding="10.00")
    with devmail_process(tmp_path / "mail") as mail:
        env = {k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "HUB_URL", "WEBHOOK_URL")}
        env |= {"DATABASE_URL": sqlite_url, "VAR_DIR": str(tmp_path), "SMTP_URL": mail.url, "HUB_URL": "",
                "WORKER_POLL_SECONDS": "0.1", "WORKER_CATCH_UP": "0", "WORKER_BATCH": "40",
                "DELIVERY_LEASE_SECONDS": "2"}
        first = _start_worker(env, tmp_path, "first")
        try:
            wait_until(lambda: len(mailbox.list_mail(mail.folder, limit=1000)) >= 5, what="the first mails")
        finally:
            first.send_signal(signal.SIGKILL)
            first.wait(30)
        at_kill = len(mailbox.list_mail(mail.folder, limit=1000))
        assert 0 < at_kill < NOTICES, "killed before or after the whole batch: nothing was in flight"
        assert _email_deliveries(uow, "sent") < NOTICES

        second = _start_worker(env, tmp_path, "second")
        try:
            wait_until(lambda: _email_deliveries(uow, "sent") == NOTICES, what="every delivery sent")
        finally:
            second.send_signal(signal.SIGTERM)
            second.wait(30)

        mails = mailbox.list_mail(mail.folder, limit=1000)
    with uow() as s:
        sent_ids = set(s.scalars(select(Delivery.message_id).where(Delivery.channel == "email")))
        resent = s.scalar(select(func.count(DeliveryAttempt.id)).where(DeliveryAttempt.worker == "second"))
    assert len(mails) == NOTICES and {m.message_id for m in mails} == sent_ids  # each notice seen once
    assert _email_deliveries(uow) == NOTICES and resent >= 1
    engine.dispose()
