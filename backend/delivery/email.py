"""The e-mail channel: a notice as a real message over SMTP (the standard
library's ``smtplib`` and ``email.message.EmailMessage``).

``SMTP_URL`` names the relay:

- ``smtp://host:port`` — plain (the development mail server, a local relay);
- ``smtp+starttls://user:pass@host:587`` — STARTTLS, then AUTH;
- ``smtps://user:pass@host:465`` — TLS from the first byte, then AUTH.

User and password are percent-decoded (``%40`` for an ``@`` in a user name).

Every attempt of a delivery carries the delivery's fixed ``Message-ID``, so
a message sent again after a crash is the same message to the mailbox. The
body is a plain-text part and an HTML part from the templates in
``templates/email/``: the company's name, the notice's sentence
(``backend.notifications.wording``), a link to the record in the portal
(``PORTAL_URL``) and how to change one's notification preferences. A bill,
an offer or a contract carries its PDF, a completed job its completion
report (``backend.documents.notices``).

How a refusal is judged: a 4xx answer, a refused connection, a timeout or a
dropped line is worth trying again (``TransientFailure``); a 5xx answer (a
recipient or the message refused, authentication refused) will not change by
itself (``PermanentFailure``: dead at once, an admin may send it again);
no address is ``NotApplicable``.
"""

from __future__ import annotations

import smtplib
import ssl
from collections.abc import Mapping
from dataclasses import dataclass
from email.errors import MessageError
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import formatdate, parseaddr
from pathlib import Path
from urllib.parse import quote, unquote, urlsplit

import jinja2
from sqlalchemy import select

from backend.banking.paylinks import PayLinks, PayOffer, pay_offer
from backend.db import UnitOfWork
from backend.delivery.channels import (
    NotApplicable,
    Outgoing,
    PermanentFailure,
    TransientFailure,
)
from backend.documents.notices import Attachment, documents_for
from backend.documents.pdf import COMPANY
from backend.identity.account_links import AccountLinks
from backend.identity.models import Role, User
from backend.notifications.wording import word
from backend.settings import Settings

DEFAULT_SENDER = "fieldserv <no-reply@fieldserv.local>"
DEFAULT_PORTAL_URL = "http://127.0.0.1:8080/portal"
SCHEMES = {"smtp": ("plain", 25), "smtp+starttls": ("starttls", 587), "smtps": ("ssl", 465)}
TEMPLATES = Path(__file__).resolve().parent / "templates" / "email"
ACCOUNT_EVENTS = frozenset({"verify_email", "password_reset"})  # their link is the account's, not a record's


@dataclass(frozen=True)
class SmtpServer:
    """Where and how to hand mail over, from an ``SMTP_URL``."""

    security: str  # plain | starttls | ssl
    host: str
    port: int
    username: str | None = None
    password: str | None = None

    @classmethod
    def from_url(cls, url: str) -> "SmtpServer":
        parts = urlsplit((url or "").strip())
        if parts.scheme not in SCHEMES:
            raise ValueError(f"SMTP_URL must start with {', '.join(s + '://' for s in SCHEMES)}; got {redact(url)!r}")
        security, default_port = SCHEMES[parts.scheme]
        try:
            port = parts.port or default_port
        except ValueError:
            raise ValueError(f"SMTP_URL has a bad port: {redact(url)!r}") from None
        if not parts.hostname:
            raise ValueError(f"SMTP_URL names no host: {redact(url)!r}")
        user = unquote(parts.username) if parts.username else None
        password = unquote(parts.password) if parts.password is not None else None
        return cls(security, parts.hostname, port, user, password)

    def __str__(self) -> str:
        scheme = next(k for k, (sec, _) in SCHEMES.items() if sec == self.security)
        who = f"{quote(self.username, safe='')}@" if self.username else ""
        return f"{scheme}://{who}{self.host}:{self.port}"


def redact(url: str) -> str:
    """The URL without its password, for logs and errors."""
    parts = urlsplit(url or "")
    if parts.password is None:
        return url
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@", 1)
    return parts._replace(netloc=netloc).geturl()


# The page each kind of reference opens, per role ({ref}: the reference itself).
PAGES = {
    "customer": {"INV": "/c/invoices/{ref}", "JB": "/c/requests/{ref}", "SR": "/c/requests/{ref}",
                 "TK": "/c/requests/{ref}", "RC": "/c/statement", "CT": "/c/contracts", "RO": "/c/repairs"},
    "technician": {"JB": "/t/jobs/{ref}", "RO": "/t/repairs", "EC": "/t/money"},
    "agent": {"JB": "/jobs/{ref}", "INV": "/a/collections", "RC": "/a/collections", "CT": "/a/processes",
              "SO": "/a/processes", "RO": "/a/processes"},
    "manager": {"JB": "/jobs/{ref}", "INV": "/a/collections", "CT": "/a/processes", "SO": "/a/processes",
                "RO": "/a/processes", "EC": "/m/claims"},
}


def record_link(portal_url: str, reference: str | None, role: str) -> str:
    """Where the recipient sees the record: their own page for it in the portal
    (their start page when there is none)."""
    prefix = (reference or "").split("-", 1)[0].upper()
    path = PAGES.get(str(role), {}).get(prefix, "/")
    return portal_url.rstrip("/") + path.format(ref=reference)


def _environment() -> jinja2.Environment:
    return jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATES), undefined=jinja2.StrictUndefined,
                              autoescape=jinja2.select_autoescape(["html"]), trim_blocks=True, lstrip_blocks=True,
                              keep_trailing_newline=True)


class EmailChannel:
    """The ``email`` channel of the dispatcher (``backend.delivery.channels.Channel``)."""

    name = "email"

    def __init__(self, smtp_url: str, sender: str, uow: UnitOfWork, *, portal_url: str = DEFAULT_PORTAL_URL,
                 company: str = COMPANY, currency: str = "INR", timeout: float = 30.0,
                 ssl_context: ssl.SSLContext | None = None, helo: str | None = None,
                 upload_dir: Path | None = None, pay_secret: str | None = None) -> None:
        self.server = SmtpServer.from_url(smtp_url)
        self.sender = sender or DEFAULT_SENDER
        self.envelope_from = parseaddr(self.sender)[1]
        if "@" not in self.envelope_from:
            raise ValueError(f"MAIL_FROM is not an address: {self.sender!r}")
        self.uow, self.portal_url, self.company, self.currency = uow, portal_url.rstrip("/"), company, currency
        self.timeout, self.ssl_context, self.helo = timeout, ssl_context, helo
        self.upload_dir = upload_dir  # the job photos and signatures a completion report shows
        # an invoice notice's payment link, signed as the portal checks it (SECRET_KEY unless given)
        self.pay_links = PayLinks(pay_secret or Settings.from_env().secret_key, self.portal_url)
        # the links of a user's own account (confirm the address, reset the password), signed the same way
        self.account_links = AccountLinks(pay_secret or Settings.from_env().secret_key, self.portal_url)
        self.templates = _environment()

    @classmethod
    def from_env(cls, env: Mapping[str, str], uow: UnitOfWork, **kw) -> "EmailChannel":
        """``SMTP_URL``, ``MAIL_FROM`` and ``PORTAL_URL`` from the environment."""
        return cls(env["SMTP_URL"], env.get("MAIL_FROM") or DEFAULT_SENDER, uow,
                   portal_url=env.get("PORTAL_URL") or DEFAULT_PORTAL_URL, **kw)

    # -- the Channel interface ---------------------------------------------------------------------

    def send(self, out: Outgoing) -> None:
        if not out.address:
            raise NotApplicable("no e-mail address")
        self._deliver(self.compose(out), out.address)

    # -- the message -------------------------------------------------------------------------------

    def compose(self, out: Outgoing) -> EmailMessage:
        """The message for a notice: headers, text and HTML parts, its documents."""
        role, attachments, pay, account = self._load(out)
        w = word(out.event, out.payload, out.language)
        msg = EmailMessage()
        msg["Message-ID"] = out.message_id
        msg["Date"] = formatdate(usegmt=True)
        msg["From"] = self.sender
        try:
            msg["To"] = Address(display_name=out.name or "", addr_spec=out.address)
        except (ValueError, IndexError, MessageError) as exc:  # the header parser refuses it: no retry will help
            raise PermanentFailure(f"not an e-mail address: {out.address!r} ({exc})") from None
        msg["Subject"] = f"{w.title}: {w.reference}" if w.reference else w.title
        msg["Auto-Submitted"] = "auto-generated"  # RFC 3834: no vacation replies to a notice
        msg["X-Fieldserv-Event"] = out.event
        context = {
            "company": self.company, "title": w.title, "text": w.text, "reference": w.reference,
            "name": out.name, "language": out.language,
            "link": record_link(self.portal_url, w.reference, role),
            "link_label": f"Open {w.reference} in the portal" if w.reference else "Open the portal",
            "preferences_url": f"{self.portal_url}/preferences",  # the portal's notification settings
            "attachments": [a.filename for a in attachments],
            "pay": pay, "pay_qr_cid": f"pay-qr-{pay.invoice_number}@fieldserv" if pay else None,
        }
        if account is not None:  # the one thing this mail is for: its link, made now, never stored
            context["link_label"], context["link"] = account
        msg.set_content(self.templates.get_template("notice.txt").render(context))
        msg.add_alternative(self.templates.get_template("notice.html").render(context), subtype="html")
        if pay is not None:  # the UPI QR code, shown inline in the HTML part
            msg.get_payload()[1].add_related(pay.qr_png, maintype="image", subtype="png",
                                             cid=f"<{context['pay_qr_cid']}>", filename=f"{pay.invoice_number}-upi.png",
                                             disposition="inline")
        for a in attachments:
            maintype, _, subtype = a.content_type.partition("/")
            msg.add_attachment(a.data, maintype=maintype, subtype=subtype, filename=a.filename)
        return msg

    def _load(self, out: Outgoing) -> tuple[str, list[Attachment], PayOffer | None, tuple[str, str] | None]:
        """Who reads it (for the link), its documents and, for a customer's
        invoice notice, how to pay it, in one transaction; for an account
        notice (confirm the address, reset the password) its signed link."""
        with self.uow() as s:
            account = self._account_link(s, out)
            role = s.scalar(select(User.role).where(User.id == out.user_id)) if out.user_id else Role.CUSTOMER
            docs = documents_for(s, event=out.event, subject_type=out.subject_type, subject_id=out.subject_id,
                                 payload=out.payload, currency=self.currency, upload_dir=self.upload_dir)
            role = str(role or Role.CUSTOMER)
            pay = pay_offer(s, event=out.event, subject_type=out.subject_type, subject_id=out.subject_id,
                            payload=out.payload, links=self.pay_links) if role == Role.CUSTOMER else None
        return role, docs, pay, account

    def _account_link(self, s, out: Outgoing) -> tuple[str, str] | None:
        if out.event not in ACCOUNT_EVENTS or not out.user_id:
            return None
        user = s.get(User, out.user_id)
        if user is None:
            return None
        if out.event == "verify_email":
            return "Confirm my e-mail address", self.account_links.verify_url(user.id, user.email)
        return "Choose a new password", self.account_links.reset_url(user.id, user.password_hash)

    # -- the transport -----------------------------------------------------------------------------

    def _connect(self) -> smtplib.SMTP:
        srv = self.server
        context = self.ssl_context or ssl.create_default_context()
        if srv.security == "ssl":
            smtp = smtplib.SMTP_SSL(srv.host, srv.port, timeout=self.timeout, context=context,
                                    local_hostname=self.helo)
        else:
            smtp = smtplib.SMTP(srv.host, srv.port, timeout=self.timeout, local_hostname=self.helo)
        try:
            if srv.security == "starttls":
                smtp.starttls(context=context)
            if srv.username:
                smtp.login(srv.username, srv.password or "")
        except BaseException:
            smtp.close()
            raise
        return smtp

    def _deliver(self, msg: EmailMessage, address: str) -> None:
        where = str(self.server)
        try:
            smtp = self._connect()
            try:
                smtp.send_message(msg, from_addr=self.envelope_from, to_addrs=[address])
            finally:
                _quit(smtp)
        except smtplib.SMTPRecipientsRefused as exc:
            code, text = next(iter(exc.recipients.values()), (0, b""))
            raise _judge(code, f"{where} refused the recipient {address}: {code} {_text(text)}") from None
        except smtplib.SMTPResponseException as exc:  # sender, data, authentication, greeting
            raise _judge(exc.smtp_code, f"{where} answered {exc.smtp_code} {_text(exc.smtp_error)}") from None
        except smtplib.SMTPNotSupportedError as exc:
            raise PermanentFailure(f"{where}: {exc}") from None
        except (smtplib.SMTPException, OSError) as exc:  # refused, timed out, dropped, TLS failed
            raise TransientFailure(f"{where}: {exc.__class__.__name__}: {exc}") from None


def _quit(smtp: smtplib.SMTP) -> None:
    """Say goodbye; the message is already accepted, so a failing QUIT changes nothing."""
    try:
        smtp.quit()
    except (smtplib.SMTPException, OSError):
        smtp.close()


def _judge(code: int, message: str) -> Exception:
    return PermanentFailure(message) if 500 <= code < 600 else TransientFailure(message)


def _text(value) -> str:
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)
