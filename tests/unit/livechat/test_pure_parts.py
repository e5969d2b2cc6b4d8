"""The hub's pure parts: business hours, Rasa reply conversion, rate limits,
and the layering rule (the core never imports the web stack)."""

from __future__ import annotations

import ast
from datetime import datetime, timezone
from pathlib import Path

import pytest

from backend.conversations.hours import BusinessHours
from livechat.limits import TokenBucket
from livechat.rasa import convert_replies, split_text

ROOT = Path(__file__).resolve().parents[3]


def utc(y, m, d, h, mi=0):
    return datetime(y, m, d, h, mi, tzinfo=timezone.utc)


def test_business_hours_in_the_companys_time_zone():
    hours = BusinessHours.parse("mon-fri 09:00-18:00, sat 09:00-13:00", "Asia/Kolkata")
    # Monday 2026-01-05: 03:30 UTC is 09:00 IST
    assert not hours.is_open(utc(2026, 1, 5, 3, 29))
    assert hours.is_open(utc(2026, 1, 5, 3, 30))
    assert not hours.is_open(utc(2026, 1, 5, 12, 30))  # 18:00 IST: closed
    assert hours.is_open(utc(2026, 1, 10, 7, 0))  # Saturday 12:30 IST
    assert not hours.is_open(utc(2026, 1, 11, 7, 0))  # Sunday
    nxt = hours.next_open(utc(2026, 1, 10, 8, 0))  # Saturday 13:30 IST → Monday 09:00 IST
    assert nxt == utc(2026, 1, 12, 3, 30)
    assert hours.describe() == "Mon–Fri 09:00–18:00, Sat 09:00–13:00 (Asia/Kolkata)"


def test_always_never_and_wrapping_day_ranges():
    assert BusinessHours.parse("always").is_open(utc(2026, 1, 11, 3))
    never = BusinessHours.parse("never")
    assert not never.is_open(utc(2026, 1, 5, 10)) and never.next_open(utc(2026, 1, 5, 10)) is None
    weekend = BusinessHours.parse("sat-sun 10:00-12:00")
    assert weekend.is_open(utc(2026, 1, 11, 11)) and not weekend.is_open(utc(2026, 1, 12, 11))


@pytest.mark.parametrize("spec", ["mon-fri", "mon-fri 18:00-09:00", "funday 09:00-10:00", "mon 9-10"])
def test_unreadable_hours_are_refused(spec):
    with pytest.raises(ValueError):
        BusinessHours.parse(spec)


def test_rest_replies_become_rasas_socket_payloads():
    turn = convert_replies([
        {"recipient_id": "s", "text": "One\n\nTwo", "buttons": [{"title": "Yes", "payload": "/affirm"}]},
        {"recipient_id": "s", "text": "Three"},
        {"recipient_id": "s", "image": "https://example.com/a.png"},
        {"recipient_id": "s", "custom": {"data": {"kind": "card"}}},
        {"recipient_id": "s", "custom": {"handoff": {"reason": "asked", "requested_by": "customer"}}},
    ])
    assert turn.utterances == [
        {"text": "One", "quick_replies": []},
        {"text": "Two", "quick_replies": [{"content_type": "text", "title": "Yes", "payload": "/affirm"}]},
        {"text": "Three"},
        {"attachment": {"type": "image", "payload": {"src": "https://example.com/a.png"}}},
        {"kind": "card"},
    ]
    assert turn.handoff == {"reason": "asked", "requested_by": "customer"}
    assert split_text("  a\n\nb \n\n c ") == ["a", "b ", " c"]


def test_token_bucket():
    now = [0.0]
    bucket = TokenBucket(2, 1.0, clock=lambda: now[0])
    assert [bucket.take(), bucket.take(), bucket.take()] == [True, True, False]
    assert bucket.retry_after() == pytest.approx(1.0)
    now[0] = 1.0
    assert bucket.take() and not bucket.take()


FORBIDDEN_IN_CORE = {"aiohttp", "socketio", "engineio", "rasa", "rasa_sdk", "faiss", "livechat"}


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module.split(".")[0])
    return found


def test_the_conversations_core_imports_no_web_stack_and_the_hub_no_rasa():
    for path in (ROOT / "backend" / "conversations").glob("*.py"):
        assert not _imports(path) & FORBIDDEN_IN_CORE, path
    for path in (ROOT / "livechat").glob("*.py"):
        assert not _imports(path) & {"rasa", "rasa_sdk"}, path
