"""Defect: a job could be billed while its estimate still waited for the
customer's answer. Billing waits for the answer, or for an agent's recorded
override with its reason (a history row: who, and why)."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from backend.billing.models import Invoice
from backend.errors import DomainError, ErrorCode
from backend.history.models import StateChange
from backend.jobs import service as jobs
from backend.jobs.models import Job, JobState
from tests.unit.core.flows import drive_to


def code_of(fn, *args, **kwargs) -> DomainError:
    with pytest.raises(DomainError) as err:
        fn(*args, **kwargs)
    return err.value


def snapshot(uow, ref: str):
    with uow() as s:
        job = s.scalar(select(Job).where(Job.number == ref))
        return (job.state, job.estimate_state, s.scalar(select(func.count()).select_from(Invoice)),
                s.scalar(select(func.count()).select_from(StateChange)))


def test_a_pending_estimate_blocks_billing_until_the_customer_answers(uow, world):
    ref = drive_to(uow, world, JobState.RESOLVED)
    job = jobs.get_job(uow, world.agent, job_ref=ref)
    assert job.estimate_state == "pending" and job.estimate_amount > 0
    before = snapshot(uow, ref)

    err = code_of(jobs.bill_job, uow, world.agent, job_ref=ref)
    assert err.code == ErrorCode.ILLEGAL_TRANSITION
    assert "ask the customer" in str(err) and "override" in str(err)
    assert snapshot(uow, ref) == before  # nothing billed, nothing moved
    from backend.jobs.lifecycle import can_bill

    with uow() as s:
        assert not can_bill(s.scalar(select(Job).where(Job.number == ref)))

    jobs.accept_estimate(uow, world.alice, job_ref=ref)
    billed = jobs.bill_job(uow, world.agent, job_ref=ref)
    assert billed.state == "billed" and billed.invoice_number


def test_an_agent_override_with_a_reason_lets_the_job_be_billed(uow, world):
    ref = drive_to(uow, world, JobState.RESOLVED)
    view = jobs.override_estimate_answer(uow, world.agent, job_ref=ref,
                                         reason="Customer agreed the charge on the phone")
    assert view.estimate_state == "overridden"
    with uow() as s:
        job_id = s.scalar(select(Job.id).where(Job.number == ref))
        row = s.scalars(select(StateChange).where(StateChange.entity_type == "estimate",
                                                  StateChange.entity_id == job_id)
                        .order_by(StateChange.id.desc())).first()
        assert (row.from_state, row.to_state, row.actor_id, row.note) == (
            "pending", "overridden", world.agent.user_id, "Customer agreed the charge on the phone")
    # the customer can no longer answer it, and it cannot be overridden twice
    assert code_of(jobs.accept_estimate, uow, world.alice, job_ref=ref).code == ErrorCode.ILLEGAL_TRANSITION
    assert code_of(jobs.override_estimate_answer, uow, world.agent, job_ref=ref,
                   reason="again").code == ErrorCode.ILLEGAL_TRANSITION
    billed = jobs.bill_job(uow, world.agent, job_ref=ref)
    assert billed.state == "billed" and billed.invoice_number


@pytest.mark.parametrize("who, reason, code", [
    ("alice", "I agree", ErrorCode.FORBIDDEN),
    ("tech", "customer said yes", ErrorCode.FORBIDDEN),
    ("agent", "   ", ErrorCode.INVALID_INPUT),
    ("agent", "x" * 501, ErrorCode.INVALID_INPUT),
])
def test_an_override_is_refused_to_others_and_without_a_reason(uow, world, who, reason, code):
    ref = drive_to(uow, world, JobState.RESOLVED)
    before = snapshot(uow, ref)
    assert code_of(jobs.override_estimate_answer, uow, getattr(world, who), job_ref=ref,
                   reason=reason).code == code
    assert snapshot(uow, ref) == before


def test_a_manager_may_override_and_an_answered_estimate_cannot_be(uow, world):
    ref = drive_to(uow, world, JobState.RESOLVED)
    assert jobs.override_estimate_answer(uow, world.manager, job_ref=ref,
                                         reason="agreed in the shop").estimate_state == "overridden"
    other = drive_to(uow, world, JobState.RESOLVED)
    jobs.reject_estimate(uow, world.alice, job_ref=other)
    before = snapshot(uow, other)
    assert code_of(jobs.override_estimate_answer, uow, world.agent, job_ref=other,
                   reason="overrule").code == ErrorCode.ILLEGAL_TRANSITION
    assert snapshot(uow, other) == before
