"""Chat push: the worker's chat channel hands notices to the hub's internal
endpoint, and the hub stores each one in the recipient's open conversation
before it emits it (``bot_uttered`` with ``metadata.notice``).

One hub for the module (its loop in a thread, a real port, a migrated
SQLite file with the test world); customers and technicians connect with
python-socketio's real client, and the dispatcher runs with the real
``ChatChannel`` — as the worker does."""

from __future__ import annotations

import asyncio
import json
import urllib.error
import urllib.request
from dataclasses import replace

import pytest
from sqlalchemy import func, select

from backend.conversations.models import Conversation, Message
from backend.delivery.channels import NotApplicable, Outgoing, PermanentFailure, TransientFailure
from backend.delivery.chat import PATH, TOKEN_HEADER, ChatChannel, chat_client_id, hub_token
from backend.delivery.dispatcher import dispatch_once
from backend.identity.tokens import issue_token
from backend.jobs import service as jobs
from backend.notifications.models import Delivery, Notification
from backend.notifications.outbox import notify
from tests.integration.livechat.harness import SECRET, Customer, free_port
from tests.support.hub_thread import hub_on_a_copy
from tests.unit.core.flows import new_job

pytestmark = pytest.mark.anyio
TOKEN = "internal-token-for-the-test"


@pytest.fixture
def anyio_backend():
    return "asyncio"


@pytest.fixture(scope="module")
def site(sqlite_template, tmp_path_factory):
    with hub_on_a_copy(sqlite_template, tmp_path_factory.mktemp("notices-hub"), internal_token=TOKEN) as hub:
        yield hub


def _dispatch(site, channel=None):
    return dispatch_once(site.uow, {"chat": channel or ChatChannel(site.url, TOKEN)}, worker="test", batch=200)


def _notice(uow, **kw) -> int:
    with uow() as s:
        notify(s, **kw)
        s.flush()
        return s.scalar(select(func.max(Notification.id)))


def _chat_delivery(uow, notification_id: int, user_id: int) -> Delivery:
    with uow() as s:
        d = s.scalar(select(Delivery).where(Delivery.notification_id == notification_id, Delivery.channel == "chat",
                                            Delivery.user_id == user_id))
        s.expunge(d)
        return d


def _notices_in(customer: Customer) -> list[dict]:
    return [d for n, d in customer.events if n == "bot_uttered" and (d.get("metadata") or {}).get("notice")]


def _stored(uow, client_id: str) -> list[Message]:
    with uow() as s:
        rows = list(s.scalars(select(Message).where(Message.client_id == client_id)))
        for r in rows:
            s.expunge(r)
        return rows


def _post(url: str, body: dict, token: str | None) -> tuple[int, dict]:
    headers = {"Content-Type": "application/json"}
    if token is not None:
        headers[TOKEN_HEADER] = token
    req = urllib.request.Request(url + PATH, data=json.dumps(body).encode(), method="POST", headers=headers)
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.status, json.loads(r.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


async def test_a_notice_reaches_the_open_widget_once_and_is_replayed_on_reconnect(site):
    w = site.world
    alice = await Customer(site.url, token=issue_token(SECRET, w.alice)).connect()
    try:
        nid = _notice(site.uow, event="payment_reminder", subject_type="invoice", subject_id=1,
                      customer_id=w.alice.customer_id, invoice="INV-000001", outstanding="10.00")
        result = await asyncio.to_thread(_dispatch, site)
        assert result.sent >= 1
        d = _chat_delivery(site.uow, nid, w.alice.user_id)
        assert d.state == "sent"
        text = await alice.wait_text("INV-000001")
        assert text == "Payment reminder: INV-000001 has 10.00 outstanding."
        [pushed] = [n for n in _notices_in(alice) if n["metadata"]["notice"]["delivery_id"] == d.id]
        assert pushed["metadata"]["notice"] == {"event": "payment_reminder", "reference": "INV-000001",
                                                "delivery_id": d.id}
        assert pushed["metadata"]["sender"] == "bot"

        # the worker died after sending and before recording it: the same notice, the same message id, again
        out = Outgoing(delivery_id=d.id, notification_id=nid, channel="chat", event="payment_reminder",
                       subject_type="invoice", subject_id=1, message_id=d.message_id, attempt=2,
                       payload={"invoice": "INV-000001", "outstanding": "10.00"}, user_id=w.alice.user_id)
        await asyncio.to_thread(ChatChannel(site.url, TOKEN).send, out)
        [stored] = _stored(site.uow, chat_client_id(d.message_id))
        assert stored.payload["notice"]["delivery_id"] == d.id
        with site.uow() as s:
            conv = s.get(Conversation, stored.conversation_id)
            assert (conv.user_id, conv.session_id) == (w.alice.user_id, alice.session_id)
        await asyncio.sleep(0.3)  # a second emit would have arrived by now
        assert len([n for n in _notices_in(alice) if n["metadata"]["notice"]["delivery_id"] == d.id]) == 1
    finally:
        await alice.close()

    again = Customer(site.url, token=issue_token(SECRET, w.alice), session_id=alice.session_id)
    await again.connect()  # last_seq 0: everything is replayed, the notice with its metadata
    try:
        replayed = await again.wait_text("INV-000001")
        assert replayed == text
        [n] = [n for n in _notices_in(again) if n["metadata"]["notice"]["delivery_id"] == d.id]
        assert n["metadata"]["replay"] is True
    finally:
        await again.close()


async def test_a_technicians_new_assignment_arrives_in_the_technician_chat(site):
    w = site.world
    tech = await Customer(site.url, token=issue_token(SECRET, w.tech)).connect()
    try:
        ref = new_job(site.uow, w)
        start, end = w.next_slot()
        jobs.schedule_job(site.uow, w.agent, job_ref=ref, technician_id=w.tech.user_id, start=start, end=end)
        await asyncio.to_thread(_dispatch, site)
        text = await tech.wait_text(ref)
        assert text.startswith(f"New job: {ref} is assigned to you")
        [n] = [n for n in _notices_in(tech) if n["metadata"]["notice"]["reference"] == ref]
        assert n["metadata"]["notice"]["event"] == "job_assigned"
        with site.uow() as s:
            conv = s.scalar(select(Conversation).where(Conversation.session_id == tech.session_id))
            assert conv.channel == "technician"
    finally:
        await tech.close()


def test_without_an_open_chat_the_chat_delivery_is_skipped(site):
    w = site.world  # bob never opened the chat
    nid = _notice(site.uow, event="payment_reminder", subject_type="invoice", subject_id=2,
                  customer_id=w.bob.customer_id, invoice="INV-000002", outstanding="5.00")
    _dispatch(site)
    d = _chat_delivery(site.uow, nid, w.bob.user_id)
    assert (d.state, d.last_error) == ("skipped", "no_open_chat")
    out = Outgoing(delivery_id=d.id, notification_id=nid, channel="chat", event="payment_reminder",
                   subject_type="invoice", subject_id=2, payload={}, message_id=d.message_id, attempt=1,
                   user_id=w.bob.user_id)
    with pytest.raises(NotApplicable):
        ChatChannel(site.url, TOKEN).send(out)
    with pytest.raises(NotApplicable):  # a notice for no login (a customer's address only) has no chat
        ChatChannel(site.url, TOKEN).send(replace(out, user_id=None))
    assert _stored(site.uow, chat_client_id(d.message_id)) == []


def test_the_endpoint_refuses_a_request_without_the_token(site):
    w = site.world
    body = {"user_id": w.alice.user_id, "client_id": "x-1", "text": "Forged", "notice": {"event": "job_assigned"}}
    assert _post(site.url, body, None)[0] == 401
    status, answer = _post(site.url, body, "not-the-token")
    assert (status, answer["error"]["code"]) == (401, "unauthenticated")
    assert _stored(site.uow, "x-1") == []
    out = Outgoing(delivery_id=1, notification_id=1, channel="chat", event="job_assigned", subject_type="job",
                   subject_id=1, payload={"job": "JB-000001"}, message_id="<m-1@test>", attempt=1,
                   user_id=w.alice.user_id)
    with pytest.raises(PermanentFailure, match="401"):
        ChatChannel(site.url, "wrong").send(out)
    status, answer = _post(site.url, {**body, "user_id": "1"}, TOKEN)
    assert (status, answer["error"]["details"]["field"]) == (422, "user_id")


def test_a_hub_that_is_down_is_tried_again_later():
    out = Outgoing(delivery_id=1, notification_id=1, channel="chat", event="job_assigned", subject_type="job",
                   subject_id=1, payload={}, message_id="<m-1@test>", attempt=1, user_id=1)
    with pytest.raises(TransientFailure, match="unreachable"):
        ChatChannel(f"http://127.0.0.1:{free_port()}", TOKEN, timeout_s=2).send(out)


def test_the_shared_token_is_made_once_per_var_dir(tmp_path):
    first = hub_token(tmp_path, env={})
    assert len(first) >= 32 and hub_token(tmp_path, env={}) == first
    assert (tmp_path / "hub-internal-token").stat().st_mode & 0o777 == 0o600
    assert hub_token(tmp_path, env={"HUB_INTERNAL_TOKEN": "set"}) == "set"
