"""Nothing is done twice: every use case that creates or appends something,
called again with the same idempotency key, answers with the first result and
changes nothing; the same key with other input is refused. On SQLite and
PostgreSQL, including concurrent retries."""

from __future__ import annotations

import threading
from datetime import date, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from backend.billing import service as billing
from backend.billing.models import CollectionFollowUp
from backend.coverage import service as contracts
from backend.coverage.models import ContractOffer
from backend.errors import DomainError, ErrorCode
from backend.idempotency import fingerprint
from backend.jobs import expenses
from backend.jobs import service as jobs
from backend.jobs.models import Advance, ExpenseClaim, ExpenseLine, JobPart, JobState
from backend.ledger.models import Voucher
from backend.orders import service as orders
from backend.orders.models import ServiceOrder
from backend.processes import job_outcomes
from backend.repairs import service as repairs
from backend.repairs.models import RepairOrder, RepairPart
from tests.factories import NOCOVER_SERIAL, PUMP
from tests.unit.core.flows import drive_to, new_job, step
from tests.support.delivery import told

D = Decimal
PNG = b"\x89PNG\r\n\x1a\n" + b"bill" * 20


def code_of(fn, *args, **kwargs) -> ErrorCode:
    with pytest.raises(DomainError) as err:
        fn(*args, **kwargs)
    return err.value.code


def count(uow, model, *where) -> int:
    with uow() as s:
        return s.scalar(select(func.count()).select_from(model).where(*where))


def job_in_progress(uow, w) -> str:
    ref = new_job(uow, w)
    for target in (JobState.SCHEDULED, JobState.CONFIRMED, JobState.RELEASED, JobState.IN_PROGRESS):
        step(uow, w, ref, target)
    return ref


def in_threads(n: int, fn) -> list:
    """Run ``fn`` in ``n`` threads released together; results (or exceptions) in order."""
    barrier, results = threading.Barrier(n), [None] * n

    def run(i: int) -> None:
        barrier.wait()
        try:
            results[i] = fn()
        except Exception as exc:  # noqa: BLE001 - reported to the test, which fails on it
            results[i] = exc

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    return results


# --- B6 parts used -------------------------------------------------------------------------------

def test_reporting_the_same_parts_twice_with_one_key_takes_stock_once(uow, world):
    ref = job_in_progress(uow, world)
    first = jobs.add_parts_used(uow, world.tech, job_ref=ref, part_sku=PUMP[0], qty="2", idempotency_key="parts-1")
    again = jobs.add_parts_used(uow, world.tech, job_ref=ref, part_sku=PUMP[0], qty=D("2.000"),
                                idempotency_key="parts-1")
    assert (first.created, again.created) == (True, False)
    assert [(p.sku, p.qty) for p in again.parts] == [(PUMP[0], D("2"))]
    assert jobs.stock_of(uow, sku=PUMP[0]) == PUMP[3] - 2


def test_a_key_reused_for_other_parts_is_refused_and_changes_nothing(uow, world):
    ref = job_in_progress(uow, world)
    jobs.add_parts_used(uow, world.tech, job_ref=ref, part_sku=PUMP[0], qty=1, idempotency_key="parts-1")
    assert code_of(jobs.add_parts_used, uow, world.tech, job_ref=ref, part_sku=PUMP[0], qty=2,
                   idempotency_key="parts-1") == ErrorCode.IDEMPOTENCY_CONFLICT
    assert code_of(jobs.add_parts_used, uow, world.tech, job_ref=ref, part_sku="P-BELT", qty=1,
                   idempotency_key="parts-1") == ErrorCode.IDEMPOTENCY_CONFLICT
    assert jobs.stock_of(uow, sku=PUMP[0]) == PUMP[3] - 1
    assert jobs.stock_of(uow, sku="P-BELT") == D("2")
    assert count(uow, JobPart) == 1


def test_without_a_key_or_with_a_new_key_the_same_parts_are_recorded_again(uow, world):
    ref = job_in_progress(uow, world)
    jobs.add_parts_used(uow, world.tech, job_ref=ref, part_sku=PUMP[0], qty=1)
    jobs.add_parts_used(uow, world.tech, job_ref=ref, part_sku=PUMP[0], qty=1)
    jobs.add_parts_used(uow, world.tech, job_ref=ref, part_sku=PUMP[0], qty=1, idempotency_key="a")
    jobs.add_parts_used(uow, world.tech, job_ref=ref, part_sku=PUMP[0], qty=1, idempotency_key="b")
    assert jobs.stock_of(uow, sku=PUMP[0]) == PUMP[3] - 4


def test_a_refused_call_leaves_its_key_free_for_the_retry_that_succeeds(uow, world):
    ref = new_job(uow, world)
    for target in (JobState.SCHEDULED, JobState.CONFIRMED, JobState.RELEASED):
        step(uow, world, ref, target)
    assert code_of(jobs.add_parts_used, uow, world.tech, job_ref=ref, part_sku=PUMP[0], qty=1,
                   idempotency_key="early") == ErrorCode.ILLEGAL_TRANSITION
    step(uow, world, ref, JobState.IN_PROGRESS)
    view = jobs.add_parts_used(uow, world.tech, job_ref=ref, part_sku=PUMP[0], qty=1, idempotency_key="early")
    assert view.created and jobs.stock_of(uow, sku=PUMP[0]) == PUMP[3] - 1


def test_a_retry_after_the_job_moved_on_still_answers_with_the_first_result(uow, world):
    ref = job_in_progress(uow, world)
    jobs.add_parts_used(uow, world.tech, job_ref=ref, part_sku=PUMP[0], qty=1, idempotency_key="late")
    job_outcomes.resolve_job(uow, world.tech, job_ref=ref, service_notes="done")
    again = jobs.add_parts_used(uow, world.tech, job_ref=ref, part_sku=PUMP[0], qty=1, idempotency_key="late")
    assert (again.created, again.state, len(again.parts)) == (False, "resolved", 1)


def test_keys_belong_to_their_caller_and_their_operation(uow, world):
    ref = job_in_progress(uow, world)
    jobs.add_parts_used(uow, world.tech, job_ref=ref, part_sku=PUMP[0], qty=1, idempotency_key="k")
    # The same key for another operation is another key.
    claim = expenses.submit_expense_claim(uow, world.tech, job_ref=ref, idempotency_key="k",
                                          lines=[{"category": "travel", "description": "bus", "amount": "40"}])
    assert claim.created
    # Another technician's "k" is theirs: it does not answer with this technician's job.
    assert code_of(jobs.add_parts_used, uow, world.tech2, job_ref=ref, part_sku=PUMP[0], qty=1,
                   idempotency_key="k") == ErrorCode.NOT_FOUND
    assert jobs.stock_of(uow, sku=PUMP[0]) == PUMP[3] - 1


def test_concurrent_retries_of_one_parts_report_take_stock_once(uow, world):
    ref = job_in_progress(uow, world)
    results = in_threads(4, lambda: jobs.add_parts_used(uow, world.tech, job_ref=ref, part_sku=PUMP[0], qty=1,
                                                         idempotency_key="race"))
    assert all(not isinstance(r, Exception) for r in results), results
    assert sorted(r.created for r in results) == [False, False, False, True]
    assert jobs.stock_of(uow, sku=PUMP[0]) == PUMP[3] - 1
    assert count(uow, JobPart) == 1


# --- B3 advances, B8 expense claims and bills, settlements -------------------------------------------

def test_a_retried_advance_request_answers_with_the_first_advance(uow, world):
    ref = drive_to(uow, world, JobState.CONFIRMED)
    first = expenses.request_advance(uow, world.tech, job_ref=ref, amount="800", purpose="bus", idempotency_key="adv")
    again = expenses.request_advance(uow, world.tech, job_ref=ref, amount="800.00", purpose="bus",
                                     idempotency_key="adv")
    assert (again.id, again.created, first.created) == (first.id, False, True)
    assert code_of(expenses.request_advance, uow, world.tech, job_ref=ref, amount="900", purpose="bus",
                   idempotency_key="adv") == ErrorCode.IDEMPOTENCY_CONFLICT
    assert count(uow, Advance) == 1
    # Without a key the second request is refused by the job's lifecycle, as before.
    assert code_of(expenses.request_advance, uow, world.tech, job_ref=ref, amount="800",
                   purpose="bus") == ErrorCode.ILLEGAL_TRANSITION


def test_a_retried_expense_claim_is_one_claim_with_its_lines_once(uow, world, tmp_path):
    ref = job_in_progress(uow, world)
    bill = expenses.store_attachment(uow, world.tech, upload_dir=tmp_path, filename="taxi.png",
                                     content_type="image/png", data=PNG, max_bytes=10_000,
                                     allowed_types=("image/png",), idempotency_key="bill-1")
    bill_again = expenses.store_attachment(uow, world.tech, upload_dir=tmp_path, filename="taxi.png",
                                           content_type="image/png", data=PNG, max_bytes=10_000,
                                           allowed_types=("image/png",), idempotency_key="bill-1")
    assert (bill_again.id, bill_again.created) == (bill.id, False)
    lines = [{"category": "travel", "description": "taxi", "amount": "350", "attachment_id": bill.id},
             {"category": "food", "description": "lunch", "amount": "120.5"}]
    first = expenses.submit_expense_claim(uow, world.tech, job_ref=ref, lines=lines, idempotency_key="claim-1")
    again = expenses.submit_expense_claim(uow, world.tech, job_ref=ref, lines=lines, idempotency_key="claim-1")
    assert (again.number, again.created, len(again.lines)) == (first.number, False, 2)
    other = [dict(lines[0]), dict(lines[1], amount="99")]
    assert code_of(expenses.submit_expense_claim, uow, world.tech, job_ref=ref, lines=other,
                   idempotency_key="claim-1") == ErrorCode.IDEMPOTENCY_CONFLICT
    assert (count(uow, ExpenseClaim), count(uow, ExpenseLine)) == (1, 2)


def test_a_retried_technician_settlement_posts_one_voucher(uow, world):
    before = count(uow, Voucher)
    first = expenses.pay_technician(uow, world.manager, technician_id=world.tech.user_id, amount="300",
                                    direction="reimburse", idempotency_key="pay-tech-1")
    again = expenses.pay_technician(uow, world.manager, technician_id=world.tech.user_id, amount="300",
                                    direction="reimburse", idempotency_key="pay-tech-1")
    assert (again.voucher, again.created) == (first.voucher, False)
    assert code_of(expenses.pay_technician, uow, world.manager, technician_id=world.tech.user_id, amount="300",
                   direction="recover", idempotency_key="pay-tech-1") == ErrorCode.IDEMPOTENCY_CONFLICT
    assert count(uow, Voucher) == before + 1


# --- D walk-in orders, E repairs ------------------------------------------------------------------

def test_a_retried_walk_in_order_is_one_order(uow, world):
    args = {"customer_id": world.alice.customer_id, "description": "Install a washer",
                "lines": [{"code": "VISIT", "qty": 2}], "idempotency_key": "walk-in-1"}
    first = orders.create_service_order(uow, world.agent, **args)
    again = orders.create_service_order(uow, world.agent, **dict(args, lines=[{"code": "VISIT", "qty": "2.0"}]))
    assert (again.number, again.created) == (first.number, False)
    assert code_of(orders.create_service_order, uow, world.agent,
                   **dict(args, description="Install a dryer")) == ErrorCode.IDEMPOTENCY_CONFLICT
    assert count(uow, ServiceOrder) == 1


def test_concurrent_retries_of_a_walk_in_order_create_one(uow, world):
    """No row lock here: only the key's unique constraint (PostgreSQL) or the write lock (SQLite) decides."""
    results = in_threads(4, lambda: orders.create_service_order(
        uow, world.agent, customer_id=world.alice.customer_id, description="Deep clean", idempotency_key="race"))
    assert all(not isinstance(r, Exception) for r in results), results
    assert len({r.number for r in results}) == 1
    assert sorted(r.created for r in results) == [False, False, False, True]
    assert count(uow, ServiceOrder) == 1


def test_a_retried_repair_intake_and_repair_parts_are_done_once(uow, world):
    args = {"customer_id": world.alice.customer_id, "item_description": "Mixer", "fault": "Does not start",
                "idempotency_key": "counter-1"}
    first = repairs.receive_repair(uow, world.agent, **args)
    again = repairs.receive_repair(uow, world.agent, **args)
    assert (again.number, again.created) == (first.number, False)
    assert code_of(repairs.receive_repair, uow, world.agent,
                   **dict(args, fault="Smokes")) == ErrorCode.IDEMPOTENCY_CONFLICT
    assert count(uow, RepairOrder) == 1
    ref = first.number
    repairs.assign_repair(uow, world.agent, repair_ref=ref, technician_id=world.tech.user_id)
    repairs.send_repair_estimate(uow, world.tech, repair_ref=ref, lines=[{"code": PUMP[0], "qty": 1}])
    repairs.approve_repair_estimate(uow, world.alice, repair_ref=ref)
    repairs.start_repair(uow, world.tech, repair_ref=ref)
    for _ in range(2):
        repairs.add_repair_parts(uow, world.tech, repair_ref=ref, part_sku=PUMP[0], qty=1, idempotency_key="rp-1")
    assert code_of(repairs.add_repair_parts, uow, world.tech, repair_ref=ref, part_sku=PUMP[0], qty=3,
                   idempotency_key="rp-1") == ErrorCode.IDEMPOTENCY_CONFLICT
    assert count(uow, RepairPart) == 1
    assert jobs.stock_of(uow, sku=PUMP[0]) == PUMP[3] - 1


# --- C inquiries, offers, renewals ----------------------------------------------------------------

def test_a_retried_offer_does_not_supersede_itself_with_a_copy(uow, world):
    ref = contracts.open_inquiry(uow, world.alice, type_code="AMC", serials=[NOCOVER_SERIAL],
                                 idempotency_key="inq-1").number
    again = contracts.open_inquiry(uow, world.alice, type_code="AMC", serials=[NOCOVER_SERIAL],
                                   idempotency_key="inq-1")
    assert (again.number, again.created) == (ref, False)
    today = date.today()
    args = {"contract_ref": ref, "amount": "12000", "starts_on": today, "ends_on": today + timedelta(days=364),
                "idempotency_key": "offer-1"}
    contracts.send_offer(uow, world.agent, **args)
    view = contracts.send_offer(uow, world.agent, **args)
    assert view.created is False
    assert [(o.version, o.state) for o in view.offers] == [(1, "sent")]
    assert code_of(contracts.send_offer, uow, world.agent,
                   **dict(args, amount="11000")) == ErrorCode.IDEMPOTENCY_CONFLICT
    assert count(uow, ContractOffer) == 1
    # A re-offer with its own key still supersedes the open offer, as designed.
    view = contracts.send_offer(uow, world.agent, **dict(args, amount="11000", idempotency_key="offer-2"))
    assert [(o.version, o.state) for o in view.offers] == [(1, "superseded"), (2, "sent")]


def test_a_retried_renewal_answers_with_the_first_renewal(uow, world):
    ref = contracts.open_inquiry(uow, world.agent, type_code="AMC", serials=[NOCOVER_SERIAL],
                                 customer_id=world.alice.customer_id).number
    today = date.today()
    contracts.send_offer(uow, world.agent, contract_ref=ref, amount="1000", starts_on=today,
                         ends_on=today + timedelta(days=30))
    contracts.accept_offer(uow, world.alice, contract_ref=ref)
    first = contracts.renew_contract(uow, world.alice, contract_ref=ref, idempotency_key="renew-1")
    again = contracts.renew_contract(uow, world.alice, contract_ref=ref, idempotency_key="renew-1")
    assert (again.number, again.created, again.renewal_of) == (first.number, False, ref)
    # Without the key the second renewal is refused, as before.
    assert code_of(contracts.renew_contract, uow, world.alice, contract_ref=ref) == ErrorCode.ALREADY_DONE


# --- B11 collection follow-ups ---------------------------------------------------------------------

def test_a_retried_follow_up_is_recorded_and_sent_once(uow, world):
    ref = drive_to(uow, world, JobState.BILLED)
    invoice = jobs.get_job(uow, world.agent, job_ref=ref).invoice_number
    for _ in range(2):
        billing.add_follow_up(uow, world.agent, invoice_ref=invoice, note="Called, pays Friday", idempotency_key="f1")
    assert count(uow, CollectionFollowUp) == 1
    assert told(uow, world.alice).count("payment_reminder") == 1


# --- the fingerprint -------------------------------------------------------------------------------

def test_the_fingerprint_reads_values_not_spellings():
    assert fingerprint({"qty": D("2")}) == fingerprint({"qty": D("2.000")})
    assert fingerprint({"a": 1, "b": [1, 2]}) == fingerprint({"b": [1, 2], "a": 1})
    assert fingerprint({"qty": D("2")}) != fingerprint({"qty": D("3")})
