import pytest
from sqlalchemy import select

from backend.models import metadata
from tests.factories import build_world


@pytest.fixture
def world(any_uow):
    return build_world(any_uow)


@pytest.fixture
def uow(any_uow):
    """The admin's use cases run on SQLite and on PostgreSQL."""
    return any_uow


@pytest.fixture
def snapshot(engine):
    """Every row of every table, to prove that a refusal wrote nothing."""

    def take() -> dict[str, list[tuple]]:
        out = {}
        with engine.connect() as conn:
            for table in metadata.sorted_tables:
                order = list(table.primary_key.columns) or list(table.columns)
                out[table.name] = [tuple(map(str, row)) for row in conn.execute(select(table).order_by(*order))]
        return out

    return take
