"""Validation of the customer forms (the shared parts are in actions.forms)."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.base import call, error_reply, say, slot_text, unexpected_reply
from actions.customer import cover_reply
from actions.forms import JOB_PREFIXES, UNKNOWN, ChatFormValidation, Slots, log
from actions.parsing import parse_rating
from backend.catalog.service import list_items
from backend.errors import DomainError
from backend.intake.service import check_entitlement

MAX_BUTTONS = 8


class ValidateServiceRequestForm(ChatFormValidation):
    """Product, serial (optional), problem, site, time; the cover is checked as
    soon as the time is known, so the customer hears it before confirming."""

    reference_is_subject = False

    def name(self) -> str:
        return "validate_service_request_form"

    def validate_product(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                         domain: dict) -> Slots:
        product = str(value or "").strip()
        if not 2 <= len(product) <= 80:
            dispatcher.utter_message(response="utter_invalid_product")
            return {"product": None}
        return {"product": product}

    def validate_problem(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                         domain: dict) -> Slots:
        return self.free_text("problem", value, 4000)

    def validate_site(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict) -> Slots:
        return self.free_text("site", value, 300)

    async def validate_preferred_slot(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                                      domain: dict) -> Slots:
        slots = super().validate_preferred_slot(value, dispatcher, tracker, domain)
        if slots["preferred_slot"] is None:
            return slots
        serial = slot_text(tracker, "serial_number")
        if serial in (None, UNKNOWN):
            dispatcher.utter_message(response="utter_entitlement_needs_serial")
            return slots
        try:
            reply = cover_reply(await call(check_entitlement, self.actor(tracker), serial=serial),
                                slot_text(tracker, "product"))
        except Exception as exc:  # the cover is a courtesy here: never block the request on it
            if not isinstance(exc, DomainError):
                log.exception("entitlement check failed")
            reply = say("utter_entitlement_needs_serial")
        reply.send(dispatcher)
        return slots

    def validate_confirmed(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                           domain: dict) -> Slots:
        return {"confirmed": value if isinstance(value, bool) else None}


class ValidateCoverageForm(ChatFormValidation):
    """Which item: a serial number, or a pick from the customer's own items."""

    reference_is_subject = False

    def name(self) -> str:
        return "validate_coverage_form"

    async def validate_serial_number(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                                     domain: dict) -> Slots:
        slots = super().validate_serial_number(value, dispatcher, tracker, domain)
        actor = self.actor(tracker)
        if slots["serial_number"] != UNKNOWN or actor is None:
            return slots
        try:
            items = await call(list_items, actor)
        except DomainError as exc:
            error_reply(exc).send(dispatcher)
            return slots
        except Exception:
            log.exception("listing items failed")
            unexpected_reply().send(dispatcher)
            return slots
        if not items:
            dispatcher.utter_message(response="utter_no_items_registered")
            return slots
        buttons = [{"title": f"{i.product_name} ({i.serial})",
                    "payload": f'/inform{{"serial_number": "{i.serial}"}}'} for i in items[:MAX_BUTTONS]]
        dispatcher.utter_message(response="utter_which_item", buttons=buttons)
        return {"serial_number": None}


class ValidateRepairForm(ValidateServiceRequestForm):
    def name(self) -> str:
        return "validate_repair_form"


class ValidateStatusForm(ChatFormValidation):
    """Anything of theirs a customer can quote: request, ticket, job, invoice,
    service order, repair order, contract (backend.processes.lookup.status_of)."""

    reference_prefixes = ("SR", "JB", "TK", "INV", "SO", "RO", "CT")

    def name(self) -> str:
        return "validate_status_form"


class ValidateBookingForm(ChatFormValidation):
    reference_prefixes = JOB_PREFIXES

    def name(self) -> str:
        return "validate_booking_form"


class ValidateRescheduleForm(ValidateBookingForm):
    def name(self) -> str:
        return "validate_reschedule_form"


class ValidateCancelForm(ValidateBookingForm):
    def name(self) -> str:
        return "validate_cancel_form"

    def validate_confirmed(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                           domain: dict) -> Slots:
        return {"confirmed": value if isinstance(value, bool) else None}


class ValidateAcceptEstimateForm(ChatFormValidation):
    """A job's estimate (JB-, or the SR-/TK- that led to the job) or a repair's (RO-)."""

    reference_prefixes = (*JOB_PREFIXES, "RO")

    def name(self) -> str:
        return "validate_accept_estimate_form"


class ValidateRejectEstimateForm(ValidateAcceptEstimateForm):
    def name(self) -> str:
        return "validate_reject_estimate_form"


class ValidateFeedbackForm(ValidateBookingForm):
    def name(self) -> str:
        return "validate_feedback_form"

    def validate_rating(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                        domain: dict) -> Slots:
        rating = parse_rating(str(value or ""))
        if rating is None:
            dispatcher.utter_message(response="utter_invalid_rating")
            return {"rating": None}
        return {"rating": str(rating)}

    def validate_comment(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                         domain: dict) -> Slots:
        return self.free_text("comment", value, 2000)


class ValidateRenewalForm(ChatFormValidation):
    """A known customer is not asked for the contract: the action renews the
    one named (CT-) or their one running contract, or offers the choice. An
    anonymous visitor's reference (any of theirs) identifies them."""

    reference_is_subject = False

    def name(self) -> str:
        return "validate_renewal_form"


class ValidateOutstandingForm(ChatFormValidation):
    reference_is_subject = False

    def name(self) -> str:
        return "validate_outstanding_form"
