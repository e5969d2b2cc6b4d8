"""The language a customer's notices are written in (``customers.language``):
the portal inbox, the chat push, the webhook and the e-mails all follow it."""

from __future__ import annotations

from backend.customers.models import Customer
from backend.db import UnitOfWork
from backend.errors import DomainError, ErrorCode, invalid, not_found
from backend.identity.actor import Actor
from backend.identity.models import Role
from backend.notifications.wording import LANGUAGES

LANGUAGE_NAMES = {"en": "English", "hi": "हिन्दी (Hindi)"}


def notice_language(uow: UnitOfWork, actor: Actor) -> str:
    """The actor's notice language: their customer's, or English for staff and technicians."""
    if actor.role != Role.CUSTOMER or actor.customer_id is None:
        return "en"
    with uow() as s:
        customer = s.get(Customer, actor.customer_id)
        return (customer.language if customer is not None else None) or "en"


def set_notice_language(uow: UnitOfWork, actor: Actor, *, language: str) -> str:
    """A customer chooses the language of their own notices (``en`` or ``hi``)."""
    if actor.role != Role.CUSTOMER or actor.customer_id is None:
        raise DomainError(ErrorCode.FORBIDDEN, "only a customer chooses the language of their notices")
    language = (language or "").strip().lower()
    if language not in LANGUAGES:
        raise invalid(f"choose one of {', '.join(LANGUAGES)}", field="language", allowed=list(LANGUAGES))
    with uow() as s:
        customer = s.get(Customer, actor.customer_id, with_for_update=True)
        if customer is None:
            raise not_found("customer", actor.customer_id)
        customer.language = language
        return language
