"""Technician actions (process B from the technician's side) and their forms."""

from __future__ import annotations

from abc import ABC
from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.base import BackendAction, Reply, call, error_reply, idempotency_key, money_text, say, slot_text, unexpected_reply, when_text
from actions.forms import Slots, TechnicianFormValidation, log
from actions.parsing import expense_category, parse_quantity
from backend.catalog.service import list_parts
from backend.errors import DomainError
from backend.identity.actor import Actor
from backend.identity.models import Role
from backend.jobs import service as jobs
from backend.processes import job_outcomes

MAX_PART_CHOICES = 6


class TechnicianAction(BackendAction, ABC):
    roles = (Role.TECHNICIAN,)
    anonymous_response = "utter_login_required"


def job_ref(tracker: Tracker) -> str:
    return slot_text(tracker, "reference") or ""


class ActionListMyJobs(TechnicianAction):
    def name(self) -> str:
        return "action_list_my_jobs"

    async def act(self, tracker: Tracker, actor: Actor) -> Reply:
        views = await call(jobs.list_technician_jobs, actor)
        if not views:
            return say("utter_no_jobs_today")
        reply = say("utter_jobs_today_count", job_count=len(views))
        for v in views:
            reply.say("utter_job_line", job_ref=v.number, visit_at=when_text(v.scheduled_start),
                      problem=v.problem.splitlines()[0][:120], state=v.state)
        return reply


class ActionConfirmJob(TechnicianAction):
    def name(self) -> str:
        return "action_confirm_job"

    async def act(self, tracker: Tracker, actor: Actor) -> Reply:
        view = await call(jobs.confirm_job, actor, job_ref=job_ref(tracker))
        return say("utter_job_confirmed", job_ref=view.number)


class ActionRequestAdvance(TechnicianAction):
    resets = ("amount", "purpose")

    def name(self) -> str:
        return "action_request_advance"

    async def act(self, tracker: Tracker, actor: Actor) -> Reply:
        view = await call(jobs.request_advance, actor, job_ref=job_ref(tracker),
                          amount=slot_text(tracker, "amount"), purpose=slot_text(tracker, "purpose") or "",
                          idempotency_key=idempotency_key(tracker))
        return say("utter_advance_requested", job_ref=view.job_number, advance_amount=money_text(view.amount))


class ActionReportArrival(TechnicianAction):
    def name(self) -> str:
        return "action_report_arrival"

    async def act(self, tracker: Tracker, actor: Actor) -> Reply:
        view = await call(jobs.report_arrival, actor, job_ref=job_ref(tracker))
        return say("utter_arrival_recorded", job_ref=view.number, arrived_at=when_text(view.arrived_at))


class ActionReportPartsUsed(TechnicianAction):
    resets = ("part", "part_sku", "quantity")

    def name(self) -> str:
        return "action_report_parts_used"

    async def act(self, tracker: Tracker, actor: Actor) -> Reply:
        qty = slot_text(tracker, "quantity")
        view = await call(jobs.add_parts_used, actor, job_ref=job_ref(tracker),
                          part_sku=slot_text(tracker, "part_sku") or "", qty=qty,
                          idempotency_key=idempotency_key(tracker))
        return say("utter_parts_recorded", job_ref=view.number, quantity_used=qty,
                   part_name=slot_text(tracker, "part") or "-")


class ActionCompleteJob(TechnicianAction):
    resets = ("service_done",)

    def name(self) -> str:
        return "action_complete_job"

    async def act(self, tracker: Tracker, actor: Actor) -> Reply:
        view = await call(job_outcomes.resolve_job, actor, job_ref=job_ref(tracker),
                          service_notes=slot_text(tracker, "service_done") or "")
        if view.estimate_amount and view.estimate_amount > 0:
            return say("utter_job_resolved_with_estimate", job_ref=view.number,
                       estimate_amount=money_text(view.estimate_amount))
        return say("utter_job_resolved", job_ref=view.number)


class ActionSubmitExpenseClaim(TechnicianAction):
    """One line per chat claim; the category is read from the description
    (travel, food, lodging, local purchase, other). Bills are uploaded in the app."""

    resets = ("amount", "purpose")

    def name(self) -> str:
        return "action_submit_expense_claim"

    async def act(self, tracker: Tracker, actor: Actor) -> Reply:
        purpose = slot_text(tracker, "purpose") or ""
        line = {"category": expense_category(purpose), "description": purpose, "amount": slot_text(tracker, "amount")}
        view = await call(jobs.submit_expense_claim, actor, job_ref=job_ref(tracker), lines=[line],
                          idempotency_key=idempotency_key(tracker))
        total = sum((ln.amount for ln in view.lines), 0)
        return say("utter_expense_submitted", claim_ref=view.number, claim_amount=money_text(total),
                   category=line["category"], job_ref=view.job_number)


# --- forms ---------------------------------------------------------------------------

class ValidateConfirmJobForm(TechnicianFormValidation):
    def name(self) -> str:
        return "validate_confirm_job_form"


class ValidateArrivalForm(TechnicianFormValidation):
    def name(self) -> str:
        return "validate_arrival_form"


class ValidateAdvanceForm(TechnicianFormValidation):
    def name(self) -> str:
        return "validate_advance_form"

    def validate_purpose(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                         domain: dict) -> Slots:
        return self.free_text("purpose", value, 200)


class ValidateExpenseForm(ValidateAdvanceForm):
    def name(self) -> str:
        return "validate_expense_form"


class ValidateCompletionForm(TechnicianFormValidation):
    def name(self) -> str:
        return "validate_completion_form"

    def validate_service_done(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                              domain: dict) -> Slots:
        return self.free_text("service_done", value, 4000)


class ValidatePartsForm(TechnicianFormValidation):
    """The part is looked up in stock by name or code (one backend call); several
    matches are offered as buttons."""

    def name(self) -> str:
        return "validate_parts_form"

    async def validate_part(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                            domain: dict) -> Slots:
        text = str(value or "").strip()
        try:
            parts = await call(list_parts, self.actor(tracker), search=text[:100]) if text else []
        except DomainError as exc:
            error_reply(exc).send(dispatcher)
            return {"part": None, "part_sku": None}
        except Exception:
            log.exception("parts lookup failed")
            unexpected_reply().send(dispatcher)
            return {"part": None, "part_sku": None}
        exact = [p for p in parts if text.lower() in (p.sku.lower(), p.name.lower())]
        if len(exact) == 1 or len(parts) == 1:
            part = (exact or parts)[0]
            return {"part": part.name, "part_sku": part.sku}
        if not parts:
            dispatcher.utter_message(response="utter_invalid_part", part_text=text)
        else:
            buttons = [{"title": p.name, "payload": f'/inform{{"part": "{p.sku}"}}'} for p in parts[:MAX_PART_CHOICES]]
            dispatcher.utter_message(response="utter_which_part", part_text=text, buttons=buttons)
        return {"part": None, "part_sku": None}

    def validate_quantity(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                          domain: dict) -> Slots:
        qty = parse_quantity(str(value or ""))
        if qty is None:
            dispatcher.utter_message(response="utter_invalid_quantity")
            return {"quantity": None}
        return {"quantity": format(qty.normalize(), "f")}
