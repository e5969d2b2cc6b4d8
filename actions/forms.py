"""Form validation: shared, abstract bases (the SDK registers none of them).

``ChatFormValidation`` knows who is asking. For a signed-in user (token in the
message metadata) or a visitor already verified in this chat it drops the
identification slots from the form; for an anonymous visitor it keeps
``reference`` and ``contact`` and checks the pair against the records (one
backend call), keeping a short-lived token in ``auth_token`` when it matches.
After three failed attempts it stops asking.

Each validator returns slot values or ``None`` (ask again) and names the
response that explains why; none of them holds any wording.
"""

from __future__ import annotations

import logging
from abc import ABC, abstractmethod
from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.forms import FormValidationAction

from actions import runtime
from actions.base import call
from actions.identity import current_actor, visitor_token
from actions.parsing import (
    WhenError, normalise_reference, parse_amount, parse_quantity, parse_rating, parse_when, prefix_of,
)
from backend.errors import DomainError, ErrorCode
from backend.identity.actor import Actor
from backend.identity.models import Role
from backend.processes.parties import identify_customer

log = logging.getLogger("actions.forms")

MAX_IDENTIFY_FAILURES = 3
JOB_PREFIXES = ("JB", "SR", "TK")
UNKNOWN = "unknown"
SKIP_WORDS = {"no", "nope", "nothing", "none", "skip", "na", "n/a", "no comments", "no comment", "nil", "-"}

Slots = dict[str, Any]


class ChatFormValidation(FormValidationAction, ABC):
    """Identification and the validators several forms share.

    ``reference_is_subject``: the reference is what the form is about (a job to
    move, a request to check); otherwise it only identifies an anonymous
    visitor and is dropped for a known one. ``reference_prefixes``: the kinds
    of reference the subject may be.
    """

    reference_is_subject = True
    reference_prefixes: tuple[str, ...] | None = None

    @abstractmethod
    def name(self) -> str:
        """validate_<form name>; abstract, so the SDK does not register the base."""

    def actor(self, tracker: Tracker) -> Actor | None:
        return current_actor(tracker, runtime.get().settings.secret_key)

    async def required_slots(self, domain_slots: list[str], dispatcher: CollectingDispatcher, tracker: Tracker,
                             domain: dict) -> list[str]:
        actor = self.actor(tracker)
        if actor is not None and actor.role != Role.CUSTOMER:
            return []  # staff and technicians: the submit action says it isn't for them
        if actor is not None:
            drop = {"contact"} if self.reference_is_subject else {"contact", "reference"}
            return [s for s in domain_slots if s not in drop]
        if int(tracker.get_slot("identify_failures") or 0) >= MAX_IDENTIFY_FAILURES:
            return []  # the submit action answers "unauthenticated" and offers a person
        return domain_slots

    # --- identification -------------------------------------------------------------

    def validate_reference(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                           domain: dict) -> Slots:
        reference = normalise_reference(str(value or ""))
        if reference is None:
            dispatcher.utter_message(response="utter_invalid_reference")
            return {"reference": None}
        known = self.actor(tracker) is not None
        if (self.reference_prefixes and prefix_of(reference) not in self.reference_prefixes
                and (self.reference_is_subject or known)):
            dispatcher.utter_message(response="utter_invalid_reference_kind")
            return {"reference": None}
        return {"reference": reference}

    async def validate_contact(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                               domain: dict) -> Slots:
        reference, contact = tracker.get_slot("reference"), str(value or "").strip()
        failures = int(tracker.get_slot("identify_failures") or 0)
        misses = runtime.get().identity_misses
        if misses.blocked(reference or ""):
            dispatcher.utter_message(response="utter_identity_rate_limited")
            return {"contact": None, "reference": None, "identify_failures": MAX_IDENTIFY_FAILURES,
                    "handoff_offered": True, "handoff_reason": "identity_failed"}
        try:
            actor = await call(identify_customer, None, reference=reference or "", contact=contact)
        except DomainError as exc:
            if exc.code == ErrorCode.UNAUTHENTICATED:
                misses.failed(reference or "")
            failures += 1
            if exc.code != ErrorCode.UNAUTHENTICATED:
                dispatcher.utter_message(response=f"utter_error_{exc.code}")
            elif failures >= MAX_IDENTIFY_FAILURES:
                dispatcher.utter_message(response="utter_identity_locked")
                return {"contact": None, "identify_failures": failures, "handoff_offered": True,
                        "handoff_reason": "identity_failed"}
            else:
                dispatcher.utter_message(response="utter_identity_not_verified")
            return {"contact": None, "reference": None, "identify_failures": failures}
        misses.succeeded(reference or "")
        dispatcher.utter_message(response="utter_identity_verified")
        token = visitor_token(runtime.get().settings.secret_key, actor)
        return {"contact": contact, "auth_token": token, "identify_failures": 0}

    # --- values several forms ask for ------------------------------------------------------

    def validate_preferred_slot(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                                domain: dict) -> Slots:
        try:
            when = parse_when(str(value or ""), runtime.get().now())
        except WhenError as exc:
            name = "utter_preferred_slot_in_past" if exc.reason == "past" else "utter_invalid_preferred_slot"
            dispatcher.utter_message(response=name)
            return {"preferred_slot": None}
        return {"preferred_slot": when.label}

    def validate_amount(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                        domain: dict) -> Slots:
        amount = parse_amount(str(value or ""))
        if amount is None:
            dispatcher.utter_message(response="utter_invalid_amount")
            return {"amount": None}
        return {"amount": str(amount)}

    def validate_serial_number(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                               domain: dict) -> Slots:
        serial = str(value or "").strip()
        if serial.lower() == UNKNOWN:
            return {"serial_number": UNKNOWN}
        serial = serial.upper().removeprefix("S/N").removeprefix("SN ").strip(" :#")
        if not serial or len(serial) > 60:
            return {"serial_number": None}
        return {"serial_number": serial}

    @staticmethod
    def free_text(slot: str, value: Any, limit: int) -> Slots:
        text = str(value or "").strip()
        return {slot: text[:limit] if text else None}


class TechnicianFormValidation(ChatFormValidation, ABC):
    """Technician forms: only for a signed-in technician, always about a job."""

    reference_prefixes = ("JB",)

    async def required_slots(self, domain_slots: list[str], dispatcher: CollectingDispatcher, tracker: Tracker,
                             domain: dict) -> list[str]:
        actor = self.actor(tracker)
        if actor is None or actor.role != Role.TECHNICIAN:
            return []  # the submit action says "please sign in" or "not allowed"
        return [s for s in domain_slots if s != "contact"]
