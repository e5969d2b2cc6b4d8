import pytest

from .fixture import March, build


@pytest.fixture
def march(any_uow) -> March:
    """The hand-worked March 2025 on each backend (SQLite; PostgreSQL when configured)."""
    return build(any_uow)
