"""The lifecycles beside the job's: estimates, invoices, advances, expense
bills and claims, contract offers, planned visits, repair estimates and
portal tasks. Each is a table of allowed moves; a refused move changes
nothing; every move leaves a history row saying who moved what."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal as D

import pytest
from sqlalchemy import func, select

from backend.billing import service as billing
from backend.billing.lifecycle import INVOICE_MOVES
from backend.coverage import service as contracts
from backend.coverage.lifecycle import OFFER_MOVES, VISIT_MOVES
from backend.errors import DomainError, ErrorCode
from backend.history.models import StateChange
from backend.jobs import service as jobs
from backend.jobs.lifecycle import ADVANCE_MOVES, CLAIM_LINE_MOVES, CLAIM_MOVES, ESTIMATE_MOVES
from backend.jobs.models import JobState as S
from backend.lifecycle import Lifecycle
from backend.processes import job_outcomes, payments
from backend.processes.contract_visits import schedule_due_visits
from backend.repairs.service import ESTIMATE_MOVES as REPAIR_ESTIMATE_MOVES
from backend.tasks.lifecycle import TASK_MOVES, Task
from backend.tasks.models import TaskState
from tests.factories import NOCOVER_SERIAL
from tests.unit.core.flows import drive_to

TABLES = [ESTIMATE_MOVES, INVOICE_MOVES, ADVANCE_MOVES, CLAIM_LINE_MOVES, CLAIM_MOVES, OFFER_MOVES, VISIT_MOVES,
          REPAIR_ESTIMATE_MOVES, TASK_MOVES]
FORBIDDEN = [(table, a, b) for table in TABLES for a in table.states() for b in table.states() if not table.can(a, b)]


@pytest.mark.parametrize(("table", "current", "target"), FORBIDDEN,
                         ids=[f"{t.name}:{a}->{b}" for t, a, b in FORBIDDEN])
def test_a_move_outside_the_table_is_refused_with_a_stable_code(table: Lifecycle, current, target):
    with pytest.raises(DomainError) as err:
        table.check(current, target)
    assert err.value.code == ErrorCode.ILLEGAL_TRANSITION
    assert err.value.details["entity"] == table.name


def history(uow, entity_type: str) -> list[tuple[str | None, str, str]]:
    with uow() as s:
        rows = s.execute(select(StateChange.from_state, StateChange.to_state, StateChange.actor_role)
                         .where(StateChange.entity_type == entity_type).order_by(StateChange.id)).all()
    return [tuple(r) for r in rows]


def history_count(uow) -> int:
    with uow() as s:
        return s.scalar(select(func.count(StateChange.id)))


def test_the_estimate_is_raised_at_resolution_and_answered_once(uow, world):
    ref = drive_to(uow, world, S.RESOLVED)
    jobs.accept_estimate(uow, world.alice, job_ref=ref)
    assert history(uow, "estimate") == [("none", "pending", "technician"), ("pending", "accepted", "customer")]
    before = history_count(uow)
    with pytest.raises(DomainError) as err:
        jobs.reject_estimate(uow, world.alice, job_ref=ref)
    assert err.value.code == ErrorCode.ILLEGAL_TRANSITION
    assert jobs.get_job(uow, world.agent, job_ref=ref).estimate_state == "accepted"
    assert history_count(uow) == before


def test_the_payment_that_clears_an_invoice_moves_it_to_paid(uow, world):
    ref = drive_to(uow, world, S.BILLED)
    number = jobs.get_job(uow, world.agent, job_ref=ref).invoice_number
    payments.record_receipt(uow, world.agent, invoice_ref=number, amount="100", method="cash")
    assert history(uow, "invoice") == []  # part-paid: still open
    inv = billing.get_invoice(uow, world.agent, invoice_ref=number)
    payments.record_receipt(uow, world.agent, invoice_ref=number, amount=inv.outstanding, method="bank")
    assert history(uow, "invoice") == [("open", "paid", "agent")]
    assert jobs.get_job(uow, world.agent, job_ref=ref).state == S.SETTLED  # the same transaction settled the job


def test_an_advance_is_decided_once_with_a_history_row(uow, world):
    drive_to(uow, world, S.ADVANCE_SANCTIONED)
    assert history(uow, "advance") == [("requested", "sanctioned", "agent")]


def test_each_bill_and_then_the_claim_are_decided_once(uow, world):
    ref = drive_to(uow, world, S.RESOLVED)
    claim = jobs.submit_expense_claim(uow, world.tech, job_ref=ref, lines=[
        {"category": "travel", "description": "Train", "amount": "600"},
        {"category": "food", "description": "Lunch", "amount": "300"},
    ])
    jobs.decide_expense_line(uow, world.manager, line_id=claim.lines[0].id, passed=True)
    before = history_count(uow)
    with pytest.raises(DomainError) as err:
        jobs.decide_expense_line(uow, world.manager, line_id=claim.lines[0].id, passed=False, reason="again")
    assert err.value.code == ErrorCode.ALREADY_DONE and history_count(uow) == before
    jobs.decide_expense_line(uow, world.manager, line_id=claim.lines[1].id, passed=False, reason="no bill")
    assert history(uow, "expense_line") == [("pending", "passed", "manager"), ("pending", "rejected", "manager")]
    assert history(uow, "expense_claim")[-1] == ("submitted", "part_passed", "manager")


def _offer(uow, w, ref, amount="1000"):
    today = date.today()
    return contracts.send_offer(uow, w.agent, contract_ref=ref, amount=amount, starts_on=today,
                                ends_on=today + timedelta(days=364), visits_per_year=12, instalments=1,
                                type_code="CMC")


def test_a_re_offer_supersedes_the_open_offer_and_an_answered_offer_stays_answered(uow, world):
    ref = contracts.open_inquiry(uow, world.agent, type_code="CMC", serials=[NOCOVER_SERIAL],
                                 customer_id=world.alice.customer_id).number
    _offer(uow, world, ref, "1000")
    _offer(uow, world, ref, "900")
    contracts.accept_offer(uow, world.alice, contract_ref=ref)
    assert history(uow, "contract_offer") == [("sent", "superseded", "agent"), ("sent", "accepted", "customer")]
    before = history_count(uow)
    with pytest.raises(DomainError) as err:
        contracts.reject_offer(uow, world.alice, contract_ref=ref)
    assert err.value.code == ErrorCode.ALREADY_DONE and history_count(uow) == before
    assert [o.state for o in contracts.get_contract(uow, world.alice, contract_ref=ref).offers] == [
        "superseded", "accepted"]


def _first_visit_job(uow, w) -> str:
    """A monthly CMC accepted, and the job of its first planned visit."""
    ref = contracts.open_inquiry(uow, w.agent, type_code="CMC", serials=[NOCOVER_SERIAL],
                                 customer_id=w.alice.customer_id).number
    _offer(uow, w, ref)
    contracts.accept_offer(uow, w.alice, contract_ref=ref)
    return schedule_due_visits(uow, as_of=date.today(), horizon_days=31).jobs_created[0]


def test_a_planned_visit_is_scheduled_then_done_when_its_job_resolves(uow, world):
    job_ref = _first_visit_job(uow, world)
    start, end = world.next_slot()
    jobs.schedule_job(uow, world.agent, job_ref=job_ref, technician_id=world.tech.user_id, start=start, end=end)
    jobs.confirm_job(uow, world.tech, job_ref=job_ref)
    jobs.release_job(uow, world.agent, job_ref=job_ref)
    jobs.report_arrival(uow, world.tech, job_ref=job_ref)
    job_outcomes.resolve_job(uow, world.tech, job_ref=job_ref, service_notes="All serviced")
    rows = history(uow, "planned_visit")
    assert rows[:12] == [("draft", "planned", "customer")] * 12  # the accepted offer's draft plan, monthly
    assert rows[12:] == [("planned", "scheduled", "admin"), ("scheduled", "done", "technician")]


def test_a_cancelled_visit_job_carries_the_visit_over(uow, world):
    job_ref = _first_visit_job(uow, world)
    job_outcomes.cancel_job(uow, world.alice, job_ref=job_ref, reason="away that week")
    assert history(uow, "planned_visit")[-1] == ("scheduled", "carried_over", "customer")


def test_a_portal_task_ends_once():
    task = Task("t1", owner=1, label="import")
    task.end(TaskState.DONE)
    with pytest.raises(DomainError) as err:
        task.end(TaskState.FAILED)
    assert err.value.code == ErrorCode.ILLEGAL_TRANSITION and task.state == TaskState.DONE


def test_a_paid_invoice_no_longer_takes_payments(uow, world):
    ref = drive_to(uow, world, S.SETTLED)
    number = jobs.get_job(uow, world.agent, job_ref=ref).invoice_number
    with pytest.raises(DomainError) as err:
        payments.record_receipt(uow, world.agent, invoice_ref=number, amount=D("1"), method="cash")
    assert err.value.code == ErrorCode.OVERPAYMENT
