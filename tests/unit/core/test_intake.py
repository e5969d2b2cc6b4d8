"""Process A: classification, the entitlement check, tickets, idempotency."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from backend.errors import DomainError, ErrorCode
from backend.intake import service as intake
from backend.intake.models import ServiceRequest
from tests.factories import AMC_SERIAL, BOB_SERIAL, CMC_SERIAL, NOCOVER_SERIAL, WARRANTY_SERIAL
from tests.support.delivery import told


@pytest.mark.parametrize(("serial", "cover", "labour", "parts", "billable"), [
    (CMC_SERIAL, "CMC", True, True, []),
    (AMC_SERIAL, "AMC", True, False, ["parts"]),
    (WARRANTY_SERIAL, "MANUFACTURER_WARRANTY", True, True, []),
    (NOCOVER_SERIAL, None, False, False, ["labour", "parts"]),
])
def test_entitlement_names_the_cover_and_what_is_billable(uow, world, serial, cover, labour, parts, billable):
    ent = intake.check_entitlement(uow, world.alice, serial=serial)
    assert (ent.cover, ent.covers_labour, ent.covers_parts, ent.billable) == (cover, labour, parts, billable)
    assert ent.covered == (cover is not None)


def test_a_contract_outside_its_period_does_not_cover(uow, world):
    later = world.today.replace(year=world.today.year + 2)
    assert not intake.check_entitlement(uow, world.alice, serial=CMC_SERIAL, on=later).covered


def test_another_customers_serial_looks_unknown(uow, world):
    ent = intake.check_entitlement(uow, world.alice, serial=BOB_SERIAL)
    assert not ent.known_item and not ent.covered


@pytest.mark.parametrize(("want", "serial", "kind"), [
    ("question", None, "ticket"),
    ("service", CMC_SERIAL, "job"),
    ("service", NOCOVER_SERIAL, "order"),
    ("service", "UNKNOWN-123", "order"),
    ("contract", NOCOVER_SERIAL, "contract"),
    ("order", CMC_SERIAL, "order"),
    ("repair", NOCOVER_SERIAL, "repair"),
])
def test_a_request_becomes_exactly_one_thing(uow, world, want, serial, kind):
    view = intake.raise_request(uow, world.alice, want=want, serial=serial, problem="Help please")
    assert view.kind == kind and view.number.startswith("SR-")
    assert (view.job_number is not None) == (kind == "job" or (kind == "order" and want == "service"))
    assert (view.ticket_number is not None) == (kind == "ticket")
    assert (view.order_number is not None) == (want == "order")
    assert (view.contract_number is not None) == (want == "contract")
    assert (view.repair_number is not None) == (want == "repair")
    assert len(told(uow, world.alice)) == 1  # the customer is told once what happens next


def test_the_same_idempotency_key_never_creates_two_requests(uow, world):
    first = intake.raise_request(uow, world.alice, want="service", serial=CMC_SERIAL, problem="x", idempotency_key="k1")
    again = intake.raise_request(uow, world.alice, want="service", serial=CMC_SERIAL, problem="x", idempotency_key="k1")
    assert (first.created, again.created) == (True, False)
    assert again.number == first.number and again.job_number == first.job_number
    with uow() as s:
        assert s.scalar(select(func.count(ServiceRequest.id))) == 1
    with pytest.raises(DomainError) as err:
        intake.raise_request(uow, world.bob, want="question", problem="x", idempotency_key="k1")
    assert err.value.code == ErrorCode.IDEMPOTENCY_CONFLICT


@pytest.mark.parametrize(("kwargs", "field"), [
    ({"want": "nonsense", "problem": "x"}, "want"),
    ({"want": "service", "problem": "   "}, "problem"),
    ({"want": "service", "problem": "x" * 5000}, "problem"),
    ({"want": "service", "problem": "x", "site_id": 99999}, None),
])
def test_bad_requests_are_refused_and_nothing_is_written(uow, world, kwargs, field):
    with pytest.raises(DomainError) as err:
        intake.raise_request(uow, world.alice, **kwargs)
    assert err.value.code in (ErrorCode.INVALID_INPUT, ErrorCode.NOT_FOUND)
    if field:
        assert err.value.details["field"] == field
    with uow() as s:
        assert s.scalar(select(func.count(ServiceRequest.id))) == 0


def test_a_customer_cannot_raise_a_request_for_someone_else(uow, world):
    with pytest.raises(DomainError) as err:
        intake.raise_request(uow, world.alice, want="question", problem="x", customer_id=world.bob.customer_id)
    assert err.value.code == ErrorCode.FORBIDDEN


def test_ticket_lifecycle_open_answered_closed_reopened(uow, world):
    view = intake.raise_request(uow, world.alice, want="question", problem="How do I descale?")
    t = intake.answer_ticket(uow, world.agent, ticket_ref=view.ticket_number, answer="Use citric acid monthly.")
    assert t.state == "answered"
    assert intake.close_ticket(uow, world.alice, ticket_ref=t.number).state == "closed"
    with pytest.raises(DomainError) as err:
        intake.answer_ticket(uow, world.agent, ticket_ref=t.number, answer="again")
    assert err.value.code == ErrorCode.ILLEGAL_TRANSITION
    assert intake.reopen_ticket(uow, world.alice, ticket_ref=t.number).state == "open"
    journey = intake.get_request(uow, world.alice, reference=view.number).journey
    assert [step.to_state for step in journey] == ["classified:ticket", "open", "answered", "closed", "open"]


def test_forbidden_ticket_moves(uow, world):
    view = intake.raise_request(uow, world.alice, want="question", problem="?")
    with pytest.raises(DomainError) as err:
        intake.reopen_ticket(uow, world.alice, ticket_ref=view.ticket_number)
    assert err.value.code == ErrorCode.ILLEGAL_TRANSITION
    with pytest.raises(DomainError) as err:
        intake.answer_ticket(uow, world.alice, ticket_ref=view.ticket_number, answer="self")
    assert err.value.code == ErrorCode.FORBIDDEN


def test_a_customer_never_sees_anothers_request(uow, world):
    view = intake.raise_request(uow, world.bob, want="question", problem="mine")
    for ref in (view.number, view.ticket_number):
        with pytest.raises(DomainError) as err:
            intake.get_request(uow, world.alice, reference=ref)
        assert err.value.code == ErrorCode.NOT_FOUND
    assert intake.list_requests(uow, world.alice) == []
