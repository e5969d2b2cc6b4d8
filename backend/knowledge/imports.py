"""Importing articles: a folder of Markdown files, or a CSV of question/answer pairs.

One transaction per import. Same slug and same content → unchanged (skipped);
changed content → a new version; a source that fails its checks is reported
in ``failed`` with a stable code and not written. A progress bar shows on
request (the CLI turns it on).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session
from tqdm import tqdm

from backend.db import UnitOfWork, utcnow
from backend.errors import DomainError, ErrorCode
from backend.identity.actor import Actor, require_role
from backend.knowledge.content import (
    MAX_BODY_BYTES,
    MAX_CSV_BYTES,
    ArticleInput,
    markdown_files,
    parse_markdown,
    parse_qa_csv,
    read_utf8,
)
from backend.knowledge.models import Article, ArticleStatus
from backend.knowledge.service import CURATORS, insert_article, revise_article


@dataclass(frozen=True)
class ImportProblem:
    source: str
    code: str
    message: str


@dataclass
class ImportReport:
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    failed: list[ImportProblem] = field(default_factory=list)

    @property
    def total(self) -> int:
        return len(self.created) + len(self.updated) + len(self.unchanged) + len(self.failed)

    def to_dict(self) -> dict[str, Any]:
        """The report as plain data (JSON), as ``from_dict`` takes it back (the portal keeps it in a task's row)."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "ImportReport":
        return cls(created=list(data["created"]), updated=list(data["updated"]), unchanged=list(data["unchanged"]),
                   failed=[ImportProblem(**p) for p in data["failed"]])

    def summary(self) -> str:
        return (
            f"{len(self.created)} created, {len(self.updated)} updated (new version), "
            f"{len(self.unchanged)} unchanged, {len(self.failed)} refused"
        )


def _upsert(s: Session, content: ArticleInput, actor: Actor, report: ImportReport, seen: set[str], *,
            publish: bool, at: datetime) -> None:
    label = content.source or content.slug
    if content.slug in seen:
        report.failed.append(ImportProblem(label, str(ErrorCode.DUPLICATE),
                                           f"slug '{content.slug}' appears twice in this import"))
        return
    seen.add(content.slug)
    existing = s.scalar(select(Article).where(Article.slug == content.slug))
    if existing is None:
        wanted = publish if content.status is None else content.status == ArticleStatus.PUBLISHED
        insert_article(s, content, actor, publish=wanted, at=at, note=f"imported from {label}"[:300])
        report.created.append(content.slug)
    elif existing.content_hash == content.content_hash:
        report.unchanged.append(content.slug)
    elif not existing.can_edit():
        report.failed.append(ImportProblem(label, str(ErrorCode.CONFLICT),
                                           f"article '{content.slug}' is archived; restore it first"))
    else:
        revise_article(s, existing, content, actor, at=at, note=f"re-imported from {label}"[:300])
        report.updated.append(content.slug)


Progress = Callable[[int, int], None]  # (done, total), after each file or row


def import_markdown_folder(uow: UnitOfWork, actor: Actor, *, folder: str | Path, publish: bool = True,
                           progress: bool = True, on_progress: Progress | None = None) -> ImportReport:
    """Import every ``*.md`` under ``folder`` (one transaction).

    Same slug and same content → unchanged; changed content → a new version;
    a file that fails its checks is reported in ``failed`` and not written.
    ``on_progress(done, total)`` is called after each file (the portal's
    progress bar); ``progress`` draws a terminal bar (the CLI's).
    """
    require_role(actor, *CURATORS)
    root = Path(folder)
    files = markdown_files(root)
    report = ImportReport()
    seen: set[str] = set()
    with uow() as s:
        at = utcnow()
        for done, path in enumerate(tqdm(files, desc="import markdown", unit="file", disable=not progress), 1):
            rel = str(path.relative_to(root))
            try:
                text = read_utf8(path, limit=MAX_BODY_BYTES + 10_000)
                content = parse_markdown(text, name=path.stem, source=rel)
            except DomainError as exc:
                report.failed.append(ImportProblem(rel, str(exc.code), exc.message))
            else:
                _upsert(s, content, actor, report, seen, publish=publish, at=at)
            if on_progress is not None:
                on_progress(done, len(files))
    return report


def import_qa_csv(uow: UnitOfWork, actor: Actor, *, path: str | Path, publish: bool = True,
                  progress: bool = True, on_progress: Progress | None = None) -> ImportReport:
    """Import a CSV of question/answer pairs (header ``question,answer[,tags,language,slug]``)."""
    require_role(actor, *CURATORS)
    path = Path(path)
    if not path.is_file():
        raise DomainError(ErrorCode.NOT_FOUND, f"file {path} does not exist", path=str(path))
    rows = list(parse_qa_csv(read_utf8(path, limit=MAX_CSV_BYTES), source=path.name))
    report = ImportReport()
    seen: set[str] = set()
    with uow() as s:
        at = utcnow()
        for done, row in enumerate(tqdm(rows, desc="import csv", unit="row", disable=not progress), 1):
            if row.error is not None:
                report.failed.append(ImportProblem(f"{path.name}:{row.line}", str(row.error.code),
                                                   row.error.message))
            else:
                _upsert(s, row.article, actor, report, seen, publish=publish, at=at)
            if on_progress is not None:
                on_progress(done, len(rows))
    return report
