from __future__ import annotations

import time
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from backend.coverage import service as contracts
from backend.schedules.models import ScheduleRun
from tests.factories import NOCOVER_SERIAL, build_world


@pytest.fixture
def world(any_uow):
    return build_world(any_uow)


@pytest.fixture
def uow(any_uow):
    """The schedule runs on SQLite and on PostgreSQL."""
    return any_uow


def ending_contract(uow, w, *, today: date, days_left: int = 20) -> str:
    """An active contract ending in ``days_left`` days: the daily run reminds its customer."""
    ref = contracts.open_inquiry(uow, w.agent, type_code="AMC", serials=[NOCOVER_SERIAL],
                                 customer_id=w.alice.customer_id).number
    contracts.send_offer(uow, w.agent, contract_ref=ref, amount="1200", starts_on=today - timedelta(days=300),
                         ends_on=today + timedelta(days=days_left), visits_per_year=1, instalments=1,
                         type_code="AMC")
    contracts.accept_offer(uow, w.alice, contract_ref=ref)
    return ref


def runs(uow, name: str | None = None) -> list[ScheduleRun]:
    with uow() as s:
        q = select(ScheduleRun).order_by(ScheduleRun.id)
        if name:
            q = q.where(ScheduleRun.name == name)
        return list(s.scalars(q))


def wait_until(check, *, timeout: float = 60.0, what: str = "the condition"):
    """Poll ``check`` until it returns something truthy (a bound, not a measure)."""
    deadline = time.monotonic() + timeout
    while True:
        found = check()
        if found:
            return found
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} did not happen within {timeout:.0f} s")
        time.sleep(0.05)
