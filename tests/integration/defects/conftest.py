import pytest

from tests.factories import build_world


@pytest.fixture
def world(any_uow):
    return build_world(any_uow)


@pytest.fixture
def uow(any_uow):
    """The defect tests run on SQLite and on PostgreSQL."""
    return any_uow
