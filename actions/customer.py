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
from actions.parsing import normalise_reference, parse_label, prefix_of
from actions.support import offer_person
from backend.billing.service import InvoiceView, list_invoices
from backend.errors import DomainError, ErrorCode
from backend.identity.actor import Actor
from backend.identity.models import Role
from backend.coverage.entitlement import Entitlement
from backend.coverage.service import ContractView, list_contracts, renew_contract
from backend.intake.service import RequestView, check_entitlement, raise_request
from backend.jobs import service as jobs
from backend.jobs.slots import visit_slot
from backend.jobs.views import JobView
from backend.processes import job_outcomes
from backend.orders.service import OrderView
from backend.processes.lookup import job_reference_for, status_of
from backend.repairs.service import RepairView, approve_repair_estimate, decline_repair_estimate

CANCEL_REASON = "Cancelled by the customer in chat"
RENEWABLE = ("active", "due_for_renewal")  # the running contracts "renew my contract" means
MAX_BUTTONS = 8
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


def repair_reply(view: RepairView) -> Reply:
    return say(f"utter_repair_status_{view.state}", repair_ref=view.number, item=view.item_description,
               estimate_amount=money_text(estimate_total(view)), invoice_ref=view.invoice_number or "-")


def estimate_total(view: RepairView) -> Decimal:
    return view.estimates[-1].total if view.estimates else Decimal(0)


def contract_reply(view: ContractView) -> Reply:
    state = str(view.state)
    if state in RENEWABLE and view.renewed_by:
        state = "renewal_pending"
    return say(f"utter_contract_status_{state}", contract_ref=view.number, contract_type=view.type_code,
               starts_on=date_text(view.starts_on), ends_on=date_text(view.ends_on),
               renewal_ref=view.renewed_by or "-")


def order_reply(view: OrderView) -> Reply:
    return say(f"utter_order_status_{view.state}", order_ref=view.number, job_ref=view.job_number or "-",
               invoice_ref=view.invoice_number or "-")


STATUS_REPLIES: dict[type, Callable[[Any], Reply]] = {
    JobView: job_status_reply, InvoiceView: invoice_reply, RepairView: repair_reply,
    ContractView: contract_reply, OrderView: order_reply}


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
        return STATUS_REPLIES.get(type(view), request_reply)(view)


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


async def answer_repair_estimate(fn: Callable[..., RepairView], actor: Actor, reference: str, response: str) -> Reply:
    """A repair order's (RO-) estimate: approved or declined through the repair use case."""
    try:
        view = await call(fn, actor, repair_ref=reference)
    except DomainError as exc:
        if exc.code == ErrorCode.ILLEGAL_TRANSITION:  # nothing is waiting for an answer
            return say("utter_repair_estimate_not_waiting", repair_ref=reference)
        raise
    return say(response, repair_ref=view.number, estimate_amount=money_text(estimate_total(view)))


class ActionAcceptEstimate(CustomerAction):
    """A job's estimate (JB-, or the SR-/TK- that led to it) or a repair's (RO-)."""

    def name(self) -> str:
        return "action_accept_estimate"

    async def act(self, tracker: Tracker, actor: Actor) -> Reply:
        reference = slot_text(tracker, "reference") or ""
        if prefix_of(reference) == "RO":
            return await answer_repair_estimate(approve_repair_estimate, actor, reference,
                                                "utter_repair_estimate_approved")
        view = await on_job(jobs.accept_estimate, actor, reference=reference)
        return say("utter_estimate_accepted", job_ref=view.number, estimate_amount=money_text(view.estimate_amount))


class ActionRejectEstimate(CustomerAction):
    def name(self) -> str:
        return "action_reject_estimate"

    async def act(self, tracker: Tracker, actor: Actor) -> Reply:
        reference = slot_text(tracker, "reference") or ""
        if prefix_of(reference) == "RO":
            return await answer_repair_estimate(decline_repair_estimate, actor, reference,
                                                "utter_repair_estimate_declined")
        view = await on_job(jobs.reject_estimate, actor, reference=reference)
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
    """C8 from the chat: renew the customer's own contract (coverage.renew_contract).

    The contract is the CT- number given; without one, the customer's one
    running contract, or a choice among several (buttons that name it). With
    no running contract to renew, the wish goes to the help desk as a request
    for a new contract, as before.
    """

    resets = ("reference",)

    def name(self) -> str:
        return "action_renew_contract"

    async def act(self, tracker: Tracker, actor: Actor) -> Reply:
        reference = normalise_reference(slot_text(tracker, "reference"))
        if prefix_of(reference) != "CT":
            running = [c for c in await call(list_contracts, actor) if c.state in RENEWABLE]
            open_ = [c for c in running if not c.renewed_by]
            if len(open_) > 1:
                return say("utter_which_contract_to_renew", buttons=[
                    {"title": f"{c.number} ({c.type_code}, {date_text(c.starts_on)} - {date_text(c.ends_on)})",
                     "payload": f'/renew_contract{{"reference": "{c.number}"}}'} for c in open_[:MAX_BUTTONS]])
            if not running:
                return await self.new_contract(tracker, actor)
            reference = (open_ or running)[0].number
        try:
            view = await call(renew_contract, actor, contract_ref=reference, idempotency_key=idempotency_key(tracker))
        except DomainError as exc:
            return renewal_refused(exc, reference)
        return say("utter_renewal_started", contract_ref=view.renewal_of or reference, renewal_ref=view.number,
                   starts_on=date_text(view.starts_on), ends_on=date_text(view.ends_on))

    @staticmethod
    async def new_contract(tracker: Tracker, actor: Actor) -> Reply:
        view = await call(raise_request, actor, want="contract", problem="A new contract (asked to renew in chat)",
                          idempotency_key=idempotency_key(tracker))
        return say("utter_no_contract_to_renew", request_ref=view.number)


def renewal_refused(exc: DomainError, contract_ref: str) -> Reply:
    renewal = exc.details.get("renewal")
    if exc.code == ErrorCode.ALREADY_DONE and renewal:
        return say("utter_renewal_already_done", contract_ref=contract_ref, renewal_ref=renewal)
    if exc.code == ErrorCode.NOT_FOUND:
        return say("utter_renewal_contract_not_found", contract_ref=contract_ref)
    if exc.code == ErrorCode.ILLEGAL_TRANSITION:
        return say("utter_renewal_not_running", contract_ref=contract_ref)
    raise exc


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
