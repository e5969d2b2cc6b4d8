"""Words the pages show for states and choices (codes stay in the core)."""

WANTS = [
    ("service", "A technician visit (repair or service at my place)"),
    ("question", "A question or complaint"),
    ("contract", "A new or renewed maintenance contract"),
    ("repair", "Bring an item in for repair at the workshop"),
    ("order", "A one-time paid service order"),
]

# What happens next, for a job in each state: shown under the journey.
NEXT_STEP = {
    "new": "Our help desk will book an appointment with a technician.",
    "scheduled": "The technician will confirm the appointment.",
    "confirmed": "The job will be released to the technician for the visit.",
    "advance_requested": "The help desk is approving the technician's travel advance.",
    "advance_sanctioned": "The job will be released to the technician for the visit.",
    "released": "The technician is on the way at the appointed time.",
    "in_progress": "The technician is working on it.",
    "resolved": "The work is done: please answer any estimate and tell us how it went.",
    "feedback": "Thank you for your feedback. Any bill follows from the help desk.",
    "billed": "The invoice is raised; it is settled once paid.",
    "closed": "Closed: nothing more to do.",
    "settled": "Paid and settled: nothing more to do.",
    "cancelled": "Cancelled.",
}

JOB_COLUMNS = ["new", "scheduled", "confirmed", "advance_requested", "advance_sanctioned", "released",
               "in_progress", "resolved", "feedback", "billed", "closed", "settled", "cancelled"]

# Who makes each move, when it is not an agent's to make from the kanban.
MOVED_BY_OTHERS = {
    "confirmed": "the assigned technician confirms a job",
    "advance_requested": "the technician asks for an advance",
    "in_progress": "the technician reports arrival",
    "resolved": "the technician resolves the job",
    "feedback": "the customer gives feedback",
    "settled": "a job is settled when its invoice is paid in full",
    "advance_sanctioned": "sanction the advance on the Advances page",
    "new": "a job never goes back to new",
}
