import pytest

from tests.factories import build_world


@pytest.fixture
def world(uow):
    return build_world(uow)
