from __future__ import annotations

import pytest

from backend.db import UnitOfWork, make_engine, make_session_factory
from backend.identity.tokens import issue_token
from tests.integration.livechat.harness import SECRET, FakeRasa, hub_settings, start_hub
from tests.unit.livechat.factories import build_people


@pytest.fixture
def anyio_backend():
    return "asyncio"


@pytest.fixture
def hub_uow(sqlite_url):
    engine = make_engine(sqlite_url)
    yield UnitOfWork(make_session_factory(engine))
    engine.dispose()


@pytest.fixture
def people(hub_uow):
    return build_people(hub_uow)


@pytest.fixture
def tokens(people):
    return {k: issue_token(SECRET, getattr(people, k)) for k in ("asha", "ravi", "meena", "boss", "alice", "tech")}


@pytest.fixture
async def fake_rasa():
    rasa = await FakeRasa().start()
    yield rasa
    await rasa.stop()


@pytest.fixture
def settings(sqlite_url, fake_rasa):
    return hub_settings(sqlite_url, rasa_url=fake_rasa.url)


@pytest.fixture
async def hub(settings, hub_uow, people):
    running = await start_hub(settings, hub_uow)
    yield running
    await running.stop()
