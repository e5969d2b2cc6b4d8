"""Every notice is worded in Hindi too, with the same values as in English."""

from __future__ import annotations

import re
from string import Formatter

from backend.notifications.wording import EN, HI, word

DEVANAGARI = re.compile(r"[\u0900-\u097F]")


def _names(text: str) -> set[str]:
    return {name for _, name, _, _ in Formatter().parse(text) if name}


def test_hindi_has_every_english_event_with_the_same_values():
    assert set(HI) == set(EN)
    for event, (title, text) in EN.items():
        hi_title, hi_text = HI[event]
        assert _names(hi_text) == _names(text), event
        assert _names(hi_title) == _names(title), event
        assert DEVANAGARI.search(hi_title) and DEVANAGARI.search(hi_text), event


def test_a_hindi_notice_is_filled_in_like_an_english_one():
    payload = {"ticket": "TK-000004", "answer": "Use citric acid."}
    en, hi = word("ticket_answered", payload, "en"), word("ticket_answered", payload, "hi")
    assert en.text == "The help desk answered TK-000004: Use citric acid."
    assert hi.text == "हेल्प डेस्क ने TK-000004 का उत्तर दिया है: Use citric acid."
    assert en.reference == hi.reference == "TK-000004"
