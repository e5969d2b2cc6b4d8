"""Keep the index in step with the database: incremental sync and full rebuild.

``Indexer.sync()`` compares what the index holds (article id → version,
status, content hash) with the database: new or changed articles are split
and embedded, archived or deleted ones removed, a status change (draft ↔
published) only relabels passages. Nothing changed → nothing written. Call it
after publish/edit/archive (it costs one small query when nothing changed),
from ``python -m kb sync``, or on a timer.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from pathlib import Path

from tqdm import tqdm

from backend.db import UnitOfWork
from backend.knowledge import service
from kb.encoder import Encoder
from kb.passages import split_passages
from kb.store import (
    HNSW_THRESHOLD,
    ArticleDoc,
    IndexMissing,
    KbIndexError,
    VectorStore,
    writer_lock,
)

log = logging.getLogger("kb.indexer")


@dataclass
class SyncReport:
    added: list[int] = field(default_factory=list)
    updated: list[int] = field(default_factory=list)
    removed: list[int] = field(default_factory=list)
    relabelled: list[int] = field(default_factory=list)
    unchanged: int = 0
    passages_embedded: int = 0
    rebuilt: bool = False
    rebuild_reason: str | None = None
    generation: int = 0
    written: bool = False
    seconds: float = 0.0

    def summary(self) -> str:
        head = f"rebuilt ({self.rebuild_reason}); " if self.rebuilt else ""
        return (
            f"{head}{len(self.added)} added, {len(self.updated)} re-embedded, {len(self.removed)} removed, "
            f"{len(self.relabelled)} relabelled, {self.unchanged} unchanged; {self.passages_embedded} passages "
            f"embedded in {self.seconds:.1f}s; index generation {self.generation}"
        )


def doc_from_view(view) -> ArticleDoc:
    return ArticleDoc(view.id, view.slug, view.title, view.body, tuple(view.tags), view.language, view.status,
                      view.version, view.content_hash)


def index_documents(store: VectorStore, encoder: Encoder, docs: list[ArticleDoc], *, progress: bool = False,
                    batch_size: int = 64) -> int:
    """Split, embed (in batches across articles) and add ``docs``; return the passage count."""
    split = [(doc, split_passages(doc.body)) for doc in docs]
    texts = [p.indexed_text(doc.title) for doc, passages in split for p in passages]
    vectors = encoder.encode(texts, batch_size=batch_size, progress=progress) if texts else None
    at = 0
    for doc, passages in split:
        store.add_article(doc, passages, vectors[at : at + len(passages)] if passages else vectors[:0])
        at += len(passages)
    return len(texts)


class Indexer:
    def __init__(self, folder: Path | str, encoder: Encoder, uow: UnitOfWork, *,
                 hnsw_threshold: int = HNSW_THRESHOLD) -> None:
        self.folder = Path(folder)
        self.encoder = encoder
        self.uow = uow
        self.hnsw_threshold = hnsw_threshold

    def _empty(self) -> VectorStore:
        return VectorStore(model=self.encoder.name, dimension=self.encoder.dimension,
                           hnsw_threshold=self.hnsw_threshold)

    def _load(self, report: SyncReport) -> VectorStore:
        try:
            return VectorStore.load(self.folder, model=self.encoder.name, dimension=self.encoder.dimension,
                                    hnsw_threshold=self.hnsw_threshold)
        except IndexMissing:
            report.rebuilt, report.rebuild_reason = True, "no index yet"
        except KbIndexError as exc:
            log.warning("rebuilding the knowledge index: %s", exc.message)
            report.rebuilt, report.rebuild_reason = True, f"{exc.reason}: {exc.message}"
        return self._empty()

    def sync(self, *, progress: bool = False) -> SyncReport:
        return self._run(rebuild=False, progress=progress)

    def rebuild(self, *, progress: bool = False) -> SyncReport:
        return self._run(rebuild=True, progress=progress)

    def _run(self, *, rebuild: bool, progress: bool) -> SyncReport:
        started = time.perf_counter()
        report = SyncReport()
        with writer_lock(self.folder):
            if rebuild:
                store, report.rebuilt, report.rebuild_reason = self._empty(), True, "asked for"
            else:
                store = self._load(report)
            entries = {e.id: e for e in service.list_index_entries(self.uow)}
            for article_id in sorted(set(store.articles) - set(entries)):
                store.remove_article(article_id)
                report.removed.append(article_id)
            to_embed: list[int] = []
            for article_id, entry in entries.items():
                held = store.articles.get(article_id)
                if held is None:
                    report.added.append(article_id)
                    to_embed.append(article_id)
                elif held.version != entry.version or held.content_hash != entry.content_hash:
                    report.updated.append(article_id)
                    to_embed.append(article_id)
                elif held.status != entry.status:
                    store.set_status(article_id, entry.status)
                    report.relabelled.append(article_id)
                else:
                    report.unchanged += 1
            for start in tqdm(range(0, len(to_embed), 200), desc="embed articles", unit="batch",
                              disable=not progress or len(to_embed) <= 200):
                views = service.get_articles_for_index(self.uow, article_ids=to_embed[start : start + 200])
                docs = [doc_from_view(v) for v in views if v.status != "archived"]
                report.passages_embedded += index_documents(store, self.encoder, docs, progress=progress)
            changed = report.rebuilt or report.added or report.updated or report.removed or report.relabelled
            if changed:
                report.generation = store.save(self.folder)
                report.written = True
            else:
                report.generation = store.generation
        report.seconds = time.perf_counter() - started
        return report
