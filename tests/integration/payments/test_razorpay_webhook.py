"""Razorpay's webhook (issue 14 item 2): payloads signed here with the secret,
as Razorpay signs them (hex HMAC-SHA256 of the raw body)."""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from backend.billing import service as billing
from backend.billing.models import Receipt
from backend.errors import DomainError, ErrorCode
from backend.jobs import service as jobs
from backend.jobs.models import JobState as S
from backend.processes.gateway import handle_gateway_event
from backend.processes.models import GatewayEvent
from backend.processes.razorpay import RazorpayGateway
from tests.integration.api.conftest import snapshot
from tests.integration.api.flows import job_in_state
from tests.unit.core.flows import drive_to

SECRET = "whsec_test_5f3a"
GATEWAY = RazorpayGateway(SECRET)
WEBHOOK = "/api/payments/gateways/razorpay/webhook"


def payment_event(event: str, *, pay_id: str, invoice: str | None, rupees: Decimal, method: str = "upi",
                  currency: str = "INR") -> dict:
    status = {"payment.captured": "captured", "payment.failed": "failed"}.get(event, "captured")
    return {
        "entity": "event", "account_id": "acc_BFQ7uQEaa7j2z7", "event": event, "contains": ["payment"],
        "payload": {"payment": {"entity": {
            "id": pay_id, "entity": "payment", "amount": int(rupees * 100), "currency": currency,
            "status": status, "order_id": "order_DESlLckIVRkHWj", "method": method, "captured": status == "captured",
            "notes": {"invoice": invoice} if invoice else [], "email": "asha@example.test",
            "contact": "+919820011111", "fee": 0, "tax": 0, "created_at": 1733390000,
        }}},
        "created_at": 1733390001,
    }


def refund_event(*, refund_id: str, pay_id: str, invoice: str, rupees: Decimal) -> dict:
    body = payment_event("refund.processed", pay_id=pay_id, invoice=invoice, rupees=rupees)
    body["contains"] = ["refund", "payment"]
    body["payload"]["refund"] = {"entity": {
        "id": refund_id, "entity": "refund", "amount": int(rupees * 100), "currency": "INR", "payment_id": pay_id,
        "notes": [], "status": "processed", "speed_processed": "normal", "created_at": 1733390100,
    }}
    return body


def signed(body: dict, secret: str = SECRET) -> tuple[bytes, dict[str, str]]:
    raw = json.dumps(body, separators=(",", ":")).encode()
    signature = hmac.new(secret.encode(), raw, hashlib.sha256).hexdigest()
    return raw, {"X-Razorpay-Signature": signature, "X-Razorpay-Event-Id": "evt_" + signature[:14],
                 "Content-Type": "application/json"}


def deliver(uow, body: dict, secret: str = SECRET):
    raw, headers = signed(body, secret)
    return handle_gateway_event(uow, gateway=GATEWAY, raw_body=raw, headers=headers)


def count(uow, model) -> int:
    with uow() as s:
        return s.scalar(select(func.count()).select_from(model))


def billed_invoice(uow, world) -> tuple[str, str, Decimal]:
    ref = drive_to(uow, world, S.BILLED)
    inv = billing.get_invoice(uow, world.agent, invoice_ref=jobs.get_job(uow, world.agent, job_ref=ref).invoice_number)
    return ref, inv.number, inv.outstanding


def test_a_captured_payment_posts_a_receipt_pays_the_invoice_and_settles_the_job(uow, world):
    job_ref, inv_ref, due = billed_invoice(uow, world)
    out = deliver(uow, payment_event("payment.captured", pay_id="pay_29QQoUBi66xm2f", invoice=inv_ref, rupees=due))
    assert (out.kind, out.state, out.created) == ("captured", "applied", True)
    assert out.invoice_number == inv_ref and out.amount == due and out.receipt_number.startswith("RC-")
    inv = billing.get_invoice(uow, world.agent, invoice_ref=inv_ref)
    assert inv.state == "paid" and inv.outstanding == 0
    assert jobs.get_job(uow, world.agent, job_ref=job_ref).state == S.SETTLED
    with uow() as s:
        receipt = s.scalar(select(Receipt))
        assert (receipt.method, receipt.reference, receipt.idempotency_key, receipt.amount) == \
            ("upi", "pay_29QQoUBi66xm2f", "razorpay:pay_29QQoUBi66xm2f", due)
        row = s.scalar(select(GatewayEvent))
        assert (row.gateway, row.kind, row.payment_id, row.state, row.invoice_ref, row.receipt_id) == \
            ("razorpay", "captured", "pay_29QQoUBi66xm2f", "applied", inv_ref, receipt.id)
        assert row.event_id and row.event_id.startswith("evt_")


def test_the_same_event_delivered_again_records_one_receipt(uow, world):
    _, inv_ref, due = billed_invoice(uow, world)
    part = Decimal("100.00")
    body = payment_event("payment.captured", pay_id="pay_again1", invoice=inv_ref, rupees=part, method="card")
    first = deliver(uow, body)
    again = deliver(uow, body)
    assert first.created and not again.created
    assert again.state == "applied" and again.receipt_number == first.receipt_number
    assert again.note.startswith("already recorded")
    assert count(uow, Receipt) == 1 and count(uow, GatewayEvent) == 1
    inv = billing.get_invoice(uow, world.agent, invoice_ref=inv_ref)
    assert inv.state == "open" and inv.outstanding == due - part


def test_a_wrong_or_missing_signature_changes_nothing_and_is_logged(uow, world, caplog):
    _, inv_ref, due = billed_invoice(uow, world)
    body = payment_event("payment.captured", pay_id="pay_forged", invoice=inv_ref, rupees=due)
    raw, headers = signed(body, secret="not-the-secret")
    for hdrs in (headers, {}, {"X-Razorpay-Signature": "zz"}):
        caplog.clear()
        with caplog.at_level(logging.WARNING, logger="backend.processes.gateway"), \
                pytest.raises(DomainError) as err:
            handle_gateway_event(uow, gateway=GATEWAY, raw_body=raw, headers=hdrs)
        assert err.value.code == ErrorCode.UNAUTHENTICATED
        assert len(caplog.records) == 1 and "signature does not verify" in caplog.records[0].getMessage()
    # the right signature of other bytes does not verify either
    _, good = signed(body)
    with pytest.raises(DomainError):
        handle_gateway_event(uow, gateway=GATEWAY, raw_body=raw + b" ", headers=good)
    assert count(uow, Receipt) == 0 and count(uow, GatewayEvent) == 0
    assert billing.get_invoice(uow, world.agent, invoice_ref=inv_ref).state == "open"


def test_failed_and_refunded_are_recorded_and_post_nothing(uow, world):
    _, inv_ref, due = billed_invoice(uow, world)
    failed = deliver(uow, payment_event("payment.failed", pay_id="pay_failed1", invoice=inv_ref, rupees=due))
    assert (failed.kind, failed.state, failed.receipt_number) == ("failed", "recorded", None)
    refunded = deliver(uow, refund_event(refund_id="rfnd_1", pay_id="pay_old", invoice=inv_ref, rupees=Decimal(50)))
    assert (refunded.kind, refunded.state, refunded.payment_id) == ("refunded", "needs_attention", "pay_old")
    assert "credit note" in refunded.note
    # a second partial refund of the same payment is another event; the first again is not
    deliver(uow, refund_event(refund_id="rfnd_2", pay_id="pay_old", invoice=inv_ref, rupees=Decimal(20)))
    assert not deliver(uow, refund_event(refund_id="rfnd_1", pay_id="pay_old", invoice=inv_ref,
                                         rupees=Decimal(50))).created
    assert count(uow, Receipt) == 0 and count(uow, GatewayEvent) == 3
    assert billing.get_invoice(uow, world.agent, invoice_ref=inv_ref).outstanding == due


def test_an_unknown_invoice_or_an_overpayment_needs_an_agent_and_posts_nothing(uow, world):
    job_ref, inv_ref, due = billed_invoice(uow, world)
    unknown = deliver(uow, payment_event("payment.captured", pay_id="pay_unknown", invoice="INV-999999", rupees=due))
    assert unknown.state == "needs_attention" and "not_found" in unknown.note
    over = deliver(uow, payment_event("payment.captured", pay_id="pay_over", invoice=inv_ref, rupees=due + 1))
    assert over.state == "needs_attention" and "overpayment" in over.note
    no_ref = deliver(uow, payment_event("payment.captured", pay_id="pay_noref", invoice=None, rupees=due))
    assert no_ref.state == "needs_attention" and "names no invoice" in no_ref.note
    dollars = deliver(uow, payment_event("payment.captured", pay_id="pay_usd", invoice=inv_ref, rupees=due,
                                         currency="USD"))
    assert dollars.state == "needs_attention"
    assert count(uow, Receipt) == 0 and count(uow, GatewayEvent) == 4
    assert billing.get_invoice(uow, world.agent, invoice_ref=inv_ref).state == "open"
    assert jobs.get_job(uow, world.agent, job_ref=job_ref).state == S.BILLED
    # a second delivery of the unknown-invoice payment is already recorded
    assert not deliver(uow, payment_event("payment.captured", pay_id="pay_unknown", invoice="INV-999999",
                                          rupees=due)).created


def test_other_events_are_ignored(uow, world):
    out = deliver(uow, payment_event("payment.authorized", pay_id="pay_auth", invoice="INV-000001",
                                     rupees=Decimal(10)))
    assert out.state == "ignored" and count(uow, GatewayEvent) == 0


def test_the_served_webhook(api, monkeypatch, caplog):
    """Through the real served API: no login, the signature is the authentication."""
    ref = job_in_state(api, "resolved")
    api.ok("POST", f"/api/jobs/{ref}/estimate/accept", who="asha")
    inv_ref = api.ok("POST", f"/api/jobs/{ref}/bill", who="agent")["invoice_number"]
    due = Decimal(api.ok("GET", f"/api/invoices/{inv_ref}", who="agent")["outstanding"])
    raw, headers = signed(payment_event("payment.captured", pay_id="pay_served1", invoice=inv_ref, rupees=due))

    monkeypatch.delenv("RAZORPAY_WEBHOOK_SECRET", raising=False)
    r = api.post(WEBHOOK, data=raw, headers=headers)
    assert r.status_code == 409 and "RAZORPAY_WEBHOOK_SECRET" in r.json()["error"]["message"]

    monkeypatch.setenv("RAZORPAY_WEBHOOK_SECRET", SECRET)
    before = snapshot(api.engine)
    forged_raw, forged = signed(payment_event("payment.captured", pay_id="pay_served1", invoice=inv_ref, rupees=due),
                                secret="wrong")
    with caplog.at_level(logging.WARNING, logger="backend.processes.gateway"):
        r = api.post(WEBHOOK, data=forged_raw, headers=forged)
    assert r.status_code == 401 and r.json()["error"]["code"] == "unauthenticated"
    assert snapshot(api.engine) == before
    assert sum("signature does not verify" in rec.getMessage() for rec in caplog.records) == 1

    r = api.post(WEBHOOK, data=raw, headers=headers)
    assert r.status_code == 200, r.text
    body = r.json()
    assert (body["state"], body["created"], body["invoice_number"]) == ("applied", True, inv_ref)
    r = api.post(WEBHOOK, data=raw, headers=headers)
    assert r.status_code == 200 and r.json()["created"] is False and r.json()["note"].startswith("already recorded")
    assert api.ok("GET", f"/api/invoices/{inv_ref}", who="agent")["state"] == "paid"
    assert api.ok("GET", f"/api/jobs/{ref}", who="agent")["state"] == "settled"
    assert count(api.uow, Receipt) == 1


def test_a_refund_at_the_gateway_is_posted_once_when_a_credit_note_left_the_customer_in_credit(uow, world):
    from backend.processes import invoice_corrections

    _, inv_ref, due = billed_invoice(uow, world)
    deliver(uow, payment_event("payment.captured", pay_id="pay_R1", invoice=inv_ref, rupees=due))
    too_early = deliver(uow, refund_event(refund_id="rfnd_early", pay_id="pay_R1", invoice=inv_ref,
                                          rupees=Decimal(100)))
    assert too_early.state == "needs_attention" and "issue the credit note first" in too_early.note
    invoice_corrections.credit_invoice(uow, world.agent, invoice_ref=inv_ref, amount="100", reason="discount agreed")

    refunded = deliver(uow, refund_event(refund_id="rfnd_R1", pay_id="pay_R1", invoice=inv_ref, rupees=Decimal(100)))
    again = deliver(uow, refund_event(refund_id="rfnd_R1", pay_id="pay_R1", invoice=inv_ref, rupees=Decimal(100)))

    assert (refunded.state, refunded.created, again.created) == ("applied", True, False)
    assert refunded.note.startswith("refund RF-")
    view = billing.get_invoice(uow, world.agent, invoice_ref=inv_ref)
    assert (view.outstanding, view.refunded, view.state) == (Decimal("0.00"), Decimal("100.00"), "paid")
