"""The index on disk: round trip, incremental updates, atomic writes, refusing bad files."""

from __future__ import annotations

import json
import os

import numpy as np
import pytest

from kb import store as store_module
from kb.encoder import HashingEncoder
from kb.indexer import index_documents
from kb.store import (
    MANIFEST,
    ArticleDoc,
    IndexCorrupt,
    IndexMismatch,
    IndexMissing,
    VectorStore,
)

DOCS = [
    ArticleDoc(1, "washer", "Washer errors", "## E3\nDoor not locked.\n## E4\nUnbalanced load.", ("washer",)),
    ArticleDoc(2, "ac", "AC not cooling", "Clean the filters.", ("ac",)),
    ArticleDoc(3, "fridge", "Fridge noise", "A hum is normal.", ("fridge",), status="draft"),
]


def _store(encoder, docs=DOCS, **kw) -> VectorStore:
    store = VectorStore(model=encoder.name, dimension=encoder.dimension, **kw)
    index_documents(store, encoder, list(docs))
    return store


def _load(folder, encoder, **kw) -> VectorStore:
    return VectorStore.load(folder, model=encoder.name, dimension=encoder.dimension, **kw)


def test_save_and_load_round_trip(encoder, index_dir):
    store = _store(encoder)
    generation = store.save(index_dir)
    loaded = _load(index_dir, encoder)
    assert generation == loaded.generation == 1
    assert loaded.passages == store.passages
    assert loaded.count == 4 and loaded.kind == "flat"
    assert np.array_equal(loaded.vectors(), store.vectors())
    assert loaded.corpus_hash() == store.corpus_hash()
    manifest = json.loads((index_dir / MANIFEST).read_text())
    assert {k: manifest[k] for k in ("model", "dimension", "count")} == {
        "model": encoder.name, "dimension": encoder.dimension, "count": 4}
    assert manifest["articles"]["3"]["status"] == "draft"


def test_incremental_add_remove_and_relabel(encoder, index_dir):
    store = _store(encoder)
    store.save(index_dir)
    store = _load(index_dir, encoder)
    store.remove_article(1)
    index_documents(store, encoder, [ArticleDoc(2, "ac", "AC not cooling", "Clean the filters often.", version=2)])
    store.set_status(3, "published")
    store.save(index_dir)
    loaded = _load(index_dir, encoder)
    assert sorted(loaded.articles) == [2, 3]
    assert {(p.article_id, p.version, p.status) for p in loaded.passages} == {(2, 2, "published"), (3, 1, "published")}
    assert loaded.next_id == 6  # ids are never reused
    scores, ids = loaded.index.search(encoder.encode(["Clean the filters often"]), 1)
    assert [p.article_id for p in loaded.passages if p.id == ids[0][0]] == [2]


def test_hnsw_past_the_threshold_with_tombstones_then_compaction(encoder, index_dir):
    docs = [ArticleDoc(i, f"a{i}", f"Article {i}", f"Body text number {i} about topic {i % 7}.") for i in range(1, 41)]
    store = _store(encoder, docs, hnsw_threshold=30)
    store.save(index_dir)
    loaded = _load(index_dir, encoder, hnsw_threshold=30)
    assert loaded.kind == "hnsw" and loaded.count == 40
    loaded.remove_article(5)  # HNSW cannot delete: a tombstone until compaction
    assert loaded.count == 39 and len(loaded.passages) == 40
    loaded.save(index_dir)  # 1 tombstone of 40 stays under the 10% limit
    again = _load(index_dir, encoder, hnsw_threshold=30)
    assert again.deleted == set(loaded.deleted) and again.count == 39
    for article in range(6, 31):
        again.remove_article(article)
    again.save(index_dir)  # 14 live passages (< half the threshold): exact search again, no tombstones
    final = _load(index_dir, encoder, hnsw_threshold=30)
    assert (final.kind, final.count, final.deleted) == ("flat", 14, set())


@pytest.mark.parametrize("other", [HashingEncoder(64, name="another-model"), HashingEncoder(32)])
def test_an_index_from_another_model_or_dimension_is_refused(encoder, index_dir, other):
    _store(encoder).save(index_dir)
    with pytest.raises(IndexMismatch):
        _load(index_dir, other)


def test_a_missing_index_is_reported_as_missing(encoder, index_dir):
    with pytest.raises(IndexMissing):
        _load(index_dir, encoder)


def _corrupt_index_file(folder):
    name = json.loads((folder / MANIFEST).read_text())["index_file"]
    data = bytearray((folder / name).read_bytes())
    data[len(data) // 2] ^= 0xFF
    (folder / name).write_bytes(bytes(data))


def _truncate_index_file(folder):
    name = json.loads((folder / MANIFEST).read_text())["index_file"]
    (folder / name).write_bytes((folder / name).read_bytes()[:100])


def _edit_manifest(folder):
    manifest = json.loads((folder / MANIFEST).read_text())
    manifest["passages"][0][-1] = "tampered text"
    (folder / MANIFEST).write_text(json.dumps(manifest))


@pytest.mark.parametrize("damage", [
    _corrupt_index_file, _truncate_index_file, _edit_manifest,
    lambda folder: (folder / MANIFEST).write_text("{not json"),
    lambda folder: [p.unlink() for p in folder.glob("index-*.faiss")],
])
def test_damaged_files_are_refused_as_corrupt(encoder, index_dir, damage):
    _store(encoder).save(index_dir)
    damage(index_dir)
    with pytest.raises(IndexCorrupt):
        _load(index_dir, encoder)


def test_a_failure_between_writing_the_index_and_the_manifest_leaves_the_previous_index(
        encoder, index_dir, monkeypatch):
    first = _store(encoder)
    first.save(index_dir)
    second = _load(index_dir, encoder)
    second.remove_article(1)
    real_replace = os.replace

    def crash_on_manifest(src, dst):
        if str(dst).endswith(MANIFEST):
            raise OSError("disk full (simulated)")
        real_replace(src, dst)

    monkeypatch.setattr(store_module.os, "replace", crash_on_manifest)
    with pytest.raises(OSError):
        second.save(index_dir)
    monkeypatch.undo()
    survivor = _load(index_dir, encoder)
    assert survivor.generation == 1 and sorted(survivor.articles) == [1, 2, 3]
    assert not list(index_dir.glob("*.tmp"))
    second.save(index_dir)  # the next save works (over the orphaned file of the failed one)
    assert _load(index_dir, encoder).generation == 2
    assert sorted(p.name for p in index_dir.glob("index-*.faiss")) == ["index-000001.faiss", "index-000002.faiss"]


def test_only_the_current_and_previous_generations_are_kept(encoder, index_dir):
    store = _store(encoder)
    for _ in range(4):
        store.save(index_dir)
    assert sorted(p.name for p in index_dir.glob("index-*.faiss")) == ["index-000003.faiss", "index-000004.faiss"]
