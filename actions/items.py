"""A customer registers an item they bought ("I bought a new AC, serial AC-12345,
bought on 3 Nov"): ``item_form`` collects the product (from the catalogue),
the serial and the purchase day; ``action_register_item`` makes the one call,
``backend.catalog.items.register_item``, and answers with the warranty cover
the item now has. Refusals the customer can fix (a serial already registered,
a product or date the core refuses) clear that one answer and ask again.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import date
from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import FollowupAction
from rasa_sdk.executor import CollectingDispatcher

from actions import runtime
from actions.base import Reply, call, date_text, error_reply, idempotency_key, say, slot_text, unexpected_reply
from actions.customer import CustomerAction
from actions.forms import UNKNOWN, ChatFormValidation, Slots, log
from actions.parsing import WhenError, parse_past_day
from backend.catalog.items import register_item
from backend.catalog.service import ItemView, ProductView, list_products
from backend.errors import DomainError, ErrorCode
from backend.identity.actor import Actor

FORM = "item_form"
ITEM_SLOTS = ("product", "serial_number", "purchase_date")
MAX_BUTTONS = 10
# what people call a product -> words of the catalogue's names and categories
ALIASES = {"ac": "air conditioner", "a/c": "air conditioner", "aircon": "air conditioner",
           "fridge": "refrigerator", "frige": "refrigerator", "frig": "refrigerator", "tv": "television",
           "washer": "washing machine", "oven": "microwave", "purifier": "water purifier", "heater": "geyser"}
FILLER = {"a", "an", "the", "my", "new", "one", "i", "bought", "it", "is", "of", "for", "to", "and", "naya", "ek"}


# --- which catalogue product a customer means (pure: tested on its own) --------------

def _words(text: str) -> list[str]:
    return re.findall(r"[a-z0-9/]+", text.lower().replace("_", " ").replace("-", " "))


def match_products(text: str | None, products: Iterable[ProductView]) -> list[ProductView]:
    """The products the text names: an exact SKU; else those whose name or
    category holds the most of its words (aliases expanded); none if no word fits."""
    products = list(products)
    wanted = (text or "").strip()
    exact = [p for p in products if p.sku.lower() == wanted.lower() or p.name.lower() == wanted.lower()]
    if exact:
        return exact
    words = [w for word in _words(wanted) for w in _words(ALIASES.get(word, word)) if w not in FILLER]
    best, score = [], 0
    for p in products:
        haystack = set(_words(f"{p.sku} {p.name} {p.category}"))
        found = sum(1 for w in words if w in haystack or (len(w) > 3 and any(h.startswith(w) for h in haystack)))
        if found > score:
            best, score = [p], found
        elif found == score and found:
            best.append(p)
    return best


def product_buttons(products: Iterable[ProductView]) -> list[dict[str, str]]:
    return [{"title": p.name, "payload": f'/inform{{"product": "{p.sku}"}}'} for p in list(products)[:MAX_BUTTONS]]


# --- the form ---------------------------------------------------------------------

class ValidateItemForm(ChatFormValidation):
    """Product (a catalogue SKU), serial (required), purchase day (not in the future)."""

    reference_is_subject = False

    def name(self) -> str:
        return "validate_item_form"

    async def validate_product(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                               domain: dict) -> Slots:
        actor = self.actor(tracker)
        try:
            products = await call(list_products, actor)
        except DomainError as exc:
            error_reply(exc).send(dispatcher)
            return {"product": None}
        except Exception:
            log.exception("listing products failed")
            unexpected_reply().send(dispatcher)
            return {"product": None}
        found = match_products(str(value or ""), products)
        if len(found) == 1:
            return {"product": found[0].sku}
        name = "utter_item_product_which" if found else "utter_item_product_unknown"
        dispatcher.utter_message(response=name, buttons=product_buttons(found or products))
        return {"product": None}

    def validate_serial_number(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                               domain: dict) -> Slots:
        slots = super().validate_serial_number(value, dispatcher, tracker, domain)
        if slots["serial_number"] in (None, UNKNOWN):
            dispatcher.utter_message(response="utter_item_serial_needed")
            return {"serial_number": None}
        return slots

    def validate_purchase_date(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                               domain: dict) -> Slots:
        try:
            day = parse_past_day(str(value or ""), runtime.get().now().date())
        except WhenError as exc:
            name = "utter_purchase_date_in_future" if exc.reason == "future" else "utter_invalid_purchase_date"
            dispatcher.utter_message(response=name)
            return {"purchase_date": None}
        return {"purchase_date": day.isoformat()}


class ActionAskItemFormProduct(CustomerAction):
    """Asks which product, with the catalogue as buttons."""

    def name(self) -> str:
        return "action_ask_item_form_product"

    async def act(self, tracker: Tracker, actor: Actor) -> Reply:
        return say("utter_ask_item_form_product", buttons=product_buttons(await call(list_products, actor)))


# --- the submit action --------------------------------------------------------------

class ActionRegisterItem(CustomerAction):
    def name(self) -> str:
        return "action_register_item"

    async def act(self, tracker: Tracker, actor: Actor) -> Reply:
        serial, bought = slot_text(tracker, "serial_number") or "", slot_text(tracker, "purchase_date")
        try:
            view = await call(register_item, actor, customer_id=actor.customer_id,
                              product_sku=slot_text(tracker, "product") or "", serial=serial,
                              purchased_on=date.fromisoformat(bought) if bought else None,
                              idempotency_key=idempotency_key(tracker))
        except DomainError as exc:
            return item_refused(exc, serial)
        return cleared(cover_of(view, runtime.get().now().date()))


def cover_of(view: ItemView, today: date) -> Reply:
    """What the registration gave: the manufacturer's warranty until a day, or none."""
    item = dict(product_name=view.product_name, serial=view.serial)
    if view.warranty_until is None:
        return say("utter_item_registered_no_warranty", **item)
    if view.warranty_until < today:
        return say("utter_item_registered_warranty_ended", **item, valid_until=date_text(view.warranty_until))
    return say("utter_item_registered_under_warranty", **item, valid_until=date_text(view.warranty_until))


# the refusals the customer can put right: the answer to give, the slot to ask again
ASK_AGAIN = {"unknown_product": ("utter_item_product_unknown", "product"),
             "future_date": ("utter_purchase_date_in_future", "purchase_date"),
             "bad_date": ("utter_invalid_purchase_date", "purchase_date"),
             "bad_serial": ("utter_item_serial_unreadable", "serial_number"),
             "taken": ("utter_item_serial_taken", "serial_number")}


def item_refused(exc: DomainError, serial: str) -> Reply:
    reason = str(exc.details.get("reason") or "")
    if exc.code == ErrorCode.DUPLICATE:
        if exc.details.get("existing"):  # shown to a customer only when the item is already theirs
            return cleared(say("utter_item_already_yours", serial=exc.details.get("serial") or serial))
        reason = "taken"
    again = ASK_AGAIN.get(reason) if exc.code in (ErrorCode.DUPLICATE, ErrorCode.INVALID_INPUT) else None
    if again is None:
        return cleared(error_reply(exc))
    response, slot = again
    reply = say(response, serial=serial).set(slot, None)
    reply.events.append(FollowupAction(FORM))
    return reply


def cleared(reply: Reply) -> Reply:
    for slot in ITEM_SLOTS:
        reply.set(slot, None)
    return reply
