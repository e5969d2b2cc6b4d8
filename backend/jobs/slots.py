"""The visit a customer books: they pick a start, the window is fixed."""

from __future__ import annotations

from datetime import datetime, timedelta

VISIT_WINDOW = timedelta(hours=2)


def visit_slot(start: datetime) -> tuple[datetime, datetime]:
    """The (start, end) of a visit that starts at ``start``."""
    return start, start + VISIT_WINDOW
