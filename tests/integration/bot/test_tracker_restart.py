"""Conversations survive a Rasa restart: with the SQL tracker store of
endpoints.yml (here on a SQLite file of the test's own), a customer midway
through the service-request form gets the next question after Rasa is
SIGKILLed and started again, not the start of the conversation. Goes through
the real action server, so the shared token is exercised too.

Needs the trained model (`make train`; `make test` trains first).
"""

from __future__ import annotations

import shutil
import sqlite3

import pytest

from backend.db import UnitOfWork, make_engine, make_session_factory
from backend.identity.tokens import issue_token
from tests.factories import build_world
from tests.support.rasa_stack import MODEL, ROOT, start_stack, texts

pytestmark = pytest.mark.rasa
SECRET = "integration-secret"


def test_a_form_in_progress_continues_after_rasa_is_killed(tmp_path, sqlite_template):
    if not MODEL.exists():
        pytest.skip(f"no trained model at {MODEL}: run `make train` (make test trains first)")
    db = tmp_path / "bot.sqlite3"
    shutil.copy(sqlite_template, db)
    url = f"sqlite:///{db}"
    engine = make_engine(url)
    world = build_world(UnitOfWork(make_session_factory(engine)))
    tracker_db = tmp_path / "rasa" / "tracker.sqlite3"
    bot = start_stack(tmp_path / "stack", database_url=url, secret_key=SECRET, tracker_db=tracker_db)
    try:
        # the test's own tracker store, never the repository's var/
        assert bot.rasa_env["RASA_TRACKER_URL"] == f"sqlite:///{tracker_db.resolve()}"
        assert not tracker_db.resolve().is_relative_to(ROOT / "var")
        me, who = "customer-restart", {"token": issue_token(SECRET, world.alice)}
        assert "Which product" in texts(bot.say(me, "I want to raise a service request", who))
        assert "serial number" in texts(bot.say(me, "washing machine", who))
        assert "problem" in texts(bot.say(me, "WM-CMC-1", who))
        with sqlite3.connect(tracker_db) as con:
            assert con.execute("select count(*) from events where sender_id = ?", (me,)).fetchone()[0] > 0

        bot.kill_rasa()
        bot.start_rasa()

        reply = texts(bot.say(me, "The drum does not spin", who))
        assert "technician come" in reply, reply  # the next question of the form
        assert "What would you like" not in reply and "Which product" not in reply
        assert "When would suit you" in texts(bot.say(me, "1 Elm St, second floor", who))
        reply = texts(bot.say(me, "tomorrow 11am", who))
        assert "Labour and parts are included" in reply and "Shall I raise the request" in reply
    finally:
        bot.stop()
        engine.dispose()
