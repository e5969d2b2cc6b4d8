"""The schedules page (/portal/x/schedules), for the admin and the manager:
each schedule with what it does, its crontab, next and last run; "Run now"
asks a worker for a run (once per form, with the CSRF token); other roles
are refused and change nothing."""

from __future__ import annotations

import html
import re

import pytest

from backend.schedules import runs as schedule_runs
from backend.schedules import service as schedules
from backend.schedules.models import RunTrigger
from backend.schedules.registry import BY_NAME, SCHEDULES, ScheduleConfig


def _runs(portal) -> list:
    return schedules.recent_runs(portal.uow, portal.world.admin)


@pytest.mark.parametrize("who", ["admin", "manager"])
def test_the_page_lists_every_schedule_with_its_crontab_and_next_run(portal, who):
    page = portal.client(who).get("/portal/x/schedules")
    assert page.status_code == 200
    text = html.unescape(page.text)
    for s in SCHEDULES:
        row = re.search(rf'<tr id="schedule-{s.name}">(.*?)</tr>', text, re.DOTALL).group(1)
        assert s.title in row and f">{s.cron}</code>" in row and "Run now" in row and s.crontab.words() in row
        assert "not run yet" in row and re.search(r"\d{2} \w{3} \d{4} \d{2}:\d{2}", row)  # the next run
    assert 'href="/portal/x/schedules"' in text  # in the menu
    assert "No runs yet" in text


def test_run_now_asks_once_per_form_and_the_page_shows_the_run_when_a_worker_did_it(portal):
    admin = portal.client("admin")
    page = admin.get("/portal/x/schedules")
    key = re.search(r'name="key" value="([^"]+)-collection_reminders"', page.text).group(1)
    form = {"key": f"{key}-collection_reminders"}
    r = admin.post("/portal/x/schedules/collection_reminders/run", form)
    assert r.status_code == 200 and "Collection reminders: run requested" in html.unescape(r.text)
    assert "run now requested" in r.text and "waiting for a worker" in r.text
    admin.post("/portal/x/schedules/collection_reminders/run", form)  # the same form sent again
    [asked] = _runs(portal)
    assert (asked.name, asked.state, asked.trigger, asked.requested_by) == (
        "collection_reminders", "requested", "manual", "Admin")

    # a worker takes it and runs it
    [taken] = schedules.take_requested(portal.uow, worker="w1")
    schedule_runs.execute(portal.uow, BY_NAME[taken.name], ScheduleConfig(zone="UTC"), slot=taken.slot,
                          trigger=RunTrigger.MANUAL, worker="w1")
    text = html.unescape(portal.client("manager").get("/portal/x/schedules").text)
    row = re.search(r'<tr id="schedule-collection_reminders">(.*?)</tr>', text, re.DOTALL).group(1)
    assert "done" in row and "0 polite, 0 firm, 0 final reminders" in row and "asked by Admin" in row
    assert "waiting for a worker" not in row and asked.slot in text


def test_run_now_needs_the_csrf_token_and_a_known_schedule(portal):
    admin = portal.client("admin")
    admin.get("/portal/x/schedules")
    assert admin.post("/portal/x/schedules/contract_daily/run", {}, csrf=False).status_code == 403
    r = admin.post("/portal/x/schedules/no_such_job/run", {})
    assert r.status_code == 404 and "not_found" in r.text
    assert _runs(portal) == []


@pytest.mark.parametrize("who", ["alice", "tech", "agent"])
def test_other_roles_cannot_open_the_page_or_run_a_schedule(portal, who):
    c = portal.client(who)
    r = c.get("/portal/x/schedules")
    assert r.status_code == 403 and "forbidden" in r.text
    c.get("/portal/")
    assert c.post("/portal/x/schedules/contract_daily/run", {}).status_code == 403
    assert _runs(portal) == []
