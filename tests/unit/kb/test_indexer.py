"""Keeping the index in step with the database: publish, edit, archive → incremental updates."""

from __future__ import annotations

import json

from backend.knowledge import service
from kb.encoder import HashingEncoder
from kb.indexer import Indexer
from kb.search import Searcher
from kb.store import MANIFEST, VectorStore


def _indexed(index_dir, encoder) -> dict[int, tuple[int, str]]:
    store = VectorStore.load(index_dir, model=encoder.name, dimension=encoder.dimension)
    return {aid: (r.version, r.status) for aid, r in store.articles.items()}


def test_sync_follows_publish_edit_and_archive(uow, admin, encoder, index_dir, make_article):
    indexer = Indexer(index_dir, encoder, uow)
    washer = make_article("washer-errors")
    fridge = make_article("fridge-noise", publish=False)
    first = indexer.sync()
    assert (first.rebuilt, sorted(first.added), first.generation) == (True, [washer.id, fridge.id], 1)
    assert _indexed(index_dir, encoder) == {washer.id: (1, "published"), fridge.id: (1, "draft")}

    service.publish_article(uow, admin, article_id=fridge.id)
    relabel = indexer.sync()
    assert (relabel.relabelled, relabel.passages_embedded) == ([fridge.id], 0)  # no re-embedding for a status

    service.edit_article(uow, admin, article_id=washer.id, body="## E3\nThe door lock is faulty.")
    edit = indexer.sync()
    assert edit.updated == [washer.id] and edit.passages_embedded == 1

    service.archive_article(uow, admin, article_id=washer.id)
    archive = indexer.sync()
    assert archive.removed == [washer.id]
    assert _indexed(index_dir, encoder) == {fridge.id: (1, "published")}
    assert archive.generation == 4


def test_nothing_changed_means_nothing_written(uow, encoder, index_dir, make_article):
    make_article("ac-cooling")
    indexer = Indexer(index_dir, encoder, uow)
    indexer.sync()
    before = (index_dir / MANIFEST).stat().st_mtime_ns
    report = indexer.sync()
    assert (report.written, report.unchanged, report.generation) == (False, 1, 1)
    assert (index_dir / MANIFEST).stat().st_mtime_ns == before


def test_an_index_built_by_another_model_is_rebuilt(uow, encoder, index_dir, make_article):
    make_article("ac-cooling")
    Indexer(index_dir, HashingEncoder(32), uow).sync()
    report = Indexer(index_dir, encoder, uow).sync()
    assert report.rebuilt and report.rebuild_reason.startswith("mismatch")
    assert len(_indexed(index_dir, encoder)) == 1


def test_a_corrupt_index_is_rebuilt(uow, encoder, index_dir, make_article):
    make_article("ac-cooling")
    indexer = Indexer(index_dir, encoder, uow)
    indexer.sync()
    name = json.loads((index_dir / MANIFEST).read_text())["index_file"]
    (index_dir / name).write_bytes(b"\0" * 10)
    report = indexer.sync()
    assert report.rebuilt and report.rebuild_reason.startswith("corrupt")
    assert len(_indexed(index_dir, encoder)) == 1


def test_a_running_searcher_sees_a_publish_after_sync(uow, admin, encoder, index_dir, make_article):
    draft = make_article("ac-cooling", publish=False)
    indexer = Indexer(index_dir, encoder, uow)
    indexer.sync()
    searcher = Searcher(index_dir, encoder, threshold=0.2, check_interval=0)
    assert searcher.search("AC air filters cool mode").hits == []
    service.publish_article(uow, admin, article_id=draft.id)
    indexer.sync()
    assert searcher.search("AC air filters cool mode").best.slug == "ac-cooling"


def test_rebuild_reembeds_everything(uow, encoder, index_dir, make_article):
    make_article("ac-cooling")
    make_article("washer-errors")
    indexer = Indexer(index_dir, encoder, uow)
    indexer.sync()
    report = indexer.rebuild()
    assert report.rebuilt and report.rebuild_reason == "asked for" and report.passages_embedded == 3
