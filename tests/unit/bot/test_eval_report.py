"""How `make eval-nlu` scores a sealed evaluation set (bot/eval/report.py)."""

from __future__ import annotations

from bot.eval.report import handoff_set, lines, sealed, summarise


def row(expected: str, predicted: str, text: str = "x", trained: bool = False) -> dict:
    return {"text": text, "expected": expected, "predicted": predicted, "confidence": 0.9, "trained": trained, "ms": 10.0}


def test_a_sealed_set_reports_how_many_it_missed_but_not_which():
    rows = [row("greet", "greet", "hello there"), row("goodbye", "nlu_fallback", "catch you later"),
            row("pay_invoice", "pay_invoice", "pay my bill")]
    figures = sealed(rows)
    assert figures["misses"] == 1
    assert "catch you later" not in repr(figures)
    assert figures["accuracy"] == round(2 / 3, 4)


def test_lines_equal_to_training_lines_are_left_out_of_a_sealed_sets_figures():
    rows = [row("affirm", "deny", "yes", trained=True), row("affirm", "affirm", "yes that is right")]
    figures = sealed(rows)
    assert figures["left_out_as_trained"] == 1
    assert figures["examples"] == 1
    assert figures["accuracy"] == 1.0


def test_a_sealed_sets_chit_chat_lines_are_scored_on_their_own():
    rows = [row("affirm", "affirm"), row("deny", "out_of_scope"), row("thank", "thank"), row("stop", "stop"),
            row("greet", "nlu_fallback")]
    assert sealed(rows)["chit_chat"] == {"examples": 4, "accuracy": 0.75}


def test_every_sealed_set_in_the_parsed_file_is_summarised_without_its_lines():
    parsed = {"model": "m", "sets": {"independent_b": [row("greet", "goodbye", "hiya")],
                                     "independent_c": [row("thank", "thank", "cheers mate")]}}
    summary = summarise(parsed)
    assert summary["independent_b"]["misses"] == 1
    assert summary["independent_c"]["accuracy"] == 1.0
    assert "hiya" not in repr(summary)


def test_a_handoff_set_counts_requests_caught_and_near_misses_handed_over():
    rows = [row("request_human", "request_human"), row("request_human", "bot_challenge"),
            row("other", "request_human", "send someone to fix my AC"), row("other", "raise_service_request")]
    assert handoff_set(rows) == {"examples": 4, "asked": 2, "handoff_recall": 0.5, "others": 2, "false_handoffs": 1}


def test_each_development_set_is_scored_by_its_kind():
    parsed = {"model": "m", "sets": {
        "dev_all": [row("greet", "greet"), row("thank", "greet")],
        "dev_handoff": [row("request_human", "request_human"), row("other", "request_human")],
        "dev_oos": [row("out_of_scope", "out_of_scope"), row("out_of_scope", "pay_invoice", "pay my rent on cred")]}}
    summary = summarise(parsed)
    assert summary["dev_all"]["accuracy"] == 0.5
    assert (summary["dev_handoff"]["handoff_recall"], summary["dev_handoff"]["false_handoffs"]) == (1.0, 1)
    assert summary["dev_oos"]["business_share"] == 0.5
    assert summary["dev_oos"]["business_by_intent"] == {"pay_invoice": 1}


def test_a_replies_set_counts_replies_understood_and_near_misses_taken_for_one():
    rows = [row("affirm", "affirm", "yep"), row("thank", "out_of_scope", "good job"), row("stop", "stop", "shh"),
            row("other", "deny", "no cooling since morning"), row("other", "raise_service_request")]
    scored = summarise({"model": "m", "sets": {"dev_replies": rows}})["dev_replies"]
    assert (scored["accuracy"], scored["taken_for_a_reply"], scored["others"]) == (round(2 / 3, 4), 1, 2)
    assert scored["per_intent"] == {"affirm": 1.0, "thank": 0.0, "stop": 1.0}
    assert "near misses taken for a reply 1 of 2" in "\n".join(lines(summarise({"model": "m",
                                                                                 "sets": {"dev_replies": rows}}),
                                                                        None, None))
