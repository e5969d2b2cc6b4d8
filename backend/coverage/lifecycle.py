"""Process C: a contract's states and the moves allowed between them.

Acceptance of an offer makes the contract ``active`` at once (its period may
start later: a renewal starts the day after the old one ends), so the
entitlement check needs only status and dates.
"""

from backend.coverage.models import ContractOffer, ContractState as S, OfferState as O, VisitState as V
from backend.lifecycle import Lifecycle

CONTRACT_MOVES = Lifecycle("contract", {
    S.INQUIRY: {S.OFFER_SENT},
    S.OFFER_SENT: {S.OFFER_SENT, S.ACTIVE, S.REJECTED},  # re-offer, accept, reject
    S.REJECTED: {S.OFFER_SENT},  # re-offer after a rejection
    S.ACTIVE: {S.DUE_FOR_RENEWAL, S.RENEWED, S.EXPIRED},
    S.DUE_FOR_RENEWAL: {S.RENEWED, S.EXPIRED},
})

# An offer (or re-offer) of a contract: the customer accepts or rejects it,
# or a newer offer supersedes it.
OFFER_MOVES = Lifecycle("contract offer", {
    O.SENT: {O.ACCEPTED, O.REJECTED, O.SUPERSEDED},
})

# A planned visit of the delivery plan (C2, C7): drafted with an offer and
# planned when it is accepted (or removed by staff, or by a re-offer for
# another period); its job is created, then it is done, or carried over
# (partly done or cancelled) to a new visit. Only a draft or planned visit
# can be removed.
VISIT_MOVES = Lifecycle("planned visit", {
    V.DRAFT: {V.PLANNED, V.REMOVED},
    V.PLANNED: {V.SCHEDULED, V.REMOVED},
    V.SCHEDULED: {V.DONE, V.CARRIED_OVER},
})


def can_answer_offer(offer: ContractOffer) -> bool:
    return OFFER_MOVES.can(offer.state, O.ACCEPTED)
