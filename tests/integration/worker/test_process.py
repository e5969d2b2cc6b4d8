"""``python -m backend.worker`` for real, as ``make run`` starts it: on a
migrated SQLite database and its SQLite queue under VAR_DIR, it answers
/health, catches up the day's schedules that no worker ran, runs a "run now"
asked from the admin's side, and stops on SIGTERM within a few seconds."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys

import requests

from backend.db import UnitOfWork, make_engine, make_session_factory
from backend.schedules import service as schedules
from backend.schedules.registry import SCHEDULES
from backend.settings import ROOT
from tests.factories import build_world

from .conftest import runs, wait_until


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_the_worker_process_serves_health_runs_its_schedules_and_stops_on_sigterm(sqlite_url, tmp_path):
    engine = make_engine(sqlite_url)
    uow = UnitOfWork(make_session_factory(engine))
    world = build_world(uow)
    port = _free_port()
    env = {**os.environ, "DATABASE_URL": sqlite_url, "VAR_DIR": str(tmp_path), "WORKER_HEALTH_PORT": str(port),
           "WORKER_POLL_SECONDS": "0.2", "WORKER_ID": "process-under-test", "SCHEDULE_TIMEZONE": "UTC"}
    for name in ("REDIS_URL", "HUEY_NAME"):
        env.pop(name, None)
    log = (tmp_path / "worker.log").open("wb")
    proc = subprocess.Popen([sys.executable, "-m", "backend.worker"], cwd=ROOT, env=env, stdout=log,
                            stderr=subprocess.STDOUT)
    health_url = f"http://127.0.0.1:{port}/health"
    try:
        def healthy():
            if proc.poll() is not None:
                raise AssertionError(f"the worker exited ({proc.returncode}):\n{_log(tmp_path)}")
            try:
                r = requests.get(health_url, timeout=2)
            except requests.ConnectionError:
                return None
            return r.json() if r.status_code == 200 else None

        health = wait_until(healthy, what="/health")
        assert health["status"] == "ok" and health["worker"] == "process-under-test"
        assert {"heartbeat", "last_dispatch", "queue_size", "queue"} <= set(health)
        assert health["queue"]["where"].startswith(f"sqlite:{tmp_path / 'huey.sqlite3'}")

        # no worker was up at today's firings: each schedule's latest one is caught up
        caught = wait_until(lambda: {r.name for r in runs(uow) if r.trigger == "catch_up" and r.state == "done"}
                            == {s.name for s in SCHEDULES}, what="the catch-up runs")
        assert caught

        asked = schedules.request_run(uow, world.manager, name="ticket_autoclose")
        [row] = wait_until(lambda: [r for r in runs(uow, "ticket_autoclose")
                                    if r.slot == asked.slot and r.state == "done"], what="the run asked for")
        assert (row.trigger, row.worker, row.summary) == ("manual", "process-under-test", "0 tickets closed")
        later = requests.get(health_url, timeout=5).json()
        assert any(r["slot"] == asked.slot and r["ran"] for r in later["latest_runs"])
        assert later["loops"]["run-now"]["last_result"]["queued"] == [f"ticket_autoclose {asked.slot}"]
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            code = proc.wait(timeout=15)  # a bound for a stuck process, not a measure
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(10)
            raise AssertionError(f"the worker did not stop on SIGTERM:\n{_log(tmp_path)}") from None
        log.close()
        engine.dispose()
    text = _log(tmp_path)
    assert code == 0, text
    assert "received SIGTERM, stopping" in text and "worker process-under-test stopped" in text
    assert "stopping with" not in text  # nothing was cut off


def _log(tmp_path) -> str:
    return (tmp_path / "worker.log").read_text(errors="replace")
