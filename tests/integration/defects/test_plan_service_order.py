"""Issue 12 reported that ``plan_service_order`` committed the order as
planned before the slot was booked. It is one transaction: a slot the
technician does not have leaves the order ``invoiced`` with no job, and it
can be planned again in a free slot."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from backend.errors import DomainError, ErrorCode
from backend.jobs import service as jobs
from backend.jobs.models import Job
from backend.orders import service as orders
from backend.orders.models import ServiceOrder
from backend.processes import service_orders
from tests.unit.core.flows import new_job


def test_a_clash_with_a_booked_slot_leaves_the_order_invoiced_and_it_can_be_planned_again(uow, world):
    busy = new_job(uow, world)
    start, end = world.next_slot()
    jobs.schedule_job(uow, world.agent, job_ref=busy, technician_id=world.tech.user_id, start=start, end=end)
    o = orders.create_service_order(uow, world.agent, customer_id=world.alice.customer_id,
                                    description="Install a new washer", lines=[{"code": "VISIT", "qty": 1}])
    orders.invoice_service_order(uow, world.agent, order_ref=o.number)
    with uow() as s:
        jobs_before = s.scalar(select(func.count()).select_from(Job))

    with pytest.raises(DomainError) as err:
        service_orders.plan_service_order(uow, world.agent, order_ref=o.number, technician_id=world.tech.user_id,
                                          start=start, end=end)
    assert err.value.code == ErrorCode.CONFLICT
    assert busy in str(err.value)
    view = orders.get_service_order(uow, world.agent, order_ref=o.number)
    assert (view.state, view.job_number) == ("invoiced", None)
    with uow() as s:
        assert s.scalar(select(func.count()).select_from(Job)) == jobs_before
        assert s.scalar(select(func.count()).select_from(Job).where(Job.order_id.is_not(None))) == 0
        assert s.scalar(select(ServiceOrder.state).where(ServiceOrder.number == o.number)) == "invoiced"

    free_start, free_end = world.next_slot()
    planned = service_orders.plan_service_order(uow, world.agent, order_ref=o.number,
                                                technician_id=world.tech.user_id, start=free_start, end=free_end)
    assert planned.state == "planned" and planned.job_number
    job = jobs.get_job(uow, world.agent, job_ref=planned.job_number)
    assert (job.state, job.scheduled_start) == ("scheduled", free_start)
