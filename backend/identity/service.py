"""Use cases of identity: users and logins. (An anonymous chat visitor proves
who they are in ``backend.processes.parties``: that needs the customers' records.)"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select

from backend.db import UnitOfWork
from backend.errors import DomainError, ErrorCode, invalid
from backend.identity.actor import Actor, require_role
from backend.identity.models import Role, User
from backend.identity.passwords import check_new_password, hash_password, verify_password


@dataclass(frozen=True)
class UserView:
    id: int
    email: str
    name: str
    role: str
    customer_id: int | None
    max_chats: int
    active: bool


def _view(u: User) -> UserView:
    return UserView(u.id, u.email, u.name, u.role, u.customer_id, u.max_chats, u.active)


def _actor(u: User, channel: str) -> Actor:
    return Actor(Role(u.role), u.id, u.customer_id, u.name, channel)


def authenticate(uow: UnitOfWork, *, email: str, password: str, channel: str = "portal") -> Actor:
    with uow() as s:
        user = s.scalar(select(User).where(func.lower(User.email) == email.strip().lower()))
        if user is None or not user.active or not verify_password(user.password_hash, password):
            raise DomainError(ErrorCode.UNAUTHENTICATED, "e-mail or password is wrong")
        if user.email_verified_at is None:  # said only to whoever knows the password
            raise DomainError(ErrorCode.UNAUTHENTICATED,
                              "confirm your e-mail address first: open the link we sent to it (no mail? "
                              "sign up again with the same address and we send a new link)",
                              reason="email_not_confirmed")
        return _actor(user, channel)


def create_user(
    uow: UnitOfWork,
    actor: Actor,
    *,
    email: str,
    name: str,
    role: str,
    password: str,
    customer_id: int | None = None,
    phone: str | None = None,
    max_chats: int = 3,
) -> UserView:
    require_role(actor, Role.ADMIN)
    if role not in set(Role):
        raise invalid(f"unknown role '{role}'", field="role")
    if "@" not in email or len(email) > 254:
        raise invalid("a valid e-mail address is needed", field="email")
    check_new_password(password)
    if (role == Role.CUSTOMER) != (customer_id is not None):
        raise invalid("customer users, and only they, belong to a customer", field="customer_id")
    with uow() as s:
        if s.scalar(select(User.id).where(func.lower(User.email) == email.lower())):
            raise DomainError(ErrorCode.DUPLICATE, f"a user with e-mail {email} exists", field="email")
        if customer_id is not None and not _customer_exists(s, customer_id):
            raise DomainError(ErrorCode.NOT_FOUND, f"customer {customer_id} does not exist")
        user = User(
            email=email.lower(), name=name, role=role, password_hash=hash_password(password),
            customer_id=customer_id, phone=phone, max_chats=max_chats,
        )
        s.add(user)
        s.flush()
        return _view(user)


def get_user(uow: UnitOfWork, *, user_id: int) -> UserView:
    with uow() as s:
        user = s.get(User, user_id)
        if user is None:
            raise DomainError(ErrorCode.NOT_FOUND, f"user {user_id} does not exist")
        return _view(user)


def list_users(uow: UnitOfWork, actor: Actor, *, role: str | None = None) -> list[UserView]:
    require_role(actor, Role.ADMIN, Role.MANAGER, Role.AGENT)
    with uow() as s:
        q = select(User).order_by(User.id)
        if role:
            q = q.where(User.role == role)
        return [_view(u) for u in s.scalars(q)]


def _customer_exists(s, customer_id: int) -> bool:
    """Whether the customer a user would belong to exists: read through the
    user's own foreign key, so identity needs nothing of the customers area."""
    customers = next(iter(User.__table__.c.customer_id.foreign_keys)).column.table
    return s.scalar(select(customers.c.id).where(customers.c.id == customer_id)) is not None
