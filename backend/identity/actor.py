"""Who is acting, and the checks every use case applies before it reads or writes."""

from __future__ import annotations

from dataclasses import dataclass

from backend.errors import DomainError, ErrorCode
from backend.identity.models import Role

STAFF = (Role.AGENT, Role.MANAGER, Role.ADMIN)


@dataclass(frozen=True)
class Actor:
    role: Role
    user_id: int | None = None
    customer_id: int | None = None
    name: str = ""
    channel: str = "api"

    @property
    def is_staff(self) -> bool:
        return self.role in STAFF

    def via(self, channel: str) -> "Actor":
        return Actor(self.role, self.user_id, self.customer_id, self.name, channel)


SYSTEM = Actor(Role.ADMIN, None, None, "system", "system")


def require_role(actor: Actor, *roles: Role) -> None:
    if actor.role not in roles:
        raise DomainError(
            ErrorCode.FORBIDDEN,
            f"a {actor.role} may not do this",
            role=str(actor.role),
            allowed=[str(r) for r in roles],
        )


def require_customer_access(actor: Actor, customer_id: int) -> None:
    """Staff reach every customer; a customer only their own records."""
    if actor.is_staff:
        return
    if actor.role == Role.CUSTOMER and actor.customer_id == customer_id:
        return
    raise DomainError(ErrorCode.FORBIDDEN, "this record belongs to someone else")


def require_technician_of(actor: Actor, technician_id: int | None) -> None:
    if actor.role == Role.TECHNICIAN and actor.user_id is not None and actor.user_id == technician_id:
        return
    raise DomainError(ErrorCode.FORBIDDEN, "this job is not assigned to you")
