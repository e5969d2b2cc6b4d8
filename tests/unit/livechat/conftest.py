import pytest

from tests.unit.livechat.factories import build_people


@pytest.fixture
def people(uow):
    return build_people(uow)
