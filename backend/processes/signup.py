"""A visitor's own account: sign up, confirm the e-mail address, reset a
forgotten password. It spans identity (the login) and customers (the record
the login belongs to), so it lives here, above both.

- ``sign_up``: a customer (``backend.customers.service.new_customer``) and a
  customer login that cannot log in yet (``email_verified_at`` empty), and a
  ``verify_email`` notice to that login in the same transaction. The mail
  carries the confirmation link (``backend.identity.account_links``; the
  e-mail channel signs it when it composes the message).
  A customer already on file with the same e-mail address and no login of
  that address gets the login (opening the link proves the address is
  theirs); an address with a confirmed login is ``duplicate`` ("sign in or
  reset your password"); one still waiting for its confirmation gets a new
  link; a mobile number already on file is ``duplicate`` without naming whose.
- ``verify_email``: the link's user confirmed and logged in (the actor back);
  a second use is ``already_done``.
- ``request_password_reset``: a ``password_reset`` notice when an active
  login has that address, and nothing otherwise; the caller answers the same
  either way, so no one learns which addresses have an account.
- ``reset_password``: a new password from a reset link; the link's
  fingerprint of the old hash no longer matches, so it works once.

A refusal changes nothing; every change is a history row on the user.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from backend import fields
from backend.customers import service as customers
from backend.customers.models import Customer
from backend.db import UnitOfWork, utcnow
from backend.errors import DomainError, ErrorCode, invalid
from backend.history.moves import record
from backend.identity.account_links import password_fingerprint, read_reset_token, read_verify_token
from backend.identity.actor import Actor
from backend.identity.models import Role, User
from backend.identity.passwords import check_new_password, hash_password
from backend.notifications.outbox import notify

# Who acts while the visitor has no login yet: the use case itself, on the portal.
SIGNUP = Actor(Role.ADMIN, None, None, "self sign-up", "portal")
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
MAX_NAME = 120
EXISTS = "an account with this e-mail already exists — sign in or reset your password"
MOBILE_EXISTS = ("an account with this mobile number already exists — sign in, or reset your password; "
                 "if you never signed up, call us and we link it for you")


@dataclass(frozen=True)
class SignupResult:
    user_id: int
    customer_id: int
    email: str
    resent: bool  # the address was waiting for its confirmation: a new link was sent instead


def _email(value: str | None) -> str:
    email = (value or "").strip().lower()
    if not email:
        raise invalid("enter your e-mail address", field="email")
    if len(email) > 254 or not EMAIL.match(email):
        raise invalid("this is not an e-mail address; check it, e.g. name@example.com", field="email",
                      reason="bad_email")
    return email


def _user_by_email(s: Session, email: str) -> User | None:
    return s.scalar(select(User).where(func.lower(User.email) == email))


def _ask_to_verify(s: Session, user: User) -> None:
    notify(s, event="verify_email", subject_type="user", subject_id=user.id, user_id=user.id, email=user.email)


def _as_actor(user: User, channel: str = "portal") -> Actor:
    return Actor(Role(user.role), user.id, user.customer_id, user.name, channel)


def _customer_to_join(s: Session, email: str) -> Customer | None:
    """A customer on file with this address (made at the desk or imported) and no login of it."""
    q = select(Customer).where(func.lower(Customer.email) == email).order_by(Customer.id)
    active = getattr(Customer, "active", None)
    if active is not None:
        q = q.where(active.is_(True))
    return s.scalars(q).first()


def sign_up(uow: UnitOfWork, *, name: str, mobile: str, email: str, password: str) -> SignupResult:
    name = fields.text(name, "name", max_len=MAX_NAME, what="your name")
    mobile = fields.text(mobile, "mobile", max_len=32, what="mobile number")
    email = _email(email)
    check_new_password(password)
    with uow() as s:
        existing = _user_by_email(s, email)
        if existing is not None:
            if existing.email_verified_at is not None or not existing.active or existing.role != Role.CUSTOMER:
                raise DomainError(ErrorCode.DUPLICATE, EXISTS, field="email")
            _ask_to_verify(s, existing)  # waiting for its confirmation: a fresh link
            record(s, entity_type="user", entity_id=existing.id, to_state="confirmation_resent",
                   actor=_as_actor(existing))
            return SignupResult(existing.id, existing.customer_id, existing.email, True)
        customer = _customer_to_join(s, email)
        if customer is None:
            try:
                customer = customers.new_customer(s, SIGNUP, name=name, kind="person", mobile=mobile, email=email)
            except DomainError as exc:
                if exc.code == ErrorCode.DUPLICATE:  # never name someone else's record to a visitor
                    field = str(exc.details.get("field") or "")
                    if field == "email":
                        raise DomainError(ErrorCode.DUPLICATE, EXISTS, field="email") from None
                    raise DomainError(ErrorCode.DUPLICATE, MOBILE_EXISTS, field="mobile") from None
                raise
            s.flush()
        user = User(email=email, name=name, role=Role.CUSTOMER, password_hash=hash_password(password),
                    customer_id=customer.id, phone=customer.phone or mobile)
        s.add(user)
        s.flush()
        user.email_verified_at = None  # the column's default (verified when made) is for users an admin makes
        s.flush()
        record(s, entity_type="user", entity_id=user.id, to_state="signed_up", actor=_as_actor(user),
               note=f"customer {customer.code}")
        _ask_to_verify(s, user)
        return SignupResult(user.id, customer.id, email, False)


def verify_email(uow: UnitOfWork, *, secret: str, token: str, channel: str = "portal") -> Actor:
    """The confirmation link opened: the user may log in from now on, and is (the actor back)."""
    claim = read_verify_token(secret, token)
    with uow() as s:
        user = s.get(User, claim.user_id)
        if user is None or not user.active or user.email.lower() != claim.email:
            raise DomainError(ErrorCode.UNAUTHENTICATED, "this confirmation link is not valid; sign up again "
                              "with the same e-mail address for a new one", reason="bad_link")
        if user.email_verified_at is not None:
            raise DomainError(ErrorCode.ALREADY_DONE, "this link was already used: your e-mail address is "
                              "confirmed; log in with your password", reason="used")
        user.email_verified_at = utcnow()
        record(s, entity_type="user", entity_id=user.id, from_state="signed_up", to_state="email_confirmed",
               actor=_as_actor(user, channel))
        return _as_actor(user, channel)


def request_password_reset(uow: UnitOfWork, *, email: str) -> None:
    """Send a reset link when an active login has this address; answer nothing either way."""
    try:
        email = _email(email)
    except DomainError:
        return  # the page answers as for an unknown address
    with uow() as s:
        user = _user_by_email(s, email)
        if user is None or not user.active:
            return
        notify(s, event="password_reset", subject_type="user", subject_id=user.id, user_id=user.id,
               email=user.email)
        record(s, entity_type="user", entity_id=user.id, to_state="password_reset_requested",
               actor=_as_actor(user))


@dataclass(frozen=True)
class ResetTarget:
    user_id: int
    email: str


def _reset_user(s: Session, secret: str, token: str) -> User:
    claim = read_reset_token(secret, token)
    user = s.get(User, claim.user_id)
    if user is None or not user.active:
        raise DomainError(ErrorCode.UNAUTHENTICATED, "this password reset link is not valid; ask for a new one",
                          reason="bad_link")
    if password_fingerprint(user.password_hash) != claim.fingerprint:
        raise DomainError(ErrorCode.ALREADY_DONE, "this password reset link was already used, or a newer "
                          "password was set since; ask for a new link if you still need one", reason="used")
    return user


def check_reset_link(uow: UnitOfWork, *, secret: str, token: str) -> ResetTarget:
    """Whether a reset link still works (the page shows the form only then)."""
    with uow() as s:
        user = _reset_user(s, secret, token)
        return ResetTarget(user.id, user.email)


def reset_password(uow: UnitOfWork, *, secret: str, token: str, password: str,
                   channel: str = "portal") -> ResetTarget:
    """Set a new password from a reset link. The caller ends the user's other sessions
    (``password_changed_at`` says from when)."""
    check_new_password(password)
    with uow() as s:
        user = _reset_user(s, secret, token)
        at = utcnow()
        user.password_hash = hash_password(password)
        user.password_changed_at = at
        if user.email_verified_at is None:
            user.email_verified_at = at  # the link came to that address: it is theirs
        record(s, entity_type="user", entity_id=user.id, to_state="password_reset", actor=_as_actor(user, channel))
        return ResetTarget(user.id, user.email)

