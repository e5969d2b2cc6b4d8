"""What the fuzzing found, kept as plain tests.

1. The portal refused a form whose record was no longer on the page it
   re-rendered (a ticket answered twice, a bad value posted for a job
   already scheduled) with a 4xx page that showed no error
   and no code: each page shows the error only inside that record's form.
   ``kit.render`` now puts such an error above the page.
"""

from __future__ import annotations

import re
import shutil
from datetime import date, timedelta

import pytest

from tests.factories import NOCOVER_SERIAL
from tests.integration.web.served import serve

from .conftest import Guard

ALERT = re.compile(r'role="alert"><code>([a-z_]+)</code>')
TOMORROW = (date.today() + timedelta(days=1)).isoformat()


@pytest.fixture
def portal(sqlite_template, tmp_path):
    path = tmp_path / "portal.sqlite3"
    shutil.copy(sqlite_template, path)
    served, portal = serve(f"sqlite:///{path}", tmp_path)
    with served:
        portal.url = served.base_url
        guard = Guard(path)
        yield portal, guard
        guard.close()


def test_answering_an_answered_ticket_shows_its_code_and_changes_nothing(portal) -> None:
    portal, guard = portal
    alice, agent = portal.client("alice"), portal.client("agent")
    alice.post("/portal/c/new", {"want": "question", "serial": NOCOVER_SERIAL, "problem": "How do I clean it?"})
    assert agent.post("/portal/a/tickets/TK-000001/answer", {"answer": "With a cloth"}).status_code == 200
    guard.before()
    r = agent.post("/portal/a/tickets/TK-000001/answer", {"answer": "Again"}, allow_redirects=False)
    assert r.status_code == 409
    assert ALERT.findall(r.text) == ["illegal_transition"]
    assert guard.changed_by_refusal() == []


def test_a_bad_value_for_a_job_no_longer_waiting_shows_its_code(portal) -> None:
    portal, guard = portal
    alice, agent = portal.client("alice"), portal.client("agent")
    alice.post("/portal/c/new", {"want": "service", "serial": NOCOVER_SERIAL, "problem": "It stopped"})
    tech = str(portal.world.tech.user_id)
    ok = agent.post("/portal/a/jobs/JB-000001/schedule",
                    {"technician_id": tech, "day": TOMORROW, "time": "10:00", "hours": "2"}, allow_redirects=False)
    assert ok.status_code == 303
    for data, status, code in [
        ({"technician_id": "\x00", "day": TOMORROW, "time": "10:00", "hours": "2"}, 400, "invalid_input"),
    ]:
        guard.before()
        r = agent.post("/portal/a/jobs/JB-000001/schedule", data, allow_redirects=False)
        assert (r.status_code, ALERT.findall(r.text)) == (status, [code])
        assert guard.changed_by_refusal() == []
