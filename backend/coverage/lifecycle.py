"""Process C: a contract's states and the moves allowed between them.

Acceptance of an offer makes the contract ``active`` at once (its period may
start later: a renewal starts the day after the old one ends), so the
entitlement check needs only status and dates.
"""

from backend.coverage.models import ContractState as S
from backend.lifecycle import Lifecycle

CONTRACT_MOVES = Lifecycle("contract", {
    S.INQUIRY: {S.OFFER_SENT},
    S.OFFER_SENT: {S.OFFER_SENT, S.ACTIVE, S.REJECTED},  # re-offer, accept, reject
    S.REJECTED: {S.OFFER_SENT},  # re-offer after a rejection
    S.ACTIVE: {S.DUE_FOR_RENEWAL, S.RENEWED, S.EXPIRED},
    S.DUE_FOR_RENEWAL: {S.RENEWED, S.EXPIRED},
})
