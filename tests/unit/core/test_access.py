"""Every role reaches only its own: refusals from the core itself, whatever the channel."""

from __future__ import annotations

import pytest

from backend.billing import service as billing
from backend.errors import DomainError, ErrorCode
from backend.jobs import service as jobs
from backend.jobs.models import JobState as S
from backend.ledger import service as ledger
from backend.processes import payments
from tests.unit.core.flows import drive_to


def refused(fn, *args, **kwargs) -> ErrorCode:
    with pytest.raises(DomainError) as err:
        fn(*args, **kwargs)
    return err.value.code


def test_a_customer_cannot_see_or_touch_anothers_job(uow, world):
    ref = drive_to(uow, world, S.RESOLVED)  # Alice's job
    assert refused(jobs.get_job, uow, world.bob, job_ref=ref) == ErrorCode.NOT_FOUND
    assert refused(jobs.accept_estimate, uow, world.bob, job_ref=ref) == ErrorCode.NOT_FOUND
    assert refused(jobs.give_feedback, uow, world.bob, job_ref=ref, rating=1) == ErrorCode.NOT_FOUND
    assert jobs.list_jobs(uow, world.bob) == []


def test_a_technician_reaches_only_jobs_assigned_to_them(uow, world):
    ref = drive_to(uow, world, S.RELEASED)  # assigned to world.tech
    assert refused(jobs.report_arrival, uow, world.tech2, job_ref=ref) == ErrorCode.NOT_FOUND
    assert refused(jobs.get_job, uow, world.tech2, job_ref=ref) == ErrorCode.NOT_FOUND
    assert jobs.list_jobs(uow, world.tech2) == []
    assert [j.number for j in jobs.list_jobs(uow, world.tech)] == [ref]


def test_roles_cannot_do_each_others_work(uow, world):
    ref = drive_to(uow, world, S.NEW)
    start, end = world.slot()
    assert refused(jobs.schedule_job, uow, world.alice, job_ref=ref, technician_id=world.tech.user_id,
                   start=start, end=end) == ErrorCode.FORBIDDEN
    assert refused(jobs.schedule_job, uow, world.tech, job_ref=ref, technician_id=world.tech.user_id,
                   start=start, end=end) == ErrorCode.FORBIDDEN
    scheduled = drive_to(uow, world, S.SCHEDULED)
    assert refused(jobs.confirm_job, uow, world.agent, job_ref=scheduled) == ErrorCode.FORBIDDEN
    assert refused(jobs.release_job, uow, world.tech, job_ref=scheduled) == ErrorCode.FORBIDDEN


def test_invoices_and_statements_are_private(uow, world):
    ref = drive_to(uow, world, S.BILLED)
    number = jobs.get_job(uow, world.alice, job_ref=ref).invoice_number
    assert refused(billing.get_invoice, uow, world.bob, invoice_ref=number) == ErrorCode.NOT_FOUND
    assert refused(payments.record_receipt, uow, world.alice, invoice_ref=number, amount="1",
                   method="cash") == ErrorCode.FORBIDDEN
    assert refused(ledger.party_statement, uow, world.bob, party_type="customer",
                   party_id=world.alice.customer_id) == ErrorCode.FORBIDDEN
    assert refused(ledger.party_statement, uow, world.tech2, party_type="technician",
                   party_id=world.tech.user_id) == ErrorCode.FORBIDDEN
    assert refused(ledger.outstanding, uow, world.alice) == ErrorCode.FORBIDDEN
    assert billing.list_invoices(uow, world.bob) == []
