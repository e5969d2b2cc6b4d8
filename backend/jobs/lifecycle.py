"""Process B: the job's states and the one table of moves allowed between them."""

from backend.jobs.models import JobState as S
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
    S.BILLED: {S.SETTLED},
})

# States in which the technician has been on site: expenses may be claimed.
WORKED = {S.IN_PROGRESS, S.RESOLVED, S.FEEDBACK, S.BILLED, S.CLOSED, S.SETTLED}
# Jobs that occupy a technician's calendar.
ACTIVE = {S.SCHEDULED, S.CONFIRMED, S.ADVANCE_REQUESTED, S.ADVANCE_SANCTIONED, S.RELEASED, S.IN_PROGRESS}
BOOKED = ACTIVE - {S.IN_PROGRESS}  # an appointment still to come: the customer may confirm it
