"""The outbox dispatcher, on SQLite and PostgreSQL: every notice reaches its
recipients' channels, failures are tried again with a backoff and end in a
dead letter an admin can send again, and a worker that dies mid-send loses
nothing and makes no second message (the same message id, re-sent).

The channel here is a transport that records what it is handed: the SMTP,
chat and webhook channels have end-to-end tests of their own."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from backend.db import utcnow
from backend.delivery import dispatcher
from backend.delivery.channels import Outgoing, PermanentFailure, TransientFailure
from backend.delivery.dispatcher import LEASE, MAX_ATTEMPTS, claim, dispatch_once, settle
from backend.errors import DomainError, ErrorCode
from backend.jobs import service as jobs
from backend.notifications import inbox
from backend.notifications.models import ChannelPreference, Delivery, DeliveryAttempt, DeliveryState
from backend.notifications.outbox import notify
from tests.factories import build_world
from tests.unit.core.flows import new_job


class Recorder:
    """A transport that keeps what it is handed, failing as told."""

    def __init__(self, name: str = "email", fail: list[Exception] | None = None) -> None:
        self.name, self.fail, self.sent = name, list(fail or []), []

    def send(self, out: Outgoing) -> None:
        if self.fail:
            raise self.fail.pop(0)
        self.sent.append(out)


def _notice(uow, customer_id, event="payment_reminder", **payload):
    with uow() as s:
        notify(s, event=event, subject_type="invoice", subject_id=1, customer_id=customer_id,
               invoice="INV-000001", outstanding="10.00", **payload)


def test_a_notice_reaches_the_inbox_at_once_and_the_mail_on_the_next_round(any_uow):
    w = build_world(any_uow)
    email = Recorder()
    _notice(any_uow, w.alice.customer_id)
    result = dispatch_once(any_uow, {"email": email}, worker="w1")
    assert (result.fanned_out, result.sent) == (1, 1)
    [out] = email.sent
    assert (out.event, out.address, out.payload["invoice"], out.name) == (
        "payment_reminder", "alice@example.com", "INV-000001", "Alice")
    items = inbox.inbox(any_uow, w.alice)
    assert [(i.title, i.reference, i.read) for i in items] == [("Payment reminder", "INV-000001", False)]
    assert inbox.unread_count(any_uow, w.alice) == 1 and inbox.unread_count(any_uow, w.bob) == 0
    assert not dispatch_once(any_uow, {"email": email}, worker="w1").busy  # nothing twice
    assert len(email.sent) == 1
    inbox.mark_read(any_uow, w.alice, item_id=items[0].id)
    assert inbox.unread_count(any_uow, w.alice) == 0


def test_a_technicians_assignment_reaches_the_technician(any_uow):
    w = build_world(any_uow)
    ref = new_job(any_uow, w)
    start, end = w.next_slot()
    jobs.schedule_job(any_uow, w.agent, job_ref=ref, technician_id=w.tech.user_id, start=start, end=end)
    email = Recorder()
    dispatch_once(any_uow, {"email": email}, worker="w1")
    tech_items = inbox.inbox(any_uow, w.tech)
    assert [i.event for i in tech_items] == ["job_assigned"] and tech_items[0].reference == ref
    assert {o.event for o in email.sent if o.user_id == w.tech.user_id} == {"job_assigned"}
    assert {"request_received", "appointment_confirmed"} <= {i.event for i in inbox.inbox(any_uow, w.alice)}


def test_a_failing_transport_is_tried_again_later_then_succeeds(any_uow):
    w = build_world(any_uow)
    email = Recorder(fail=[TransientFailure("421 try later")])
    _notice(any_uow, w.alice.customer_id)
    now = utcnow()
    assert dispatch_once(any_uow, {"email": email}, worker="w1", now=now).failed == 1
    assert not dispatch_once(any_uow, {"email": email}, worker="w1", now=now + timedelta(seconds=5)).busy  # backing off
    assert dispatch_once(any_uow, {"email": email}, worker="w1", now=now + timedelta(minutes=1)).sent == 1
    with any_uow() as s:
        attempts = s.execute(select(DeliveryAttempt.outcome, DeliveryAttempt.message_id)
                             .order_by(DeliveryAttempt.id)).all()
    assert [a.outcome for a in attempts] == ["failed", "sent"]
    assert attempts[0].message_id == attempts[1].message_id == email.sent[0].message_id


def test_after_the_last_attempt_the_delivery_is_dead_until_an_admin_sends_it_again(any_uow):
    w = build_world(any_uow)
    email = Recorder(fail=[TransientFailure("down")] * MAX_ATTEMPTS)
    _notice(any_uow, w.alice.customer_id)
    now = utcnow()
    for i in range(MAX_ATTEMPTS):
        dispatch_once(any_uow, {"email": email}, worker="w1", now=now + timedelta(hours=2 * i))
    [dead] = inbox.dead_letters(any_uow, w.admin)
    assert (dead.channel, dead.attempts, dead.last_error) == ("email", MAX_ATTEMPTS, "down")
    with pytest.raises(DomainError) as err:
        inbox.dead_letters(any_uow, w.alice)
    assert err.value.code == ErrorCode.FORBIDDEN
    inbox.retry_delivery(any_uow, w.admin, delivery_id=dead.id)
    assert dispatch_once(any_uow, {"email": email}, worker="w1").sent == 1
    assert inbox.dead_letters(any_uow, w.admin) == []
    with pytest.raises(DomainError) as err:
        inbox.retry_delivery(any_uow, w.admin, delivery_id=dead.id)
    assert err.value.code == ErrorCode.ILLEGAL_TRANSITION


def test_a_refused_address_is_dead_at_once(any_uow):
    w = build_world(any_uow)
    _notice(any_uow, w.alice.customer_id)
    result = dispatch_once(any_uow, {"email": Recorder(fail=[PermanentFailure("550 no such user")])}, worker="w1")
    assert result.dead == 1


def test_a_worker_that_dies_mid_send_leaves_it_to_another_with_the_same_message_id(any_uow):
    w = build_world(any_uow)
    _notice(any_uow, w.alice.customer_id)
    dispatcher.fan_out(any_uow, {"email", "inbox"})
    now = utcnow()
    [first] = claim(any_uow, {"email"}, worker="dead-worker", now=now)  # ... and then the worker is killed
    assert claim(any_uow, {"email"}, worker="w2", now=now + LEASE / 2) == []  # its lease still holds
    [again] = claim(any_uow, {"email"}, worker="w2", now=now + LEASE + timedelta(seconds=1))
    assert (again.delivery_id, again.message_id, again.attempt) == (first.delivery_id, first.message_id, 2)
    assert settle(any_uow, again.delivery_id, DeliveryState.SENT, worker="w2") == DeliveryState.SENT
    settle(any_uow, first.delivery_id, DeliveryState.SENT, worker="dead-worker")  # a late word from the first: ignored
    with any_uow() as s:
        d = s.get(Delivery, first.delivery_id)
        assert (d.state, d.worker) == ("sent", "w2")


def test_two_workers_at_once_claim_each_delivery_once(any_uow):
    w = build_world(any_uow)
    for _ in range(30):
        _notice(any_uow, w.alice.customer_id)
    dispatcher.fan_out(any_uow, {"email", "inbox"}, batch=100)
    got: dict[str, list[int]] = {"a": [], "b": []}

    def take(name):
        while batch := claim(any_uow, {"email"}, worker=name, batch=5):
            got[name] += [o.delivery_id for o in batch]

    threads = [threading.Thread(target=take, args=(n,)) for n in got]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    taken = got["a"] + got["b"]
    assert len(taken) == len(set(taken)) == 30


def test_reminders_can_be_turned_off_but_a_bill_is_always_mailed(any_uow):
    w = build_world(any_uow)
    with any_uow() as s:
        s.add(ChannelPreference(user_id=w.alice.user_id, channel="email", enabled=False, reminders=False))
    _notice(any_uow, w.alice.customer_id, event="payment_reminder")
    _notice(any_uow, w.alice.customer_id, event="final_bill", job="JB-000001", total="10.00")
    email = Recorder()
    dispatch_once(any_uow, {"email": email}, worker="w1")
    assert [o.event for o in email.sent] == ["final_bill"]
    assert {i.event for i in inbox.inbox(any_uow, w.alice)} == {"payment_reminder", "final_bill"}
    with any_uow() as s:
        assert s.scalar(select(func.count(Delivery.id)).where(Delivery.channel == "email")) == 1
