"""The fallback's settings are chosen by a rule on lines the figures are not measured on
(bot/eval/calibrate.py): the lowest threshold, then the smallest ambiguity margin, at which
at most 2 % of out-of-domain lines reach a business intent."""

from __future__ import annotations

from bot.eval.calibrate import choose, final


def row(expected: str, top: str, top_confidence: float, second: float = 0.0, predicted: str | None = None,
        confidence: float | None = None) -> dict:
    return {"expected": expected, "top": top, "top_confidence": top_confidence, "second_confidence": second,
            "predicted": predicted or top, "confidence": top_confidence if confidence is None else confidence}


HELD = [row("greet", "greet", 0.9)]
QUIET = [row("out_of_scope", "out_of_scope", 0.9)] * 98


def test_the_lowest_threshold_that_keeps_business_answers_to_two_percent_is_chosen():
    # two lines of a hundred acted on at 0.25 and 0.30, one from 0.35 on
    oos = QUIET + [row("out_of_scope", "pay_invoice", 0.33, 0.1), row("out_of_scope", "list_my_jobs", 0.6, 0.1)]
    assert choose(HELD, oos)[0] == 0.25
    oos = QUIET[:97] + [row("out_of_scope", "pay_invoice", 0.33, 0.1), row("out_of_scope", "list_my_jobs", 0.6, 0.1),
                        row("out_of_scope", "book_appointment", 0.31, 0.1)]
    assert choose(HELD, oos)[0] == 0.35


def test_the_margin_is_the_smallest_that_still_keeps_to_two_percent():
    # of a hundred lines, one is acted on whatever the margin, one only under a margin of 0.01, one under 0.03
    oos = QUIET[:97] + [row("out_of_scope", "pay_invoice", 0.9, 0.1), row("out_of_scope", "list_my_jobs", 0.5, 0.49),
                        row("out_of_scope", "book_appointment", 0.5, 0.47)]
    assert choose(HELD, oos) == (0.25, 0.02)
    assert choose(HELD, QUIET + [row("out_of_scope", "pay_invoice", 0.9, 0.1)]) == (0.25, 0.0)


def test_the_handoff_net_and_the_unknown_words_guard_are_beyond_either_setting():
    net = row("out_of_scope", "out_of_scope", 0.4, predicted="request_human", confidence=1.0)
    guard = row("greet", "greet", 0.99, predicted="nlu_fallback", confidence=1.0)
    assert final(net, 0.8, 0.5) == "request_human" and final(guard, 0.25) == "nlu_fallback"
