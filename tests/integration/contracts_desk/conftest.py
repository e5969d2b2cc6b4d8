import pytest

from tests.factories import build_world


@pytest.fixture
def world(any_uow):
    return build_world(any_uow)


@pytest.fixture
def uow(any_uow):
    """The contract desk's core tests run on SQLite and on PostgreSQL."""
    return any_uow


@pytest.fixture
def portal(sqlite_url, tmp_path):
    """The portal served for real over SQLite with the test world (as tests/integration/web)."""
    from tests.integration.web.served import serve

    served, portal = serve(sqlite_url, tmp_path)
    with served:
        portal.url = served.base_url
        yield portal
