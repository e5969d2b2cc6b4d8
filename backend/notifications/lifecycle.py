"""A delivery's states and the moves allowed between them.

Its history is ``delivery_attempts`` (one row per try), not the state
history: a busy outbox would drown the process journeys."""

from backend.lifecycle import Lifecycle
from backend.notifications.models import Delivery, DeliveryState as D

DELIVERY_MOVES = Lifecycle("delivery", {
    D.PENDING: {D.SENDING, D.SENT, D.SKIPPED},  # claimed; or, for the inbox, there on arrival
    D.SENDING: {D.SENT, D.FAILED, D.DEAD, D.SKIPPED, D.SENDING},  # SENDING again: a lapsed lease, re-claimed
    D.FAILED: {D.SENDING},
    D.DEAD: {D.PENDING},  # an admin sends it again
})


def can_retry(delivery: Delivery) -> bool:
    return DELIVERY_MOVES.can(delivery.state, D.PENDING)


def set_state(delivery: Delivery, target: D) -> None:
    """The one writer of a delivery's state."""
    DELIVERY_MOVES.check(delivery.state, target)
    delivery.state = str(target)
