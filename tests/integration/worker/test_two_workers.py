"""Two workers on one real Redis queue (TEST_REDIS_URL) and one database
(SQLite, and PostgreSQL when configured): both schedulers reach the daily
run's minute and each worker also enqueues the daily run by hand; the run is
done once (one schedule_runs row, one reminder), and every notice in the
outbox reaches the channel once although both dispatchers run."""

from __future__ import annotations

import threading
import uuid
from datetime import datetime, time, timedelta, timezone

import pytest
from huey.consumer import Scheduler
from huey.signals import SIGNAL_COMPLETE, SIGNAL_ERROR
from sqlalchemy import func, select

from backend.delivery.channels import Outgoing
from backend.notifications.models import Delivery, Notification
from backend.notifications.outbox import notify
from backend.schedules.registry import BY_NAME, ScheduleConfig
from backend.settings import Settings
from backend.worker.process import Worker
from tests.conftest import _require

from .conftest import ending_contract, runs, wait_until

pytestmark = pytest.mark.redis

CONFIG = ScheduleConfig(zone="UTC")
NOTICES = 12


class Recorder:
    """A channel that keeps what it is handed (from both workers' threads)."""

    name = "test"

    def __init__(self) -> None:
        self.sent: list[Outgoing] = []
        self._lock = threading.Lock()

    def send(self, out: Outgoing) -> None:
        with self._lock:
            self.sent.append(out)


def test_two_workers_on_one_redis_run_the_daily_job_once_and_send_each_notice_once(uow, world, tmp_path):
    redis_url = _require("TEST_REDIS_URL", "Redis")
    today = world.today
    ref = ending_contract(uow, world, today=today)
    with uow() as s:
        for i in range(NOTICES):
            notify(s, event="job_moved", subject_type="job", subject_id=i + 1, user_id=world.tech.user_id,
                   job=f"JB-{i + 1:06d}", start="2026-12-05T10:00:00+00:00")

    daily = BY_NAME["contract_daily"]
    fire = daily.crontab.next_after(datetime.combine(today, time(0), timezone.utc), CONFIG.tz)
    channel = Recorder()
    env = {"REDIS_URL": redis_url, "HUEY_NAME": f"fieldservtest{uuid.uuid4().hex[:12]}", "WORKER_CATCH_UP": "0",
           "WORKER_POLL_SECONDS": "0.05", "WORKER_THREADS": "2"}
    workers = [Worker(Settings(var_dir=tmp_path), {**env, "WORKER_ID": name}, uow=uow, config=CONFIG,
                      clock=lambda: fire + timedelta(seconds=30), channels={"test": channel}, health=False)
               for name in ("worker-a", "worker-b")]
    finished = []
    for w in workers:
        w.huey.signal(SIGNAL_COMPLETE, SIGNAL_ERROR)(lambda signal, task, *a: finished.append((signal, task.name)))
    try:
        for w in workers:
            w.start()
        for w in workers:
            Scheduler(w.huey, interval=1, periodic=True).enqueue_periodic_tasks(fire.replace(tzinfo=None))
            w.registered.periodic["contract_daily"]()  # and once more by hand, on each worker
        wait_until(lambda: len(finished) >= 4, what="four executions of the daily run")
        wait_until(lambda: _all_sent(uow), what="every notice sent")
    finally:
        for w in workers:
            w.stop_event.set()
        for w in workers:
            w.stop()
        workers[0].huey.storage.flush_all()

    assert finished == [(SIGNAL_COMPLETE, "contract_daily")] * 4
    outcomes = [o for w in workers for o in w.ctx.outcomes]
    assert sorted(o.ran for o in outcomes) == [False, False, False, True]
    [row] = runs(uow, "contract_daily")
    assert (row.slot, row.state, row.attempts) == (today.isoformat(), "done", 1)
    assert row.worker in ("worker-a", "worker-b") and row.result["reminded"] == [ref]
    with uow() as s:
        assert s.scalar(select(func.count(Notification.id)).where(Notification.event == "renewal_reminder")) == 1
        deliveries = s.scalar(select(func.count(Delivery.id)).where(Delivery.channel == "test"))
    # each delivery once on the channel: the technician's notices, the customer's reminder, ...
    sent = [(out.notification_id, out.user_id) for out in channel.sent]
    assert len(sent) == len(set(sent)) == deliveries >= NOTICES + 1
    assert {out.event for out in channel.sent} >= {"job_moved", "renewal_reminder"}
    assert {w.loops[0].stats.rounds > 0 for w in workers} == {True}  # both dispatchers ran


def _all_sent(uow) -> bool:
    with uow() as s:
        unfanned = s.scalar(select(func.count(Notification.id)).where(Notification.fanned_out_at.is_(None)))
        waiting = s.scalar(select(func.count(Delivery.id)).where(Delivery.channel == "test",
                                                                 Delivery.state != "sent"))
    return unfanned == 0 and waiting == 0
