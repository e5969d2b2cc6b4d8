"""Actions against a real, migrated SQLite database with the test world in it."""

from __future__ import annotations

from zoneinfo import ZoneInfo

import pytest

from actions import runtime
from backend.settings import Settings
from tests.factories import build_world
from tests.unit.actions.helpers import SECRET


@pytest.fixture
def world(uow, tmp_path):
    w = build_world(uow)
    runtime.configure(runtime.Runtime(
        settings=Settings(var_dir=tmp_path, database_url="sqlite://", secret_key=SECRET, currency="INR"),
        uow=uow, zone=ZoneInfo("Asia/Kolkata"), searcher_factory=lambda: None))
    yield w
    runtime.configure(None)


@pytest.fixture
def rt(world):
    return runtime.get()
