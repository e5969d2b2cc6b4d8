"""D2: planning a service order — its job is created and booked in one go."""

from __future__ import annotations

from datetime import datetime

from backend.db import UnitOfWork
from backend.identity.actor import STAFF, Actor, require_role
from backend.jobs import service as jobs
from backend.orders import service as orders
from backend.orders.service import OrderView, order_view


def plan_service_order(uow: UnitOfWork, actor: Actor, *, order_ref: str, technician_id: int,
                       start: datetime, end: datetime) -> OrderView:
    """The delivery plan: a job for the order, scheduled as in B1, in the same
    transaction (a slot the technician does not have leaves the order as it was)."""
    require_role(actor, *STAFF)
    with uow() as s:
        o = orders.load_order(s, actor, order_ref, lock=True)
        orders.mark_planned(s, actor, o)
        job = jobs.open_job(s, actor, customer_id=o.customer_id, site_id=o.site_id, item_id=o.item_id,
                            order_id=o.id, request_id=o.request_id, problem=o.description, note=f"for {o.number}")
        jobs.schedule(s, actor, job, technician_id=technician_id, start=start, end=end)
        return order_view(s, o)
