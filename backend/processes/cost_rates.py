"""What an hour of a technician's time costs (``users.cost_rate_per_hour``),
set by an admin with a history row (hence here, above ``identity``, which
cannot write history); the job-wise P&L costs each job's and repair's labour at
its technician's rate (``backend.reports.costing``)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from sqlalchemy import select

from backend.db import UnitOfWork
from backend.errors import invalid, not_found
from backend.history.moves import record
from backend.identity.actor import Actor, require_role
from backend.identity.models import Role, User

STANDARD_RATE = Decimal("250.00")  # every user's rate until an admin sets one (the flat rate used before)
MAX_RATE = Decimal("100000")


@dataclass(frozen=True)
class CostRateView:
    user_id: int
    name: str
    cost_rate_per_hour: Decimal


def cost_rate(value) -> Decimal:
    """An hourly cost: a positive amount (or nil) with at most two decimals."""
    try:
        rate = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        raise invalid("the cost rate is an amount per hour such as 250.00", field="cost_rate_per_hour") from None
    if not rate.is_finite() or rate < 0 or rate > MAX_RATE or rate != rate.quantize(Decimal("0.01")):
        raise invalid(f"the cost rate is an amount per hour from 0 to {MAX_RATE}, in paise at most",
                      field="cost_rate_per_hour")
    return rate.quantize(Decimal("0.01"))


def set_cost_rate(uow: UnitOfWork, actor: Actor, *, user_id: int, rate) -> CostRateView:
    """An admin sets what an hour of a technician's time costs; the history keeps the old and new rate."""
    require_role(actor, Role.ADMIN)
    rate = cost_rate(rate)
    with uow() as s:
        user = s.scalar(select(User).where(User.id == user_id).with_for_update())
        if user is None:
            raise not_found("user", user_id)
        if user.role != Role.TECHNICIAN:
            raise invalid(f"{user.name} is not a technician; only technicians have a cost rate",
                          field="user_id", reason="not_technician")
        old = user.cost_rate_per_hour
        if old != rate:
            user.cost_rate_per_hour = rate
            record(s, entity_type="user", entity_id=user.id, to_state=str(user.role), actor=actor,
                   note=f"cost rate per hour {old} -> {rate}")
        return CostRateView(user.id, user.name, rate)


def list_cost_rates(uow: UnitOfWork, actor: Actor) -> list[CostRateView]:
    """Every technician's cost rate (the admin's users page)."""
    require_role(actor, Role.ADMIN, Role.MANAGER)
    with uow() as s:
        return [CostRateView(u.id, u.name, u.cost_rate_per_hour)
                for u in s.scalars(select(User).where(User.role == Role.TECHNICIAN).order_by(User.name, User.id))]
