"""Customer actions: one backend call each, answered by response name."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from sqlalchemy import func, select

from actions import customer
from backend.intake.models import ServiceRequest
from backend.jobs import service as jobs
from backend.jobs.models import JobState as S
from backend.jobs.slots import VISIT_WINDOW
from tests.factories import AMC_SERIAL, BOB_SERIAL, CMC_SERIAL, NOCOVER_SERIAL, WARRANTY_SERIAL
from tests.unit.actions.helpers import make_tracker, responses, run, said, slot_events
from tests.unit.core.flows import drive_to, new_job, step

SOON = (datetime.now(timezone.utc) + timedelta(days=3)).strftime("%Y-%m-%d 10:00")
LATER = (datetime.now(timezone.utc) + timedelta(days=20)).strftime("%Y-%m-%d 15:00")
REQUEST_SLOTS = {"product": "washing machine", "serial_number": CMC_SERIAL, "problem": "Drum does not spin",
                 "site": "1 Elm St", "preferred_slot": SOON, "confirmed": True}


def _requests(uow) -> int:
    with uow() as s:
        return s.scalar(select(func.count()).select_from(ServiceRequest))


def test_raise_request_creates_a_covered_job_and_answers_with_both_numbers(world, uow):
    events, out = run(customer.ActionRaiseRequest(), make_tracker(REQUEST_SLOTS, actor=world.alice))
    sent = said(out, "utter_request_raised")
    assert sent["request_ref"].startswith("SR-") and sent["job_ref"].startswith("JB-")
    slots = slot_events(events)
    assert slots["reference"] == sent["job_ref"]
    assert all(slots[s] is None for s in ("product", "serial_number", "problem", "site", "preferred_slot", "confirmed"))
    job = jobs.get_job(uow, world.alice, job_ref=sent["job_ref"])
    assert job.covers_labour and job.covers_parts and "Site: 1 Elm St" in job.problem


def test_raise_request_twice_for_the_same_message_creates_one_request(world, uow):
    tracker = make_tracker(REQUEST_SLOTS, actor=world.alice, message_id="same-message")
    _, first = run(customer.ActionRaiseRequest(), tracker)
    _, again = run(customer.ActionRaiseRequest(), tracker)
    assert said(first, "utter_request_raised")["request_ref"] == said(again, "utter_request_raised")["request_ref"]
    assert _requests(uow) == 1


def test_raise_request_declined_creates_nothing(world, uow):
    _, out = run(customer.ActionRaiseRequest(), make_tracker({**REQUEST_SLOTS, "confirmed": False}, actor=world.alice))
    assert responses(out) == ["utter_request_not_raised"]
    assert _requests(uow) == 0


def test_an_anonymous_visitor_gets_nothing_private(world, uow):
    _, out = run(customer.ActionRaiseRequest(), make_tracker(REQUEST_SLOTS))
    assert responses(out) == ["utter_error_unauthenticated"]
    assert _requests(uow) == 0


def test_a_forged_token_counts_as_anonymous(world):
    tracker = make_tracker(REQUEST_SLOTS, metadata={"token": "forged.token.value"})
    _, out = run(customer.ActionRaiseRequest(), tracker)
    assert responses(out) == ["utter_error_unauthenticated"]


def test_a_technician_may_not_raise_customer_requests(world):
    _, out = run(customer.ActionRaiseRequest(), make_tracker(REQUEST_SLOTS, actor=world.tech))
    assert responses(out) == ["utter_error_forbidden"]


def test_the_token_may_come_as_custom_data(world):
    from tests.unit.actions.helpers import token_for

    tracker = make_tracker(REQUEST_SLOTS, metadata={"customData": {"token": token_for(world.alice)}})
    _, out = run(customer.ActionRaiseRequest(), tracker)
    assert responses(out) == ["utter_request_raised"]


def test_status_of_a_new_job(world, uow):
    ref = new_job(uow, world)
    _, out = run(customer.ActionCheckRequestStatus(), make_tracker({"reference": ref}, actor=world.alice))
    assert said(out, "utter_job_status_new")["job_ref"] == ref


def test_status_by_request_number_shows_the_job_and_its_visit(world, uow):
    view = intake_request(uow, world)
    step(uow, world, view.job_number, S.SCHEDULED)
    _, out = run(customer.ActionCheckRequestStatus(), make_tracker({"reference": view.number}, actor=world.alice))
    sent = said(out, "utter_job_status_scheduled")
    assert sent["job_ref"] == view.job_number and sent["technician"] == "Tech" and sent["visit_at"] != "-"


def test_status_of_a_question_ticket(world, uow):
    from backend.intake.service import raise_request

    view = raise_request(uow, world.alice, want="question", problem="How do I descale?")
    _, out = run(customer.ActionCheckRequestStatus(), make_tracker({"reference": view.number}, actor=world.alice))
    assert said(out, "utter_request_status_ticket")["ticket_state"] == "open"


def test_status_with_an_estimate_waiting(world, uow):
    ref = drive_to(uow, world, S.RESOLVED)
    _, out = run(customer.ActionCheckRequestStatus(), make_tracker({"reference": ref}, actor=world.alice))
    assert said(out, "utter_job_status_resolved_estimate_pending")["estimate_amount"].startswith("₹")


def test_another_customers_job_is_not_found_and_not_shown(world, uow):
    ref = new_job(uow, world)
    _, out = run(customer.ActionCheckRequestStatus(), make_tracker({"reference": ref}, actor=world.bob))
    assert responses(out) == ["utter_error_not_found"]


def test_reschedule_moves_the_visit(world, uow):
    ref = drive_to(uow, world, S.SCHEDULED)
    tracker = make_tracker({"reference": ref, "preferred_slot": LATER}, actor=world.alice)
    events, out = run(customer.ActionRescheduleAppointment(), tracker)
    assert said(out, "utter_appointment_rescheduled")["visit_at"].endswith("03:00 PM")
    assert slot_events(events)["preferred_slot"] is None
    job = jobs.get_job(uow, world.alice, job_ref=ref)
    assert job.state == S.SCHEDULED and job.scheduled_end - job.scheduled_start == VISIT_WINDOW


def test_booking_a_job_with_no_visit_yet_offers_a_person(world, uow):
    ref = new_job(uow, world)
    tracker = make_tracker({"reference": ref, "preferred_slot": LATER}, actor=world.alice)
    events, out = run(customer.ActionBookAppointment(), tracker)
    assert responses(out) == ["utter_appointment_not_yet_scheduled"]
    assert slot_events(events)["handoff_offered"] is True


def test_cancel_when_confirmed(world, uow):
    ref = drive_to(uow, world, S.SCHEDULED)
    _, out = run(customer.ActionCancelRequest(), make_tracker({"reference": ref, "confirmed": True}, actor=world.alice))
    assert said(out, "utter_request_cancelled")["job_ref"] == ref
    assert jobs.get_job(uow, world.alice, job_ref=ref).state == S.CANCELLED


def test_cancel_not_confirmed_keeps_the_job(world, uow):
    ref = new_job(uow, world)
    _, out = run(customer.ActionCancelRequest(), make_tracker({"reference": ref, "confirmed": False}, actor=world.alice))
    assert responses(out) == ["utter_cancel_kept"]
    assert jobs.get_job(uow, world.alice, job_ref=ref).state == S.NEW


def test_cancel_after_arrival_is_refused_politely(world, uow):
    ref = drive_to(uow, world, S.IN_PROGRESS)
    _, out = run(customer.ActionCancelRequest(), make_tracker({"reference": ref, "confirmed": True}, actor=world.alice))
    assert responses(out) == ["utter_error_illegal_transition"]


def test_accept_and_reject_estimates(world, uow):
    first, second = drive_to(uow, world, S.RESOLVED), drive_to(uow, world, S.RESOLVED)
    _, out = run(customer.ActionAcceptEstimate(), make_tracker({"reference": first}, actor=world.alice))
    assert said(out, "utter_estimate_accepted")["job_ref"] == first
    _, out = run(customer.ActionRejectEstimate(), make_tracker({"reference": second}, actor=world.alice))
    assert said(out, "utter_estimate_rejected")["job_ref"] == second
    _, out = run(customer.ActionRejectEstimate(), make_tracker({"reference": second}, actor=world.alice))
    assert responses(out) == ["utter_error_illegal_transition"]


def test_feedback_once(world, uow):
    ref = drive_to(uow, world, S.RESOLVED)
    tracker = make_tracker({"reference": ref, "rating": "5", "comment": "no"}, actor=world.alice)
    events, out = run(customer.ActionGiveFeedback(), tracker)
    assert said(out, "utter_feedback_thanks")["rating"] == 5
    assert slot_events(events)["rating"] is None
    _, out = run(customer.ActionGiveFeedback(), tracker)
    assert responses(out) == ["utter_error_already_done"]


def test_coverage_answers_by_kind_of_cover(world):
    expected = {CMC_SERIAL: "utter_covered_labour_and_parts", AMC_SERIAL: "utter_covered_labour_only",
                WARRANTY_SERIAL: "utter_covered_by_manufacturer_warranty", NOCOVER_SERIAL: "utter_not_covered",
                BOB_SERIAL: "utter_serial_unknown", "NO-SUCH-1": "utter_serial_unknown"}
    for serial, response in expected.items():
        _, out = run(customer.ActionCheckCoverage(), make_tracker({"serial_number": serial}, actor=world.alice))
        assert responses(out) == [response], serial


def test_coverage_without_a_serial(world):
    _, out = run(customer.ActionCheckCoverage(), make_tracker({"serial_number": "unknown"}, actor=world.alice))
    assert responses(out) == ["utter_entitlement_needs_serial"]


def test_a_repair_starts_as_a_request_of_its_kind(world, uow):
    from backend.intake.service import get_request

    _, out = run(customer.ActionRequestRepair(), make_tracker(
        {"product": "microwave", "serial_number": "unknown", "problem": "No heat"}, actor=world.alice))
    repair = said(out, "utter_repair_requested")
    assert get_request(uow, world.alice, reference=repair["request_ref"]).kind == "repair"


def test_outstanding_none_then_an_invoice(world, uow):
    _, out = run(customer.ActionCheckOutstanding(), make_tracker({}, actor=world.alice))
    assert responses(out) == ["utter_outstanding_none"]
    drive_to(uow, world, S.BILLED)
    _, out = run(customer.ActionCheckOutstanding(), make_tracker({}, actor=world.alice))
    assert responses(out) == ["utter_outstanding_total", "utter_outstanding_line"]
    assert said(out, "utter_outstanding_total")["invoice_count"] == 1
    _, out = run(customer.ActionCheckOutstanding(), make_tracker({}, actor=world.bob))
    assert responses(out) == ["utter_outstanding_none"]


def test_an_unexpected_failure_apologises_and_offers_a_person(world, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("database on fire")

    monkeypatch.setattr(customer, "list_invoices", broken)
    events, out = run(customer.ActionCheckOutstanding(), make_tracker({}, actor=world.alice))
    assert responses(out) == ["utter_error_unexpected"]
    assert slot_events(events)["handoff_offered"] is True


def intake_request(uow, world):
    from backend.intake.service import raise_request

    return raise_request(uow, world.alice, want="service", serial=NOCOVER_SERIAL, problem="No picture")
