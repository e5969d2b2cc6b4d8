"""The visit a customer books (backend.jobs.slots)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from backend.jobs.slots import VISIT_WINDOW, visit_slot


def test_a_visit_booked_for_a_start_lasts_the_two_hour_window():
    start = datetime(2026, 12, 1, 9, 30, tzinfo=timezone.utc)
    assert VISIT_WINDOW == timedelta(hours=2)
    assert visit_slot(start) == (start, datetime(2026, 12, 1, 11, 30, tzinfo=timezone.utc))
