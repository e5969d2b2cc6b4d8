"""Process C on SQLite and PostgreSQL: offer to renewal, with the delivery plan run as jobs."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from backend.billing import service as billing
from backend.coverage import service as contracts
from backend.coverage.lifecycle import CONTRACT_MOVES
from backend.coverage.models import ContractState as S, PlannedVisit
from backend.processes.contract_visits import schedule_due_visits
from backend.errors import DomainError, ErrorCode
from backend.intake import service as intake
from backend.jobs import service as jobs
from backend.processes import job_outcomes
from backend.processes import payments
from tests.factories import NOCOVER_SERIAL
from tests.support.delivery import told

D = Decimal


def code_of(fn, *args, **kwargs) -> ErrorCode:
    with pytest.raises(DomainError) as err:
        fn(*args, **kwargs)
    return err.value.code


def offer(uow, w, ref, **kw):
    today = date.today()
    args = dict(amount="12000", starts_on=today, ends_on=today + timedelta(days=364), visits_per_year=4,
                instalments=4, type_code="AMC")
    args.update(kw)
    return contracts.send_offer(uow, w.agent, contract_ref=ref, **args)


def test_inquiry_from_intake_to_active_contract_with_invoice_instalments_and_visits(uow, world):
    req = intake.raise_request(uow, world.alice, want="contract", serial=NOCOVER_SERIAL, problem="AMC for my TV")
    ref = req.contract_number
    assert contracts.get_contract(uow, world.alice, contract_ref=ref).state == S.INQUIRY
    offer(uow, world, ref)
    c = contracts.accept_offer(uow, world.alice, contract_ref=ref)
    assert (c.state, c.value, c.serials, c.planned_visits) == (S.ACTIVE, D("12000.00"), [NOCOVER_SERIAL], 4)
    inv = billing.get_invoice(uow, world.alice, invoice_ref=c.invoice_number)
    assert inv.total == D("14160.00")  # 12000 + 18% tax
    # The TV is now covered for labour (AMC): a service request becomes a covered job.
    assert intake.check_entitlement(uow, world.alice, serial=NOCOVER_SERIAL).cover == "AMC"
    assert {"contract_offer", "order_acceptance", "contract_invoice"} <= set(told(uow, world.alice))
    journey = intake.get_request(uow, world.alice, reference=req.number).journey
    assert [(j.entity, j.to_state) for j in journey if j.entity == "contract"] == [
        ("contract", "inquiry"), ("contract", "offer_sent"), ("contract", "active")]


def test_instalments_split_the_invoice_and_collections_follow_receipts(uow, world):
    ref = contracts.open_inquiry(uow, world.agent, type_code="AMC", serials=[NOCOVER_SERIAL],
                                 customer_id=world.alice.customer_id).number
    offer(uow, world, ref, amount="1000", instalments=3)
    c = contracts.accept_offer(uow, world.agent, contract_ref=ref)
    from backend.coverage.models import Instalment

    with uow() as s:
        amounts = s.scalars(select(Instalment.amount).order_by(Instalment.seq)).all()
    assert amounts == [D("393.33"), D("393.33"), D("393.34")] and sum(amounts) == D("1180.00")
    payments.record_receipt(uow, world.agent, invoice_ref=c.invoice_number, amount="1180", method="bank")
    assert billing.get_invoice(uow, world.agent, invoice_ref=c.invoice_number).state == "paid"


def test_planned_visits_become_jobs_and_a_partly_done_visit_carries_over(uow, world):
    ref = contracts.open_inquiry(uow, world.agent, type_code="CMC", serials=[NOCOVER_SERIAL],
                                 customer_id=world.alice.customer_id).number
    offer(uow, world, ref, type_code="CMC", visits_per_year=12)
    contracts.accept_offer(uow, world.alice, contract_ref=ref)
    run = schedule_due_visits(uow, as_of=date.today(), horizon_days=31)
    assert len(run.jobs_created) == 1  # the first monthly visit falls in the next month
    assert schedule_due_visits(uow, as_of=date.today(), horizon_days=31).jobs_created == []  # safe to run twice
    job_ref = run.jobs_created[0]
    assert jobs.get_job(uow, world.agent, job_ref=job_ref).covers_parts  # CMC covers parts
    start, end = world.next_slot()
    jobs.schedule_job(uow, world.agent, job_ref=job_ref, technician_id=world.tech.user_id, start=start, end=end)
    jobs.confirm_job(uow, world.tech, job_ref=job_ref)
    jobs.release_job(uow, world.agent, job_ref=job_ref)
    jobs.report_arrival(uow, world.tech, job_ref=job_ref)
    job_outcomes.resolve_job(uow, world.tech, job_ref=job_ref, service_notes="Half the units serviced", partly_done=True)
    with uow() as s:
        states = sorted(s.scalars(select(PlannedVisit.state)).all())
        carried = s.scalar(select(func.count(PlannedVisit.id)).where(PlannedVisit.carried_from_id.is_not(None)))
    assert states.count("carried_over") == 1 and carried == 1 and len(states) == 13
    assert jobs.bill_job(uow, world.agent, job_ref=job_ref).state == "closed"  # nothing billable under CMC


def test_renewal_reminder_once_then_renewal_replaces_the_old_contract(uow, world):
    today = date.today()
    ref = contracts.open_inquiry(uow, world.agent, type_code="AMC", serials=[NOCOVER_SERIAL],
                                 customer_id=world.alice.customer_id).number
    offer(uow, world, ref, starts_on=today - timedelta(days=340), ends_on=today + timedelta(days=20))
    contracts.accept_offer(uow, world.alice, contract_ref=ref)
    first = contracts.send_renewal_reminders(uow, as_of=today, days_before=30)
    again = contracts.send_renewal_reminders(uow, as_of=today, days_before=30)
    assert (first.reminded, again.reminded) == ([ref], [])
    assert told(uow, world.alice).count("renewal_reminder") == 1
    new = contracts.renew_contract(uow, world.alice, contract_ref=ref)
    assert new.state == S.INQUIRY and new.renewal_of == ref and new.starts_on == today + timedelta(days=21)
    assert code_of(contracts.renew_contract, uow, world.alice, contract_ref=ref) == ErrorCode.ALREADY_DONE
    offer(uow, world, new.number, starts_on=new.starts_on, ends_on=new.ends_on)
    contracts.accept_offer(uow, world.alice, contract_ref=new.number)
    old = contracts.get_contract(uow, world.alice, contract_ref=ref)
    assert (old.state, old.renewed_by) == (S.RENEWED, new.number)
    assert code_of(contracts.renew_contract, uow, world.alice, contract_ref=ref) == ErrorCode.ALREADY_DONE
    later = contracts.send_renewal_reminders(uow, as_of=today + timedelta(days=30), days_before=30)
    assert later.expired == []  # the renewed contract does not expire; it was replaced


def test_an_unrenewed_contract_expires(uow, world):
    today = date.today()
    ref = contracts.open_inquiry(uow, world.agent, type_code="AMC", serials=[NOCOVER_SERIAL],
                                 customer_id=world.alice.customer_id).number
    offer(uow, world, ref, starts_on=today - timedelta(days=300), ends_on=today + timedelta(days=5))
    contracts.accept_offer(uow, world.alice, contract_ref=ref)
    run = contracts.send_renewal_reminders(uow, as_of=today + timedelta(days=6))
    assert run.expired == [ref]
    assert not intake.check_entitlement(uow, world.alice, serial=NOCOVER_SERIAL, on=today + timedelta(days=6)).covered


def test_an_offer_answered_twice_and_other_forbidden_moves(uow, world):
    ref = contracts.open_inquiry(uow, world.agent, type_code="AMC", serials=[NOCOVER_SERIAL],
                                 customer_id=world.alice.customer_id).number
    assert code_of(contracts.accept_offer, uow, world.alice, contract_ref=ref) == ErrorCode.ALREADY_DONE
    assert code_of(contracts.renew_contract, uow, world.alice, contract_ref=ref) == ErrorCode.ILLEGAL_TRANSITION
    offer(uow, world, ref)
    contracts.reject_offer(uow, world.alice, contract_ref=ref, note="too dear")
    assert code_of(contracts.accept_offer, uow, world.alice, contract_ref=ref) == ErrorCode.ALREADY_DONE
    assert code_of(contracts.reject_offer, uow, world.alice, contract_ref=ref) == ErrorCode.ALREADY_DONE
    c = offer(uow, world, ref, amount="9000")  # a re-offer after the rejection
    assert [o.state for o in c.offers] == ["rejected", "sent"]
    offer(uow, world, ref, amount="8500")  # and a re-offer supersedes the open one
    c = contracts.accept_offer(uow, world.alice, contract_ref=ref)
    assert [o.state for o in c.offers] == ["rejected", "superseded", "accepted"] and c.value == D("8500.00")
    assert code_of(contracts.accept_offer, uow, world.alice, contract_ref=ref) == ErrorCode.ALREADY_DONE
    assert code_of(offer, uow, world, ref) == ErrorCode.ILLEGAL_TRANSITION  # no offers on an active contract


@pytest.mark.parametrize("state", sorted(CONTRACT_MOVES.states()))
def test_the_contract_table_forbids_every_other_move(state):
    for target in CONTRACT_MOVES.states():
        assert CONTRACT_MOVES.can(state, target) == (target in CONTRACT_MOVES.allowed(state))
    assert S.INQUIRY not in CONTRACT_MOVES.allowed(state)  # nothing goes back to inquiry


@pytest.mark.parametrize(("kwargs", "field"), [
    ({"amount": "-1"}, "amount"), ({"amount": "abc"}, "amount"), ({"instalments": 0}, "instalments"),
    ({"visits_per_year": 100}, "visits_per_year"), ({"type_code": "NOPE"}, "type_code"),
])
def test_bad_offers_change_nothing(uow, world, kwargs, field):
    ref = contracts.open_inquiry(uow, world.agent, type_code="AMC", serials=[NOCOVER_SERIAL],
                                 customer_id=world.alice.customer_id).number
    with pytest.raises(DomainError) as err:
        offer(uow, world, ref, **kwargs)
    assert (err.value.code, err.value.details["field"]) == (ErrorCode.INVALID_INPUT, field)
    assert contracts.get_contract(uow, world.agent, contract_ref=ref).state == S.INQUIRY


def test_a_customer_reaches_only_their_own_contracts(uow, world):
    ref = contracts.open_inquiry(uow, world.alice, type_code="AMC", serials=[NOCOVER_SERIAL]).number
    assert code_of(contracts.get_contract, uow, world.bob, contract_ref=ref) == ErrorCode.NOT_FOUND
    assert code_of(contracts.send_offer, uow, world.alice, contract_ref=ref, amount="1", starts_on=date.today(),
                   ends_on=date.today() + timedelta(days=30)) == ErrorCode.FORBIDDEN
    assert contracts.list_contracts(uow, world.bob) == []
