"""Agents propose knowledge-base articles; the curator publishes (card A4), on
SQLite and PostgreSQL: a proposal is neither served nor handed to the search
index until it is published; rejection with a note; who may propose and who
may publish; a closed ticket's answer as a draft article. Each refusal with
its stable code and nothing changed."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from backend.errors import DomainError, ErrorCode
from backend.history.models import StateChange
from backend.intake import service as intake
from backend.knowledge import proposals as kbp
from backend.knowledge import service as kb
from backend.knowledge.models import ArticleVersion
from backend.models import metadata
from backend.notifications.models import Notification
from backend.processes import kb_drafts
from tests.factories import build_world

FILTER = "Switch the AC off. Slide the filters out and wash them in lukewarm water."
BETTER = FILTER + "\n\nDry them in the shade, never in the sun: heat warps the mesh."


@pytest.fixture
def w(any_uow):
    return build_world(any_uow)


def snapshot(uow) -> dict[str, list[tuple]]:
    out = {}
    with uow() as s:
        for table in metadata.sorted_tables:
            order = list(table.primary_key.columns) or list(table.columns)
            out[table.name] = [tuple(map(str, row)) for row in s.execute(select(table).order_by(*order))]
    return out


def refused(uow, code: ErrorCode, fn, *args, **kwargs) -> DomainError:
    """The call is refused with ``code`` and the database is as it was."""
    before = snapshot(uow)
    with pytest.raises(DomainError) as err:
        fn(uow, *args, **kwargs)
    assert err.value.code == code, err.value.message
    assert snapshot(uow) == before
    return err.value


def served(uow, slug: str) -> str | None:
    """What a visitor (and the bot's article link) reads at /kb/{slug}, if anything."""
    try:
        return kb.get_article(uow, None, slug=slug).body
    except DomainError as exc:
        assert exc.code == ErrorCode.NOT_FOUND
        return None


def indexed(uow) -> dict[str, str]:
    """Slug → body of what the search index sync (kb/) is handed."""
    ids = [e.id for e in kb.list_index_entries(uow)]
    return {a.slug: a.body for a in kb.get_articles_for_index(uow, article_ids=ids)}


def test_a_proposal_is_served_and_indexed_only_once_the_curator_publishes_it(any_uow, w):
    article = kb.create_article(any_uow, w.admin, slug="ac-filter", title="Cleaning the AC filter", body=FILTER,
                                publish=True)
    edit = kbp.propose_article(any_uow, w.agent, article_id=article.id, title=article.title, body=BETTER,
                               note="customers ask about drying")
    new = kbp.propose_article(any_uow, w.agent, title="Descaling the Zephyr steam iron", tags=["iron"],
                              body="Use citric acid, never vinegar.")
    assert (edit.state, edit.base_version) == ("proposed", 1)
    assert (new.state, new.slug) == ("proposed", "descaling-the-zephyr-steam-iron")

    assert served(any_uow, "ac-filter") == FILTER  # the published text, not the proposal
    assert served(any_uow, new.slug) is None
    assert indexed(any_uow) == {"ac-filter": FILTER}
    assert [a.slug for a in kb.list_articles(any_uow, w.admin)] == ["ac-filter"]  # not even a draft

    queue = kbp.list_proposals(any_uow, w.admin, state="proposed")
    assert [(p.id, p.author_name) for p in queue] == [(new.id, "Agent"), (edit.id, "Agent")]
    compared = kbp.get_proposal(any_uow, w.admin, proposal_id=edit.id)
    assert (compared.current_body, compared.body, compared.outdated) == (FILTER, BETTER, False)

    published = kbp.publish_proposal(any_uow, w.admin, proposal_id=edit.id)
    assert (published.state, published.published_version) == ("published", 2)
    kbp.publish_proposal(any_uow, w.manager, proposal_id=new.id, note="thanks")
    assert served(any_uow, "ac-filter") == BETTER
    assert served(any_uow, new.slug) == "Use citric acid, never vinegar."
    assert indexed(any_uow) == {"ac-filter": BETTER, new.slug: "Use citric acid, never vinegar."}

    with any_uow() as s:
        authors = {(v.article_id, v.version): v.author_id for v in s.scalars(select(ArticleVersion))}
        assert authors[(article.id, 1)] == w.admin.user_id and authors[(article.id, 2)] == w.agent.user_id
        history = select(StateChange).where(StateChange.entity_type == "kb_proposal").order_by(StateChange.id)
        moves = [(c.entity_id, c.from_state, c.to_state, c.actor_id) for c in s.scalars(history)]
        assert moves == [(edit.id, None, "proposed", w.agent.user_id), (new.id, None, "proposed", w.agent.user_id),
                         (edit.id, "proposed", "published", w.admin.user_id),
                         (new.id, "proposed", "published", w.manager.user_id)]
        notices = s.scalars(select(Notification).order_by(Notification.id))
        told = [(n.event, n.user_id, n.payload["title"]) for n in notices]
    assert told == [("kb_proposal_published", w.agent.user_id, "Cleaning the AC filter"),
                    ("kb_proposal_published", w.agent.user_id, "Descaling the Zephyr steam iron")]

    refused(any_uow, ErrorCode.ILLEGAL_TRANSITION, kbp.publish_proposal, w.admin, proposal_id=edit.id)


def test_a_rejected_proposal_changes_nothing_of_the_article_and_tells_the_agent_why(any_uow, w):
    article = kb.create_article(any_uow, w.admin, slug="ac-filter", title="Cleaning the AC filter", body=FILTER,
                                publish=True)
    p = kbp.propose_article(any_uow, w.agent, article_id=article.id, title=article.title, body=BETTER)
    err = refused(any_uow, ErrorCode.INVALID_INPUT, kbp.reject_proposal, w.admin, proposal_id=p.id, note="  ")
    assert err.details["field"] == "note"
    done = kbp.reject_proposal(any_uow, w.admin, proposal_id=p.id, note="Covered by the AC manual article.")
    assert (done.state, done.decision_note, done.decided_by) == ("rejected", "Covered by the AC manual article.",
                                                                w.admin.user_id)
    assert served(any_uow, "ac-filter") == FILTER
    assert kb.get_article(any_uow, w.admin, article_id=article.id).version == 1
    mine = kbp.list_proposals(any_uow, w.agent)
    assert [(x.id, x.state, x.decision_note) for x in mine] == [(p.id, "rejected", "Covered by the AC manual article.")]
    with any_uow() as s:
        [told] = s.scalars(select(Notification)).all()
        assert (told.event, told.user_id, told.payload["note"]) == ("kb_proposal_rejected", w.agent.user_id,
                                                                    "Covered by the AC manual article.")
    refused(any_uow, ErrorCode.ILLEGAL_TRANSITION, kbp.publish_proposal, w.admin, proposal_id=p.id)
    refused(any_uow, ErrorCode.ILLEGAL_TRANSITION, kbp.withdraw_proposal, w.agent, proposal_id=p.id)


def test_who_may_propose_and_who_may_publish(any_uow, w):
    article = kb.create_article(any_uow, w.admin, slug="ac-filter", title="Cleaning the AC filter", body=FILTER,
                                publish=True)
    for outsider in (w.alice, w.tech):
        refused(any_uow, ErrorCode.FORBIDDEN, kbp.propose_article, outsider, title="My tip", body="Hit it.")
        refused(any_uow, ErrorCode.FORBIDDEN, kbp.propose_article, outsider, article_id=article.id,
                title="Cleaning the AC filter", body="Hit it.")
        refused(any_uow, ErrorCode.FORBIDDEN, kbp.list_proposals, outsider)
    p = kbp.propose_article(any_uow, w.agent, article_id=article.id, title=article.title, body=BETTER)
    refused(any_uow, ErrorCode.FORBIDDEN, kbp.publish_proposal, w.agent, proposal_id=p.id)
    refused(any_uow, ErrorCode.FORBIDDEN, kbp.reject_proposal, w.agent, proposal_id=p.id, note="no")
    refused(any_uow, ErrorCode.FORBIDDEN, kb.publish_article, w.agent, article_id=article.id)
    refused(any_uow, ErrorCode.FORBIDDEN, kbp.publish_proposal, w.alice, proposal_id=p.id)
    # a proposal that changes nothing, or a new article under a title taken, is refused too
    refused(any_uow, ErrorCode.INVALID_INPUT, kbp.propose_article, w.agent, article_id=article.id,
            title=article.title, body=FILTER)
    refused(any_uow, ErrorCode.DUPLICATE, kbp.propose_article, w.agent, title="AC filter", body="x")  # ac-filter
    assert served(any_uow, "ac-filter") == FILTER


def test_a_proposal_on_an_article_that_changed_since_is_not_published(any_uow, w):
    article = kb.create_article(any_uow, w.admin, slug="ac-filter", title="Cleaning the AC filter", body=FILTER,
                                publish=True)
    p = kbp.propose_article(any_uow, w.agent, article_id=article.id, title=article.title, body=BETTER)
    kb.edit_article(any_uow, w.admin, article_id=article.id, body=FILTER + "\n\nOnce a month.")
    assert kbp.get_proposal(any_uow, w.admin, proposal_id=p.id).outdated
    err = refused(any_uow, ErrorCode.CONFLICT, kbp.publish_proposal, w.admin, proposal_id=p.id)
    assert err.details["reason"] == "outdated"
    assert served(any_uow, "ac-filter") == FILTER + "\n\nOnce a month."


def _closed_ticket(uow, w, *, close: bool = True) -> str:
    req = intake.raise_request(uow, w.alice, want="question", problem="How often should I descale the washer?")
    intake.answer_ticket(uow, w.agent, ticket_ref=req.ticket_number,
                         answer="Every three months; run an empty 90 °C cycle with citric acid.")
    if close:
        intake.close_ticket(uow, w.agent, ticket_ref=req.ticket_number)
    return req.ticket_number


def test_a_closed_tickets_answer_becomes_a_proposed_article(any_uow, w):
    ticket = _closed_ticket(any_uow, w)
    draft = kb_drafts.ticket_draft(any_uow, w.agent, ticket_ref=ticket)
    assert draft.ticket == ticket and "How often should I descale the washer?" in draft.body
    assert "Every three months; run an empty 90 °C cycle with citric acid." in draft.body

    p = kb_drafts.propose_from_ticket(any_uow, w.agent, ticket_ref=ticket, title="Descaling a washing machine",
                                      body=draft.body, tags=["washer"])
    assert (p.state, p.source, p.is_new_article, p.title) == ("proposed", ticket, True, "Descaling a washing machine")
    assert "citric acid" in p.body and served(any_uow, p.slug) is None
    err = refused(any_uow, ErrorCode.DUPLICATE, kb_drafts.propose_from_ticket, w.agent, ticket_ref=ticket)
    assert err.details["existing"] == p.id
    kbp.publish_proposal(any_uow, w.admin, proposal_id=p.id)
    assert "citric acid" in served(any_uow, p.slug)

    answered_only = _closed_ticket(any_uow, w, close=False)
    err = refused(any_uow, ErrorCode.CONFLICT, kb_drafts.propose_from_ticket, w.agent, ticket_ref=answered_only)
    assert err.details["reason"] == "ticket_not_closed"
    refused(any_uow, ErrorCode.FORBIDDEN, kb_drafts.propose_from_ticket, w.alice, ticket_ref=ticket)
    refused(any_uow, ErrorCode.FORBIDDEN, kb_drafts.ticket_draft, w.tech, ticket_ref=ticket)
