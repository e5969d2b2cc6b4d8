"""The portal's long tasks live in the database: two registries on one database
(two portal processes) see each other's tasks, their progress and their
results, each only to the user who started it; a task whose process stopped
reads as failed (``task_lost``), and reading it changes nothing; through the
real portal, an import is followed from another portal process and after a
restart. On SQLite and, with TEST_DATABASE_URL, on PostgreSQL."""

from __future__ import annotations

import os
import queue
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import text

from backend.db import UnitOfWork, make_engine, make_session_factory, utcnow
from backend.errors import DomainError, ErrorCode
from backend.tasks import store
from backend.tasks.lifecycle import TASK_LOST, Task
from backend.tasks.models import PortalTask, TaskState
from backend.web import PortalConfig, create_standalone
from backend.web.tasks import Tasks
from tests.factories import build_world
from tests.integration.imports.helpers import counts, rows, to_csv

from .served import Served, finished_page, serve

ROOT = Path(__file__).resolve().parents[3]
QUICK = {"report_every": 0.02, "beat_every": 0.05}
WAIT = 30.0  # the longest any state is waited for; no test asserts how long it took


def _until(read: Callable[[], Task | None], done: Callable[[Task], bool]) -> Task:
    """Read the task again until ``done`` says yes (bounded)."""
    deadline = time.monotonic() + WAIT
    while True:
        task = read()
        if task is not None and done(task):
            return task
        assert time.monotonic() < deadline, f"the task never got there; last seen: {task}"
        time.sleep(0.02)


class Clock:
    """One clock for both "processes", moved by hand."""

    def __init__(self) -> None:
        self.now = utcnow()

    def __call__(self):
        return self.now


def _row(uow: UnitOfWork, task_id: str) -> dict:
    with uow() as s:
        row = s.get(PortalTask, task_id)
        return {c.name: getattr(row, c.name) for c in PortalTask.__table__.columns}


def test_a_task_started_in_one_process_is_seen_by_another_with_its_progress_then_its_result(any_uow):
    world = build_world(any_uow)
    admin, manager = world.admin.user_id, world.manager.user_id
    one = Tasks(any_uow, runner="portal-1:101", **QUICK)
    two = Tasks(any_uow, runner="portal-2:202", **QUICK)
    halfway, end = threading.Event(), threading.Event()

    def work(report):
        report(1, 4)
        assert halfway.wait(WAIT)
        report(3, 4)
        assert end.wait(WAIT)
        return {"file": "c.csv", "codes": ["CU-000007", "CU-000008"], "count": 2}

    started = one.start(admin, "import of c.csv", work)
    try:
        seen = _until(lambda: two.get(admin, started.id), lambda t: t.done == 1)
        assert (seen.running, seen.total, seen.percent, seen.label, seen.runner) == \
            (True, 4, 25, "import of c.csv", "portal-1:101")
        assert two.get(manager, started.id) is None and two.get(None, started.id) is None
        assert one.get(manager, started.id) is None and two.get(admin, "no-such-task") is None

        halfway.set()
        assert _until(lambda: two.get(admin, started.id), lambda t: t.done == 3).running
    finally:
        halfway.set()
        end.set()
    finished = _until(lambda: two.get(admin, started.id), lambda t: not t.running)

    assert (finished.state, finished.done, finished.total, finished.percent, finished.error) == \
        (TaskState.DONE, 3, 4, 100, None)
    assert finished.result == {"file": "c.csv", "codes": ["CU-000007", "CU-000008"], "count": 2}
    assert finished.finished >= finished.started and finished.seconds >= 0
    assert one.get(admin, started.id) == finished
    assert two.get(manager, started.id) is None


def test_a_failed_task_is_seen_failed_by_another_process_with_its_code(any_uow):
    world = build_world(any_uow)
    admin = world.admin.user_id
    one = Tasks(any_uow, runner="portal-1:101", **QUICK)
    two = Tasks(any_uow, runner="portal-2:202", **QUICK)

    def refused(report):
        report(2, 10)
        raise DomainError(ErrorCode.INVALID_INPUT, "the file has no column customer_ref")

    def broken(report):
        raise RuntimeError("a bug")

    def not_plain_data(report):
        return {"report": object()}

    ids = [one.start(admin, f"import {n}", work).id for n, work in enumerate((refused, broken, not_plain_data))]
    ended = [_until(lambda i=i: two.get(admin, i), lambda t: not t.running) for i in ids]

    assert [(t.state, t.result) for t in ended] == [(TaskState.FAILED, None)] * 3
    assert ended[0].error == {"code": "invalid_input", "message": "the file has no column customer_ref"}
    assert (ended[0].done, ended[0].total) == (2, 10)
    for task in ended[1:]:
        assert task.error["code"] == "internal_error"
        assert re.fullmatch(r"the work failed \(incident [0-9a-f]{8}\); see the portal's log, then try again",
                            task.error["message"])


def test_progress_is_written_at_most_every_report_every_and_the_heartbeat_goes_on(any_uow):
    world = build_world(any_uow)
    admin = world.admin.user_id
    one = Tasks(any_uow, runner="portal-1:101", report_every=3600, beat_every=0.05)
    two = Tasks(any_uow, runner="portal-2:202")
    reported, end = threading.Event(), threading.Event()

    def work(report):
        for done in range(1, 1001):
            report(done, 1000)
        reported.set()
        assert end.wait(WAIT)
        return None

    started = one.start(admin, "import of c.csv", work)
    try:
        assert reported.wait(WAIT)
        beating = _until(lambda: two.get(admin, started.id), lambda t: t.heartbeat > started.started)
        assert (beating.running, beating.done, beating.total) == (True, 0, 0)  # progress: once an hour at most
    finally:
        end.set()
    finished = _until(lambda: two.get(admin, started.id), lambda t: not t.running)
    assert (finished.state, finished.done, finished.total) == (TaskState.DONE, 1000, 1000)  # the final value


def test_a_task_whose_heartbeat_stopped_reads_as_lost_elsewhere_and_reading_it_changes_nothing(any_uow):
    world = build_world(any_uow)
    admin = world.admin.user_id
    clock = Clock()
    one = Tasks(any_uow, runner="portal-1:101", report_every=3600, beat_every=3600, clock=clock)
    two = Tasks(any_uow, runner="portal-2:202", lost_after=timedelta(seconds=30), clock=clock)
    end = threading.Event()

    def work(report):
        report(5, 20)
        assert end.wait(WAIT)
        return {"count": 20}

    started = one.start(admin, "import of c.csv", work)
    try:
        clock.now += timedelta(seconds=29)
        assert two.get(admin, started.id).running  # within the limit
        clock.now += timedelta(seconds=2)
        before = _row(any_uow, started.id)

        lost = two.get(admin, started.id)
        assert lost.state == TaskState.FAILED and lost.result is None and lost.percent == 100
        assert lost.error == {"code": TASK_LOST, "message": (
            "the portal process running this import of c.csv (portal-1:101) stopped before it finished; the "
            "import is one transaction, so nothing of it was written: start it again")}
        assert lost.finished == started.started  # when it was last heard of
        assert _row(any_uow, started.id) == before and before["state"] == "running"
        assert before["finished_at"] is None and before["error"] is None
        assert one.get(admin, started.id).running  # its own process knows better: it still runs it
        assert two.get(world.manager.user_id, started.id) is None
    finally:
        end.set()
    done = _until(lambda: two.get(admin, started.id), lambda t: t.state == TaskState.DONE)
    assert done.result == {"count": 20}  # it was only slow: the row it wrote at the end wins


def test_tasks_that_ended_a_day_ago_are_dropped_when_a_new_one_starts(any_uow):
    world = build_world(any_uow)
    admin = world.admin.user_id
    clock = Clock()
    one = Tasks(any_uow, runner="portal-1:101", clock=clock)
    old = one.start(admin, "import of old.csv", lambda report: {"old": True})
    _until(lambda: one.get(admin, old.id), lambda t: not t.running)
    gone = Task("gone-task", admin, "import of gone.csv", started=clock.now, heartbeat=clock.now,
                runner="portal-9:909")  # a task whose process stopped then
    store.open_task(any_uow, gone, keep=timedelta(days=1))
    clock.now += timedelta(hours=23)
    recent = one.start(admin, "import of recent.csv", lambda report: {"recent": True})
    _until(lambda: one.get(admin, recent.id), lambda t: not t.running)
    assert one.get(admin, old.id) is not None and one.get(admin, "gone-task") is not None

    clock.now += timedelta(hours=1, seconds=1)
    newest = one.start(admin, "import of new.csv", lambda report: None)

    assert one.get(admin, old.id) is None and one.get(admin, "gone-task") is None
    assert one.get(admin, recent.id).result == {"recent": True} and one.get(admin, newest.id) is not None


def _lines(stream, log: Path) -> Callable[[], str]:
    """The next line the process writes (waited for, bounded), or a failure quoting its log."""
    lines: queue.Queue[str] = queue.Queue()
    threading.Thread(target=lambda: [lines.put(line.strip()) for line in stream], daemon=True).start()

    def next_line() -> str:
        try:
            return lines.get(timeout=60)
        except queue.Empty:
            pytest.fail(f"the portal process said nothing; its log:\n{log.read_text()}")

    return next_line


def test_an_import_whose_process_was_killed_while_writing_reads_as_lost_and_nothing_was_written(engine, tmp_path):
    uow = UnitOfWork(make_session_factory(engine))
    world = build_world(uow)
    admin = world.admin.user_id
    before = counts(uow)
    with engine.connect() as conn:
        schema = conn.scalar(text("SELECT current_schema()")) if engine.dialect.name == "postgresql" else "-"
    log = tmp_path / "task_process.log"
    with log.open("w") as err:
        process = subprocess.Popen(
            [sys.executable, "-m", "tests.integration.web.task_process",
             engine.url.render_as_string(hide_password=False), schema, str(admin), "30"],
            cwd=ROOT, stdout=subprocess.PIPE, stderr=err, text=True)
    try:
        line = _lines(process.stdout, log)
        _, task_id, runner = line().split()
        assert line() == "writing"
    finally:
        os.kill(process.pid, signal.SIGKILL)
        process.wait(30)
    reader = Tasks(uow, lost_after=timedelta(seconds=1))

    lost = _until(lambda: reader.get(admin, task_id), lambda t: not t.running)

    assert lost.state == TaskState.FAILED and lost.error["code"] == TASK_LOST
    assert f"import of customers.csv ({runner}) stopped before it finished" in lost.error["message"]
    assert lost.error["message"].endswith("nothing of it was written: start it again")
    assert reader.get(world.manager.user_id, task_id) is None
    assert counts(uow) == before  # the import's transaction died with its process
    row = _row(uow, task_id)
    assert (row["state"], row["finished_at"], row["result"], row["runner"]) == ("running", None, None, runner)


# --- through the real portal ---------------------------------------------------------------------------

@pytest.fixture
def portals(sqlite_url, tmp_path):
    """Two portal processes on one database (each with its own engine and task registry)."""
    first, portal = serve(sqlite_url, tmp_path)
    engine = make_engine(sqlite_url)
    second = Served(create_standalone(portal.settings, UnitOfWork(make_session_factory(engine)),
                                      config=PortalConfig(widget_url="/widget.js", console_url="/console",
                                                          timezone="UTC")))
    with first, second:
        portal.url = first.base_url
        yield portal, second
    engine.dispose()


def test_an_import_started_on_one_portal_process_is_followed_and_imported_on_another(portals):
    portal, other = portals
    admin = portal.client("admin")  # one session: the cookie is good on both (same secret, same host)
    started = admin.post("/portal/x/import", {}, files={"file": ("c.csv", to_csv(rows(5)), "text/csv")},
                         allow_redirects=False)
    progress = started.headers["Location"]

    preview = finished_page(admin, other.base_url + progress)
    assert preview.status_code == 200 and "20 rows checked: 5 customers, 10 sites, 5 contacts, 20 items" in preview.text
    assert 'id="sample"' in preview.text and "Customer 0" in preview.text
    token = re.search(r'name="token" value="([\w-]+)"', preview.text).group(1)
    run = admin.post(other.base_url + "/portal/x/import/run", {"token": token}, allow_redirects=False)
    result = finished_page(admin, portal.url + run.headers["Location"])
    assert "20 rows imported: 5 customers, 10 sites, 5 contacts, 20 items created" in result.text
    assert re.search(r"Customers CU-\d{6} to CU-\d{6}", result.text)
    assert portal.client("manager").get(other.base_url + run.headers["Location"]).status_code == 404


def test_a_refused_files_problems_download_from_another_portal_process(portals):
    portal, other = portals
    manager = portal.client("manager")
    records = rows(2)
    records[4]["mobile"] = "12345"
    started = manager.post(other.base_url + "/portal/x/import", {},
                           files={"file": ("bad.csv", to_csv(records), "text/csv")}, allow_redirects=False)
    page = finished_page(manager, portal.url + started.headers["Location"])
    assert "8 rows, 1 refused (1 problems): nothing was imported" in page.text
    assert "<td>6</td><td><code>mobile</code></td><td><code>invalid_input</code> <small>bad_mobile</small>" in page.text

    download = manager.get(portal.url + started.headers["Location"] + "/problems.csv")
    assert download.status_code == 200 and download.headers["Content-Type"].startswith("text/csv")
    assert 'filename="bad-problems.csv"' in download.headers["Content-Disposition"]
    lines = download.content.decode("utf-8-sig").splitlines()
    assert lines[0] == "row,field,code,reason,message" and lines[1].startswith("6,mobile,invalid_input,bad_mobile,")
    assert len(lines) == 2


def test_a_kb_import_is_reported_on_another_portal_process(portals):
    portal, other = portals
    admin = portal.client("admin")
    files = [("files", ("descale.md", b"# Descale the geyser\n\nDrain the tank every six months.\n", "text/markdown")),
             ("files", ("empty.md", b"   \n", "text/markdown"))]
    started = admin.post("/portal/x/kb/import", {"publish": "1"}, files=files, allow_redirects=False)
    done = finished_page(admin, other.base_url + started.headers["Location"])
    assert "1 created, 0 updated (new version), 0 unchanged, 1 refused" in done.text
    assert re.search(r"<h2>Created \(1\)</h2>\s*<p>descale</p>", done.text)
    assert "<td>empty.md</td><td><code>invalid_input</code></td>" in done.text


def test_the_progress_page_of_an_import_whose_process_stopped_says_so(portal):
    admin = portal.world.admin.user_id
    long_ago = utcnow() - timedelta(minutes=5)
    store.open_task(portal.uow, Task("a-lost-import-task", admin, "import of c.csv", started=long_ago,
                                     heartbeat=long_ago, runner="portal-9:909"), keep=timedelta(days=1))

    page = portal.client("admin").get("/portal/x/import/a-lost-import-task")

    assert page.status_code == 200 and 'http-equiv="refresh"' not in page.text
    assert ("<code>task_lost</code> the portal process running this import of c.csv (portal-9:909) stopped before "
            "it finished; the import is one transaction, so nothing of it was written: start it again") in page.text
    assert "Nothing was imported." in page.text
    gone = portal.client("admin").get("/portal/x/import/no-such-task-here")
    assert gone.status_code == 404 and "kept for a day after it ends" in gone.text
