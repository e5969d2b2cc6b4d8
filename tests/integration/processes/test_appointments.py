"""The customer confirms a booked slot: once per slot, told to the technician,
asked again when the appointment moves; nobody else can do it for them."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from backend.errors import DomainError, ErrorCode
from backend.history.models import StateChange
from backend.jobs import service as jobs
from backend.jobs.models import JobState as S
from backend.notifications.models import Notification
from tests.unit.core.flows import drive_to
from tests.support.delivery import told


def _told_technician(uow, world) -> int:
    return told(uow, world.tech).count("customer_confirmed")


def test_the_customer_confirms_once_and_the_technician_is_told(uow, world):
    ref = drive_to(uow, world, S.SCHEDULED)
    view = jobs.confirm_appointment(uow, world.alice, job_ref=ref)
    assert view.customer_confirmed_at is not None and view.state == S.SCHEDULED  # the job's state is the technician's
    assert _told_technician(uow, world) == 1
    with uow() as s:
        notes = s.scalars(select(StateChange.note).where(StateChange.entity_type == "job")).all()
    assert any(n and n.startswith("customer confirmed the slot") for n in notes)

    with pytest.raises(DomainError) as again:
        jobs.confirm_appointment(uow, world.alice, job_ref=ref)
    assert again.value.code == ErrorCode.ALREADY_DONE
    assert _told_technician(uow, world) == 1


def test_moving_the_appointment_asks_the_customer_again(uow, world):
    ref = drive_to(uow, world, S.CONFIRMED)
    jobs.confirm_appointment(uow, world.alice, job_ref=ref)
    start, end = world.next_slot()
    moved = jobs.reschedule_job(uow, world.alice, job_ref=ref, start=start, end=end)
    assert moved.customer_confirmed_at is None
    assert jobs.confirm_appointment(uow, world.alice, job_ref=ref).customer_confirmed_at is not None


@pytest.mark.parametrize("state", [S.NEW, S.IN_PROGRESS, S.RESOLVED, S.CANCELLED])
def test_no_appointment_to_confirm_changes_nothing(uow, world, state):
    ref = drive_to(uow, world, state)
    with pytest.raises(DomainError) as refused:
        jobs.confirm_appointment(uow, world.alice, job_ref=ref)
    assert refused.value.code == ErrorCode.ILLEGAL_TRANSITION
    assert jobs.get_job(uow, world.alice, job_ref=ref).customer_confirmed_at is None


@pytest.mark.parametrize("who", ["bob", "agent", "tech"])
def test_only_the_jobs_own_customer_confirms(uow, world, who):
    ref = drive_to(uow, world, S.SCHEDULED)
    with pytest.raises(DomainError) as refused:
        jobs.confirm_appointment(uow, getattr(world, who), job_ref=ref)
    assert refused.value.code == (ErrorCode.NOT_FOUND if who == "bob" else ErrorCode.FORBIDDEN)
    assert jobs.get_job(uow, world.alice, job_ref=ref).customer_confirmed_at is None


def test_a_resent_move_to_the_same_slot_does_nothing_twice(uow, world):
    ref = drive_to(uow, world, S.CONFIRMED)
    start, end = world.next_slot()
    jobs.reschedule_job(uow, world.alice, job_ref=ref, start=start, end=end)
    jobs.confirm_appointment(uow, world.alice, job_ref=ref)
    with uow() as s:
        before = s.scalar(select(func.count(Notification.id)))
    again = jobs.reschedule_job(uow, world.alice, job_ref=ref, start=start, end=end)
    assert again.created is False and again.customer_confirmed_at is not None
    with uow() as s:
        assert s.scalar(select(func.count(Notification.id))) == before
