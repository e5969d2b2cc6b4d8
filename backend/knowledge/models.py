"""Articles, their versions and the feedback readers give on them."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    ForeignKey,
    Index,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from backend.db import Base, UTCDateTime, utcnow
from backend.lifecycle import Lifecycle


class ArticleStatus(StrEnum):
    DRAFT = "draft"
    PUBLISHED = "published"
    ARCHIVED = "archived"


# Publishing is one step; archiving hides an article everywhere; an archived
# article comes back as a draft (to be checked before it is published again).
ARTICLE_MOVES = Lifecycle(
    "article",
    {
        ArticleStatus.DRAFT: {ArticleStatus.PUBLISHED, ArticleStatus.ARCHIVED},
        ArticleStatus.PUBLISHED: {ArticleStatus.DRAFT, ArticleStatus.ARCHIVED},
        ArticleStatus.ARCHIVED: {ArticleStatus.DRAFT},
    },
)


class Article(Base):
    """The current state of an article; every content change is also a version row."""

    __tablename__ = "kb_articles"
    __table_args__ = (
        CheckConstraint("status IN ('draft', 'published', 'archived')", name="status_known"),
        CheckConstraint("current_version >= 1", name="version_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(120), unique=True)
    title: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text)
    tags: Mapped[list] = mapped_column(JSON, default=list)
    language: Mapped[str] = mapped_column(String(16), default="en", index=True)
    status: Mapped[str] = mapped_column(String(16), default=ArticleStatus.DRAFT, index=True)
    current_version: Mapped[int] = mapped_column(default=1)
    content_hash: Mapped[str] = mapped_column(String(64))
    source: Mapped[str | None] = mapped_column(String(300))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    @property
    def state(self) -> ArticleStatus:
        return ArticleStatus(self.status)

    def can_edit(self) -> bool:
        return self.state is not ArticleStatus.ARCHIVED

    def can_publish(self) -> bool:
        return ARTICLE_MOVES.can(self.state, ArticleStatus.PUBLISHED)

    def transition_to(self, new: ArticleStatus, *, at: datetime) -> ArticleStatus:
        """Check the move against ``ARTICLE_MOVES``, apply it, return the old state."""
        old = self.state
        ARTICLE_MOVES.check(old, new)
        self.status = new
        self.updated_at = at
        if new is ArticleStatus.PUBLISHED:
            self.published_at = at
        return old


class ArticleVersion(Base):
    """One row per content version: what it said, who wrote it, when."""

    __tablename__ = "kb_article_versions"
    __table_args__ = (UniqueConstraint("article_id", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    article_id: Mapped[int] = mapped_column(ForeignKey("kb_articles.id"), index=True)
    version: Mapped[int]
    title: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text)
    tags: Mapped[list] = mapped_column(JSON, default=list)
    language: Mapped[str] = mapped_column(String(16))
    content_hash: Mapped[str] = mapped_column(String(64))
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    note: Mapped[str | None] = mapped_column(String(300))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ArticleFeedback(Base):
    """A reader's "did this help?" on one article (and the version they saw)."""

    __tablename__ = "kb_article_feedback"
    __table_args__ = (Index("ix_kb_article_feedback_article_helpful", "article_id", "helpful"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    article_id: Mapped[int] = mapped_column(ForeignKey("kb_articles.id"))
    version: Mapped[int | None]
    helpful: Mapped[bool] = mapped_column(Boolean)
    comment: Mapped[str | None] = mapped_column(Text)
    query: Mapped[str | None] = mapped_column(String(500))
    conversation_id: Mapped[str | None] = mapped_column(String(128), index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ProposalState(StrEnum):
    PROPOSED = "proposed"
    PUBLISHED = "published"
    REJECTED = "rejected"
    WITHDRAWN = "withdrawn"


# An agent's proposal waits for the curator: published (its text becomes the
# article's new version, or a new article) or rejected with a note; the
# author may withdraw it while it waits. Every end is final.
PROPOSAL_MOVES = Lifecycle(
    "article proposal",
    {
        ProposalState.PROPOSED: {ProposalState.PUBLISHED, ProposalState.REJECTED, ProposalState.WITHDRAWN},
    },
)


class ArticleProposal(Base):
    """A new article, or a new text of an existing one, proposed by an agent.
    It lives here until the curator decides: nothing of it is in ``kb_articles``
    (so neither the search index nor the public page sees it) before it is published."""

    __tablename__ = "kb_proposals"
    __table_args__ = (
        CheckConstraint("state IN ('proposed', 'published', 'rejected', 'withdrawn')", name="state_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    article_id: Mapped[int | None] = mapped_column(ForeignKey("kb_articles.id"), index=True)  # None: a new article
    base_version: Mapped[int | None]  # the article's version the proposal was written against
    slug: Mapped[str | None] = mapped_column(String(120))  # a new article's slug
    title: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text)
    tags: Mapped[list] = mapped_column(JSON, default=list)
    language: Mapped[str] = mapped_column(String(16), default="en")
    note: Mapped[str | None] = mapped_column(String(300))  # the author's word to the curator
    source: Mapped[str | None] = mapped_column(String(40), index=True)  # e.g. the ticket TK-… it came from
    state: Mapped[str] = mapped_column(String(16), default=ProposalState.PROPOSED, index=True)
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    decided_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decision_note: Mapped[str | None] = mapped_column(String(500))
    published_article_id: Mapped[int | None] = mapped_column(ForeignKey("kb_articles.id"))
    published_version: Mapped[int | None]
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
