"""Agents propose, the curator publishes (card A4: "required to update KB").

An agent (or a curator) proposes a new article or a new text of an existing
one; the proposal waits in ``kb_proposals`` (``proposed``), apart from the
articles, so the search index (``kb/`` reads ``kb_articles`` only) and the
public page never see it. A curator (manager, admin) compares it with the
article as it is now and either publishes it — a new article, or the
article's next version, with the agent as the version's author, published —
or rejects it with a note. The author may withdraw it while it waits; the
author is told of the decision in their inbox. Every move is a history row
(``kb_proposal``) through ``backend.history.moves.move``.

A proposal is written against the article's version of the moment; if the
article changed since, publishing it would silently undo that change, so it
is refused (``conflict``): reject it, and the agent proposes again from the
new text.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.db import UnitOfWork, utcnow
from backend.errors import DomainError, ErrorCode, invalid, not_found
from backend.history.moves import move, record
from backend.identity.actor import Actor, require_role
from backend.identity.models import Role, User
from backend.knowledge.content import ArticleInput, check_article, check_body, check_language, check_tags, check_title
from backend.knowledge.models import (
    PROPOSAL_MOVES,
    Article,
    ArticleProposal,
    ArticleStatus,
    ProposalState,
)
from backend.knowledge.service import CURATORS, _record_move, insert_article, revise_article
from backend.notifications.outbox import notify

PROPOSERS = (Role.AGENT, *CURATORS)
ENTITY = "kb_proposal"
MAX_NOTE = 300
MAX_DECISION_NOTE = 500


@dataclass(frozen=True)
class ProposalView:
    id: int
    article_id: int | None  # None: a new article
    base_version: int | None
    slug: str | None
    title: str
    body: str
    tags: tuple[str, ...]
    language: str
    note: str | None
    source: str | None
    state: str
    author_id: int
    author_name: str
    created_at: datetime
    decided_by: int | None
    decided_at: datetime | None
    decision_note: str | None
    published_article_id: int | None
    published_version: int | None
    # the article as it is now, to compare with (an edit only)
    current_title: str | None = None
    current_body: str | None = None
    current_version: int | None = None
    current_status: str | None = None
    current_slug: str | None = None

    @property
    def is_new_article(self) -> bool:
        return self.article_id is None

    @property
    def outdated(self) -> bool:
        """The article changed since the proposal was written."""
        return self.current_version is not None and self.current_version != self.base_version


def proposal_view(s: Session, p: ArticleProposal) -> ProposalView:
    author = s.get(User, p.author_id)
    article = s.get(Article, p.article_id) if p.article_id else None
    return ProposalView(
        p.id, p.article_id, p.base_version, p.slug, p.title, p.body, tuple(p.tags or ()), p.language, p.note,
        p.source, p.state, p.author_id, author.name if author else "?", p.created_at, p.decided_by, p.decided_at,
        p.decision_note, p.published_article_id, p.published_version,
        article.title if article else None, article.body if article else None,
        article.current_version if article else None, article.status if article else None,
        article.slug if article else None,
    )


def _note(value: str | None, limit: int, field: str) -> str | None:
    value = (value or "").strip()
    if len(value) > limit:
        raise invalid(f"the note has at most {limit} characters", field=field, reason="too_large")
    return value or None


def _load(s: Session, actor: Actor, proposal_id: int, *, lock: bool = False) -> ArticleProposal:
    q = select(ArticleProposal).where(ArticleProposal.id == proposal_id)
    p = s.scalar(q.with_for_update() if lock else q)
    # an agent sees their own proposals; curators every one
    if p is None or (actor.role not in CURATORS and p.author_id != actor.user_id):
        raise not_found("article proposal", proposal_id)
    return p


# --- proposing ------------------------------------------------------------------------------------

def new_proposal(s: Session, actor: Actor, *, title: str, body: str, article_id: int | None = None,
                 tags: list[str] | tuple[str, ...] | None = None, language: str | None = None,
                 note: str | None = None, source: str | None = None) -> ArticleProposal:
    """A proposal in the caller's transaction (``propose_article`` and ``backend.processes.kb_drafts``)."""
    require_role(actor, *PROPOSERS)
    note = _note(note, MAX_NOTE, "note")
    if article_id is None:
        content = check_article(slug=None, title=title, body=body, tags=tags or (), language=language or "en")
        if s.scalar(select(Article.id).where(Article.slug == content.slug)) is not None:
            raise DomainError(ErrorCode.DUPLICATE, f"an article called '{content.title}' exists already "
                              f"({content.slug}); propose a change to it instead, or choose another title",
                              field="title", slug=content.slug)
        base_version, slug = None, content.slug
    else:
        article = s.get(Article, article_id)
        if article is None:
            raise not_found("article", article_id)
        if article.status == ArticleStatus.ARCHIVED:
            raise DomainError(ErrorCode.CONFLICT, f"article '{article.slug}' is archived; ask the curator to "
                              "restore it before proposing a change", article_id=article_id, reason="archived")
        content = ArticleInput(
            slug=article.slug, title=check_title(title), body=check_body(body),
            tags=check_tags(tags) if tags is not None else tuple(article.tags or ()),
            language=check_language(language) if language else article.language,
        )
        if content.content_hash == article.content_hash:
            raise invalid("the proposal says exactly what the article says now; change something first",
                          field="body", reason="unchanged")
        base_version, slug = article.current_version, None
    p = ArticleProposal(article_id=article_id, base_version=base_version, slug=slug, title=content.title,
                        body=content.body, tags=list(content.tags), language=content.language, note=note,
                        source=source, state=ProposalState.PROPOSED, author_id=actor.user_id, created_at=utcnow())
    s.add(p)
    s.flush()
    record(s, entity_type=ENTITY, entity_id=p.id, to_state=ProposalState.PROPOSED, actor=actor,
           note=f"{'new article' if article_id is None else f'edit of article {article_id} v{base_version}'}"
                f"{f' from {source}' if source else ''}")
    return p


def propose_article(uow: UnitOfWork, actor: Actor, *, title: str, body: str, article_id: int | None = None,
                    tags: list[str] | tuple[str, ...] | None = None, language: str | None = None,
                    note: str | None = None) -> ProposalView:
    """A new article (``article_id`` None) or a new text of an article, for the curator to publish."""
    require_role(actor, *PROPOSERS)
    with uow() as s:
        return proposal_view(s, new_proposal(s, actor, title=title, body=body, article_id=article_id, tags=tags,
                                     language=language, note=note))


# --- deciding -------------------------------------------------------------------------------------

def publish_proposal(uow: UnitOfWork, actor: Actor, *, proposal_id: int, note: str | None = None) -> ProposalView:
    """The curator publishes it: a new published article, or the article's next version, published."""
    require_role(actor, *CURATORS)
    note = _note(note, MAX_DECISION_NOTE, "note")
    with uow() as s:
        p = _load(s, actor, proposal_id, lock=True)
        PROPOSAL_MOVES.check(p.state, ProposalState.PUBLISHED)
        at = utcnow()
        said = f"proposal #{p.id}" + (f" ({p.source})" if p.source else "")
        if p.article_id is None:
            content = ArticleInput(slug=p.slug, title=p.title, body=p.body, tags=tuple(p.tags or ()),
                                   language=p.language)
            if s.scalar(select(Article.id).where(Article.slug == p.slug)) is not None:
                raise DomainError(ErrorCode.DUPLICATE, f"an article '{p.slug}' was made since this was proposed; "
                                  "reject the proposal, and the agent proposes a change to that article instead",
                                  field="slug", slug=p.slug)
            article = insert_article(s, content, actor, publish=True, at=at, note=said, author_id=p.author_id)
        else:
            article = s.scalar(select(Article).where(Article.id == p.article_id).with_for_update())
            if article.current_version != p.base_version:
                raise DomainError(ErrorCode.CONFLICT, f"the article changed since this proposal was written "
                                  f"(it was version {p.base_version}, it is {article.current_version} now); "
                                  "reject it and ask for a proposal on the new text", reason="outdated",
                                  base_version=p.base_version, current_version=article.current_version)
            content = ArticleInput(slug=article.slug, title=p.title, body=p.body, tags=tuple(p.tags or ()),
                                   language=p.language)
            revise_article(s, article, content, actor, at=at, note=said, author_id=p.author_id)
            if article.status != ArticleStatus.PUBLISHED:
                old = article.transition_to(ArticleStatus.PUBLISHED, at=at)
                _record_move(s, article, old, actor, at, said)
        move(s, PROPOSAL_MOVES, p, ProposalState.PUBLISHED, actor, entity_type=ENTITY,
             note=note or f"published as {article.slug} v{article.current_version}")
        p.decided_by, p.decided_at, p.decision_note = actor.user_id, at, note
        p.published_article_id, p.published_version = article.id, article.current_version
        notify(s, event="kb_proposal_published", subject_type=ENTITY, subject_id=p.id, user_id=p.author_id,
               title=p.title, note=note or "")
        return proposal_view(s, p)


def reject_proposal(uow: UnitOfWork, actor: Actor, *, proposal_id: int, note: str) -> ProposalView:
    """The curator declines it, saying why (the author reads the note)."""
    require_role(actor, *CURATORS)
    note = _note(note, MAX_DECISION_NOTE, "note")
    if not note:
        raise invalid("say why it is declined, so the agent can do better", field="note", reason="empty")
    with uow() as s:
        p = _load(s, actor, proposal_id, lock=True)
        move(s, PROPOSAL_MOVES, p, ProposalState.REJECTED, actor, entity_type=ENTITY, note=note)
        p.decided_by, p.decided_at, p.decision_note = actor.user_id, utcnow(), note
        notify(s, event="kb_proposal_rejected", subject_type=ENTITY, subject_id=p.id, user_id=p.author_id,
               title=p.title, note=note)
        return proposal_view(s, p)


def withdraw_proposal(uow: UnitOfWork, actor: Actor, *, proposal_id: int) -> ProposalView:
    """The author takes it back while it waits."""
    require_role(actor, *PROPOSERS)
    with uow() as s:
        p = _load(s, actor, proposal_id, lock=True)
        if p.author_id != actor.user_id:
            raise DomainError(ErrorCode.FORBIDDEN, "only its author may withdraw a proposal; reject it instead")
        move(s, PROPOSAL_MOVES, p, ProposalState.WITHDRAWN, actor, entity_type=ENTITY)
        p.decided_at = utcnow()
        return proposal_view(s, p)


# --- reading --------------------------------------------------------------------------------------

def get_proposal(uow: UnitOfWork, actor: Actor, *, proposal_id: int) -> ProposalView:
    """With the article as it is now, to compare (an agent: their own only)."""
    require_role(actor, *PROPOSERS)
    with uow() as s:
        return proposal_view(s, _load(s, actor, proposal_id))


def list_proposals(uow: UnitOfWork, actor: Actor, *, state: str | None = None, mine: bool = False,
                   limit: int = 200) -> list[ProposalView]:
    """Newest first: a curator's queue (every author's), or an agent's own."""
    require_role(actor, *PROPOSERS)
    if state is not None and state not in set(ProposalState):
        raise invalid(f"unknown state '{state}'", field="state", allowed=[str(x) for x in ProposalState])
    q = select(ArticleProposal).order_by(ArticleProposal.id.desc()).limit(max(1, min(int(limit), 500)))
    if mine or actor.role not in CURATORS:
        q = q.where(ArticleProposal.author_id == actor.user_id)
    if state is not None:
        q = q.where(ArticleProposal.state == state)
    with uow() as s:
        return [proposal_view(s, p) for p in s.scalars(q)]


def open_proposal_from(s: Session, source: str) -> ArticleProposal | None:
    """The proposal still waiting that came from ``source`` (a ticket TK-…), if any."""
    return s.scalar(select(ArticleProposal).where(ArticleProposal.source == source,
                                                  ArticleProposal.state == ProposalState.PROPOSED))
