"""The links mailed for a user's own account: confirm the e-mail address of a
self sign-up, and reset a forgotten password.

Each is a signed, expiring token (itsdangerous, keyed with the settings'
secret and its own salt, so a session cookie, a login token or a pay link is
never one of these, nor the other way round), made when the mail is composed
(``backend.delivery.email``), never stored:

- **confirm** names the user and the address it was sent to; it lasts
  ``VERIFY_HOURS``. It works once: a confirmed user is ``already_done``, and
  a token for an address the user no longer has is refused.
- **reset** names the user and a fingerprint of the password hash it was made
  against; it lasts ``RESET_MINUTES``. It works once: the reset changes the
  hash, so the fingerprint no longer matches (nor does any other reset link
  sent before).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime

from itsdangerous import BadSignature, SignatureExpired, TimestampSigner, URLSafeTimedSerializer

from backend.errors import DomainError, ErrorCode

VERIFY_HOURS = 48
RESET_MINUTES = 60
VERIFY_SALT = "fieldserv-confirm-email"
RESET_SALT = "fieldserv-password-reset"
DEFAULT_PORTAL_URL = "http://127.0.0.1:8080/portal"  # as backend.delivery.email: where `make run` serves the portal
VERIFY_PATH = "/signup/confirm/"
RESET_PATH = "/password/reset/"


def password_fingerprint(password_hash: str) -> str:
    """What a reset link is bound to: changes with every new password."""
    return hashlib.sha256(("reset:" + password_hash).encode()).hexdigest()[:24]


def _serializer(secret: str, salt: str, at: datetime | None = None) -> URLSafeTimedSerializer:
    if at is None:
        return URLSafeTimedSerializer(secret, salt=salt)
    stamp = int(at.timestamp())
    signer = type("SignedAt", (TimestampSigner,), {"get_timestamp": lambda self: stamp})
    return URLSafeTimedSerializer(secret, salt=salt, signer=signer)


@dataclass(frozen=True)
class VerifyClaim:
    user_id: int
    email: str


@dataclass(frozen=True)
class ResetClaim:
    user_id: int
    fingerprint: str


@dataclass(frozen=True)
class AccountLinks:
    """How the links are signed (the secret) and where they lead (the portal's address)."""

    secret: str
    base_url: str = DEFAULT_PORTAL_URL

    def verify_token(self, user_id: int, email: str, *, at: datetime | None = None) -> str:
        """``at``: when it was issued (now unless given; a test dates one in the past)."""
        return _serializer(self.secret, VERIFY_SALT, at).dumps({"uid": user_id, "email": email.lower()})

    def reset_token(self, user_id: int, password_hash: str, *, at: datetime | None = None) -> str:
        return _serializer(self.secret, RESET_SALT, at).dumps(
            {"uid": user_id, "fp": password_fingerprint(password_hash)})

    def verify_url(self, user_id: int, email: str) -> str:
        return self.base_url.rstrip("/") + VERIFY_PATH + self.verify_token(user_id, email)

    def reset_url(self, user_id: int, password_hash: str) -> str:
        return self.base_url.rstrip("/") + RESET_PATH + self.reset_token(user_id, password_hash)


def _load(secret: str, salt: str, token: str, max_age: int, what: str) -> dict:
    if not token or len(token) > 1000:
        raise DomainError(ErrorCode.UNAUTHENTICATED, f"this {what} link is not valid; ask for a new one",
                          reason="bad_link")
    try:
        data = _serializer(secret, salt).loads(token, max_age=max_age)
    except SignatureExpired:
        raise DomainError(ErrorCode.UNAUTHENTICATED, f"this {what} link has expired; ask for a new one",
                          reason="expired") from None
    except BadSignature:
        raise DomainError(ErrorCode.UNAUTHENTICATED, f"this {what} link is not valid; ask for a new one",
                          reason="bad_link") from None
    if not isinstance(data, dict) or not isinstance(data.get("uid"), int):
        raise DomainError(ErrorCode.UNAUTHENTICATED, f"this {what} link is not valid; ask for a new one",
                          reason="bad_link")
    return data


def read_verify_token(secret: str, token: str) -> VerifyClaim:
    """The user and address a confirmation link names, or ``unauthenticated`` (reason expired / bad_link)."""
    data = _load(secret, VERIFY_SALT, token, VERIFY_HOURS * 3600, "confirmation")
    return VerifyClaim(data["uid"], str(data.get("email", "")))


def read_reset_token(secret: str, token: str) -> ResetClaim:
    data = _load(secret, RESET_SALT, token, RESET_MINUTES * 60, "password reset")
    return ResetClaim(data["uid"], str(data.get("fp", "")))
