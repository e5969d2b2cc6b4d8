"""Defect (card E8): repairs had no feedback and were missing from the
job-wise P&L, whose labour cost was one flat rate. A customer rates a
repair once it is handed back; repairs are P&L rows (revenue net of credit
notes, parts at cost, labour); labour costs each technician's own rate."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from backend.errors import DomainError, ErrorCode
from backend.history.models import StateChange
from backend.jobs import service as jobs
from backend.jobs.models import Job
from backend.processes import invoice_corrections as corrections
from backend.processes import job_outcomes
from backend.reports import costing
from backend.repairs import service as repairs
from tests.factories import NOCOVER_SERIAL, PUMP
from tests.unit.core.flows import new_job, step
from backend.jobs.models import JobState as S

D = Decimal
TODAY = date.today()
DAY = {"start": TODAY - timedelta(days=1), "end": TODAY + timedelta(days=1)}


def code_of(fn, *args, **kwargs) -> ErrorCode:
    with pytest.raises(DomainError) as err:
        fn(*args, **kwargs)
    return err.value.code


def delivered_repair(uow, w) -> str:
    """A pump (cost 600, price 1000) and two hours of labour (2 x 500), invoiced and handed back."""
    r = repairs.receive_repair(uow, w.agent, customer_id=w.alice.customer_id, item_description="TV",
                               fault="No picture", serial=NOCOVER_SERIAL)
    repairs.assign_repair(uow, w.agent, repair_ref=r.number, technician_id=w.tech.user_id)
    repairs.send_repair_estimate(uow, w.tech, repair_ref=r.number,
                                 lines=[{"code": PUMP[0], "qty": 1}, {"code": "VISIT", "qty": 2}])
    repairs.approve_repair_estimate(uow, w.alice, repair_ref=r.number)
    repairs.start_repair(uow, w.tech, repair_ref=r.number)
    repairs.add_repair_parts(uow, w.tech, repair_ref=r.number, part_sku=PUMP[0], qty=1)
    repairs.complete_repair(uow, w.tech, repair_ref=r.number, check_notes="Burn-in 2 h, OK")
    repairs.invoice_repair(uow, w.agent, repair_ref=r.number)
    repairs.deliver_repair(uow, w.agent, repair_ref=r.number)
    return r.number


def feedback_rows(uow) -> tuple[int, int]:
    from backend.repairs.models import RepairFeedback

    with uow() as s:
        return (s.scalar(select(func.count()).select_from(RepairFeedback)),
                s.scalar(select(func.count()).select_from(StateChange)))


def test_the_customer_rates_a_delivered_repair_once(uow, world):
    from backend.repairs import feedback

    ref = delivered_repair(uow, world)
    given = feedback.give_repair_feedback(uow, world.alice, repair_ref=ref, rating=5, comment="Works like new")
    assert (given.repair_number, given.rating, given.comment) == (ref, 5, "Works like new")
    assert feedback.get_repair_feedback(uow, world.agent, repair_ref=ref).rating == 5
    before = feedback_rows(uow)
    assert code_of(feedback.give_repair_feedback, uow, world.alice, repair_ref=ref, rating=4) == ErrorCode.ALREADY_DONE
    assert feedback_rows(uow) == before


def test_repair_feedback_is_refused_before_delivery_to_others_and_out_of_range(uow, world):
    from backend.repairs import feedback

    r = repairs.receive_repair(uow, world.agent, customer_id=world.alice.customer_id, item_description="TV",
                               fault="No picture", serial=NOCOVER_SERIAL)
    before = feedback_rows(uow)
    assert code_of(feedback.give_repair_feedback, uow, world.alice, repair_ref=r.number,
                   rating=5) == ErrorCode.ILLEGAL_TRANSITION
    ref = delivered_repair(uow, world)
    before = feedback_rows(uow)
    for who, rating, code in ((world.bob, 5, ErrorCode.NOT_FOUND), (world.agent, 5, ErrorCode.FORBIDDEN),
                              (world.alice, 0, ErrorCode.INVALID_INPUT), (world.alice, 6, ErrorCode.INVALID_INPUT)):
        assert code_of(feedback.give_repair_feedback, uow, who, repair_ref=ref, rating=rating) == code
    assert code_of(feedback.give_repair_feedback, uow, world.alice, repair_ref=ref, rating=3,
                   comment="x" * 2001) == ErrorCode.INVALID_INPUT
    assert feedback_rows(uow) == before


def pnl_rows(uow, w, **kw):
    return {r.name: r for r in costing.job_pnl(uow, w.manager, **DAY, **kw).rows}


def test_a_repair_is_a_row_of_the_pnl_net_of_its_credit_notes(uow, world):
    ref = delivered_repair(uow, world)
    row = pnl_rows(uow, world)[ref]
    # revenue 1000 + 2 x 500 = 2000 net of tax; the pump at cost 600; 2 hours of labour at 250
    assert (row.jobs, row.revenue, row.parts_cost, row.hours, row.labour_cost, row.profit) == (
        1, D("2000.00"), D("600.00"), D("2.00"), D("500.00"), D("900.00"))
    invoice = repairs.get_repair(uow, world.agent, repair_ref=ref).invoice_number
    corrections.credit_invoice(uow, world.agent, invoice_ref=invoice, amount="118.00", reason="goodwill discount")
    row = pnl_rows(uow, world)[ref]
    assert (row.revenue, row.profit) == (D("1900.00"), D("800.00"))
    by_tech = {r.name: r for r in costing.job_pnl(uow, world.manager, by="technician", **DAY).rows}
    assert by_tech["Tech"].revenue == D("1900.00")


def test_labour_costs_each_technicians_own_rate(uow, world):
    from backend.processes import cost_rates

    ref = new_job(uow, world)
    for target in (S.SCHEDULED, S.CONFIRMED, S.RELEASED, S.IN_PROGRESS):
        step(uow, world, ref, target)
    with uow() as s:  # two hours on site
        job = s.scalar(select(Job).where(Job.number == ref))
        job.arrived_at -= timedelta(hours=2)
    job_outcomes.resolve_job(uow, world.tech, job_ref=ref, service_notes="Fixed")
    repair = delivered_repair(uow, world)
    assert pnl_rows(uow, world)[ref].labour_cost == D("500.00")  # the standard rate until an admin sets one

    view = cost_rates.set_cost_rate(uow, world.admin, user_id=world.tech.user_id, rate="400.00")
    assert view.cost_rate_per_hour == D("400.00")
    rows = pnl_rows(uow, world)
    assert (rows[ref].hours, rows[ref].labour_cost) == (D("2.00"), D("800.00"))
    assert rows[repair].labour_cost == D("800.00")
    assert pnl_rows(uow, world, labour_rate="100")[ref].labour_cost == D("200.00")  # a rate asked for: flat


def test_only_an_admin_sets_a_technicians_cost_rate_and_only_a_plausible_one(uow, world):
    from backend.processes import cost_rates
    from backend.identity.models import User

    def rate():
        with uow() as s:
            return s.scalar(select(User.cost_rate_per_hour).where(User.id == world.tech.user_id))

    assert rate() == D("250.00")
    for who, user, value, code in ((world.manager, world.tech, "300", ErrorCode.FORBIDDEN),
                                   (world.tech, world.tech, "300", ErrorCode.FORBIDDEN),
                                   (world.admin, world.tech, "-1", ErrorCode.INVALID_INPUT),
                                   (world.admin, world.tech, "12.345", ErrorCode.INVALID_INPUT),
                                   (world.admin, world.tech, "lots", ErrorCode.INVALID_INPUT),
                                   (world.admin, world.alice, "300", ErrorCode.INVALID_INPUT)):
        assert code_of(cost_rates.set_cost_rate, uow, who, user_id=user.user_id, rate=value) == code
    assert code_of(cost_rates.set_cost_rate, uow, world.admin, user_id=99999, rate="300") == ErrorCode.NOT_FOUND
    assert rate() == D("250.00")
