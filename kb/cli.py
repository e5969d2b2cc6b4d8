"""``python -m kb rebuild | sync | watch | search "query" | import-md DIR | import-csv FILE | status``

Uses ``DATABASE_URL`` (default: the SQLite file under ``var/``, see
``backend.settings``) and the index folder ``KB_INDEX_DIR`` (default ``var/kb``).
Exit codes: 0 done, 2 refused input, 3 unusable index or database (or, for
``watch``, another watcher already keeps the folder up to date).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from dataclasses import asdict
from pathlib import Path

from sqlalchemy.exc import OperationalError, ProgrammingError

import backend.models  # noqa: F401  (every area's tables, so cross-area foreign keys resolve)
from backend.db import UnitOfWork, make_engine, make_session_factory
from backend.errors import DomainError
from backend.identity.actor import SYSTEM
from backend.knowledge import imports
from backend.settings import Settings
from kb.encoder import Encoder
from kb.store import KbIndexError, read_manifest


def index_dir(settings: Settings, env: dict | None = None) -> Path:
    env = os.environ if env is None else env
    return Path(env.get("KB_INDEX_DIR") or settings.var_dir / "kb")


def _parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--index-dir", type=Path, help="index folder (default $KB_INDEX_DIR or var/kb)")
    common.add_argument("--quiet", action="store_true", help="no progress bars")
    common.add_argument("--create-tables", action="store_true",
                        help="development only: create missing tables without migrations")
    parser = argparse.ArgumentParser(prog="python -m kb", description="Knowledge base: import, index, search.")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("rebuild", parents=[common], help="embed every article again and write a fresh index")
    sub.add_parser("sync", parents=[common], help="bring the index in step with the database (incremental)")
    sub.add_parser("status", parents=[common], help="what the index on disk holds")
    watch = sub.add_parser("watch", parents=[common],
                           help="sync the index whenever articles change (the one index writer of `make run`)")
    watch.add_argument("--interval", type=float, default=float(os.environ.get("KB_WATCH_INTERVAL") or 5),
                       help="seconds between checks of the articles table (default $KB_WATCH_INTERVAL or 5)")
    watch.add_argument("--keep-model", type=float, default=300.0,
                       help="seconds the embedding model stays loaded after a sync (default 300)")
    watch.add_argument("--once", action="store_true", help="check once, sync if needed, exit")
    search = sub.add_parser("search", parents=[common], help="search the index")
    search.add_argument("query")
    search.add_argument("-k", type=int, default=5)
    search.add_argument("--language")
    search.add_argument("--tag", action="append", dest="tags")
    search.add_argument("--audience", default="customer", choices=["customer", "agent", "manager", "admin"])
    search.add_argument("--json", action="store_true")
    for name, what in (("import-md", "a folder of Markdown files"), ("import-csv", "a CSV of question,answer")):
        cmd = sub.add_parser(name, parents=[common], help=f"import {what}, then sync the index")
        cmd.add_argument("path", type=Path)
        cmd.add_argument("--draft", action="store_true", help="new articles stay drafts")
        cmd.add_argument("--no-sync", action="store_true", help="do not update the index afterwards")
    return parser


def main(argv: list[str] | None = None, *, encoder: Encoder | None = None, settings: Settings | None = None) -> int:
    args = _parser().parse_args(argv)
    settings = settings or Settings.from_env()
    folder = args.index_dir or index_dir(settings)
    progress = not args.quiet
    if args.command == "status":
        return _status(folder)
    if args.command == "watch":
        from kb.watch import watch

        return watch(args, settings, folder, lambda: _encoder(encoder))
    engine = make_engine(settings.database_url)
    try:
        if args.create_tables:
            from backend.db import Base

            Base.metadata.create_all(engine)
        uow = UnitOfWork(make_session_factory(engine))
        return _run(args, uow, folder, encoder, progress)
    except DomainError as exc:
        print(f"refused [{exc.code}]: {exc.message}", file=sys.stderr)
        return 2
    except KbIndexError as exc:
        print(f"index unusable ({exc.reason}): {exc.message}", file=sys.stderr)
        return 3
    except (OperationalError, ProgrammingError) as exc:
        print(f"database not ready ({settings.database_url.split('://')[0]}): {str(exc.orig)[:200]}\n"
              "run the migrations first (make run does), or pass --create-tables for a scratch database",
              file=sys.stderr)
        return 3
    finally:
        engine.dispose()


def _encoder(encoder: Encoder | None) -> Encoder:
    if encoder is not None:
        return encoder
    from kb.encoder import default_encoder

    return default_encoder()


def _run(args, uow: UnitOfWork, folder: Path, encoder: Encoder | None, progress: bool) -> int:
    from kb.indexer import Indexer

    actor = SYSTEM.via("cli")
    if args.command in ("import-md", "import-csv"):
        if args.command == "import-md":
            report = imports.import_markdown_folder(uow, actor, folder=args.path, publish=not args.draft,
                                                    progress=progress)
        else:
            report = imports.import_qa_csv(uow, actor, path=args.path, publish=not args.draft, progress=progress)
        print(f"import: {report.summary()}")
        for problem in report.failed:
            print(f"  refused {problem.source} [{problem.code}]: {problem.message}")
        if not args.no_sync:
            print(f"index: {Indexer(folder, _encoder(encoder), uow).sync(progress=progress).summary()}")
        return 0
    if args.command in ("sync", "rebuild"):
        indexer = Indexer(folder, _encoder(encoder), uow)
        report = indexer.rebuild(progress=progress) if args.command == "rebuild" else indexer.sync(progress=progress)
        print(f"index: {report.summary()}")
        return 0
    return _search(args, folder, _encoder(encoder))


def _search(args, folder: Path, encoder: Encoder) -> int:
    from kb.search import Searcher

    searcher = Searcher(folder, encoder)
    result = searcher.search(args.query, language=args.language, tags=args.tags, audience=args.audience, k=args.k)
    if args.json:
        print(json.dumps(asdict(result), ensure_ascii=False, indent=2))
        return 0
    verdict = "answer" if result.confident else f"not sure ({result.reason})"
    print(f"{verdict}; index generation {result.generation}")
    if searcher.last_error:
        print(f"  index problem: {searcher.last_error}")
    for rank_no, hit in enumerate(result.hits, 1):
        where = f"{hit.title} › {hit.heading}" if hit.heading else hit.title
        print(f"{rank_no}. [{hit.score:.3f} cos {hit.dense_score:.3f} bm25 {hit.lexical_score:.2f}] {where}"
              f"  (/kb/{hit.slug}{'' if hit.status == 'published' else ', ' + hit.status})")
        print(f"   {hit.snippet}")
    return 0


def _status(folder: Path) -> int:
    try:
        manifest = read_manifest(folder)
    except KbIndexError as exc:
        print(f"index unusable ({exc.reason}): {exc.message}", file=sys.stderr)
        return 3
    keys = ("model", "dimension", "count", "generation", "index_kind", "corpus_hash", "created_at")
    for key in keys:
        print(f"{key}: {manifest.get(key)}")
    print(f"articles: {len(manifest.get('articles', {}))}")
    return 0
