"""Process B: the job's states and the one table of moves allowed between them."""

from backend.jobs.models import (
    Advance, AdvanceState as A, ClaimLineState as L, ClaimState as C, EstimateState as E, ExpenseLine, Job,
    JobState as S,
)
from backend.lifecycle import Lifecycle

JOB_MOVES = Lifecycle("job", {
    S.NEW: {S.SCHEDULED, S.CANCELLED},
    S.SCHEDULED: {S.SCHEDULED, S.CONFIRMED, S.CANCELLED},
    S.CONFIRMED: {S.SCHEDULED, S.ADVANCE_REQUESTED, S.RELEASED, S.CANCELLED},
    S.ADVANCE_REQUESTED: {S.ADVANCE_SANCTIONED, S.CONFIRMED, S.CANCELLED},
    S.ADVANCE_SANCTIONED: {S.RELEASED, S.CANCELLED},
    S.RELEASED: {S.IN_PROGRESS, S.CANCELLED},
    S.IN_PROGRESS: {S.RESOLVED},
    S.RESOLVED: {S.FEEDBACK, S.BILLED, S.CLOSED},
    S.FEEDBACK: {S.BILLED, S.CLOSED},
    S.BILLED: {S.SETTLED, S.RESOLVED},  # paid; or its invoice cancelled: to be billed again
})

# States in which the technician has been on site: expenses may be claimed.
WORKED = {S.IN_PROGRESS, S.RESOLVED, S.FEEDBACK, S.BILLED, S.CLOSED, S.SETTLED}
# Jobs that occupy a technician's calendar.
ACTIVE = {S.SCHEDULED, S.CONFIRMED, S.ADVANCE_REQUESTED, S.ADVANCE_SANCTIONED, S.RELEASED, S.IN_PROGRESS}
BOOKED = ACTIVE - {S.IN_PROGRESS}  # an appointment still to come: the customer may confirm it
# Jobs with nothing left to do: not shown among a customer's open business.
FINISHED = frozenset({S.CLOSED, S.SETTLED, S.CANCELLED})


# The estimate the customer answers (B7): raised when the job resolves with
# something billable; an agreed charge is billed, a rejected one blocks billing,
# and one still waiting for the answer blocks it too, unless an agent or manager
# records an override with the reason (``overridden``: who and why, in the history).
ESTIMATE_MOVES = Lifecycle("estimate", {
    E.NONE: {E.PENDING},
    E.PENDING: {E.ACCEPTED, E.REJECTED, E.OVERRIDDEN},
})
# The estimate states that let a job be billed: nothing to answer, agreed, or overridden.
BILLABLE_ESTIMATE = frozenset({E.NONE, E.ACCEPTED, E.OVERRIDDEN})


def can_answer_estimate(job: Job) -> bool:
    """Whether the customer (or staff for them) may accept or reject the estimate."""
    return ESTIMATE_MOVES.can(job.estimate_state, E.ACCEPTED)


def can_override_estimate(job: Job) -> bool:
    """Whether staff may record an override of an estimate still waiting for the customer."""
    return ESTIMATE_MOVES.can(job.estimate_state, E.OVERRIDDEN)


def can_bill(job: Job) -> bool:
    """Whether the job may be billed now: resolved, and its estimate answered (or overridden)."""
    return JOB_MOVES.can(job.state, S.BILLED) and job.estimate_state in BILLABLE_ESTIMATE


# B3: a technician's advance, sanctioned (cash goes out) or refused.
ADVANCE_MOVES = Lifecycle("advance", {
    A.REQUESTED: {A.SANCTIONED, A.REJECTED},
})

# B8: each bill of an expense claim is passed or rejected by the manager ...
CLAIM_LINE_MOVES = Lifecycle("expense bill", {
    L.PENDING: {L.PASSED, L.REJECTED},
})

# ... and the claim is decided when its last bill is.
CLAIM_MOVES = Lifecycle("expense claim", {
    C.SUBMITTED: {C.PASSED, C.PART_PASSED, C.REJECTED},
})


def can_decide_advance(advance: Advance) -> bool:
    return ADVANCE_MOVES.can(advance.state, A.SANCTIONED)


def can_decide_bill(line: ExpenseLine) -> bool:
    return CLAIM_LINE_MOVES.can(line.state, L.PASSED)
