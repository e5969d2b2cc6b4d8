"""One real stack for the knowledge and understanding conversation tests: Rasa on the trained
model, the real action server, an index of the starter articles (data/kb) built with the real
model in a temporary folder, and the portal the article links lead to, all on one SQLite file.
Started once for the package (Rasa takes most of a minute to load)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from backend.db import UnitOfWork, make_engine, make_session_factory
from backend.identity.actor import SYSTEM
from backend.knowledge import imports
from tests.support.rasa_stack import MODEL, ROOT, start_stack

KB_SECRET = "kb-bot-secret"
STARTERS = ROOT / "data" / "kb"


@pytest.fixture(scope="package")
def kb_stack(tmp_path_factory, sqlite_template):
    if not MODEL.exists():
        pytest.skip(f"no trained model at {MODEL}: run `make train` (make test trains first)")
    from kb.encoder import MiniLMEncoder
    from kb.indexer import Indexer
    from tests.integration.web.served import serve

    folder: Path = tmp_path_factory.mktemp("kb-bot")
    shutil.copy(sqlite_template, folder / "db.sqlite3")
    url = f"sqlite:///{folder / 'db.sqlite3'}"
    engine = make_engine(url)
    uow = UnitOfWork(make_session_factory(engine))
    assert imports.import_markdown_folder(uow, SYSTEM, folder=STARTERS, progress=False).failed == []
    report = Indexer(folder / "kb", MiniLMEncoder(), uow).sync()
    assert report.written and len(report.added) == len(list(STARTERS.glob("*.md")))
    served, _portal = serve(url, folder)  # the portal: where the bot's article links lead
    with served:
        bot = start_stack(folder / "stack", database_url=url, secret_key=KB_SECRET, kb_index_dir=folder / "kb",
                          env={"KB_ARTICLE_URL": served.base_url + "/portal/kb/{slug}"})
        try:
            yield bot, uow, served.base_url
        finally:
            bot.stop()
    engine.dispose()
