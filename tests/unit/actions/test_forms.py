"""Form validation: identification, the values people type, the cover check."""

from __future__ import annotations

import asyncio

from rasa_sdk.executor import CollectingDispatcher

from actions import customer_forms, technician
from actions.identity import current_actor
from tests.factories import AMC_SERIAL, BELT
from tests.unit.actions.helpers import DOMAIN, SECRET, make_tracker, responses, run, slot_events
from tests.unit.core.flows import new_job


def required(validator, tracker) -> list[str]:
    domain_slots = validator.domain_slots(DOMAIN)
    return asyncio.run(validator.required_slots(domain_slots, CollectingDispatcher(), tracker, DOMAIN))


def test_a_signed_in_customer_is_not_asked_who_they_are(world):
    form = customer_forms.ValidateServiceRequestForm()
    assert required(form, make_tracker()) [:2] == ["reference", "contact"]
    assert "contact" not in required(form, make_tracker(actor=world.alice))
    assert "reference" not in required(form, make_tracker(actor=world.alice))
    status = customer_forms.ValidateStatusForm()
    assert required(status, make_tracker(actor=world.alice)) == ["reference"]


def test_staff_and_technicians_get_no_customer_form(world):
    assert required(customer_forms.ValidateStatusForm(), make_tracker(actor=world.tech)) == []


def test_technician_forms_only_for_technicians(world):
    form = technician.ValidatePartsForm()
    assert required(form, make_tracker()) == []
    assert required(form, make_tracker(actor=world.alice)) == []
    assert required(form, make_tracker(actor=world.tech)) == ["reference", "part", "quantity"]


def test_an_anonymous_visitor_proves_who_they_are(world, uow):
    ref = new_job(uow, world)
    tracker = make_tracker({"reference": ref}, just_set={"contact": "ALICE@example.com"}, active_loop="status_form")
    events, out = run(customer_forms.ValidateStatusForm(), tracker)
    slots = slot_events(events)
    assert responses(out) == ["utter_identity_verified"]
    assert slots["auth_token"] and slots["identify_failures"] == 0
    follow_up = make_tracker({"reference": ref, "auth_token": slots["auth_token"]})
    assert current_actor(follow_up, SECRET).customer_id == world.alice.customer_id


def test_wrong_contact_is_refused_and_three_strikes_stop_the_form(world, uow):
    ref = new_job(uow, world)
    failures = 0
    for attempt in range(3):
        tracker = make_tracker({"reference": ref, "identify_failures": failures},
                               just_set={"contact": "bob@example.com"}, active_loop="status_form")
        events, out = run(customer_forms.ValidateStatusForm(), tracker)
        slots = slot_events(events)
        failures = slots["identify_failures"]
        assert slots["contact"] is None and "auth_token" not in slots
    assert responses(out) == ["utter_identity_locked"] and slots["handoff_offered"] is True
    locked = make_tracker({"identify_failures": failures})
    assert required(customer_forms.ValidateStatusForm(), locked) == []


def test_references_are_normalised_and_checked_for_kind(world):
    events, _ = run(customer_forms.ValidateStatusForm(),
                    make_tracker(just_set={"reference": "sr 12"}, actor=world.alice, active_loop="status_form"))
    assert slot_events(events)["reference"] == "SR-000012"
    events, out = run(customer_forms.ValidateFeedbackForm(),
                      make_tracker(just_set={"reference": "CT-000001"}, actor=world.alice, active_loop="feedback_form"))
    assert slot_events(events)["reference"] is None and responses(out) == ["utter_invalid_reference_kind"]
    events, out = run(customer_forms.ValidateStatusForm(),
                      make_tracker(just_set={"reference": "hello"}, active_loop="status_form"))
    assert responses(out) == ["utter_invalid_reference"]


def test_preferred_time_must_be_readable_and_ahead(world):
    form = customer_forms.ValidateBookingForm()
    for text, response in (("someday", "utter_invalid_preferred_slot"), ("2020-01-01 10:00", "utter_preferred_slot_in_past")):
        events, out = run(form, make_tracker(just_set={"preferred_slot": text}, actor=world.alice,
                                             active_loop="booking_form"))
        assert responses(out) == [response] and slot_events(events)["preferred_slot"] is None
    events, _ = run(form, make_tracker(just_set={"preferred_slot": "tomorrow 3pm"}, actor=world.alice,
                                       active_loop="booking_form"))
    assert slot_events(events)["preferred_slot"].endswith("15:00")


def test_the_cover_is_told_before_the_customer_confirms(world):
    tracker = make_tracker({"serial_number": AMC_SERIAL, "product": "washer"},
                           just_set={"preferred_slot": "tomorrow 10am"}, actor=world.alice,
                           active_loop="service_request_form")
    _, out = run(customer_forms.ValidateServiceRequestForm(), tracker)
    assert responses(out) == ["utter_covered_labour_only"]
    tracker = make_tracker({"serial_number": "unknown"}, just_set={"preferred_slot": "tomorrow 10am"},
                           actor=world.alice, active_loop="service_request_form")
    _, out = run(customer_forms.ValidateServiceRequestForm(), tracker)
    assert responses(out) == ["utter_entitlement_needs_serial"]


def test_no_serial_offers_the_customers_own_items(world):
    tracker = make_tracker(just_set={"serial_number": "unknown"}, actor=world.alice, active_loop="coverage_form")
    events, out = run(customer_forms.ValidateCoverageForm(), tracker)
    assert responses(out) == ["utter_which_item"] and slot_events(events)["serial_number"] is None
    payloads = [b["payload"] for b in out.messages[0]["buttons"]]
    assert any(AMC_SERIAL in p for p in payloads) and not any("BOB" in p for p in payloads)


def test_rating_and_comment(world):
    form = customer_forms.ValidateFeedbackForm()
    events, _ = run(form, make_tracker(just_set={"rating": "4 stars"}, actor=world.alice, active_loop="feedback_form"))
    assert slot_events(events)["rating"] == "4"
    events, out = run(form, make_tracker(just_set={"rating": "ten"}, actor=world.alice, active_loop="feedback_form"))
    assert responses(out) == ["utter_invalid_rating"]


def test_parts_are_found_in_stock_by_name(world):
    form = technician.ValidatePartsForm()
    events, _ = run(form, make_tracker(just_set={"part": "p-belt"}, actor=world.tech, active_loop="parts_form"))
    assert slot_events(events)["part_sku"] == BELT[0]
    events, out = run(form, make_tracker(just_set={"part": "P-"}, actor=world.tech, active_loop="parts_form"))
    assert responses(out) == ["utter_which_part"] and len(out.messages[0]["buttons"]) == 2
    events, out = run(form, make_tracker(just_set={"part": "flux capacitor"}, actor=world.tech,
                                         active_loop="parts_form"))
    assert responses(out) == ["utter_invalid_part"] and slot_events(events)["part"] is None
    events, _ = run(form, make_tracker(just_set={"quantity": "two"}, actor=world.tech, active_loop="parts_form"))
    assert slot_events(events)["quantity"] == "2"


def test_a_reference_tried_from_many_chats_is_blocked_for_everyone(world, uow):
    from actions import runtime

    ref = new_job(uow, world)
    misses = runtime.get().identity_misses
    for chat in range(misses.limit):  # each a new chat, each missing once: no chat reaches its own limit
        tracker = make_tracker({"reference": ref}, just_set={"contact": f"guess{chat}@example.com"},
                               active_loop="status_form")
        _, out = run(customer_forms.ValidateStatusForm(), tracker)
        assert responses(out) == ["utter_identity_not_verified"]
    right = make_tracker({"reference": ref}, just_set={"contact": "alice@example.com"}, active_loop="status_form")
    events, out = run(customer_forms.ValidateStatusForm(), right)
    assert responses(out) == ["utter_identity_rate_limited"]  # even the right contact: the backend is not asked
    assert "auth_token" not in slot_events(events) and slot_events(events)["handoff_offered"] is True


def test_a_success_clears_the_references_misses(world, uow):
    from actions import runtime

    ref = new_job(uow, world)
    misses = runtime.get().identity_misses
    for _ in range(misses.limit - 1):
        run(customer_forms.ValidateStatusForm(),
            make_tracker({"reference": ref}, just_set={"contact": "nope@example.com"}, active_loop="status_form"))
    _, out = run(customer_forms.ValidateStatusForm(),
                 make_tracker({"reference": ref}, just_set={"contact": "alice@example.com"}, active_loop="status_form"))
    assert responses(out) == ["utter_identity_verified"]
    assert not misses.blocked(ref)
