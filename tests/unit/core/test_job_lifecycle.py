"""Process B: every allowed move works and every forbidden one is refused
with ``illegal_transition`` and leaves the job exactly as it was."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from backend.errors import DomainError, ErrorCode
from backend.history.models import StateChange
from backend.jobs import service as jobs
from backend.jobs.lifecycle import JOB_MOVES
from backend.jobs.models import JobState as S
from tests.unit.core.flows import drive_to, step

ALL_STATES = [S.NEW, S.SCHEDULED, S.CONFIRMED, S.ADVANCE_REQUESTED, S.ADVANCE_SANCTIONED, S.RELEASED,
              S.IN_PROGRESS, S.RESOLVED, S.FEEDBACK, S.BILLED, S.SETTLED, S.CLOSED, S.CANCELLED]
OPERATIONS = [S.SCHEDULED, S.CONFIRMED, S.ADVANCE_REQUESTED, S.RELEASED, S.IN_PROGRESS, S.RESOLVED,
              S.BILLED, S.CLOSED, S.CANCELLED]

TECHNICIAN_OPS = {S.CONFIRMED, S.ADVANCE_REQUESTED, S.IN_PROGRESS, S.RESOLVED}
FORBIDDEN = [(state, op) for state in ALL_STATES for op in OPERATIONS if not JOB_MOVES.can(state, op)]


def test_the_happy_path_reaches_settled_and_records_every_move(uow, world):
    ref = drive_to(uow, world, S.SETTLED)
    job = jobs.get_job(uow, world.agent, job_ref=ref)
    assert job.state == S.SETTLED
    with uow() as s:
        moves = s.scalars(select(StateChange.to_state).where(StateChange.entity_type == "job")
                          .order_by(StateChange.id)).all()
    assert moves[0] == S.NEW
    for expected in (S.SCHEDULED, S.CONFIRMED, S.ADVANCE_REQUESTED, S.ADVANCE_SANCTIONED, S.RELEASED,
                     S.IN_PROGRESS, S.RESOLVED, S.FEEDBACK, S.BILLED, S.SETTLED):
        assert expected in moves


@pytest.mark.parametrize(("state", "op"), FORBIDDEN, ids=[f"{s}-to-{o}" for s, o in FORBIDDEN])
def test_forbidden_move_is_refused_and_changes_nothing(uow, world, state, op):
    ref = drive_to(uow, world, state)
    with uow() as s:
        history_before = s.scalar(select(func.count(StateChange.id)))
    with pytest.raises(DomainError) as err:
        step(uow, world, ref, op)
    unassigned = state == S.NEW and op in TECHNICIAN_OPS
    # A technician cannot even see a job nobody has assigned to them yet.
    assert err.value.code == (ErrorCode.NOT_FOUND if unassigned else ErrorCode.ILLEGAL_TRANSITION)
    assert jobs.get_job(uow, world.agent, job_ref=ref).state == state
    with uow() as s:
        assert s.scalar(select(func.count(StateChange.id))) == history_before


def test_history_records_who_when_and_channel(uow, world):
    ref = drive_to(uow, world, S.CONFIRMED)
    with uow() as s:
        row = s.scalars(select(StateChange).where(StateChange.to_state == S.CONFIRMED)).one()
    assert (row.from_state, row.actor_id, row.actor_role, row.channel) == (S.SCHEDULED, world.tech.user_id,
                                                                          "technician", "portal")
    assert row.at is not None and ref


def test_rejected_advance_returns_the_job_to_confirmed(uow, world):
    from backend.jobs.expenses import list_advances

    ref = drive_to(uow, world, S.ADVANCE_REQUESTED)
    adv = list_advances(uow, world.agent)[0]
    jobs.reject_advance(uow, world.agent, advance_id=adv.id, reason="use the company van")
    assert jobs.get_job(uow, world.agent, job_ref=ref).state == S.CONFIRMED
    with pytest.raises(DomainError) as err:
        jobs.sanction_advance(uow, world.agent, advance_id=adv.id)
    assert err.value.code == ErrorCode.ALREADY_DONE


def test_rescheduling_needs_the_technician_to_confirm_again(uow, world):
    ref = drive_to(uow, world, S.CONFIRMED)
    start, end = world.slot(days=30)
    job = jobs.reschedule_job(uow, world.alice, job_ref=ref, start=start, end=end)
    assert job.state == S.SCHEDULED and job.scheduled_start == start


def test_a_technician_cannot_be_double_booked(uow, world):
    first = drive_to(uow, world, S.SCHEDULED)
    second = drive_to(uow, world, S.NEW)
    start, end = jobs.get_job(uow, world.agent, job_ref=first).scheduled_start, None
    end = start + (world.slot()[1] - world.slot()[0])
    with pytest.raises(DomainError) as err:
        jobs.schedule_job(uow, world.agent, job_ref=second, technician_id=world.tech.user_id,
                          start=start, end=end)
    assert err.value.code == ErrorCode.CONFLICT and first in err.value.message


def test_feedback_once_only_and_not_before_resolution(uow, world):
    early = drive_to(uow, world, S.IN_PROGRESS)
    with pytest.raises(DomainError) as err:
        jobs.give_feedback(uow, world.alice, job_ref=early, rating=5)
    assert err.value.code == ErrorCode.ILLEGAL_TRANSITION
    ref = drive_to(uow, world, S.FEEDBACK)
    with pytest.raises(DomainError) as err:
        jobs.give_feedback(uow, world.alice, job_ref=ref, rating=5)
    assert err.value.code == ErrorCode.ALREADY_DONE


@pytest.mark.parametrize("rating", [0, 6, -1, True, "5", 4.5])
def test_rating_must_be_a_whole_number_from_1_to_5(uow, world, rating):
    ref = drive_to(uow, world, S.RESOLVED)
    with pytest.raises(DomainError) as err:
        jobs.give_feedback(uow, world.alice, job_ref=ref, rating=rating)
    assert err.value.code == ErrorCode.INVALID_INPUT
