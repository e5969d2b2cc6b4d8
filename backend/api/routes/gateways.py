"""Online payment gateways' webhooks: no login, the signature is the authentication."""

from __future__ import annotations

import os
from typing import Any

from backend.api.responses import returns
from backend.api.routing import Call, RouteTable, read_body
from backend.errors import DomainError, ErrorCode
from backend.processes import gateway
from backend.processes.razorpay import RazorpayGateway

routes = RouteTable("payment gateways", "Webhooks of online payment gateways (signed, no login)")

RAZORPAY_SECRET_ENV = "RAZORPAY_WEBHOOK_SECRET"


@routes.post("/api/payments/gateways/razorpay/webhook", "Razorpay's webhook: a payment captured, failed or refunded",
             response=returns(gateway.handle_gateway_event), roles=None,
             description="Razorpay posts its event (JSON) signed with the webhook secret: X-Razorpay-Signature is "
                         "the hex HMAC-SHA256 of the raw body. A captured payment naming one of our invoices in "
                         "notes.invoice (\"INV-000123\") becomes a receipt on it; failed and refunded payments, an "
                         "unknown invoice or more than is due are kept for an agent. The same event again answers "
                         "200 \"already recorded\" and does nothing. A wrong signature is refused (401 "
                         "unauthenticated) and changes nothing; without RAZORPAY_WEBHOOK_SECRET on the server the "
                         "webhook is refused (409 conflict).")
async def razorpay_webhook(call: Call) -> Any:
    secret = os.environ.get(RAZORPAY_SECRET_ENV, "")
    if not secret:
        raise DomainError(ErrorCode.CONFLICT, f"the Razorpay webhook is not configured on this server: "
                                              f"set {RAZORPAY_SECRET_ENV}")
    raw = await read_body(call.request)
    return await call.plain(gateway.handle_gateway_event, gateway=RazorpayGateway(secret), raw_body=raw,
                            headers=dict(call.request.headers))
