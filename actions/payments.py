"""Money in by chat: a customer asks how to pay an invoice (the payment
page, the amount due and the UPI QR code), and a technician reports money
collected at the door ("collected 1,200 cash for JB-…")."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.base import Reply, call, idempotency_key, money_text, say, slot_text
from actions.customer import CustomerAction
from actions.customer_forms import ValidateOutstandingForm
from actions.forms import Slots, TechnicianFormValidation
from actions.technician import TechnicianAction, job_ref
from backend.banking.paylinks import payment_instructions
from backend.billing.service import list_invoices
from backend.identity.actor import Actor
from backend.processes import collections
from backend.references import normalise

MAX_INVOICES = 3  # unpaid invoices offered at once when none is named

# What people call the two ways a technician takes money at the door.
METHOD_WORDS = {
    "cash": ("cash", "nakad", "naqad", "nagad", "notes", "hand"),
    "upi": ("upi", "gpay", "google pay", "phonepe", "phone pe", "paytm", "bhim", "qr", "scan", "online"),
}


def payment_method(text: str) -> str | None:
    t = (text or "").lower()
    found = {m for m, words in METHOD_WORDS.items() if any(w in t for w in words)}
    return found.pop() if len(found) == 1 else None


class ActionPayInvoice(CustomerAction):
    """ "How do I pay INV-…": the invoice's payment page, what is due and its
    UPI QR code; without an invoice named, the same for each unpaid one."""

    def name(self) -> str:
        return "action_pay_invoice"

    async def act(self, tracker: Tracker, actor: Actor) -> Reply:
        named = normalise(slot_text(tracker, "reference") or "")
        if named and named.startswith("INV-"):
            numbers = [named]
        else:
            unpaid = [i for i in await call(list_invoices, actor) if i.outstanding > 0 and i.state == "open"]
            if not unpaid:
                return say("utter_outstanding_none")
            numbers = [i.number for i in sorted(unpaid, key=lambda i: i.due_on)[:MAX_INVOICES]]
        reply = Reply()
        for number in numbers:
            how = await call(payment_instructions, actor, invoice_ref=number)
            reply.say("utter_pay_invoice", invoice_ref=how.invoice_number, amount_due=money_text(how.amount_due),
                      pay_url=how.url)
            reply.say("utter_pay_invoice_qr", image=how.qr_png_url)
        return reply.say("utter_pay_invoice_report")


class ActionRecordCollection(TechnicianAction):
    resets = ("amount", "payment_method")

    def name(self) -> str:
        return "action_record_collection"

    async def act(self, tracker: Tracker, actor: Actor) -> Reply:
        view = await call(collections.record_collection, actor, job_ref=job_ref(tracker),
                          amount=slot_text(tracker, "amount"), method=slot_text(tracker, "payment_method") or "",
                          idempotency_key=idempotency_key(tracker))
        name = "utter_collection_recorded_cash" if view.method == "cash" else "utter_collection_recorded_upi"
        return say(name, job_ref=view.job_number, amount=money_text(view.amount), receipt_ref=view.receipt_number,
                   invoice_ref=view.invoice_number, outstanding=money_text(view.invoice_outstanding))


class ValidateCollectionForm(TechnicianFormValidation):
    def name(self) -> str:
        return "validate_collection_form"

    def validate_payment_method(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                                domain: dict) -> Slots:
        method = payment_method(str(value or ""))
        if method is None:
            dispatcher.utter_message(response="utter_invalid_payment_method")
        return {"payment_method": method}


class ValidatePayForm(ValidateOutstandingForm):
    def name(self) -> str:
        return "validate_pay_form"
