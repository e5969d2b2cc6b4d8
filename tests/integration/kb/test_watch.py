"""``python -m kb watch``: articles published, edited and archived in the database
reach a searcher over the same folder with no manual step (the real model).

Waits are loops on a condition with a generous bound, never timing assertions."""

from __future__ import annotations

import itertools
import shutil
import threading
import time
from collections.abc import Callable

import pytest
from sqlalchemy import text

from backend.db import UnitOfWork, make_engine, make_session_factory
from backend.identity.actor import SYSTEM
from backend.knowledge import service as kb
from backend.migrate import upgrade
from backend.settings import Settings
from kb.cli import main
from kb.encoder import MiniLMEncoder
from kb.search import Searcher
from kb.watch import AlreadyWatched, Watcher

pytestmark = pytest.mark.model

BOUND = 180.0  # seconds: the real model loads and embeds on a busy 2-core machine


def until(check: Callable[[], object], what: str, bound: float = BOUND) -> object:
    deadline = time.monotonic() + bound
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {bound:.0f} s: {what}")
        time.sleep(0.2)


@pytest.fixture(scope="module")
def encoder():
    return MiniLMEncoder()


@pytest.fixture
def db(sqlite_template, tmp_path):
    shutil.copy(sqlite_template, tmp_path / "db.sqlite3")
    engine = make_engine(f"sqlite:///{tmp_path / 'db.sqlite3'}")
    yield UnitOfWork(make_session_factory(engine))
    engine.dispose()


class Running:
    """A watcher polling in a thread, its printed lines collected."""

    def __init__(self, folder, uow, encoder, **kw) -> None:
        self.lines: list[str] = []
        self.watcher = Watcher(folder, uow, lambda: encoder, say=self.lines.append, **kw)
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self.watcher.run, args=(self.stop,), daemon=True)

    def __enter__(self) -> Running:  # noqa: PYI034
        self.watcher.acquire()
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop.set()
        self.thread.join(60)
        self.watcher.release()

    def said(self, fragment: str) -> bool:
        return any(fragment in line for line in list(self.lines))


def slugs(searcher: Searcher, query: str, audience: str = "customer") -> list[str]:
    return [h.slug for h in searcher.search(query, audience=audience).hits]


def best(searcher: Searcher, query: str) -> str | None:
    result = searcher.search(query)
    return result.best.slug if result.best else None


QUESTION = "how do I descale the Zephyr steam iron"


def test_publish_edit_archive_reach_the_searcher_without_a_manual_step(db, tmp_path, encoder):
    folder = tmp_path / "kb"
    kb.create_article(db, SYSTEM, slug="ac-filter", title="Cleaning the AC filter", publish=True,
                      body="Switch the AC off. Slide the filters out, wash them in lukewarm water, dry them in shade.")
    searcher = Searcher(folder, encoder)  # made before any index exists, as the hub and the action server are
    assert searcher.search("clean the AC filter").reason == "no_index"

    with Running(folder, db, encoder, interval=0.5) as run:
        until(lambda: best(searcher, "how do I clean the AC filter") == "ac-filter", "the first index is used")
        assert run.said("synced (1 articles, 1 published, 0 archived): rebuilt (no index yet); 1 added")

        draft = kb.create_article(db, SYSTEM, slug="zephyr-iron", title="Descaling the Zephyr steam iron",
                                  body="Fill the Zephyr tank with white vinegar, heat it, press the anti-calc button "
                                       "over the sink until the vinegar has run through, then rinse twice.")
        until(lambda: "zephyr-iron" in slugs(searcher, QUESTION, audience="agent"), "the draft reaches staff")
        assert "zephyr-iron" not in slugs(searcher, QUESTION)  # a draft is not for customers

        kb.publish_article(db, SYSTEM, article_id=draft.id)
        until(lambda: best(searcher, QUESTION) == "zephyr-iron", "the published article answers customers")
        assert run.said("1 relabelled")  # publishing re-labels, it does not embed again

        kb.edit_article(db, SYSTEM, article_id=draft.id,
                        body="Use citric acid, never vinegar: dissolve one spoon in the Zephyr tank, heat it, "
                             "press the anti-calc button over the sink, then rinse twice.")
        until(lambda: "citric acid" in searcher.search(QUESTION).best.text, "the edit is what customers read")
        assert run.said("1 re-embedded")

        kb.archive_article(db, SYSTEM, article_id=draft.id)
        until(lambda: "zephyr-iron" not in slugs(searcher, QUESTION, audience="agent"), "the archived one is gone")
        assert run.said("1 removed")
        assert best(searcher, "how do I clean the AC filter") == "ac-filter"
        assert run.watcher.state.failures == 0

    syncs = run.watcher.state.syncs
    assert syncs == len([line for line in run.lines if line.startswith("synced")]) >= 5


def test_a_database_error_is_reported_and_retried_until_it_is_fixed(tmp_path, encoder):
    """An unmigrated database: the watcher says why it cannot sync, keeps going, and syncs once it can."""
    engine = make_engine(f"sqlite:///{tmp_path / 'late.sqlite3'}")
    uow = UnitOfWork(make_session_factory(engine))
    searcher = Searcher(tmp_path / "kb", encoder)
    try:
        with Running(tmp_path / "kb", uow, encoder, interval=0.2, max_backoff=0.5) as run:
            until(lambda: run.watcher.state.failures >= 2, "two failed attempts")
            assert run.said("sync failed (OperationalError: no such table: kb_articles); retrying in")
            upgrade(engine)
            kb.create_article(uow, SYSTEM, slug="late", title="Booking a late visit", publish=True,
                              body="Evening visits between 6 and 9 pm can be booked in the chat.")
            until(lambda: best(searcher, "can I book an evening visit") == "late", "the index after recovery")
            assert run.said("recovered after") and run.watcher.state.last_error is None
    finally:
        engine.dispose()


def test_an_unusable_index_folder_is_reported_and_retried(db, tmp_path, encoder):
    folder = tmp_path / "kb"
    kb.create_article(db, SYSTEM, slug="ac-filter", title="Cleaning the AC filter", publish=True,
                      body="Slide the filters out and wash them in lukewarm water.")
    folder.mkdir()
    (folder / "manifest.json").write_text("{ not json", encoding="utf-8")
    searcher = Searcher(folder, encoder)
    with Running(folder, db, encoder, interval=0.2) as run:
        # a broken manifest is rebuilt from the database, and said so
        until(lambda: best(searcher, "how do I clean the AC filter") == "ac-filter", "the rebuilt index")
        assert run.said("rebuilt (")


def test_one_watcher_per_folder_and_the_cli(db, tmp_path, encoder, sqlite_template, capsys):
    folder = tmp_path / "kb"
    first = Watcher(folder, db, lambda: encoder)
    first.acquire()
    try:
        with pytest.raises(AlreadyWatched, match="another watcher"):
            Watcher(folder, db, lambda: encoder).acquire()
        settings = Settings(var_dir=tmp_path, database_url=str(db_url(db)))
        assert main(["watch", "--index-dir", str(folder)], encoder=encoder, settings=settings) == 3
        assert "not started: another watcher (pid " in capsys.readouterr().out
    finally:
        first.release()
    kb.create_article(db, SYSTEM, slug="ac-filter", title="Cleaning the AC filter", publish=True,
                      body="Slide the filters out and wash them in lukewarm water.")
    assert main(["watch", "--once", "--index-dir", str(folder)], encoder=encoder, settings=settings) == 0
    out = capsys.readouterr().out
    assert "synced (1 articles, 1 published, 0 archived): rebuilt (no index yet); 1 added" in out
    assert main(["watch", "--once", "--index-dir", str(folder)], encoder=encoder, settings=settings) == 0
    assert "checked (1 articles, 1 published, 0 archived): 0 added" in capsys.readouterr().out

    assert main(["watch", "--interval", "0", "--index-dir", str(folder)], encoder=encoder, settings=settings) == 2
    assert "refused [invalid_input]" in capsys.readouterr().err


def db_url(uow: UnitOfWork) -> str:
    with uow() as s:
        return s.get_bind().url.render_as_string(hide_password=False)


def test_the_fingerprint_moves_with_every_change(db):
    seen = [kb.index_fingerprint(db)]
    article = kb.create_article(db, SYSTEM, slug="a", title="An article", body="Some words.")
    steps = [
        lambda: kb.publish_article(db, SYSTEM, article_id=article.id),
        lambda: kb.edit_article(db, SYSTEM, article_id=article.id, body="Other words."),
        lambda: kb.unpublish_article(db, SYSTEM, article_id=article.id),
        lambda: kb.archive_article(db, SYSTEM, article_id=article.id),
        lambda: kb.restore_article(db, SYSTEM, article_id=article.id),
    ]
    seen.append(kb.index_fingerprint(db))
    for step in steps:
        step()
        seen.append(kb.index_fingerprint(db))
    with db() as s:
        s.execute(text("DELETE FROM kb_article_versions"))
        s.execute(text("DELETE FROM kb_articles"))
    seen.append(kb.index_fingerprint(db))
    assert all(a != b for a, b in itertools.pairwise(seen))
    assert kb.index_fingerprint(db) == seen[-1]  # and stays put when nothing changes
