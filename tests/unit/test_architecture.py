"""The shape promised in the README: layers point inward, the schema comes
only from migrations, and the migrations match the models."""

from __future__ import annotations

import ast
from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import select

from backend.ledger.chart import CHART
from backend.ledger.models import Account
from backend.models import metadata

ROOT = Path(__file__).resolve().parents[2]
ADAPTER_ONLY = {"aiohttp", "socketio", "engineio", "faiss", "rasa_sdk", "rasa", "sentence_transformers", "torch"}


def _imports(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


def test_the_backend_core_imports_no_framework():
    offenders = {}
    for path in (ROOT / "backend").rglob("*.py"):
        if path.relative_to(ROOT / "backend").parts[0] in ("api", "web"):
            continue  # the two HTTP adapters: backend/api (JSON API) and backend/web (portal pages)
        bad = _imports(path) & ADAPTER_ONLY
        if bad:
            offenders[str(path.relative_to(ROOT))] = sorted(bad)
    assert offenders == {}


def test_the_backend_never_imports_the_outer_packages():
    outer = {"livechat", "actions", "kb", "bot"}
    offenders = {str(p.relative_to(ROOT)): sorted(_imports(p) & outer)
                 for p in (ROOT / "backend").rglob("*.py") if _imports(p) & outer}
    assert offenders == {}


def test_migrations_produce_exactly_the_models(sqlite_engine):
    with sqlite_engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), metadata)
    assert diff == []


def test_the_chart_of_accounts_in_the_migration_matches_the_code(uow):
    with uow() as s:
        rows = {(a.code, a.name, a.type) for a in s.scalars(select(Account))}
    assert rows == {(code, name, str(kind)) for code, name, kind in CHART}
