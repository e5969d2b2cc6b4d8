"""The one interface of a delivery channel, and what it is handed."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

INBOX = "inbox"  # the portal inbox: the delivery row is the message, no transport


@dataclass(frozen=True)
class Outgoing:
    """One notice for one recipient on one channel, as the transport needs it."""

    delivery_id: int
    notification_id: int
    channel: str
    event: str
    subject_type: str
    subject_id: int
    payload: dict[str, Any]
    message_id: str  # the same on every attempt: the recipient's side drops a repeat
    attempt: int
    user_id: int | None = None
    customer_id: int | None = None
    address: str | None = None
    name: str | None = None
    language: str = "en"
    extra: dict[str, Any] = field(default_factory=dict)


class TransientFailure(Exception):
    """Worth trying again later (a server down, a timeout, a 5xx)."""


class PermanentFailure(Exception):
    """Trying again will not help (an address refused, a 4xx): dead at once."""


class NotApplicable(Exception):
    """This channel has nothing to do for this recipient now (no open chat, no address)."""


class Channel(Protocol):
    name: str

    def send(self, out: Outgoing) -> None:
        """Hand the notice to the transport, or raise one of the failures above."""
