"""An invoice's payment link: a signed, expiring address of its public
payment page, where anyone holding the link sees what is due and pays it by
UPI without logging in.

The token (itsdangerous, keyed with the settings' secret and its own salt,
so a login token or a session cookie is never a payment link, nor the other
way round) names the invoice and nothing else; it lasts ``PAY_LINK_DAYS``
days. The page (``/portal/pay/{token}``) shows the company, the invoice's
number, date, total, what was paid and what is still due, the UPI QR code
(``/portal/pay/{token}/qr.png``) and the ``upi://`` link; nothing else of
the customer. A new link comes with every invoice notice and payment
reminder, from the customer's portal invoice page and from the chat.

Who may *make* a link: staff for any invoice, a customer for their own
(``payment_instructions``); the mails make them as the system for the
invoice the notice is about (``pay_offer``).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.banking.models import PaymentReport, PaymentReportState
from backend.billing import service as billing
from backend.billing.models import Invoice
from backend.billing.queries import invoice_of_notice, upi_request_for
from backend.company import COMPANY
from backend.db import UnitOfWork
from backend.errors import DomainError, ErrorCode, not_found
from backend.identity.actor import SYSTEM, Actor
from backend.references import parse
from backend.settings import Settings

PAY_LINK_DAYS = 30
PAY_LINK_MAX_AGE = PAY_LINK_DAYS * 24 * 3600
SALT = "fieldserv-invoice-pay-link"
DEFAULT_PORTAL_URL = "http://127.0.0.1:8080/portal"  # as backend.delivery.email: where `make run` serves the portal
# The notices whose mail carries the pay link and the QR code: the invoice was
# issued (a bill, an order, contract or repair invoice) or is being chased.
PAY_EVENTS = frozenset({"final_bill", "order_invoice", "contract_invoice", "repair_invoice", "repair_ready",
                        "payment_reminder"})
HOW_TO_GET_A_NEW_LINK = ("Log in to the portal and open the invoice under Invoices for a fresh link, ask our "
                         "assistant in the chat \"how do I pay INV-…\", or reply to the invoice e-mail.")


@dataclass(frozen=True)
class PayLinks:
    """How links are signed (the secret) and where they lead (the portal's address)."""

    secret: str
    base_url: str = DEFAULT_PORTAL_URL
    max_age: int = PAY_LINK_MAX_AGE

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None, *, secret: str | None = None) -> "PayLinks":
        """``SECRET_KEY`` (the settings' secret) and ``PORTAL_URL``, as the worker and the API read them."""
        env = os.environ if env is None else env
        return cls(secret or Settings.from_env(dict(env)).secret_key,
                   (env.get("PORTAL_URL") or DEFAULT_PORTAL_URL).rstrip("/"))

    def _serializer(self) -> URLSafeTimedSerializer:
        return URLSafeTimedSerializer(self.secret, salt=SALT)

    def token(self, invoice_number: str) -> str:
        return self._serializer().dumps({"inv": invoice_number})

    def url(self, invoice_number: str) -> str:
        return f"{self.base_url.rstrip('/')}/pay/{self.token(invoice_number)}"

    def read(self, token: str) -> str:
        """The invoice number a token names; ``DomainError(unauthenticated)``
        with ``details.reason`` ``expired`` or ``invalid`` otherwise."""
        if not isinstance(token, str) or not token or len(token) > 400:
            raise _bad_link()
        try:
            data = self._serializer().loads(token, max_age=self.max_age)
        except SignatureExpired:
            raise DomainError(ErrorCode.UNAUTHENTICATED,
                              f"this payment link has expired (a link lasts {PAY_LINK_DAYS} days). "
                              + HOW_TO_GET_A_NEW_LINK, reason="expired") from None
        except BadSignature:
            raise _bad_link() from None
        number = data.get("inv") if isinstance(data, dict) else None
        if not isinstance(number, str) or not parse(number) or parse(number)[0] != "INV":
            raise _bad_link()
        return number


def _bad_link() -> DomainError:
    return DomainError(ErrorCode.UNAUTHENTICATED,
                       "this payment link is not valid (it may have been cut short or changed). "
                       + HOW_TO_GET_A_NEW_LINK, reason="invalid")


def pay_link(invoice_ref: str, *, links: PayLinks | None = None) -> str:
    """The payment page's address for an invoice (no access check: callers check)."""
    return (links or PayLinks.from_env()).url(invoice_ref)


def read_pay_token(token: str, *, links: PayLinks | None = None) -> str:
    """The invoice number a payment link's token names (refused if expired or altered)."""
    return (links or PayLinks.from_env()).read(token)


# --- what is due and the UPI request for it -------------------------------------------------------

upi_for = upi_request_for  # what is due on an invoice, as a UPI request (None when nothing is)


@dataclass(frozen=True)
class PaymentInstructions:
    """How to pay an invoice: the payment page, its QR image, the amount due and
    the ``upi://`` link (unpacks as ``url, qr_png_url, amount_due, upi_url``)."""

    invoice_number: str
    url: str
    qr_png_url: str
    amount_due: Decimal
    upi_url: str
    transaction_ref: str

    def __iter__(self):
        return iter((self.url, self.qr_png_url, self.amount_due, self.upi_url))


def _instructions(s: Session, inv: Invoice, links: PayLinks) -> PaymentInstructions | None:
    view = billing.invoice_view(s, inv)
    upi = upi_for(s, inv, view.outstanding)
    if upi is None:
        return None
    page = links.url(inv.number)
    return PaymentInstructions(inv.number, page, page + "/qr.png", view.outstanding, upi.url, upi.transaction_ref)


def payment_instructions(uow: UnitOfWork, actor: Actor, *, invoice_ref: str,
                         links: PayLinks | None = None) -> PaymentInstructions:
    """How to pay ``invoice_ref``: its payment page (a fresh signed link), the
    QR image's address, the amount still due and the ``upi://`` link. A customer
    gets their own invoices only (someone else's is ``not_found``); a paid
    invoice is ``already_done``."""
    links = links or PayLinks.from_env()
    with uow() as s:
        inv = billing.load_invoice(s, actor, invoice_ref)  # staff: any; a customer: their own, else not_found
        found = _instructions(s, inv, links)
        if found is None:
            raise DomainError(ErrorCode.ALREADY_DONE, f"{inv.number} is {inv.state}; nothing is due on it",
                              invoice=inv.number, state=inv.state)
        return found




@dataclass(frozen=True)
class PayOffer:
    """What an invoice notice's mail carries: the link, the amount, the UPI link and its QR code."""

    invoice_number: str
    url: str
    amount_due: Decimal
    upi_url: str
    qr_png: bytes
    expires_days: int = PAY_LINK_DAYS


def pay_offer(s: Session, *, event: str, subject_type: str, subject_id: int, payload: dict[str, Any],
              links: PayLinks) -> PayOffer | None:
    """In the caller's transaction: the payment offer of an invoice notice
    (``PAY_EVENTS``), or None (another notice, or nothing due)."""
    if event not in PAY_EVENTS:
        return None
    inv = invoice_of_notice(s, subject_type=subject_type, subject_id=subject_id, payload=payload)
    if inv is None:
        return None
    view = billing.invoice_view(s, inv)
    upi = upi_for(s, inv, view.outstanding)
    if upi is None:
        return None
    return PayOffer(inv.number, links.url(inv.number), view.outstanding, upi.url, upi.png(scale=5))


# --- the public page --------------------------------------------------------------------------------

@dataclass(frozen=True)
class ReportSeen:
    """A payment reported on this invoice, as the page shows it (UTR masked)."""

    utr: str
    amount: Decimal
    paid_on: date
    state: str
    reason: str | None


@dataclass(frozen=True)
class PayPage:
    company: str
    invoice_number: str
    issued_on: date
    due_on: date
    total: Decimal
    paid: Decimal
    amount_due: Decimal
    state: str  # open | paid
    upi_url: str | None
    transaction_ref: str | None
    awaiting: Decimal  # reported by the customer, not yet confirmed
    reports: list[ReportSeen]


def load_by_token(s: Session, token: str, links: PayLinks, *, lock: bool = False) -> Invoice:
    number = links.read(token)
    try:
        return billing.load_invoice(s, SYSTEM, number, lock=lock)
    except DomainError:
        raise not_found("invoice", number) from None


def mask(utr: str) -> str:
    return "•" * 8 + utr[-4:]


def pay_page(uow: UnitOfWork, *, token: str, links: PayLinks | None = None) -> PayPage:
    """What the public payment page shows for a valid link: the invoice's
    figures and how to pay what is due; the payments reported on it. No
    login: the signed link is the authority, and it shows nothing else of
    the customer (no name, address or other invoices)."""
    links = links or PayLinks.from_env()
    with uow() as s:
        inv = load_by_token(s, token, links)
        view = billing.invoice_view(s, inv)
        upi = upi_for(s, inv, view.outstanding)
        rows = list(s.scalars(select(PaymentReport).where(PaymentReport.invoice_id == inv.id)
                              .order_by(PaymentReport.id.desc()).limit(20)))
        awaiting = sum((r.amount for r in rows if r.state == PaymentReportState.REPORTED), Decimal("0.00"))
        return PayPage(COMPANY.name, inv.number, inv.issued_on, inv.due_on, view.total, view.paid, view.outstanding,
                       inv.state, upi.url if upi else None, upi.transaction_ref if upi else None, awaiting,
                       [ReportSeen(mask(r.utr), r.amount, r.paid_on, r.state, r.reason) for r in rows])


def pay_qr_png(uow: UnitOfWork, *, token: str, links: PayLinks | None = None) -> bytes:
    """The payment page's QR code (PNG) for what is due now; ``not_found`` when nothing is."""
    links = links or PayLinks.from_env()
    with uow() as s:
        inv = load_by_token(s, token, links)
        upi = upi_for(s, inv, billing.invoice_view(s, inv).outstanding)
        if upi is None:
            raise DomainError(ErrorCode.NOT_FOUND, f"nothing is due on {inv.number}")
        return upi.png(scale=8)
