"""One real Rasa server (``tests.support.rasa_stack``) shared by the hub's
integration and browser tests (marked ``rasa``): the project's bot with its
action server when it has been trained, else the tiny keyword bot."""

from __future__ import annotations

import shutil
from pathlib import Path

from tests.support.rasa_stack import (
    ROOT,
    RasaStack,
    project_model,
    start_stack,
    tiny_model,
)

__all__ = ["ROOT", "shared_rasa"]

_shared: dict[str, object] = {}


def shared_rasa(sqlite_template: Path, workdir: Path) -> tuple[RasaStack, str, object, object]:
    """One Rasa (and action server) per test run: loading the project's model
    takes a minute or more on two cores. Returns (server, database url, unit
    of work, people) on its own copy of the migrated database; stopped when
    the run ends."""
    if "env" not in _shared:
        import atexit

        from backend.db import UnitOfWork, make_engine, make_session_factory
        from tests.integration.livechat.harness import SECRET
        from tests.unit.livechat.factories import build_people

        workdir.mkdir(parents=True, exist_ok=True)
        db = workdir / "hub.sqlite3"
        shutil.copy(sqlite_template, db)
        url = f"sqlite:///{db}"
        engine = make_engine(url)
        uow = UnitOfWork(make_session_factory(engine))
        people = build_people(uow, prefix="r")
        server = start_stack(workdir / "rasa", database_url=url, secret_key=SECRET,
                             model=project_model() or tiny_model())
        atexit.register(server.stop)
        atexit.register(engine.dispose)
        _shared["env"] = (server, url, uow, people)
    return _shared["env"]
