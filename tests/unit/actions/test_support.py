"""Handoff, stopping a form, and the knowledge base."""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest

from actions import runtime, support
from tests.unit.actions.helpers import make_tracker, responses, run, said, slot_events


def _payloads(out) -> list[dict]:
    return [m["custom"] for m in out.messages if m.get("custom")]


def test_a_customer_asking_for_a_person_pauses_the_bot(world):
    tracker = make_tracker({"requested_slot": "product"}, intent="request_human", active_loop="service_request_form")
    events, out = run(support.ActionHandoff(), tracker)
    assert responses(out) == ["utter_handoff"]
    assert _payloads(out) == [{"handoff": {"reason": "customer_request", "requested_by": "customer"}}]
    kinds = [e["event"] for e in events]
    assert kinds[-1] == "pause" and "active_loop" in kinds
    assert slot_events(events)["requested_slot"] is None


def test_repeated_fallback_is_the_bots_request(world):
    events, out = run(support.ActionHandoff(), make_tracker(intent="nlu_fallback"))
    assert responses(out) == ["utter_handoff_after_fallbacks"]
    assert _payloads(out) == [{"handoff": {"reason": "repeated_fallback", "requested_by": "bot"}}]
    assert "active_loop" not in [e["event"] for e in events]


def test_yes_to_an_offered_person_carries_the_reason(world):
    tracker = make_tracker({"handoff_offered": True, "handoff_reason": "kb_no_answer"}, intent="affirm")
    events, out = run(support.ActionHandoff(), tracker)
    assert _payloads(out) == [{"handoff": {"reason": "kb_no_answer", "requested_by": "customer"}}]
    assert slot_events(events)["handoff_offered"] is False


def test_no_to_an_offered_person(world):
    events, out = run(support.ActionDeclineHandoff(), make_tracker({"handoff_offered": True}, intent="deny"))
    assert responses(out) == ["utter_handoff_declined"]
    assert slot_events(events)["handoff_offered"] is False
    assert "pause" not in [e["event"] for e in events]


def test_stop_forgets_the_form(world):
    events, out = run(support.ActionStopForm(), make_tracker({"product": "AC"}, intent="stop",
                                                            active_loop="service_request_form"))
    assert responses(out) == ["utter_form_stopped"]
    assert slot_events(events)["product"] is None
    assert {"event": "active_loop", "name": None} in [{k: e.get(k) for k in ("event", "name")} for e in events]


def test_without_a_knowledge_base_the_bot_says_so_and_offers_a_person(world):
    events, out = run(support.ActionSearchKnowledge(), make_tracker(intent="ask_knowledge", text="how do I descale"))
    assert responses(out) == ["utter_kb_unavailable"]
    assert slot_events(events) == {"handoff_offered": True, "handoff_reason": "kb_unavailable"}


def test_a_missing_index_folder_is_unavailable_too(world, tmp_path):
    from kb.encoder import HashingEncoder
    from kb.search import Searcher

    runtime.get().searcher_factory = lambda: Searcher(tmp_path / "no-index", HashingEncoder())
    _, out = run(support.ActionSearchKnowledge(), make_tracker(intent="ask_knowledge", text="descale a geyser"))
    assert responses(out) == ["utter_kb_unavailable"]


@dataclass
class FakeHit:
    title: str
    text: str
    dense_score: float
    slug: str = "descaling-a-geyser"
    article_id: int = 7
    version: int = 2


@dataclass
class FakeResult:
    hits: list
    confident: bool
    reason: str

    @property
    def best(self):
        return self.hits[0] if self.confident and self.hits else None


@dataclass
class FakeSearcher:
    result: FakeResult
    threshold: float = 0.5
    asked: list = field(default_factory=list)

    def search(self, query, **kwargs):
        self.asked.append((query, kwargs))
        return self.result


def test_a_confident_answer_is_given_with_related_titles(world):
    hits = [FakeHit("Descaling a geyser", "Switch off, drain, ...", 0.8), FakeHit("Geyser safety", "...", 0.6),
            FakeHit("Unrelated", "...", 0.1)]
    searcher = FakeSearcher(FakeResult(hits, True, "ok"))
    runtime.get().searcher_factory = lambda: searcher
    events, out = run(support.ActionSearchKnowledge(), make_tracker(intent="ask_knowledge", text="descale geyser"))
    assert responses(out) == ["utter_kb_answer", "utter_kb_more", "utter_kb_was_it_helpful"]
    assert said(out, "utter_kb_answer")["kb_title"] == "Descaling a geyser"
    assert said(out, "utter_kb_answer")["kb_link"] == "http://127.0.0.1:8080/portal/kb/descaling-a-geyser"
    assert searcher.asked[0][0] == "descale geyser"
    slots = slot_events(events)
    assert slots["handoff_offered"] is False and slots["kb_feedback_asked"] is True
    assert slots["kb_article"] == {"id": 7, "version": 2} and slots["kb_question"] == "descale geyser"


def _article(uow):
    from backend.identity.actor import SYSTEM
    from backend.knowledge import service as kb

    return kb.create_article(uow, SYSTEM, title="Descaling a geyser", body="Switch it off and drain it.",
                             publish=True)


def _feedback(uow) -> list[tuple[int, bool, str | None, str | None]]:
    from sqlalchemy import select

    from backend.knowledge.models import ArticleFeedback

    with uow() as s:
        return [tuple(r) for r in s.execute(select(ArticleFeedback.article_id, ArticleFeedback.helpful,
                                                   ArticleFeedback.conversation_id, ArticleFeedback.query))]


def test_yes_it_helped_is_recorded_on_the_article(world, uow):
    article = _article(uow)
    tracker = make_tracker({"kb_article": {"id": article.id, "version": 1}, "kb_question": "descale geyser"},
                           intent="kb_helpful")
    events, out = run(support.ActionKbFeedback(), tracker)
    assert responses(out) == ["utter_kb_glad"]
    assert _payloads(out) == [] and "pause" not in [e["event"] for e in events]
    assert _feedback(uow) == [(article.id, True, tracker.sender_id, "descale geyser")]
    assert slot_events(events)["kb_article"] is None


def test_no_it_did_not_help_is_recorded_and_hands_over(world, uow):
    article = _article(uow)
    tracker = make_tracker({"kb_article": {"id": article.id, "version": 1}}, intent="kb_not_helpful")
    events, out = run(support.ActionKbFeedback(), tracker)
    assert responses(out) == ["utter_kb_not_helpful_handoff"]
    assert _payloads(out) == [{"handoff": {"reason": "kb_not_helpful", "requested_by": "customer"}}]
    assert [e["event"] for e in events][-1] == "pause"
    assert _feedback(uow) == [(article.id, False, tracker.sender_id, None)]



@pytest.mark.parametrize(("intent", "helpful"), [("affirm", True), ("deny", False)])
def test_a_typed_yes_or_no_right_after_the_question_counts_like_its_button(world, uow, intent, helpful):
    article = _article(uow)
    tracker = make_tracker({"kb_article": {"id": article.id, "version": 1}, "kb_feedback_asked": True},
                           intent=intent)
    events, out = run(support.ActionKbFeedback(), tracker)
    assert responses(out) == (["utter_kb_glad"] if helpful else ["utter_kb_not_helpful_handoff"])
    assert _feedback(uow) == [(article.id, helpful, tracker.sender_id, None)]
    assert slot_events(events)["kb_feedback_asked"] is False

def test_no_without_a_known_article_still_hands_over(world, uow):
    _, out = run(support.ActionKbFeedback(), make_tracker({"kb_article": {"id": 999}}, intent="kb_not_helpful"))
    assert _payloads(out) == [{"handoff": {"reason": "kb_not_helpful", "requested_by": "customer"}}]
    assert _feedback(uow) == []


def test_an_unsure_answer_is_not_given(world):
    searcher = FakeSearcher(FakeResult([FakeHit("Maybe", "...", 0.2)], False, "low_confidence"))
    runtime.get().searcher_factory = lambda: searcher
    events, out = run(support.ActionSearchKnowledge(), make_tracker(intent="nlu_fallback", text="blorp"))
    assert responses(out) == ["utter_kb_no_answer"]
    assert slot_events(events)["handoff_reason"] == "kb_no_answer"


def test_a_frustrated_customer_is_handed_over_with_that_reason(world):
    """The handoff net (bot/components/handoff.py) marks "this is useless" with a handoff_trigger entity."""
    tracker = make_tracker(intent="request_human", text="this is useless",
                           entities=[{"entity": "handoff_trigger", "value": "frustrated"}])
    events, out = run(support.ActionHandoff(), tracker)
    assert responses(out) == ["utter_handoff_frustrated"]
    assert _payloads(out) == [{"handoff": {"reason": "frustrated", "requested_by": "customer"}}]
    assert [e["event"] for e in events][-1] == "pause"


def test_an_answer_to_a_reported_fault_also_offers_a_technician(world):
    searcher = FakeSearcher(FakeResult([FakeHit("Washing machine not draining", "Clean the filter.", 0.7)], True, "ok"))
    runtime.get().searcher_factory = lambda: searcher
    _, out = run(support.ActionSearchKnowledge(),
                 make_tracker(intent="ask_knowledge", text="my washing machine is not draining"))
    assert responses(out) == ["utter_kb_answer", "utter_kb_offer_booking", "utter_kb_was_it_helpful"]


def test_a_how_to_question_gets_no_booking_offer(world):
    searcher = FakeSearcher(FakeResult([FakeHit("Washer care", "Clean the filter monthly.", 0.7)], True, "ok"))
    runtime.get().searcher_factory = lambda: searcher
    _, out = run(support.ActionSearchKnowledge(),
                 make_tracker(intent="ask_knowledge", text="how do I clean the drain pump filter"))
    assert responses(out) == ["utter_kb_answer", "utter_kb_was_it_helpful"]


def test_a_question_no_article_supports_gets_no_answer(world):
    searcher = FakeSearcher(FakeResult([FakeHit("AC water leaking", "...", 0.44)], False, "unsupported"))
    runtime.get().searcher_factory = lambda: searcher
    events, out = run(support.ActionSearchKnowledge(),
                      make_tracker(intent="ask_knowledge", text="how do I fix the ice maker of my dishwasher"))
    assert responses(out) == ["utter_kb_no_answer"]
    assert slot_events(events)["handoff_reason"] == "kb_no_answer"
