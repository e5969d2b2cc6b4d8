"""Who receives a notice, and on which channels.

A notice for a user (a technician, an agent, a manager) goes to that user;
a notice for a customer goes to each of the customer's logins, or, when
the customer has none, to the customer's own e-mail address. Every user
gets it in the portal inbox; the other channels follow the user's
preferences: a channel turned off, or reminders turned off, is left out,
except that documents the customer must receive always go by e-mail.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.customers.models import Customer
from backend.delivery.channels import INBOX
from backend.identity.models import User
from backend.notifications.models import ChannelPreference, Notification

REMINDERS = frozenset({"renewal_reminder", "payment_reminder", "appointment_reminder"})
# What the process card says is *sent* to the customer (B9, C3, C5, C6, D3, E7).
DOCUMENTS = frozenset({"final_bill", "contract_offer", "order_acceptance", "contract_invoice", "order_invoice",
                       "repair_ready"})
# A user's own account (backend.processes.signup): the link is in the e-mail, whatever the choices.
ACCOUNT = frozenset({"verify_email", "password_reset"})
WEBHOOK = "webhook"


@dataclass(frozen=True)
class Target:
    channel: str
    recipient: str  # user:<id>, or customer:<id> for a customer with no login
    user_id: int | None = None
    address: str | None = None


def targets(s: Session, notice: Notification, channels: set[str]) -> list[Target]:
    """The deliveries a notice fans out into, given the channels this system has."""
    users = _users(s, notice)
    found: list[Target] = []
    prefs = _preferences(s, [u.id for u in users])
    for user in users:
        recipient = f"user:{user.id}"
        found.append(Target(INBOX, recipient, user.id))
        for channel in sorted(channels - {INBOX}):
            if wanted(notice.event, channel, prefs.get((user.id, channel))):
                found.append(Target(channel, recipient, user.id, _address(channel, user.email, user.phone)))
    if not users and notice.customer_id is not None:
        customer = s.get(Customer, notice.customer_id)
        for channel in sorted(channels & {"email", WEBHOOK}) if customer is not None else ():
            address = _address(channel, customer.email, customer.phone)
            if address:
                found.append(Target(channel, f"customer:{customer.id}", None, address))
    return found


def _address(channel: str, email: str | None, phone: str | None) -> str | None:
    """Where a channel reaches a person: the e-mail address, or the phone
    number a webhook hands to an SMS or WhatsApp gateway."""
    return {"email": email, WEBHOOK: phone}.get(channel)


def wanted(event: str, channel: str, pref: ChannelPreference | None) -> bool:
    """Whether a user's preference lets this notice through on this channel."""
    if pref is None:
        return True
    if event in (DOCUMENTS | ACCOUNT) and channel == "email":
        return True  # a bill or a contract is never opted out of, nor the link to one's own account
    if not pref.enabled:
        return False
    return pref.reminders or event not in REMINDERS


def _users(s: Session, notice: Notification) -> list[User]:
    if notice.user_id is not None:
        user = s.get(User, notice.user_id)
        return [user] if user is not None and user.active else []
    if notice.customer_id is not None:
        return list(s.scalars(select(User).where(User.customer_id == notice.customer_id, User.active.is_(True))
                              .order_by(User.id)))
    return []


def _preferences(s: Session, user_ids: list[int]) -> dict[tuple[int, str], ChannelPreference]:
    if not user_ids:
        return {}
    rows = s.scalars(select(ChannelPreference).where(ChannelPreference.user_id.in_(user_ids)))
    return {(p.user_id, p.channel): p for p in rows}
