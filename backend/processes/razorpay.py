"""Razorpay's webhook, as its documentation describes it.

Each delivery is a POST whose raw body is signed: the ``X-Razorpay-Signature``
header is the hex HMAC-SHA256 of the body's exact bytes with the webhook's
secret (set on Razorpay's dashboard; ``RAZORPAY_WEBHOOK_SECRET`` here). The
body is::

    {"entity": "event", "event": "payment.captured", "contains": ["payment"],
     "payload": {"payment": {"entity": {"id": "pay_…", "amount": 76700, "currency": "INR",
                                        "status": "captured", "method": "upi",
                                        "notes": {"invoice": "INV-000123"}, …}}},
     "created_at": 1733390000}

``refund.processed`` (and ``refund.created``) carry ``payload.refund.entity``
(``id`` "rfnd_…", ``payment_id``, ``amount``) next to the payment. Amounts are
integer paise. The header ``X-Razorpay-Event-Id`` names the delivery.

How a payment names our invoice: the payment links and UPI QR codes we
create put the invoice's reference in the payment's notes, ``notes.invoice =
"INV-000123"`` (Razorpay copies a link's or order's notes onto its payments).
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from backend.errors import DomainError, ErrorCode
from backend.processes.gateway import GatewayEvent

SIGNATURE_HEADER = "X-Razorpay-Signature"
EVENT_ID_HEADER = "X-Razorpay-Event-Id"

KIND_OF = {
    "payment.captured": "captured",
    "payment.failed": "failed",
    "refund.processed": "refunded",
    # refund.created is followed by refund.processed; acting on both would count a refund twice
}
# Razorpay's payment methods → our receipt methods (billing.METHODS).
METHOD_OF = {"upi": "upi", "card": "card", "emi": "card", "cardless_emi": "bank", "netbanking": "bank",
             "wallet": "bank", "bank_transfer": "bank", "emandate": "bank", "nach": "bank", "paylater": "bank"}


def sign(secret: str, raw_body: bytes) -> str:
    """The signature Razorpay sends for ``raw_body`` (hex HMAC-SHA256)."""
    return hmac.new(secret.encode("utf-8"), raw_body, hashlib.sha256).hexdigest()


def _header(headers: Mapping[str, str], name: str) -> str | None:
    value = headers.get(name)
    if value is None:  # a plain dict from a test or a queue: look the name up without case
        lowered = name.lower()
        value = next((v for k, v in headers.items() if k.lower() == lowered), None)
    return value


class RazorpayGateway:
    """The ``Gateway`` for Razorpay's webhook, with the webhook's secret."""

    name = "razorpay"

    def __init__(self, secret: str) -> None:
        if not secret:
            raise ValueError("the Razorpay webhook secret is empty")
        self._secret = secret

    def verify(self, raw_body: bytes, headers: Mapping[str, str]) -> bool:
        given = _header(headers, SIGNATURE_HEADER)
        if not given:
            return False
        return hmac.compare_digest(sign(self._secret, raw_body), given.strip().lower())

    def parse(self, raw_body: bytes, headers: Mapping[str, str] | None = None) -> GatewayEvent:
        try:
            body = json.loads(raw_body.decode("utf-8"))
        except (UnicodeDecodeError, ValueError, RecursionError):
            raise DomainError(ErrorCode.MALFORMED, "the Razorpay event is not valid JSON") from None
        if not isinstance(body, dict) or not isinstance(body.get("event"), str):
            raise DomainError(ErrorCode.MALFORMED, "the Razorpay event has no event name")
        event = body["event"][:48]
        kind = KIND_OF.get(event, "ignored")
        payload = body.get("payload") if isinstance(body.get("payload"), dict) else {}
        payment = _entity(payload, "payment")
        refund = _entity(payload, "refund")
        event_id = _header(headers or {}, EVENT_ID_HEADER)
        if kind == "refunded":
            payment_id = _text(refund.get("payment_id")) or _text(payment.get("id"))
            object_id, money, notes = _text(refund.get("id")), refund, refund.get("notes")
            if not _invoice(notes):
                notes = payment.get("notes")
        else:
            payment_id = _text(payment.get("id"))
            object_id, money, notes = payment_id, payment, payment.get("notes")
        return GatewayEvent(
            gateway=self.name, event=event, kind=kind, payment_id=payment_id, object_id=object_id,
            invoice_ref=_invoice(notes), amount=_rupees(money.get("amount")),
            currency=_text(money.get("currency") or payment.get("currency"), 3),
            method=METHOD_OF.get(str(payment.get("method")), "bank") if payment.get("method") else None,
            event_id=_text(event_id), raw=body,
        )


def _entity(payload: dict, name: str) -> dict[str, Any]:
    wrapper = payload.get(name)
    entity = wrapper.get("entity") if isinstance(wrapper, dict) else None
    return entity if isinstance(entity, dict) else {}


def _text(value: Any, max_len: int = 64) -> str | None:
    return value.strip()[:max_len] or None if isinstance(value, str) else None


def _invoice(notes: Any) -> str | None:
    # Razorpay sends notes as an object, or as an empty array when there are none.
    return _text(notes.get("invoice"), 40) if isinstance(notes, dict) else None


def _rupees(paise: Any) -> Decimal | None:
    """Razorpay's integer paise as rupees; None unless a whole number."""
    if isinstance(paise, bool) or not isinstance(paise, (int, str)):
        return None
    try:
        value = Decimal(str(paise))
    except InvalidOperation:
        return None
    if not value.is_finite() or value != value.to_integral_value() or abs(value) > Decimal("1e15"):
        return None
    return (value / 100).quantize(Decimal("0.01"))
