"""Shared fixtures: databases built through the real migrations.

SQLite always runs. PostgreSQL runs when TEST_DATABASE_URL is set; each test
session gets its own schema there, so parallel runs do not collide. With
REQUIRE_SERVICES=1 (set by .ci/run) a missing server fails instead of skipping.
"""

from __future__ import annotations

import os
import shutil
import uuid
from pathlib import Path

import pytest
from sqlalchemy import text

from backend.db import UnitOfWork, make_engine, make_session_factory
from backend.migrate import upgrade
from backend.models import metadata

REFERENCE_TABLES = {"accounts", "coverage_types", "alembic_version"}


def _require(var: str, what: str) -> str:
    value = os.environ.get(var)
    if not value:
        message = f"{var} is not set: {what} tests need it (bash .ci/run sets it)"
        if os.environ.get("REQUIRE_SERVICES") == "1":
            pytest.fail(message)
        pytest.skip(message)
    return value


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("db") / "template.sqlite3"
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    engine.dispose()
    return path


@pytest.fixture
def sqlite_url(sqlite_template, tmp_path) -> str:
    path = tmp_path / "test.sqlite3"
    shutil.copy(sqlite_template, path)
    return f"sqlite:///{path}"


@pytest.fixture(scope="session")
def pg_schema_engine():
    url = _require("TEST_DATABASE_URL", "PostgreSQL")
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = make_engine(url)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    engine = make_engine(url, connect_args={"options": f"-csearch_path={schema}"})
    upgrade(engine)
    yield engine
    engine.dispose()
    with admin.begin() as conn:
        conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    admin.dispose()


def _empty(engine) -> None:
    names = [t.name for t in reversed(metadata.sorted_tables) if t.name not in REFERENCE_TABLES]
    with engine.begin() as conn:
        conn.execute(text("TRUNCATE " + ", ".join(f'"{n}"' for n in names) + " RESTART IDENTITY CASCADE"))
        # the seeded contract types outlive a test: undo what a test may switch on
        conn.execute(text("UPDATE coverage_types SET requires_signature = false"))


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def engine(request, sqlite_url):
    """The real schema on each backend: SQLite, and PostgreSQL when configured."""
    if request.param == "sqlite":
        eng = make_engine(sqlite_url)
        yield eng
        eng.dispose()
    else:
        eng = request.getfixturevalue("pg_schema_engine")
        _empty(eng)
        yield eng


@pytest.fixture
def sqlite_engine(sqlite_url):
    eng = make_engine(sqlite_url)
    yield eng
    eng.dispose()


@pytest.fixture
def uow(sqlite_engine) -> UnitOfWork:
    """Unit tests: a fresh migrated SQLite database."""
    return UnitOfWork(make_session_factory(sqlite_engine))


@pytest.fixture
def any_uow(engine) -> UnitOfWork:
    """Integration tests: the same test on SQLite and on PostgreSQL."""
    return UnitOfWork(make_session_factory(engine))
