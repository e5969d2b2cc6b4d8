"""Use cases of the knowledge base: curate articles, read them, collect feedback.

Each function owns one transaction (``with uow() as s``), checks everything
before writing (a refusal changes nothing) and returns plain dataclasses.
Curation (create, edit, publish, archive, restore; imports in
``backend.knowledge.imports``) is for managers and admins; staff read drafts
too; everyone else reads published articles only.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from backend.db import UnitOfWork, utcnow
from backend.errors import DomainError, ErrorCode, not_found
from backend.history.models import StateChange
from backend.identity.actor import Actor, require_role
from backend.identity.models import Role
from backend.knowledge.content import (
    MAX_COMMENT_CHARS,
    MAX_QUERY_CHARS,
    ArticleInput,
    check_article,
    check_body,
    check_language,
    check_tags,
    check_title,
    clean_text,
)
from backend.knowledge.models import Article, ArticleFeedback, ArticleStatus, ArticleVersion

CURATORS = (Role.MANAGER, Role.ADMIN)
ENTITY = "kb_article"


# --- what callers get back ---------------------------------------------------------------------


@dataclass(frozen=True)
class ArticleView:
    id: int
    slug: str
    title: str
    body: str
    tags: tuple[str, ...]
    language: str
    status: str
    version: int
    content_hash: str
    created_at: datetime
    updated_at: datetime
    published_at: datetime | None


@dataclass(frozen=True)
class ArticleSummary:
    id: int
    slug: str
    title: str
    tags: tuple[str, ...]
    language: str
    status: str
    version: int
    updated_at: datetime


@dataclass(frozen=True)
class VersionView:
    article_id: int
    version: int
    title: str
    body: str
    tags: tuple[str, ...]
    language: str
    author_id: int | None
    note: str | None
    created_at: datetime


@dataclass(frozen=True)
class FeedbackView:
    id: int
    article_id: int
    version: int | None
    helpful: bool
    comment: str | None
    conversation_id: str | None
    created_at: datetime


@dataclass(frozen=True)
class FeedbackSummary:
    article_id: int
    slug: str
    title: str
    helpful: int
    not_helpful: int


@dataclass(frozen=True)
class IndexEntry:
    """What the search index needs to know to decide whether an article changed."""

    id: int
    version: int
    status: str
    content_hash: str


def _view(a: Article) -> ArticleView:
    return ArticleView(
        a.id, a.slug, a.title, a.body, tuple(a.tags or ()), a.language, a.status,
        a.current_version, a.content_hash, a.created_at, a.updated_at, a.published_at,
    )


def _summary(a: Article) -> ArticleSummary:
    return ArticleSummary(a.id, a.slug, a.title, tuple(a.tags or ()), a.language, a.status,
                          a.current_version, a.updated_at)


# --- internals ---------------------------------------------------------------------------------


def _sees_drafts(actor: Actor | None) -> bool:
    return actor is not None and actor.is_staff


def _load(s: Session, article_id: int, actor: Actor | None = None) -> Article:
    article = s.get(Article, article_id)
    if article is None or (not _sees_drafts(actor) and article.status != ArticleStatus.PUBLISHED):
        raise not_found("article", article_id)
    return article


def _record_move(s: Session, article: Article, old: ArticleStatus | None, actor: Actor,
                 at: datetime, note: str | None = None) -> None:
    s.add(StateChange(
        entity_type=ENTITY, entity_id=article.id, from_state=str(old) if old else None,
        to_state=article.status, actor_id=actor.user_id, actor_role=str(actor.role),
        channel=actor.channel[:16], note=note, at=at,
    ))


def _add_version(s: Session, article: Article, actor: Actor, at: datetime, note: str | None,
                 author_id: int | None = None) -> None:
    s.add(ArticleVersion(
        article_id=article.id, version=article.current_version, title=article.title,
        body=article.body, tags=list(article.tags or ()), language=article.language,
        content_hash=article.content_hash, author_id=author_id or actor.user_id,
        note=(note or None) and note[:300], created_at=at,
    ))


def insert_article(s: Session, content: ArticleInput, actor: Actor, *, publish: bool, at: datetime,
            note: str | None, author_id: int | None = None) -> Article:
    """``author_id``: who wrote the text, when not the actor (an agent's proposal the curator publishes)."""
    article = Article(
        slug=content.slug, title=content.title, body=content.body, tags=list(content.tags),
        language=content.language, status=ArticleStatus.DRAFT, current_version=1,
        content_hash=content.content_hash, source=content.source and content.source[-300:],
        created_at=at, updated_at=at,
    )
    s.add(article)
    s.flush()
    _add_version(s, article, actor, at, note or "created", author_id)
    _record_move(s, article, None, actor, at)
    if publish:
        old = article.transition_to(ArticleStatus.PUBLISHED, at=at)
        _record_move(s, article, old, actor, at)
    return article


def revise_article(s: Session, article: Article, content: ArticleInput, actor: Actor, *, at: datetime,
            note: str | None, author_id: int | None = None) -> bool:
    """Apply new content as a new version; False when nothing changed."""
    if content.content_hash == article.content_hash:
        return False
    if not article.can_edit():
        raise DomainError(ErrorCode.CONFLICT, f"article '{article.slug}' is archived; restore it to edit it",
                          article_id=article.id, status=article.status)
    article.title, article.body = content.title, content.body
    article.tags, article.language = list(content.tags), content.language
    article.content_hash = content.content_hash
    article.current_version += 1
    article.updated_at = at
    _add_version(s, article, actor, at, note, author_id)
    return True


def _slug_taken(s: Session, slug: str) -> bool:
    return s.scalar(select(Article.id).where(Article.slug == slug)) is not None


# --- curation ----------------------------------------------------------------------------------


def create_article(
    uow: UnitOfWork, actor: Actor, *, title: str, body: str, slug: str | None = None,
    tags: list[str] | tuple[str, ...] = (), language: str = "en", publish: bool = False,
    note: str | None = None,
) -> ArticleView:
    require_role(actor, *CURATORS)
    content = check_article(slug=slug, title=title, body=body, tags=tags, language=language)
    with uow() as s:
        if _slug_taken(s, content.slug):
            raise DomainError(ErrorCode.DUPLICATE, f"an article with slug '{content.slug}' exists",
                              field="slug", slug=content.slug)
        return _view(insert_article(s, content, actor, publish=publish, at=utcnow(), note=note))


def edit_article(
    uow: UnitOfWork, actor: Actor, *, article_id: int, title: str | None = None,
    body: str | None = None, tags: list[str] | tuple[str, ...] | None = None,
    language: str | None = None, note: str | None = None, expected_version: int | None = None,
) -> ArticleView:
    """Change content; each real change is a new version (no change → same version).

    ``expected_version`` guards against overwriting someone else's edit.
    """
    require_role(actor, *CURATORS)
    new_title = check_title(title) if title is not None else None
    new_body = check_body(body) if body is not None else None
    new_tags = check_tags(tags) if tags is not None else None
    new_language = check_language(language) if language is not None else None
    with uow() as s:
        article = _load(s, article_id, actor)
        if expected_version is not None and expected_version != article.current_version:
            raise DomainError(
                ErrorCode.CONFLICT,
                f"article {article_id} is at version {article.current_version}, not {expected_version}; "
                "reload it and edit again",
                article_id=article_id, current_version=article.current_version,
            )
        content = ArticleInput(
            slug=article.slug,
            title=new_title if new_title is not None else article.title,
            body=new_body if new_body is not None else article.body,
            tags=new_tags if new_tags is not None else tuple(article.tags or ()),
            language=new_language or article.language,
        )
        revise_article(s, article, content, actor, at=utcnow(), note=note)
        return _view(article)


def _move(uow: UnitOfWork, actor: Actor, article_id: int, target: ArticleStatus,
          note: str | None) -> ArticleView:
    require_role(actor, *CURATORS)
    with uow() as s:
        article = _load(s, article_id, actor)
        at = utcnow()
        old = article.transition_to(target, at=at)
        _record_move(s, article, old, actor, at, note)
        return _view(article)


def publish_article(uow: UnitOfWork, actor: Actor, *, article_id: int, note: str | None = None) -> ArticleView:
    return _move(uow, actor, article_id, ArticleStatus.PUBLISHED, note)


def unpublish_article(uow: UnitOfWork, actor: Actor, *, article_id: int, note: str | None = None) -> ArticleView:
    return _move(uow, actor, article_id, ArticleStatus.DRAFT, note)


def archive_article(uow: UnitOfWork, actor: Actor, *, article_id: int, note: str | None = None) -> ArticleView:
    return _move(uow, actor, article_id, ArticleStatus.ARCHIVED, note)


def restore_article(uow: UnitOfWork, actor: Actor, *, article_id: int, note: str | None = None) -> ArticleView:
    """An archived article comes back as a draft."""
    return _move(uow, actor, article_id, ArticleStatus.DRAFT, note)


# --- reading -----------------------------------------------------------------------------------


def get_article(uow: UnitOfWork, actor: Actor | None, *, article_id: int | None = None,
                slug: str | None = None) -> ArticleView:
    """By id or slug. Without staff rights only published articles exist."""
    if (article_id is None) == (slug is None):
        raise DomainError(ErrorCode.INVALID_INPUT, "give an article id or a slug", reason="missing_key")
    with uow() as s:
        if slug is not None:
            found = s.scalar(select(Article.id).where(Article.slug == slug.strip().lower()))
            if found is None:
                raise not_found("article", slug)
            article_id = found
        return _view(_load(s, article_id, actor))


def list_articles(
    uow: UnitOfWork, actor: Actor | None, *, status: str | None = None, language: str | None = None,
    tag: str | None = None, text: str | None = None, limit: int = 50, offset: int = 0,
) -> list[ArticleSummary]:
    """Newest first. Customers and visitors only ever see published articles."""
    if status is not None and status not in set(ArticleStatus):
        raise DomainError(ErrorCode.INVALID_INPUT, f"unknown status '{status}'", field="status")
    limit = max(1, min(int(limit), 500))
    stmt = select(Article).order_by(Article.updated_at.desc(), Article.id.desc())
    if not _sees_drafts(actor):
        if status not in (None, ArticleStatus.PUBLISHED):
            return []
        status = ArticleStatus.PUBLISHED
    if status is not None:
        stmt = stmt.where(Article.status == status)
    if language:
        stmt = stmt.where(Article.language == language.strip().lower())
    if text:
        stmt = stmt.where(func.lower(Article.title).contains(text.strip().lower()[:100]))
    wanted = check_tags([tag])[0] if tag and check_tags([tag]) else None
    with uow() as s:
        if wanted is None:
            return [_summary(a) for a in s.scalars(stmt.offset(max(0, offset)).limit(limit))]
        # Tags are a JSON list: filter here (a knowledge base is hundreds of articles).
        rows = [a for a in s.scalars(stmt) if wanted in (a.tags or ())]
        return [_summary(a) for a in rows[max(0, offset) : max(0, offset) + limit]]


def list_versions(uow: UnitOfWork, actor: Actor, *, article_id: int) -> list[VersionView]:
    require_role(actor, Role.AGENT, *CURATORS)
    with uow() as s:
        _load(s, article_id, actor)
        rows = s.scalars(select(ArticleVersion).where(ArticleVersion.article_id == article_id)
                         .order_by(ArticleVersion.version))
        return [VersionView(v.article_id, v.version, v.title, v.body, tuple(v.tags or ()), v.language,
                            v.author_id, v.note, v.created_at) for v in rows]


# --- feedback ----------------------------------------------------------------------------------


def record_feedback(
    uow: UnitOfWork, actor: Actor | None, *, article_id: int, helpful: bool,
    comment: str | None = None, conversation_id: str | None = None, query: str | None = None,
    version: int | None = None,
) -> FeedbackView:
    """A "did this help?" answer. Anyone may give one, anonymous chat visitors included."""
    if not isinstance(helpful, bool):
        raise DomainError(ErrorCode.INVALID_INPUT, "helpful is yes or no", field="helpful")
    comment = clean_text(comment).strip() if comment else None
    if comment and len(comment) > MAX_COMMENT_CHARS:
        raise DomainError(ErrorCode.INVALID_INPUT, f"a comment has at most {MAX_COMMENT_CHARS} characters",
                          field="comment", reason="too_large")
    with uow() as s:
        article = s.get(Article, article_id)
        if article is None:
            raise not_found("article", article_id)
        row = ArticleFeedback(
            article_id=article_id, version=version or article.current_version, helpful=helpful,
            comment=comment or None, query=clean_text(query)[:MAX_QUERY_CHARS] if query else None,
            conversation_id=(conversation_id or None) and conversation_id[:128],
            user_id=actor.user_id if actor else None, created_at=utcnow(),
        )
        s.add(row)
        s.flush()
        return FeedbackView(row.id, row.article_id, row.version, row.helpful, row.comment,
                            row.conversation_id, row.created_at)


def feedback_summary(uow: UnitOfWork, actor: Actor) -> list[FeedbackSummary]:
    """Per article: how many said it helped and how many said it did not (least helpful first)."""
    require_role(actor, Role.AGENT, *CURATORS)
    helped = func.sum(case((ArticleFeedback.helpful.is_(True), 1), else_=0))
    stmt = (
        select(Article.id, Article.slug, Article.title, func.count(ArticleFeedback.id), helped)
        .join(ArticleFeedback, ArticleFeedback.article_id == Article.id)
        .group_by(Article.id, Article.slug, Article.title)
    )
    with uow() as s:
        rows = [FeedbackSummary(i, slug, title, int(h or 0), int(n) - int(h or 0))
                for i, slug, title, n, h in s.execute(stmt)]
    return sorted(rows, key=lambda r: (r.helpful - r.not_helpful, r.article_id))


# --- for the search index (kb/) ----------------------------------------------------------------


def list_index_entries(uow: UnitOfWork) -> list[IndexEntry]:
    """Every article that belongs in the index (drafts and published, not archived)."""
    with uow() as s:
        rows = s.execute(
            select(Article.id, Article.current_version, Article.status, Article.content_hash)
            .where(Article.status != ArticleStatus.ARCHIVED).order_by(Article.id)
        )
        return [IndexEntry(*row) for row in rows]


def get_articles_for_index(uow: UnitOfWork, *, article_ids: list[int]) -> list[ArticleView]:
    with uow() as s:
        out: list[ArticleView] = []
        ids = sorted(set(article_ids))
        for start in range(0, len(ids), 500):
            chunk = ids[start : start + 500]
            out.extend(_view(a) for a in s.scalars(select(Article).where(Article.id.in_(chunk))))
        return out


@dataclass(frozen=True)
class IndexFingerprint:
    """A cheap summary of the articles table: any create, edit, publish, unpublish,
    archive, restore or delete changes at least one field (the index watcher
    compares two of them instead of reading every article)."""

    articles: int
    last_id: int | None
    versions: int
    published: int
    archived: int
    last_change: datetime | None


def index_fingerprint(uow: UnitOfWork) -> IndexFingerprint:
    """One aggregate query over ``kb_articles``."""
    published = func.sum(case((Article.status == ArticleStatus.PUBLISHED, 1), else_=0))
    archived = func.sum(case((Article.status == ArticleStatus.ARCHIVED, 1), else_=0))
    stmt = select(func.count(Article.id), func.max(Article.id), func.sum(Article.current_version), published,
                  archived, func.max(Article.updated_at))
    with uow() as s:
        count, last_id, versions, pub, arch, last = s.execute(stmt).one()
    return IndexFingerprint(int(count), last_id, int(versions or 0), int(pub or 0), int(arch or 0), last)
