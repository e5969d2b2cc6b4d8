"""Business hours: the parser lives in the core (``backend.conversations.hours``),
which checks a spec the admin stores with the very code the hub runs."""

from backend.conversations.hours import DAYS, BusinessHours

__all__ = ["DAYS", "BusinessHours"]
