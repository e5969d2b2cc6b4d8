"""What a reference a customer quotes stands for (backend.processes.lookup)."""

from __future__ import annotations

import pytest

from backend.billing.service import InvoiceView
from backend.errors import DomainError, ErrorCode
from backend.intake import service as intake
from backend.intake.service import RequestView
from backend.jobs.models import JobState as S
from backend.jobs.views import JobView
from backend.processes.lookup import job_reference_for, status_of
from tests.factories import NOCOVER_SERIAL
from tests.unit.core.flows import drive_to


def not_found(fn, **kwargs) -> DomainError:
    with pytest.raises(DomainError) as err:
        fn(**kwargs)
    assert err.value.code == ErrorCode.NOT_FOUND
    return err.value


def test_a_request_number_leads_to_its_job(world, uow):
    request = intake.raise_request(uow, world.alice, want="service", serial=NOCOVER_SERIAL, problem="No picture")
    for reference in (request.number, request.job_number, request.job_number.lower().replace("-", " ")):
        assert job_reference_for(uow, world.alice, reference=reference) == request.job_number


def test_a_question_has_no_job_and_other_references_are_no_jobs(world, uow):
    question = intake.raise_request(uow, world.alice, want="question", problem="How do I descale?")
    for reference in (question.number, question.ticket_number, "INV-000001", "nonsense"):
        not_found(job_reference_for, uow=uow, actor=world.alice, reference=reference)


def test_someone_elses_reference_answers_like_an_unknown_one(world, uow):
    request = intake.raise_request(uow, world.alice, want="service", serial=NOCOVER_SERIAL, problem="No picture")
    for reference in (request.number, request.job_number):
        for fn in (job_reference_for, status_of):
            not_found(fn, uow=uow, actor=world.bob, reference=reference)


def test_the_status_of_a_request_is_its_job_when_it_has_one(world, uow):
    request = intake.raise_request(uow, world.alice, want="service", serial=NOCOVER_SERIAL, problem="No picture")
    view = status_of(uow, world.alice, reference=request.number)
    assert isinstance(view, JobView) and (view.number, view.state) == (request.job_number, "new")
    assert status_of(uow, world.alice, reference=request.job_number) == view


def test_the_status_of_a_question_is_its_request(world, uow):
    question = intake.raise_request(uow, world.alice, want="question", problem="How do I descale?")
    view = status_of(uow, world.alice, reference=question.ticket_number)
    assert isinstance(view, RequestView) and (view.number, view.ticket_state) == (question.number, "open")


def test_the_status_of_an_invoice(world, uow):
    job = drive_to(uow, world, S.BILLED)
    number = status_of(uow, world.alice, reference=job).invoice_number
    view = status_of(uow, world.alice, reference=number)
    assert isinstance(view, InvoiceView) and view.number == number and view.outstanding > 0
    not_found(status_of, uow=uow, actor=world.bob, reference=number)


def test_a_reference_to_something_without_a_status_is_not_found(world, uow):
    err = not_found(status_of, uow=uow, actor=world.alice, reference="RC-000001")  # a receipt has no status
    assert err.details["entity"] == "request"

