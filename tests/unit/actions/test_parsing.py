"""Reading references, dates and times, ratings, quantities and money."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from actions.parsing import (
    WhenError, expense_category, normalise_reference, parse_amount, parse_quantity, parse_rating, parse_when,
)

NOW = datetime(2025, 11, 28, 9, 30, tzinfo=ZoneInfo("Asia/Kolkata"))  # a Friday morning


@pytest.mark.parametrize("text, expected", [
    ("tomorrow 10am", "2025-11-29 10:00"),
    ("Monday afternoon", "2025-12-01 14:00"),
    ("25/12 3pm", "2025-12-25 15:00"),
    ("25.12.2025 3.30pm", "2025-12-25 15:30"),
    ("2025-12-05 14:00", "2025-12-05 14:00"),
    ("day after tomorrow morning", "2025-11-30 10:00"),
    ("today evening", "2025-11-28 17:00"),
    ("next tuesday at 4 pm", "2025-12-02 16:00"),
    ("3pm", "2025-11-28 15:00"),
    ("8am", "2025-11-29 08:00"),
    ("5 dec 10am", "2025-12-05 10:00"),
    ("Dec 5th", "2025-12-05 10:00"),
    ("15/01", "2026-01-15 10:00"),
    ("tmrw noon", "2025-11-29 12:00"),
])
def test_when(text, expected):
    assert parse_when(text, NOW).label == expected


@pytest.mark.parametrize("text, reason", [
    ("whenever", "unreadable"), ("31/02", "unreadable"), ("25:00", "unreadable"),
    ("2025-11-01 10:00", "past"), ("today 8am", "past"),
])
def test_when_refused(text, reason):
    with pytest.raises(WhenError) as err:
        parse_when(text, NOW)
    assert err.value.reason == reason


@pytest.mark.parametrize("text, expected", [
    ("SR-000123", "SR-000123"), ("sr 123", "SR-000123"), ("status of jb000045 pls", "JB-000045"),
    ("INV-12", "INV-000012"), ("ct-3", "CT-000003"), ("SN-AC-10023", None), ("XY-000001", None), ("", None),
])
def test_references(text, expected):
    assert normalise_reference(text) == expected


def test_numbers():
    assert parse_rating("4 stars") == 4 and parse_rating("five") == 5 and parse_rating("3/5") == 3
    assert parse_rating("9") is None and parse_rating("") is None
    assert parse_amount("Rs. 1,500") == Decimal("1500") and parse_amount("₹800.50") == Decimal("800.50")
    assert parse_amount("2k") == Decimal("2000") and parse_amount("nothing") is None
    assert parse_quantity("two") == 2 and parse_quantity("3 nos") == 3 and parse_quantity("zero") is None


def test_expense_categories():
    assert expense_category("auto fare both ways") == "travel"
    assert expense_category("lunch at site") == "food"
    assert expense_category("hotel room in Pune") == "lodging"
    assert expense_category("bought insulation tape") == "local_purchase"
    assert expense_category("courier") == "other"
