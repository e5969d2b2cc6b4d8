"""Processes D and E on SQLite and PostgreSQL, with each forbidden move."""

from __future__ import annotations

from decimal import Decimal

import pytest

from backend.billing import service as billing
from backend.errors import DomainError, ErrorCode
from backend.intake import service as intake
from backend.jobs import service as jobs
from backend.orders import service as orders
from backend.orders.service import ORDER_MOVES
from backend.processes import job_outcomes
from backend.processes import payments
from backend.processes import service_orders
from backend.repairs import service as repairs
from backend.repairs.service import REPAIR_MOVES
from backend.repairs.models import RepairState as R
from tests.factories import NOCOVER_SERIAL, PUMP, WARRANTY_SERIAL

D = Decimal


def code_of(fn, *args, **kwargs) -> ErrorCode:
    with pytest.raises(DomainError) as err:
        fn(*args, **kwargs)
    return err.value.code


# --- D: one-time service orders ------------------------------------------------

def test_order_invoiced_up_front_planned_done_paid(uow, world):
    o = orders.create_service_order(uow, world.agent, customer_id=world.alice.customer_id,
                                    description="Install a new washer", lines=[{"code": "VISIT", "qty": 2}])
    assert o.state == "new" and o.number.startswith("SO-")
    o = orders.invoice_service_order(uow, world.agent, order_ref=o.number)
    inv = billing.get_invoice(uow, world.alice, invoice_ref=o.invoice_number)
    assert inv.total == D("1180.00")  # 2 x 500 + 18%
    payments.record_receipt(uow, world.agent, invoice_ref=inv.number, amount="1180", method="card")
    start, end = world.next_slot()
    o = service_orders.plan_service_order(uow, world.agent, order_ref=o.number, technician_id=world.tech.user_id,
                                  start=start, end=end)
    assert o.state == "planned" and o.job_number
    jobs.confirm_job(uow, world.tech, job_ref=o.job_number)
    jobs.release_job(uow, world.agent, job_ref=o.job_number)
    jobs.report_arrival(uow, world.tech, job_ref=o.job_number)
    jobs.add_parts_used(uow, world.tech, job_ref=o.job_number, part_sku=PUMP[0], qty=1)
    job = job_outcomes.resolve_job(uow, world.tech, job_ref=o.job_number, service_notes="Installed; replaced a pump")
    assert job.estimate_amount == D("1180.00")  # only the extra part: labour was paid with the order
    assert orders.get_service_order(uow, world.alice, order_ref=o.number).state == "paid"


def test_order_from_intake_and_forbidden_moves(uow, world):
    req = intake.raise_request(uow, world.alice, want="order", problem="Deep clean of my AC")
    ref = req.order_number
    assert code_of(service_orders.plan_service_order, uow, world.agent, order_ref=ref, technician_id=world.tech.user_id,
                   start=world.slot()[0], end=world.slot()[1]) == ErrorCode.ILLEGAL_TRANSITION
    orders.invoice_service_order(uow, world.agent, order_ref=ref)
    assert code_of(orders.invoice_service_order, uow, world.agent, order_ref=ref) == ErrorCode.ILLEGAL_TRANSITION
    assert code_of(orders.cancel_service_order, uow, world.agent, order_ref=ref, reason="x") == ErrorCode.ILLEGAL_TRANSITION
    assert code_of(orders.get_service_order, uow, world.bob, order_ref=ref) == ErrorCode.NOT_FOUND
    assert code_of(orders.create_service_order, uow, world.agent, customer_id=world.alice.customer_id,
                   description="x", lines=[{"code": "NOPE"}]) == ErrorCode.NOT_FOUND


def test_order_table_has_no_way_back():
    assert ORDER_MOVES.terminal() == {"paid", "cancelled"}
    assert not ORDER_MOVES.can("paid", "done") and not ORDER_MOVES.can("planned", "invoiced")


# --- E: in-house repairs -------------------------------------------------------

def _to_estimate(uow, w, serial=NOCOVER_SERIAL, lines=None):
    r = repairs.receive_repair(uow, w.agent, customer_id=w.alice.customer_id, item_description="TV",
                               fault="No picture", serial=serial)
    repairs.assign_repair(uow, w.agent, repair_ref=r.number, technician_id=w.tech.user_id)
    return repairs.send_repair_estimate(uow, w.tech, repair_ref=r.number,
                                        lines=lines or [{"code": PUMP[0], "qty": 1}, {"code": "VISIT"}])


def test_repair_from_receipt_to_closed_with_a_revised_estimate(uow, world):
    r = _to_estimate(uow, world)
    assert r.state == R.ESTIMATE_SENT and r.estimates[0].total == D("1770.00")
    repairs.approve_repair_estimate(uow, world.alice, repair_ref=r.number)
    repairs.start_repair(uow, world.tech, repair_ref=r.number)
    repairs.add_repair_parts(uow, world.tech, repair_ref=r.number, part_sku=PUMP[0], qty=2)
    # A second pump was needed: the price may change only through a revised estimate, approved.
    r = repairs.send_repair_estimate(uow, world.tech, repair_ref=r.number,
                                     lines=[{"code": PUMP[0], "qty": 2}, {"code": "VISIT"}], note="second pump")
    assert code_of(repairs.invoice_repair, uow, world.agent, repair_ref=r.number) == ErrorCode.ILLEGAL_TRANSITION
    repairs.approve_repair_estimate(uow, world.alice, repair_ref=r.number)
    repairs.start_repair(uow, world.tech, repair_ref=r.number)
    repairs.complete_repair(uow, world.tech, repair_ref=r.number, check_notes="Burn-in 2 h, OK")
    r = repairs.invoice_repair(uow, world.agent, repair_ref=r.number)
    inv = billing.get_invoice(uow, world.alice, invoice_ref=r.invoice_number)
    assert inv.total == D("2950.00") == r.estimates[-1].total  # (2 x 1000 + 500) x 1.18
    assert repairs.deliver_repair(uow, world.agent, repair_ref=r.number).state == R.DELIVERED
    payments.record_receipt(uow, world.agent, invoice_ref=inv.number, amount="2950", method="cash")
    assert repairs.get_repair(uow, world.alice, repair_ref=r.number).state == R.CLOSED
    assert jobs.stock_of(uow, sku=PUMP[0]) == PUMP[3] - 2


def test_declined_estimate_is_returned_and_cannot_be_approved_after(uow, world):
    r = _to_estimate(uow, world)
    repairs.decline_repair_estimate(uow, world.alice, repair_ref=r.number)
    assert code_of(repairs.approve_repair_estimate, uow, world.alice, repair_ref=r.number) == ErrorCode.ILLEGAL_TRANSITION
    assert repairs.return_unrepaired(uow, world.agent, repair_ref=r.number).state == R.RETURNED


def test_a_repair_under_warranty_costs_nothing_and_closes_on_delivery(uow, world):
    r = _to_estimate(uow, world, serial=WARRANTY_SERIAL)
    assert r.covers_parts and r.estimates[0].total == D("0.00")
    repairs.approve_repair_estimate(uow, world.alice, repair_ref=r.number)
    repairs.start_repair(uow, world.tech, repair_ref=r.number)
    repairs.complete_repair(uow, world.tech, repair_ref=r.number, check_notes="OK")
    r = repairs.invoice_repair(uow, world.agent, repair_ref=r.number)
    assert r.invoice_number is None
    assert repairs.deliver_repair(uow, world.agent, repair_ref=r.number).state == R.CLOSED


def test_repair_access_and_bad_input(uow, world):
    r = _to_estimate(uow, world)
    assert code_of(repairs.get_repair, uow, world.bob, repair_ref=r.number) == ErrorCode.NOT_FOUND
    assert code_of(repairs.get_repair, uow, world.tech2, repair_ref=r.number) == ErrorCode.NOT_FOUND
    assert code_of(repairs.approve_repair_estimate, uow, world.tech, repair_ref=r.number) == ErrorCode.FORBIDDEN
    repairs.approve_repair_estimate(uow, world.alice, repair_ref=r.number)
    repairs.start_repair(uow, world.tech, repair_ref=r.number)
    for qty in ("0", "-2", "1000", "x"):
        assert code_of(repairs.add_repair_parts, uow, world.tech, repair_ref=r.number, part_sku=PUMP[0],
                       qty=qty) == ErrorCode.INVALID_INPUT
    assert code_of(repairs.add_repair_parts, uow, world.tech, repair_ref=r.number, part_sku=PUMP[0],
                   qty="99") == ErrorCode.OUT_OF_STOCK


@pytest.mark.parametrize("state", sorted(REPAIR_MOVES.states()))
def test_every_repair_state_refuses_moves_outside_the_table(state):
    for target in REPAIR_MOVES.states() - REPAIR_MOVES.allowed(state):
        with pytest.raises(DomainError) as err:
            REPAIR_MOVES.check(state, target)
        assert err.value.code == ErrorCode.ILLEGAL_TRANSITION
