"""Technician actions: signed-in technicians only, on their own jobs."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from actions import technician
from backend.jobs import service as jobs
from backend.jobs.models import JobState as S
from tests.factories import BELT, CMC_SERIAL
from tests.unit.actions.helpers import make_tracker, responses, run, said, slot_events
from tests.unit.core.flows import drive_to, new_job, step


def test_anonymous_and_customers_are_turned_away(world, uow):
    ref = drive_to(uow, world, S.SCHEDULED)
    _, out = run(technician.ActionConfirmJob(), make_tracker({"reference": ref}))
    assert responses(out) == ["utter_login_required"]
    _, out = run(technician.ActionConfirmJob(), make_tracker({"reference": ref}, actor=world.alice))
    assert responses(out) == ["utter_error_forbidden"]


def test_todays_jobs(world, uow):
    _, out = run(technician.ActionListMyJobs(), make_tracker({}, actor=world.tech))
    assert responses(out) == ["utter_no_jobs_today"]
    start = datetime.now(timezone.utc) + timedelta(minutes=30)
    if start.date() != datetime.now(timezone.utc).date():
        pytest.skip("too close to midnight UTC to book a visit for today")
    ref = new_job(uow, world)
    jobs.schedule_job(uow, world.agent, job_ref=ref, technician_id=world.tech.user_id, start=start,
                      end=start + timedelta(minutes=20))
    _, out = run(technician.ActionListMyJobs(), make_tracker({}, actor=world.tech))
    assert responses(out) == ["utter_jobs_today_count", "utter_job_line"]
    assert said(out, "utter_job_line")["job_ref"] == ref


def test_confirm_own_job_only(world, uow):
    ref = drive_to(uow, world, S.SCHEDULED)
    _, out = run(technician.ActionConfirmJob(), make_tracker({"reference": ref}, actor=world.tech2))
    assert responses(out) == ["utter_error_not_found"]
    _, out = run(technician.ActionConfirmJob(), make_tracker({"reference": ref}, actor=world.tech))
    assert said(out, "utter_job_confirmed")["job_ref"] == ref


def test_advance(world, uow):
    ref = drive_to(uow, world, S.CONFIRMED)
    tracker = make_tracker({"reference": ref, "amount": "1500", "purpose": "bus fare"}, actor=world.tech)
    events, out = run(technician.ActionRequestAdvance(), tracker)
    assert said(out, "utter_advance_requested")["advance_amount"] == "₹1,500.00"
    assert slot_events(events)["amount"] is None


def test_arrival_only_after_release(world, uow):
    ref = drive_to(uow, world, S.CONFIRMED)
    _, out = run(technician.ActionReportArrival(), make_tracker({"reference": ref}, actor=world.tech))
    assert responses(out) == ["utter_error_illegal_transition"]
    step(uow, world, ref, S.RELEASED)
    _, out = run(technician.ActionReportArrival(), make_tracker({"reference": ref}, actor=world.tech))
    assert said(out, "utter_arrival_recorded")["job_ref"] == ref


def test_parts_leave_stock_and_too_many_are_refused(world, uow):
    ref = drive_to(uow, world, S.IN_PROGRESS)
    sku, _, _, stock = BELT
    tracker = make_tracker({"reference": ref, "part": "Belt", "part_sku": sku, "quantity": "1"}, actor=world.tech)
    events, out = run(technician.ActionReportPartsUsed(), tracker)
    assert said(out, "utter_parts_recorded")["quantity_used"] == "1"
    assert slot_events(events)["part_sku"] is None
    assert jobs.stock_of(uow, sku=sku) == stock - 1
    tracker = make_tracker({"reference": ref, "part": "Belt", "part_sku": sku, "quantity": "50"}, actor=world.tech)
    _, out = run(technician.ActionReportPartsUsed(), tracker)
    assert responses(out) == ["utter_error_out_of_stock"]


def test_completion_with_and_without_an_estimate(world, uow):
    billable = drive_to(uow, world, S.IN_PROGRESS)
    covered = drive_to(uow, world, S.IN_PROGRESS, serial=CMC_SERIAL)
    done = {"service_done": "Replaced the belt"}
    _, out = run(technician.ActionCompleteJob(), make_tracker({"reference": billable, **done}, actor=world.tech))
    assert said(out, "utter_job_resolved_with_estimate")["estimate_amount"].startswith("₹")
    _, out = run(technician.ActionCompleteJob(), make_tracker({"reference": covered, **done}, actor=world.tech))
    assert responses(out) == ["utter_job_resolved"]


def test_expense_claim_reads_its_category(world, uow):
    ref = drive_to(uow, world, S.IN_PROGRESS)
    tracker = make_tracker({"reference": ref, "amount": "350", "purpose": "auto fare both ways"}, actor=world.tech)
    _, out = run(technician.ActionSubmitExpenseClaim(), tracker)
    sent = said(out, "utter_expense_submitted")
    assert sent["claim_ref"].startswith("EC-") and sent["category"] == "travel" and sent["claim_amount"] == "₹350.00"
