"""The first administrator of an empty database.

Every other user is created by an admin (``identity.service.create_user``),
so a database without the demo world needs one admin made from the command
line (``python -m backend.cli create-admin``). Only while there is no admin
at all: afterwards the portal's users page is the way, and a second call is
refused (``already_done``) without changing anything.
"""

from __future__ import annotations

from sqlalchemy import func, select

from backend.db import UnitOfWork
from backend.errors import DomainError, ErrorCode, invalid
from backend.identity.models import Role, User
from backend.identity.passwords import hash_password
from backend.identity.service import UserView, _view

MIN_PASSWORD = 8


def has_admin(uow: UnitOfWork) -> bool:
    with uow() as s:
        return s.scalar(select(User.id).where(User.role == Role.ADMIN).limit(1)) is not None


def create_first_admin(uow: UnitOfWork, *, email: str, name: str, password: str) -> UserView:
    email, name = (email or "").strip().lower(), (name or "").strip()
    if "@" not in email or len(email) > 254 or email.startswith("@") or email.endswith("@"):
        raise invalid("a valid e-mail address is needed", field="email")
    if not name or len(name) > 120:
        raise invalid("the admin's name is needed (at most 120 characters)", field="name")
    if len(password) < MIN_PASSWORD:
        raise invalid(f"the password needs at least {MIN_PASSWORD} characters", field="password")
    with uow() as s:
        existing = s.scalar(select(User.email).where(User.role == Role.ADMIN).limit(1))
        if existing is not None:
            raise DomainError(ErrorCode.ALREADY_DONE,
                              f"this database already has an admin ({existing}); sign in and add users on the "
                              "portal's Users page", existing=existing)
        if s.scalar(select(User.id).where(func.lower(User.email) == email)):
            raise DomainError(ErrorCode.DUPLICATE, f"a user with e-mail {email} exists", field="email")
        user = User(email=email, name=name, role=Role.ADMIN, password_hash=hash_password(password))
        s.add(user)
        s.flush()
        return _view(user)
