"""C1 and C2 in the core, on SQLite and PostgreSQL: an agent's contract
inquiry, the delivery plan drafted with the offer and edited by staff before
and after acceptance, and the daily run that only ever runs accepted plans."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from backend.coverage import plan
from backend.coverage import service as contracts
from backend.coverage.models import PlannedVisit
from backend.errors import DomainError, ErrorCode
from backend.history.models import StateChange
from backend.processes.contract_visits import schedule_due_visits
from tests.factories import AMC_SERIAL, NOCOVER_SERIAL, WARRANTY_SERIAL

TODAY = date.today()


def refused(fn, *args, **kwargs) -> DomainError:
    with pytest.raises(DomainError) as err:
        fn(*args, **kwargs)
    return err.value


def snapshot(uow) -> tuple:
    """Every visit as it stands and the number of history rows: what a refusal must leave alone."""
    with uow() as s:
        visits = s.execute(select(PlannedVisit.id, PlannedVisit.due_on, PlannedVisit.state, PlannedVisit.job_id)
                           .order_by(PlannedVisit.id)).all()
        return [tuple(v) for v in visits], s.scalar(select(func.count(StateChange.id)))


def inquiry(uow, w, serials=(NOCOVER_SERIAL,), **kw) -> str:
    return contracts.open_inquiry(uow, w.agent, type_code="AMC", serials=list(serials),
                                  customer_id=w.alice.customer_id, **kw).number


def offer(uow, w, ref, *, starts_on=TODAY, days=364, visits=4, **kw):
    return contracts.send_offer(uow, w.agent, contract_ref=ref, amount="12000", starts_on=starts_on,
                                ends_on=starts_on + timedelta(days=days), visits_per_year=visits, **kw)


def days(p: plan.PlanView) -> list[tuple[date, str]]:
    return [(v.due_on, v.state) for v in p.visits]


def test_an_agent_opens_an_inquiry_for_a_customer_from_a_day_they_choose(uow, world):
    start = TODAY + timedelta(days=10)
    c = contracts.open_inquiry(uow, world.agent, type_code="AMC", serials=[NOCOVER_SERIAL, WARRANTY_SERIAL],
                               customer_id=world.alice.customer_id, starts_on=start, note="called in")
    assert (c.state, c.customer_id, c.serials) == ("inquiry", world.alice.customer_id,
                                                   sorted([NOCOVER_SERIAL, WARRANTY_SERIAL]))
    assert (c.starts_on, c.ends_on) == (start, start + timedelta(days=364))
    assert plan.get_plan(uow, world.agent, contract_ref=c.number).visits == []  # no offer, no plan yet
    before = snapshot(uow)
    err = refused(contracts.open_inquiry, uow, world.agent, type_code="AMC", serials=[NOCOVER_SERIAL],
                  customer_id=world.alice.customer_id, starts_on=TODAY - timedelta(days=1))
    assert (err.code, err.details["field"]) == (ErrorCode.INVALID_INPUT, "starts_on")
    err = refused(contracts.open_inquiry, uow, world.agent, type_code="AMC", serials=["WM-BOB-1"],
                  customer_id=world.alice.customer_id)  # Bob's washer is not Alice's
    assert err.code == ErrorCode.NOT_FOUND
    assert snapshot(uow) == before
    assert len(contracts.list_contracts(uow, world.agent, customer_id=world.alice.customer_id)) == 3  # 2 + this one


def test_the_inquiry_form_finds_the_customer_and_lists_their_items(uow, world):
    choices = plan.inquiry_choices(uow, world.agent, customer="c-a")  # the code, any case
    assert choices.customer.name == "Alice"
    assert {i.serial for i in choices.items} >= {NOCOVER_SERIAL, AMC_SERIAL}
    assert next(i for i in choices.items if i.serial == AMC_SERIAL).covered_by == ["CT-T2"]
    assert {"AMC", "CMC"} <= {t.code for t in choices.types}
    one = plan.inquiry_choices(uow, world.agent, customer="bo")  # part of a name: the one match is chosen
    assert [m.name for m in one.matches] == ["Bob"] and one.customer.name == "Bob"
    several = plan.inquiry_choices(uow, world.agent, customer="c-")  # part of a code: pick one
    assert [m.name for m in several.matches] == ["Alice", "Bob"] and several.customer is None
    assert plan.inquiry_choices(uow, world.agent, customer="nobody").matches == []
    assert refused(plan.inquiry_choices, uow, world.alice, customer="C-A").code == ErrorCode.FORBIDDEN


def test_the_offer_drafts_the_plan_which_never_becomes_jobs_before_acceptance(uow, world):
    ref = inquiry(uow, world, serials=(NOCOVER_SERIAL, WARRANTY_SERIAL))
    c = offer(uow, world, ref, visits=4)
    p = plan.get_plan(uow, world.agent, contract_ref=ref)
    assert p.draft and (p.starts_on, p.ends_on) == (TODAY, TODAY + timedelta(days=364))
    assert len(p.visits) == 8 and {v.state for v in p.visits} == {"draft"}  # 4 a year for each of 2 items
    assert sorted({v.serial for v in p.visits}) == sorted([NOCOVER_SERIAL, WARRANTY_SERIAL])
    assert c.planned_visits == 8
    assert plan.get_plan(uow, world.alice, contract_ref=ref).visits == p.visits  # the customer sees the draft
    # the daily run, even with a horizon past the whole period, leaves the draft alone
    assert schedule_due_visits(uow, as_of=TODAY, horizon_days=90).jobs_created == []
    assert schedule_due_visits(uow, as_of=TODAY + timedelta(days=300), horizon_days=90).jobs_created == []
    assert {v.state for v in plan.get_plan(uow, world.agent, contract_ref=ref).visits} == {"draft"}


def test_staff_move_add_and_remove_draft_visits_and_acceptance_keeps_the_edited_plan(uow, world):
    ref = inquiry(uow, world)
    offer(uow, world, ref, visits=4)
    first, second, *_ = plan.get_plan(uow, world.agent, contract_ref=ref).visits
    p = plan.move_planned_visit(uow, world.agent, contract_ref=ref, visit_id=first.id, due_on=TODAY + timedelta(days=3))
    assert (TODAY + timedelta(days=3), "draft") in days(p)
    p = plan.add_planned_visit(uow, world.manager, contract_ref=ref, due_on=TODAY + timedelta(days=200),
                               idempotency_key="add-1")
    again = plan.add_planned_visit(uow, world.manager, contract_ref=ref, due_on=TODAY + timedelta(days=200),
                                   idempotency_key="add-1")  # the form sent twice adds one visit
    assert again.visits == p.visits and len(p.visits) == 5
    added = next(v for v in p.visits if v.due_on == TODAY + timedelta(days=200))
    assert (added.state, added.serial) == ("draft", NOCOVER_SERIAL)  # the one covered item
    p = plan.remove_planned_visit(uow, world.agent, contract_ref=ref, visit_id=second.id, reason="customer away")
    edited = days(p)
    assert len(edited) == 4 and second.due_on not in [d for d, _ in edited]
    with uow() as s:
        notes = s.scalars(select(StateChange.note).where(StateChange.entity_type == "planned_visit")
                          .order_by(StateChange.id)).all()
    assert [n.split(" ")[0] for n in notes] == ["moved", "added", "removed"]  # each edit, one history row

    # a re-offer for the same period keeps the edits
    offer(uow, world, ref, visits=4)
    assert days(plan.get_plan(uow, world.agent, contract_ref=ref)) == edited

    accepted = contracts.accept_offer(uow, world.alice, contract_ref=ref)
    p = plan.get_plan(uow, world.agent, contract_ref=ref)
    assert not p.draft and days(p) == [(d, "planned") for d, _ in edited] and accepted.planned_visits == 4


def test_a_reoffer_for_another_period_drafts_the_plan_again(uow, world):
    ref = inquiry(uow, world)
    offer(uow, world, ref, visits=4)
    first = plan.get_plan(uow, world.agent, contract_ref=ref).visits[0]
    plan.remove_planned_visit(uow, world.agent, contract_ref=ref, visit_id=first.id)
    offer(uow, world, ref, starts_on=TODAY + timedelta(days=30), visits=4)
    p = plan.get_plan(uow, world.agent, contract_ref=ref)
    assert len(p.visits) == 4 and all(v.due_on >= TODAY + timedelta(days=30) for v in p.visits)
    assert p.starts_on == TODAY + timedelta(days=30)


def test_edits_after_acceptance_plan_visits_that_the_daily_run_turns_into_jobs(uow, world):
    ref = inquiry(uow, world)
    offer(uow, world, ref, visits=4)
    contracts.accept_offer(uow, world.agent, contract_ref=ref)  # staff record the customer's acceptance
    p = plan.add_planned_visit(uow, world.agent, contract_ref=ref, due_on=TODAY + timedelta(days=2))
    assert (TODAY + timedelta(days=2), "planned") in days(p)
    run = schedule_due_visits(uow, as_of=TODAY, horizon_days=14)
    assert len(run.jobs_created) == 1  # the added one; the first generated visit falls about 45 days in
    p = plan.get_plan(uow, world.agent, contract_ref=ref)
    scheduled = next(v for v in p.visits if v.state == "scheduled")
    assert (scheduled.due_on, scheduled.job_number, scheduled.changeable) == (
        TODAY + timedelta(days=2), run.jobs_created[0], False)

    before = snapshot(uow)
    err = refused(plan.remove_planned_visit, uow, world.agent, contract_ref=ref, visit_id=scheduled.id)
    assert err.code == ErrorCode.ILLEGAL_TRANSITION and run.jobs_created[0] in err.message
    err = refused(plan.move_planned_visit, uow, world.agent, contract_ref=ref, visit_id=scheduled.id,
                  due_on=TODAY + timedelta(days=5))
    assert err.code == ErrorCode.ILLEGAL_TRANSITION
    assert snapshot(uow) == before


def test_refused_edits_change_nothing(uow, world):
    ref = inquiry(uow, world)
    assert refused(plan.add_planned_visit, uow, world.agent, contract_ref=ref,
                   due_on=TODAY + timedelta(days=5)).code == ErrorCode.ILLEGAL_TRANSITION  # no offer yet
    offer(uow, world, ref, starts_on=TODAY + timedelta(days=1), visits=4)
    visit = plan.get_plan(uow, world.agent, contract_ref=ref).visits[0]
    before = snapshot(uow)

    err = refused(plan.move_planned_visit, uow, world.agent, contract_ref=ref, visit_id=visit.id,
                  due_on=TODAY - timedelta(days=1))
    assert (err.code, err.details["field"], err.details["reason"]) == (ErrorCode.INVALID_INPUT, "due_on", "past")
    err = refused(plan.move_planned_visit, uow, world.agent, contract_ref=ref, visit_id=visit.id, due_on=TODAY)
    assert (err.code, err.details["reason"]) == (ErrorCode.INVALID_INPUT, "outside_period")  # starts tomorrow
    err = refused(plan.add_planned_visit, uow, world.agent, contract_ref=ref, due_on=TODAY + timedelta(days=400))
    assert (err.code, err.details["reason"]) == (ErrorCode.INVALID_INPUT, "outside_period")
    err = refused(plan.add_planned_visit, uow, world.agent, contract_ref=ref, due_on=TODAY + timedelta(days=9),
                  serial=AMC_SERIAL)
    assert (err.code, err.details["field"]) == (ErrorCode.INVALID_INPUT, "serial")
    for fn, kw in ((plan.move_planned_visit, {"visit_id": visit.id, "due_on": TODAY + timedelta(days=9)}),
                   (plan.add_planned_visit, {"due_on": TODAY + timedelta(days=9)}),
                   (plan.remove_planned_visit, {"visit_id": visit.id})):
        assert refused(fn, uow, world.alice, contract_ref=ref, **kw).code == ErrorCode.FORBIDDEN
    assert refused(plan.remove_planned_visit, uow, world.agent, contract_ref=ref,
                   visit_id=visit.id + 1000).code == ErrorCode.NOT_FOUND
    assert refused(plan.get_plan, uow, world.bob, contract_ref=ref).code == ErrorCode.NOT_FOUND
    assert snapshot(uow) == before


def test_a_done_visit_cannot_be_removed(uow, world):
    from backend.jobs import service as jobs
    from backend.processes import job_outcomes

    ref = inquiry(uow, world)
    offer(uow, world, ref, visits=12)
    contracts.accept_offer(uow, world.alice, contract_ref=ref)
    job_ref = schedule_due_visits(uow, as_of=TODAY, horizon_days=31).jobs_created[0]
    start, end = world.next_slot()
    jobs.schedule_job(uow, world.agent, job_ref=job_ref, technician_id=world.tech.user_id, start=start, end=end)
    jobs.confirm_job(uow, world.tech, job_ref=job_ref)
    jobs.release_job(uow, world.agent, job_ref=job_ref)
    jobs.report_arrival(uow, world.tech, job_ref=job_ref)
    job_outcomes.resolve_job(uow, world.tech, job_ref=job_ref, service_notes="Serviced")
    done = next(v for v in plan.get_plan(uow, world.agent, contract_ref=ref).visits if v.state == "done")
    before = snapshot(uow)
    err = refused(plan.remove_planned_visit, uow, world.agent, contract_ref=ref, visit_id=done.id)
    assert err.code == ErrorCode.ILLEGAL_TRANSITION and "only a planned visit can be removed" in err.message
    assert snapshot(uow) == before


def test_one_daily_run_leaves_an_unaccepted_draft_alone_and_runs_the_accepted_plan(uow, world):
    waiting = inquiry(uow, world, serials=(WARRANTY_SERIAL,))
    offer(uow, world, waiting, visits=12)  # monthly, its first visit due within the horizon: still a draft
    accepted = inquiry(uow, world)
    offer(uow, world, accepted, visits=12)
    contracts.accept_offer(uow, world.alice, contract_ref=accepted)
    run = schedule_due_visits(uow, as_of=TODAY, horizon_days=31)
    assert len(run.jobs_created) == 1
    ran = plan.get_plan(uow, world.agent, contract_ref=accepted).visits
    assert [(v.state, v.job_number) for v in ran if v.state != "planned"] == [("scheduled", run.jobs_created[0])]
    assert {v.state for v in plan.get_plan(uow, world.agent, contract_ref=waiting).visits} == {"draft"}
    assert schedule_due_visits(uow, as_of=TODAY, horizon_days=31).jobs_created == []  # twice: nothing twice
