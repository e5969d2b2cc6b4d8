"""The vector index on disk: FAISS plus a JSON manifest, written atomically.

Folder layout (default ``var/kb/``)::

    manifest.json          the commit point: model, dimension, count, corpus hash,
                           generation, index file name + sha256, passage metadata
    index-000042.faiss     the FAISS index of that generation (IndexIDMap2 over
                           IndexFlatIP, or over IndexHNSWFlat past a size)
    .lock                  writers hold an exclusive flock while they update

A save writes the new index file under a new name (temp file, fsync,
``os.replace``), then the manifest the same way. Until the manifest is
replaced, readers see the previous generation, whose files are kept; a crash
at any point leaves the previous index loadable.

Loading checks the manifest against the expected model and dimension
(``IndexMismatch``) and the files against their checksums and each other
(``IndexCorrupt``); callers rebuild on either.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from pathlib import Path

import faiss
import numpy as np

FORMAT = 1
MANIFEST = "manifest.json"
LOCK = ".lock"
_INDEX_FILE = re.compile(r"^index-(\d+)\.faiss$")

# Past this many passages the exact flat index gives way to HNSW. Measured by
# bench/kb_search.py (one thread, quiet machine): exact search costs 0.03 ms at 1k,
# 0.24 ms at 10k and 6.0 ms at 100k passages (p95 13-20 ms when the machine is
# busy); HNSW answers in 0.6 ms at 100k with recall@10 0.989 against exact
# (0.999 at 10k). At 20k exact search is still ~1 ms and never approximate.
HNSW_THRESHOLD = 20_000
HNSW_M = 32
HNSW_EF_CONSTRUCTION = 80
HNSW_EF_SEARCH = 256  # recall@10 0.989 at 100k (0.978 at 128), 0.5 ms (bench/results/kb_search.md)
TOMBSTONE_LIMIT = 0.10  # HNSW cannot delete: removed passages are masked until 10% → rebuild


class KbIndexError(Exception):
    """The index on disk cannot be used; the caller rebuilds it from the database."""

    reason = "unusable"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class IndexMissing(KbIndexError):
    reason = "missing"


class IndexMismatch(KbIndexError):
    """Built by another model, dimension or format version."""

    reason = "mismatch"


class IndexCorrupt(KbIndexError):
    """Unreadable, truncated, or files that disagree with each other."""

    reason = "corrupt"


@dataclass(frozen=True)
class ArticleDoc:
    """One article as the indexer hands it over (plain data, from the backend or a test)."""

    id: int
    slug: str
    title: str
    body: str
    tags: tuple[str, ...] = ()
    language: str = "en"
    status: str = "published"
    version: int = 1
    content_hash: str = ""


@dataclass(frozen=True)
class PassageRecord:
    id: int
    article_id: int
    slug: str
    version: int
    language: str
    tags: tuple[str, ...]
    status: str
    title: str
    heading: str
    text: str

    def indexed_text(self) -> str:
        head = f"{self.title} — {self.heading}" if self.heading else self.title
        return f"{head}\n{self.text}"

    def to_json(self) -> list:
        return [self.id, self.article_id, self.slug, self.version, self.language, list(self.tags),
                self.status, self.title, self.heading, self.text]

    @classmethod
    def from_json(cls, row: list) -> "PassageRecord":
        i, a, slug, v, lang, tags, status, title, heading, text = row
        return cls(int(i), int(a), slug, int(v), lang, tuple(tags), status, title, heading, text)


@dataclass
class ArticleRecord:
    version: int
    status: str
    content_hash: str
    passage_ids: list[int] = field(default_factory=list)


def _new_index(kind: str, dimension: int) -> faiss.Index:
    if kind == "flat":
        base = faiss.IndexFlatIP(dimension)
    else:
        base = faiss.IndexHNSWFlat(dimension, HNSW_M, faiss.METRIC_INNER_PRODUCT)
        base.hnsw.efConstruction = HNSW_EF_CONSTRUCTION
        base.hnsw.efSearch = HNSW_EF_SEARCH
    return faiss.IndexIDMap2(base)


def _write_atomic(path: Path, data: bytes | memoryview) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        with open(tmp, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    finally:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()


def _fsync_dir(folder: Path) -> None:
    with contextlib.suppress(OSError):
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


@contextlib.contextmanager
def writer_lock(folder: Path) -> Iterator[None]:
    """One writer at a time per index folder (across processes)."""
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / LOCK, "a+") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def manifest_signature(folder: Path) -> tuple[int, int, int] | None:
    """Cheap change detector for readers: (inode, mtime_ns, size) of the manifest."""
    try:
        st = os.stat(Path(folder) / MANIFEST)
    except FileNotFoundError:
        return None
    return (st.st_ino, st.st_mtime_ns, st.st_size)


class VectorStore:
    """Passages, their vectors in FAISS, and which article version each came from."""

    def __init__(self, *, model: str, dimension: int, hnsw_threshold: int = HNSW_THRESHOLD) -> None:
        self.model = model
        self.dimension = dimension
        self.hnsw_threshold = hnsw_threshold
        self.kind = "flat"
        self.index = _new_index("flat", dimension)
        self.passages: list[PassageRecord] = []  # aligned with the index's internal order
        self.deleted: set[int] = set()  # passage ids masked out (HNSW only)
        self.articles: dict[int, ArticleRecord] = {}
        self.next_id = 1
        self.generation = 0

    # --- reading ---------------------------------------------------------------------------

    @property
    def count(self) -> int:
        """Live passages (tombstoned ones excluded)."""
        return len(self.passages) - len(self.deleted)

    def vectors(self) -> np.ndarray:
        """A read-only view (ntotal, dimension) of the stored vectors, in passage order."""
        n = self.index.ntotal
        if n == 0:
            return np.zeros((0, self.dimension), dtype=np.float32)
        inner = faiss.downcast_index(self.index.index)
        storage = faiss.downcast_index(inner.storage) if isinstance(inner, faiss.IndexHNSW) else inner
        view = faiss.rev_swig_ptr(storage.get_xb(), n * self.dimension).reshape(n, self.dimension)
        view.flags.writeable = False
        return view

    def ids(self) -> np.ndarray:
        return faiss.vector_to_array(self.index.id_map).astype(np.int64, copy=False)

    def corpus_hash(self) -> str:
        digest = hashlib.sha256()
        for p in self.passages:
            digest.update(json.dumps([p.id, p.article_id, p.version, p.status, p.id in self.deleted,
                                      p.indexed_text()], ensure_ascii=False).encode("utf-8"))
        return digest.hexdigest()

    # --- changing --------------------------------------------------------------------------

    def add_article(self, doc: ArticleDoc, passages: Sequence, vectors: np.ndarray) -> list[int]:
        """Index ``passages`` of ``doc`` (``kb.passages.Passage``) with their vectors."""
        if len(passages) != len(vectors):
            raise ValueError("one vector per passage")
        if len(vectors) and vectors.shape[1] != self.dimension:
            raise ValueError(f"vectors have dimension {vectors.shape[1]}, index has {self.dimension}")
        if doc.id in self.articles:
            self.remove_article(doc.id)
        ids = list(range(self.next_id, self.next_id + len(passages)))
        self.next_id += len(passages)
        if ids:
            self.index.add_with_ids(np.ascontiguousarray(vectors, dtype=np.float32),
                                    np.asarray(ids, dtype=np.int64))
        for pid, passage in zip(ids, passages):
            self.passages.append(PassageRecord(
                pid, doc.id, doc.slug, doc.version, doc.language, tuple(doc.tags), doc.status,
                doc.title, passage.heading, passage.text,
            ))
        self.articles[doc.id] = ArticleRecord(doc.version, doc.status, doc.content_hash, ids)
        return ids

    def remove_article(self, article_id: int) -> int:
        record = self.articles.pop(article_id, None)
        if record is None or not record.passage_ids:
            return 0
        gone = set(record.passage_ids)
        if self.kind == "flat":
            self.index.remove_ids(faiss.IDSelectorBatch(np.fromiter(gone, dtype=np.int64)))
            self.passages = [p for p in self.passages if p.id not in gone]
        else:
            self.deleted |= gone
        return len(gone)

    def set_status(self, article_id: int, status: str) -> None:
        record = self.articles[article_id]
        record.status = status
        wanted = set(record.passage_ids)
        self.passages = [replace(p, status=status) if p.id in wanted else p for p in self.passages]

    def _target_kind(self) -> str:
        if self.count >= self.hnsw_threshold:
            return "hnsw"
        if self.kind == "hnsw" and self.count >= self.hnsw_threshold // 2:
            return "hnsw"  # hysteresis: do not flip back and forth around the threshold
        return "flat"

    def compact(self) -> None:
        """Switch flat ↔ HNSW by size, and drop HNSW tombstones once they pile up."""
        target = self._target_kind()
        if target == self.kind and len(self.deleted) <= TOMBSTONE_LIMIT * max(1, len(self.passages)):
            return
        live = [i for i, p in enumerate(self.passages) if p.id not in self.deleted]
        vectors = np.array(self.vectors()[live], dtype=np.float32) if live else None
        passages = [self.passages[i] for i in live]
        index = _new_index(target, self.dimension)
        if passages:
            index.add_with_ids(vectors, np.asarray([p.id for p in passages], dtype=np.int64))
        self.index, self.kind, self.passages, self.deleted = index, target, passages, set()

    # --- disk ------------------------------------------------------------------------------

    def save(self, folder: Path | str) -> int:
        """Write a new generation atomically; return its number. Hold ``writer_lock``."""
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        self.compact()
        generation = max(self.generation, _disk_generation(folder)) + 1
        data = faiss.serialize_index(self.index)
        index_name = f"index-{generation:06d}.faiss"
        _write_atomic(folder / index_name, memoryview(data))
        _fsync_dir(folder)  # the index file is durable before the manifest points at it
        manifest = {
            "format": FORMAT,
            "model": self.model,
            "dimension": self.dimension,
            "count": self.count,
            "corpus_hash": self.corpus_hash(),
            "generation": generation,
            "created_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "index_file": index_name,
            "index_sha256": hashlib.sha256(data).hexdigest(),
            "index_kind": self.kind,
            "hnsw": {"M": HNSW_M, "ef_construction": HNSW_EF_CONSTRUCTION, "ef_search": HNSW_EF_SEARCH},
            "hnsw_threshold": self.hnsw_threshold,
            "next_id": self.next_id,
            "deleted": sorted(self.deleted),
            "articles": {
                str(aid): {"version": r.version, "status": r.status, "content_hash": r.content_hash,
                           "passage_ids": r.passage_ids}
                for aid, r in sorted(self.articles.items())
            },
            "passage_fields": ["id", "article_id", "slug", "version", "language", "tags", "status",
                               "title", "heading", "text"],
            "passages": [p.to_json() for p in self.passages],
        }
        _write_atomic(folder / MANIFEST, json.dumps(manifest, ensure_ascii=False).encode("utf-8"))
        _fsync_dir(folder)
        self.generation = generation
        _remove_old_files(folder, keep={generation, generation - 1})
        return generation

    @classmethod
    def load(cls, folder: Path | str, *, model: str, dimension: int,
             hnsw_threshold: int = HNSW_THRESHOLD) -> "VectorStore":
        folder = Path(folder)
        manifest = read_manifest(folder)
        if manifest.get("format") != FORMAT:
            raise IndexMismatch(f"index format {manifest.get('format')!r}; this code reads {FORMAT}")
        if manifest.get("model") != model:
            raise IndexMismatch(f"index built with model {manifest.get('model')!r}, searching with {model!r}")
        if manifest.get("dimension") != dimension:
            raise IndexMismatch(f"index dimension {manifest.get('dimension')}, encoder dimension {dimension}")
        try:
            data = (folder / manifest["index_file"]).read_bytes()
        except (OSError, KeyError, TypeError) as exc:
            raise IndexCorrupt(f"index file unreadable: {exc}") from None
        if hashlib.sha256(data).hexdigest() != manifest.get("index_sha256"):
            raise IndexCorrupt(f"{manifest['index_file']} does not match its checksum in the manifest")
        try:
            index = faiss.deserialize_index(np.frombuffer(data, dtype=np.uint8))
        except RuntimeError as exc:
            raise IndexCorrupt(f"FAISS cannot read {manifest['index_file']}: {str(exc)[:200]}") from None
        store = cls(model=model, dimension=dimension, hnsw_threshold=hnsw_threshold)
        try:
            store._restore(index, manifest)
        except (KeyError, TypeError, ValueError) as exc:
            raise IndexCorrupt(f"manifest is inconsistent: {exc}") from None
        return store

    def _restore(self, index: faiss.Index, manifest: dict) -> None:
        if not isinstance(index, faiss.IndexIDMap2) or index.d != self.dimension:
            raise IndexCorrupt("index file is not an IndexIDMap2 of the manifest's dimension")
        self.index = index
        self.kind = manifest["index_kind"]
        if self.kind == "hnsw":
            faiss.downcast_index(index.index).hnsw.efSearch = HNSW_EF_SEARCH
        self.passages = [PassageRecord.from_json(row) for row in manifest["passages"]]
        self.deleted = set(manifest["deleted"])
        self.articles = {
            int(aid): ArticleRecord(int(r["version"]), r["status"], r["content_hash"], list(r["passage_ids"]))
            for aid, r in manifest["articles"].items()
        }
        self.next_id = int(manifest["next_id"])
        self.generation = int(manifest["generation"])
        if index.ntotal != len(self.passages) or not np.array_equal(self.ids(), [p.id for p in self.passages]):
            raise IndexCorrupt("index and manifest list different passages")
        if self.count != manifest["count"] or self.corpus_hash() != manifest["corpus_hash"]:
            raise IndexCorrupt("manifest count or corpus hash does not match its passages")


def read_manifest(folder: Path) -> dict:
    path = Path(folder) / MANIFEST
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise IndexMissing(f"no index at {folder} (no {MANIFEST})") from None
    try:
        manifest = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise IndexCorrupt(f"{path} is not valid JSON: {exc}") from None
    if not isinstance(manifest, dict):
        raise IndexCorrupt(f"{path} is not a manifest")
    return manifest


def _disk_generation(folder: Path) -> int:
    try:
        return int(read_manifest(folder).get("generation", 0))
    except (KbIndexError, TypeError, ValueError):
        return 0


def _remove_old_files(folder: Path, keep: set[int]) -> None:
    """Drop index files of older generations and temp files of writers that died."""
    for path in folder.iterdir():
        match = _INDEX_FILE.match(path.name)
        stale = (match and int(match.group(1)) not in keep) or path.name.endswith(".tmp")
        if stale:
            with contextlib.suppress(OSError):
                path.unlink()
