import pytest

from tests.factories import build_world
from tests.integration.api.conftest import api  # noqa: F401  (the served API on each backend)


@pytest.fixture
def world(any_uow):
    return build_world(any_uow)


@pytest.fixture
def uow(any_uow):
    """These tests run on SQLite and on PostgreSQL."""
    return any_uow
