"""Customer actions (processes A-E from the customer's side): each submits one form."""

from __future__ import annotations

from abc import ABC
from collections.abc import Callable
from decimal import Decimal
from typing import Any, TypeVar

from rasa_sdk import Tracker

from actions import runtime
from actions.base import BackendAction, Reply, call, date_text, idempotency_key, money_text, say, slot_text, when_text
from actions.forms import SKIP_WORDS, UNKNOWN
from actions.parsing import parse_label
from actions.support import offer_person
from backend.billing.service import InvoiceView, list_invoices
from backend.errors import DomainError, ErrorCode
from backend.identity.actor import Actor
from backend.identity.models import Role
from backend.coverage.entitlement import Entitlement
from backend.intake.service import RequestView, check_entitlement, raise_request
from backend.jobs import service as jobs
from backend.jobs.slots import visit_slot
from backend.jobs.views import JobView
from backend.processes import job_outcomes
from backend.processes.lookup import job_reference_for, status_of

CANCEL_REASON = "Cancelled by the customer in chat"
T = TypeVar("T")


class CustomerAction(BackendAction, ABC):
    roles = (Role.CUSTOMER,)


async def on_job(fn: Callable[..., T], actor: Actor, *, reference: str, **kwargs: Any) -> T:
    """Run the job use case ``fn`` on the job a reference leads to: customers
    know the SR- number we gave them, the job use cases take JB- numbers, and
    the core says which job a request or ticket became."""
    job_ref = await call(job_reference_for, actor, reference=reference)
    return await call(fn, actor, job_ref=job_ref, **kwargs)


# --- replies built from backend views (response names + variables only) -----------

def cover_reply(ent: Entitlement, product: str | None = None) -> Reply:
    item = f"{ent.product or product or ''} ({ent.serial})".strip()
    if not ent.known_item:
        return say("utter_serial_unknown", serial=ent.serial or "-")
    if not ent.covered:
        return say("utter_not_covered", item_label=item)
    until = date_text(ent.valid_until)
    if ent.cover == "MANUFACTURER_WARRANTY":
        return say("utter_covered_by_manufacturer_warranty", item_label=item, valid_until=until)
    name = "utter_covered_labour_and_parts" if ent.covers_parts else "utter_covered_labour_only"
    return say(name, item_label=item, cover_type=ent.cover, contract_ref=ent.contract_number or "", valid_until=until)


def job_status_reply(view: JobView) -> Reply:
    state = str(view.state)
    if state == "resolved" and view.estimate_state == "pending":
        state = "resolved_estimate_pending"
    return say(f"utter_job_status_{state}", job_ref=view.number, visit_at=when_text(view.scheduled_start),
               technician=view.technician_name or "-", estimate_amount=money_text(view.estimate_amount),
               invoice_ref=view.invoice_number or "-")


def invoice_reply(view: InvoiceView) -> Reply:
    name = "utter_invoice_status_paid" if view.outstanding <= 0 else "utter_invoice_status"
    return say(name, invoice_ref=view.number, issued_on=date_text(view.issued_on), due_on=date_text(view.due_on),
               total=money_text(view.total), paid=money_text(view.paid), outstanding=money_text(view.outstanding))


def request_reply(view: RequestView) -> Reply:
    if view.kind == "ticket" and view.ticket_answer:  # "any reply to my question?": the answer itself
        return say("utter_request_status_ticket_answered", request_ref=view.number, ticket_answer=view.ticket_answer)
    if view.kind == "ticket":
        return say("utter_request_status_ticket", request_ref=view.number, ticket_state=view.ticket_state or "-")
    return say(f"utter_request_status_{view.kind}", request_ref=view.number)


# --- A: raise, check ---------------------------------------------------------------

class ActionRaiseRequest(CustomerAction):
    resets = ("product", "serial_number", "problem", "site", "preferred_slot", "confirmed")

    def name(self) -> str:
        return "action_raise_request"

    async def act(self, tracker: Tracker, actor: Actor) -> Reply:
        if tracker.get_slot("confirmed") is False:
            return say("utter_request_not_raised")
        serial, slot = slot_text(tracker, "serial_number"), slot_text(tracker, "preferred_slot")
        view = await call(
            raise_request, actor, want="service", problem=problem_note(tracker),
            serial=None if serial in (None, UNKNOWN) else serial,
            preferred_at=parse_label(slot, runtime.get().zone) if slot else None,
            idempotency_key=idempotency_key(tracker))
        if view.job_number:
            return say("utter_request_raised", request_ref=view.number, job_ref=view.job_number).set(
                "reference", view.job_number)
        name = "utter_request_raised_ticket" if view.kind == "ticket" else "utter_request_raised_other"
        return say(name, request_ref=view.number).set("reference", view.number)


def problem_note(tracker: Tracker) -> str:
    """The problem as the help desk reads it, with what the form collected beside it.

    raise_request takes a site id and no product; until it accepts the typed
    site and product, they travel in the problem text.
    """
    lines = [slot_text(tracker, "problem") or "-"]
    for label, slot in (("Product", "product"), ("Site", "site")):
        if value := slot_text(tracker, slot):
            lines.append(f"{label}: {value}")
    return "\n".join(lines)


class ActionCheckRequestStatus(CustomerAction):
    def name(self) -> str:
        return "action_check_request_status"

    async def act(self, tracker: Tracker, actor: Actor) -> Reply:
        view = await call(status_of, actor, reference=slot_text(tracker, "reference") or "")
        if isinstance(view, JobView):
            return job_status_reply(view)
        if isinstance(view, InvoiceView):
            return invoice_reply(view)
        return request_reply(view)


# --- B: appointments, cancellation, estimates, feedback -------------------------------

class ActionRescheduleAppointment(CustomerAction):
    response = "utter_appointment_rescheduled"
    resets = ("preferred_slot",)

    def name(self) -> str:
        return "action_reschedule_appointment"

    async def act(self, tracker: Tracker, actor: Actor) -> Reply:
        start, end = visit_slot(parse_label(slot_text(tracker, "preferred_slot") or "", runtime.get().zone))
        try:
            view = await on_job(jobs.reschedule_job, actor, reference=slot_text(tracker, "reference") or "",
                                start=start, end=end)
        except DomainError as exc:
            if exc.code == ErrorCode.ILLEGAL_TRANSITION and exc.details.get("current") == "new":
                return offer_person(say("utter_appointment_not_yet_scheduled", job_ref=tracker.get_slot("reference")),
                                    "booking_needs_person")
            raise
        return say(self.response, job_ref=view.number, visit_at=when_text(view.scheduled_start))


class ActionBookAppointment(ActionRescheduleAppointment):
    """Booking = choosing the time of the visit the help desk has planned.

    The backend lets a customer move a planned appointment (reschedule_job);
    a request with no visit planned yet goes to a person (no customer-side
    booking function exists).
    """

    response = "utter_appointment_booked"

    def name(self) -> str:
        return "action_book_appointment"


class ActionCancelRequest(CustomerAction):
    resets = ("confirmed",)

    def name(self) -> str:
        return "action_cancel_request"

    async def act(self, tracker: Tracker, actor: Actor) -> Reply:
        if tracker.get_slot("confirmed") is not True:
            return say("utter_cancel_kept")
        view = await on_job(job_outcomes.cancel_job, actor, reference=slot_text(tracker, "reference") or "",
                            reason=CANCEL_REASON)
        return say("utter_request_cancelled", job_ref=view.number)


class ActionAcceptEstimate(CustomerAction):
    def name(self) -> str:
        return "action_accept_estimate"

    async def act(self, tracker: Tracker, actor: Actor) -> Reply:
        view = await on_job(jobs.accept_estimate, actor, reference=slot_text(tracker, "reference") or "")
        return say("utter_estimate_accepted", job_ref=view.number, estimate_amount=money_text(view.estimate_amount))


class ActionRejectEstimate(CustomerAction):
    def name(self) -> str:
        return "action_reject_estimate"

    async def act(self, tracker: Tracker, actor: Actor) -> Reply:
        view = await on_job(jobs.reject_estimate, actor, reference=slot_text(tracker, "reference") or "")
        return say("utter_estimate_rejected", job_ref=view.number)


class ActionGiveFeedback(CustomerAction):
    resets = ("rating", "comment")

    def name(self) -> str:
        return "action_give_feedback"

    async def act(self, tracker: Tracker, actor: Actor) -> Reply:
        rating, comment = int(tracker.get_slot("rating")), slot_text(tracker, "comment")
        view = await on_job(jobs.give_feedback, actor, reference=slot_text(tracker, "reference") or "",
                            rating=rating, comment=None if (comment or "").lower() in SKIP_WORDS else comment)
        return say("utter_feedback_thanks", job_ref=view.number, rating=rating)


# --- cover, contracts, repairs, money -------------------------------------------------

class ActionCheckCoverage(CustomerAction):
    resets = ("serial_number",)

    def name(self) -> str:
        return "action_check_coverage"

    async def act(self, tracker: Tracker, actor: Actor) -> Reply:
        serial = slot_text(tracker, "serial_number")
        if serial in (None, UNKNOWN):
            return say("utter_entitlement_needs_serial")
        ent = await call(check_entitlement, actor, serial=serial)
        return cover_reply(ent, slot_text(tracker, "product"))


class ActionRenewContract(CustomerAction):
    """Process C has no renewal use case yet: the renewal starts as a contract
    request through intake, which classifies it for the help desk."""

    def name(self) -> str:
        return "action_renew_contract"

    async def act(self, tracker: Tracker, actor: Actor) -> Reply:
        contract = slot_text(tracker, "reference") or "-"
        view = await call(raise_request, actor, want="contract", problem=f"Renewal of contract {contract}",
                          idempotency_key=idempotency_key(tracker))
        return say("utter_renewal_requested", contract_ref=contract, request_ref=view.number)


class ActionRequestRepair(CustomerAction):
    """Process E has no use case yet: the repair starts as a repair request
    through intake (the request is classified as ``repair``)."""

    resets = ("product", "serial_number", "problem")

    def name(self) -> str:
        return "action_request_repair"

    async def act(self, tracker: Tracker, actor: Actor) -> Reply:
        serial = slot_text(tracker, "serial_number")
        view = await call(raise_request, actor, want="repair", problem=problem_note(tracker),
                          serial=None if serial in (None, UNKNOWN) else serial,
                          idempotency_key=idempotency_key(tracker))
        return say("utter_repair_requested", request_ref=view.number, product=slot_text(tracker, "product") or "-")


class ActionCheckOutstanding(CustomerAction):
    MAX_LINES = 10

    def name(self) -> str:
        return "action_check_outstanding"

    async def act(self, tracker: Tracker, actor: Actor) -> Reply:
        unpaid = [i for i in await call(list_invoices, actor) if i.outstanding > 0]
        if not unpaid:
            return say("utter_outstanding_none")
        total = sum((i.outstanding for i in unpaid), Decimal(0))
        reply = say("utter_outstanding_total", invoice_count=len(unpaid), total_due=money_text(total))
        for inv in sorted(unpaid, key=lambda i: i.due_on)[: self.MAX_LINES]:
            reply.say("utter_outstanding_line", invoice_ref=inv.number, issued_on=date_text(inv.issued_on),
                      outstanding=money_text(inv.outstanding), due_on=date_text(inv.due_on))
        return reply
