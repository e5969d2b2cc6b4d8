"""The outgoing webhook end to end: the dispatcher sends each notice to a
local aiohttp receiver that checks the HMAC signature over the raw body and
drops a repeat by ``X-Fieldserv-Delivery``, as a real gateway should. A 5xx
is tried again after the backoff with the same message id; a 4xx is dead at
once. On SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import json
import threading
from dataclasses import dataclass, field
from datetime import timedelta

import pytest
from aiohttp import web
from sqlalchemy import select

from backend.customers.language import set_notice_language
from backend.db import utcnow
from backend.delivery.channels import Outgoing, PermanentFailure, TransientFailure
from backend.delivery.dispatcher import dispatch_once
from backend.delivery.webhook import DELIVERY_HEADER, EVENT_HEADER, SIGNATURE_HEADER, WebhookChannel, sign, verify
from backend.notifications.models import Delivery, DeliveryAttempt
from backend.notifications.outbox import notify
from tests.factories import build_world
from tests.integration.livechat.harness import free_port

SECRET = "webhook-secret-for-the-test"


@dataclass
class Receiver:
    """A gateway: verifies the signature, answers as scripted, keeps each message once."""

    url: str = ""
    script: list = field(default_factory=list)  # statuses to answer, in turn (then 200); "slow" to stall
    posts: list[dict] = field(default_factory=list)
    accepted: dict[str, dict] = field(default_factory=dict)

    def reset(self) -> None:
        self.script, self.posts, self.accepted = [], [], {}

    async def hook(self, request: web.Request) -> web.Response:
        raw = await request.read()
        self.posts.append({"headers": dict(request.headers), "raw": raw})
        if not verify(SECRET, raw, request.headers.get(SIGNATURE_HEADER)):
            return web.json_response({"error": "bad signature"}, status=401)
        answer = self.script.pop(0) if self.script else 200
        if answer == "slow":
            await asyncio.sleep(3)
            answer = 200
        if answer >= 300:
            return web.json_response({"error": "scripted"}, status=answer)
        self.accepted.setdefault(request.headers[DELIVERY_HEADER], json.loads(raw))  # a repeat is dropped
        return web.json_response({"ok": True})


@pytest.fixture(scope="module")
def receiver():
    rec = Receiver()
    loop = asyncio.new_event_loop()
    app = web.Application()
    app.router.add_post("/hook", rec.hook)
    runner = web.AppRunner(app, access_log=None)
    port = free_port()
    loop.run_until_complete(runner.setup())
    loop.run_until_complete(web.TCPSite(runner, "127.0.0.1", port).start())
    thread = threading.Thread(target=loop.run_forever, name="webhook-receiver", daemon=True)
    thread.start()
    rec.url = f"http://127.0.0.1:{port}/hook"
    yield rec
    loop.call_soon_threadsafe(loop.stop)
    thread.join(10)
    loop.run_until_complete(runner.cleanup())
    loop.close()


@pytest.fixture
def hook(receiver):
    receiver.reset()
    return receiver


def _reminder(uow, customer_id: int, invoice: str = "INV-000001") -> None:
    with uow() as s:
        notify(s, event="payment_reminder", subject_type="invoice", subject_id=1, customer_id=customer_id,
               invoice=invoice, outstanding="10.00")


def test_a_notice_is_posted_signed_and_a_500_is_tried_again_with_the_same_id(any_uow, hook):
    w = build_world(any_uow)
    hook.script = [500]
    channel = WebhookChannel(hook.url, SECRET)
    _reminder(any_uow, w.alice.customer_id)
    now = utcnow()
    assert dispatch_once(any_uow, {"webhook": channel}, worker="w1", now=now).failed == 1
    assert not dispatch_once(any_uow, {"webhook": channel}, worker="w1", now=now + timedelta(seconds=5)).busy
    assert dispatch_once(any_uow, {"webhook": channel}, worker="w1", now=now + timedelta(minutes=1)).sent == 1

    first, second = hook.posts
    assert first["raw"] == second["raw"]  # the same message, byte for byte
    assert first["headers"][DELIVERY_HEADER] == second["headers"][DELIVERY_HEADER]
    assert second["headers"][SIGNATURE_HEADER] == sign(SECRET, second["raw"])
    assert second["headers"][EVENT_HEADER] == "payment_reminder"
    [(delivery_id, body)] = hook.accepted.items()
    assert body["id"] == delivery_id
    assert {k: body[k] for k in ("event", "reference", "title", "text", "language")} == {
        "event": "payment_reminder", "reference": "INV-000001", "title": "Payment reminder",
        "text": "INV-000001 has 10.00 outstanding.", "language": "en"}
    assert body["recipient"]["customer_id"] == w.alice.customer_id and body["recipient"]["name"] == "Alice"
    assert body["recipient"]["user_id"] == w.alice.user_id  # one message per person, for an SMS gateway
    assert body["payload"] == {"invoice": "INV-000001", "outstanding": "10.00"}
    with any_uow() as s:
        d = s.scalar(select(Delivery).where(Delivery.channel == "webhook"))
        attempts = s.execute(select(DeliveryAttempt.outcome, DeliveryAttempt.message_id)
                             .where(DeliveryAttempt.delivery_id == d.id).order_by(DeliveryAttempt.id)).all()
    assert (d.state, d.recipient, d.message_id) == ("sent", f"user:{w.alice.user_id}", delivery_id)
    assert [a.outcome for a in attempts] == ["failed", "sent"] and {a.message_id for a in attempts} == {d.message_id}


def test_a_resent_message_is_dropped_by_the_receiver(any_uow, hook):
    out = Outgoing(delivery_id=1, notification_id=1, channel="webhook", event="job_assigned", subject_type="job",
                   subject_id=1, payload={"job": "JB-000001", "start": "10:00"}, message_id="<m-1@test>",
                   attempt=1, user_id=5)
    channel = WebhookChannel(hook.url, SECRET)
    channel.send(out)
    channel.send(out)  # a worker killed after sending, before it recorded the send
    assert len(hook.posts) == 2 and list(hook.accepted) == ["<m-1@test>"]


def test_the_customers_language_is_the_webhooks(any_uow, hook):
    w = build_world(any_uow)
    set_notice_language(any_uow, w.alice, language="hi")
    _reminder(any_uow, w.alice.customer_id, invoice="INV-000009")
    dispatch_once(any_uow, {"webhook": WebhookChannel(hook.url, SECRET)}, worker="w1")
    [body] = hook.accepted.values()
    assert (body["language"], body["title"]) == ("hi", "भुगतान की याद")
    assert "INV-000009" in body["text"] and "बकाया" in body["text"]


def test_a_4xx_is_dead_at_once(any_uow, hook):
    w = build_world(any_uow)
    hook.script = [422]
    _reminder(any_uow, w.alice.customer_id)
    result = dispatch_once(any_uow, {"webhook": WebhookChannel(hook.url, SECRET)}, worker="w1")
    assert (result.dead, result.failed) == (1, 0)


def test_a_receiver_refuses_a_body_signed_with_another_secret(hook):
    out = Outgoing(delivery_id=1, notification_id=1, channel="webhook", event="job_assigned", subject_type="job",
                   subject_id=1, payload={}, message_id="<m-2@test>", attempt=1)
    with pytest.raises(PermanentFailure, match="401"):
        WebhookChannel(hook.url, "not-the-secret").send(out)
    assert hook.accepted == {}


def test_a_timeout_or_a_closed_port_is_tried_again(hook):
    out = Outgoing(delivery_id=1, notification_id=1, channel="webhook", event="job_assigned", subject_type="job",
                   subject_id=1, payload={}, message_id="<m-3@test>", attempt=1)
    hook.script = ["slow"]
    with pytest.raises(TransientFailure):
        WebhookChannel(hook.url, SECRET, timeout_s=0.5).send(out)
    with pytest.raises(TransientFailure, match="unreachable"):
        WebhookChannel(f"http://127.0.0.1:{free_port()}/hook", SECRET, timeout_s=2).send(out)


def test_a_webhook_needs_an_address_and_a_secret():
    with pytest.raises(ValueError):
        WebhookChannel("ftp://example.test/hook", SECRET)
    with pytest.raises(ValueError):
        WebhookChannel("http://127.0.0.1:1/hook", "")


def test_the_registry_adds_chat_by_default_and_the_webhook_when_configured(uow, tmp_path):
    from backend.delivery.chat import ChatChannel
    from backend.delivery.registry import default_channels, hub_url, preference_channels
    from backend.settings import Settings

    settings = Settings(var_dir=tmp_path / "var")
    channels = default_channels(settings, uow, env={})
    assert isinstance(channels["chat"], ChatChannel) and "webhook" not in channels
    assert channels["chat"].url == "http://127.0.0.1:8080/internal/notices"
    assert not (tmp_path / "var").exists()  # the shared token is read (or made) on the first push only
    assert len(channels["chat"].token) >= 32 and (tmp_path / "var" / "hub-internal-token").exists()
    assert "chat" not in default_channels(settings, uow, env={"HUB_URL": ""})
    assert hub_url({"HUB_PORT": "9000"}) == "http://127.0.0.1:9000"
    env = {"WEBHOOK_URL": "https://gateway.example/hook", "WEBHOOK_SECRET": SECRET}
    assert isinstance(default_channels(settings, uow, env=env)["webhook"], WebhookChannel)
    with pytest.raises(ValueError):
        default_channels(settings, uow, env={"WEBHOOK_URL": "https://gateway.example/hook"})
    assert preference_channels({}) == ("email", "chat") and preference_channels(env)[-1] == "webhook"
