"""Schedule runs on SQLite and PostgreSQL: a slot runs once however many
workers claim it; a failure is recorded and retried; a run left by a dead
worker is taken over; "run now" is requested once and queued by one worker;
and the daily run fires on its crontab with nobody typing a command."""

from __future__ import annotations

import threading
from datetime import datetime, time, timedelta, timezone

import pytest
from huey.consumer import Scheduler
from sqlalchemy import func, select

from backend.errors import DomainError, ErrorCode
from backend.notifications.models import Notification
from backend.schedules import runs as schedule_runs
from backend.schedules import service as schedules
from backend.schedules.models import RunState, RunTrigger
from backend.schedules.registry import BY_NAME, Outcome, Schedule, ScheduleConfig
from backend.settings import Settings
from backend.worker.process import Worker

from .conftest import ending_contract, runs, wait_until

UTC_CONFIG = ScheduleConfig(zone="UTC")


def counting(name="contract_daily", fail_first: int = 0, pause: float = 0.0):
    """A schedule with the name of a real one whose body counts its calls."""
    calls = []
    lock = threading.Lock()

    def body(uow, at, cfg):
        with lock:
            calls.append(at)
            n = len(calls)
        if pause:
            threading.Event().wait(pause)
        if n <= fail_first:
            raise RuntimeError(f"transport down (call {n})\nmore detail")
        return Outcome(f"call {n}", {"n": n})

    return Schedule(name, "T", "d", "0 3 * * *", "day", body), calls


def test_a_slot_runs_once_however_many_workers_claim_it_at_once(uow):
    sched, calls = counting(pause=0.2)
    barrier = threading.Barrier(4)
    outcomes = []

    def worker(i):
        barrier.wait()
        outcomes.append(schedule_runs.execute(uow, sched, UTC_CONFIG, slot="2026-12-05", worker=f"w{i}"))

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert len(calls) == 1 and sorted(o.ran for o in outcomes) == [False, False, False, True]
    [row] = runs(uow)
    assert (row.name, row.slot, row.state, row.attempts, row.summary) == (
        "contract_daily", "2026-12-05", "done", 1, "call 1")
    assert row.worker in {"w0", "w1", "w2", "w3"}
    # the same slot later: still done, nothing run
    assert not schedule_runs.execute(uow, sched, UTC_CONFIG, slot="2026-12-05", worker="late").ran
    assert len(calls) == 1


def test_a_failed_run_is_recorded_in_one_line_and_the_retry_takes_it(uow):
    sched, _calls = counting(fail_first=1)
    with pytest.raises(RuntimeError):
        schedule_runs.execute(uow, sched, UTC_CONFIG, slot="2026-12-05", worker="a")
    [row] = runs(uow)
    assert (row.state, row.error, row.finished_at is not None) == (
        "failed", "RuntimeError: transport down (call 1)", True)
    again = schedule_runs.execute(uow, sched, UTC_CONFIG, slot="2026-12-05", worker="b")
    [row] = runs(uow)
    assert again.ran and (row.state, row.attempts, row.worker, row.error) == ("done", 2, "b", None)


def test_a_run_left_running_by_a_dead_worker_is_taken_over_after_the_lease(uow):
    sched, _calls = counting()
    now = datetime.now(timezone.utc)
    dead = schedule_runs.claim(uow, name=sched.name, slot="2026-12-05", trigger="schedule", worker="dead",
                               now=now - timedelta(minutes=30))
    assert schedule_runs.claim(uow, name=sched.name, slot="2026-12-05", trigger="schedule", worker="x", now=now) is None
    later = now + schedule_runs.STALE_RUNNING
    assert schedule_runs.execute(uow, sched, UTC_CONFIG, slot="2026-12-05", worker="alive", clock=lambda: later).ran
    assert not schedule_runs.finish(uow, dead, worker="dead", ok=True)  # too late: the run is someone else's
    [row] = runs(uow)
    assert (row.state, row.worker, row.attempts) == ("done", "alive", 2)


def test_run_now_is_asked_once_per_form_and_queued_by_one_worker(uow, world):
    with pytest.raises(DomainError) as err:
        schedules.request_run(uow, world.agent, name="contract_daily")
    assert err.value.code == ErrorCode.FORBIDDEN
    with pytest.raises(DomainError) as err:
        schedules.request_run(uow, world.manager, name="no_such_job")
    assert err.value.code == ErrorCode.NOT_FOUND

    asked = schedules.request_run(uow, world.manager, name="collection_reminders", idempotency_key="form-1")
    resent = schedules.request_run(uow, world.manager, name="collection_reminders", idempotency_key="form-1")
    assert asked.created and not resent.created and resent.id == asked.id
    assert asked.slot.startswith("manual-") and (asked.state, asked.trigger, asked.requested_by) == (
        "requested", "manual", "Manager")
    view = {v.name: v for v in schedules.list_schedules(uow, world.admin, config=UTC_CONFIG)}
    assert view["collection_reminders"].waiting.id == asked.id and view["collection_reminders"].last_run is None

    taken = []
    barrier = threading.Barrier(2)

    def take(name):
        barrier.wait()
        taken.extend(schedules.take_requested(uow, worker=name))

    threads = [threading.Thread(target=take, args=(n,)) for n in ("a", "b")]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert [(t.run_id, t.name) for t in taken] == [(asked.id, "collection_reminders")]
    assert schedules.take_requested(uow, worker="c") == []
    assert runs(uow)[0].state == RunState.QUEUED

    done = schedule_runs.execute(uow, BY_NAME["collection_reminders"], UTC_CONFIG, slot=asked.slot,
                                 trigger=RunTrigger.MANUAL, worker="a")
    assert done.ran and done.summary == "0 polite, 0 firm, 0 final reminders"
    view = {v.name: v for v in schedules.list_schedules(uow, world.manager, config=UTC_CONFIG)}
    last = view["collection_reminders"].last_run
    assert (last.state, last.slot, last.requested_by) == ("done", asked.slot, "Manager")
    assert view["collection_reminders"].waiting is None
    assert view["contract_daily"].next_run is not None and view["contract_daily"].zone == "UTC"
    assert [r.id for r in schedules.recent_runs(uow, world.admin)] == [asked.id]


def test_a_run_the_queue_refused_goes_back_to_requested_and_a_lost_one_is_queued_again(uow, world):
    asked = schedules.request_run(uow, world.admin, name="ticket_autoclose")
    [taken] = schedules.take_requested(uow, worker="a")
    assert schedules.unqueue(uow, taken.run_id) and runs(uow)[0].state == "requested"
    [taken] = schedules.take_requested(uow, worker="a")
    later = datetime.now(timezone.utc) + schedules.STALE_QUEUED + timedelta(seconds=1)
    assert [t.run_id for t in schedules.take_requested(uow, worker="b", now=later)] == [asked.id]


def test_the_daily_run_fires_on_its_crontab_with_nobody_typing_a_command(uow, world, tmp_path):
    """A worker (SQLite queue, its own thread workers) whose scheduler reaches
    the daily run's minute: huey's scheduler enqueues it, a worker thread runs
    it, the slot is recorded and the customer's reminder written."""
    today = world.today
    ref = ending_contract(uow, world, today=today)
    daily = BY_NAME["contract_daily"]
    fire = daily.crontab.next_after(datetime.combine(today, time(0), timezone.utc), UTC_CONFIG.tz)
    assert fire.date() == today
    worker = Worker(Settings(var_dir=tmp_path), {"WORKER_CATCH_UP": "0", "WORKER_DISPATCH": "0",
                                                 "WORKER_POLL_SECONDS": "0.1", "WORKER_ID": "solo"},
                    uow=uow, config=UTC_CONFIG, clock=lambda: fire + timedelta(seconds=20), health=False)
    worker.start()
    try:
        scheduler = Scheduler(worker.huey, interval=1, periodic=True)  # what the consumer's scheduler thread runs
        scheduler.enqueue_periodic_tasks(fire.replace(tzinfo=None) + timedelta(minutes=1))  # not its minute
        assert worker.huey.pending_count() == 0
        scheduler.enqueue_periodic_tasks(fire.replace(tzinfo=None))
        [row] = wait_until(lambda: [r for r in runs(uow, "contract_daily") if r.state == "done"],
                           what="the daily run")
    finally:
        worker.stop_event.set()
        worker.stop()
    assert (row.slot, row.trigger, row.worker) == (today.isoformat(), "schedule", "solo")
    assert row.summary.startswith("1 renewal reminders, 0 expired")
    assert row.result["reminded"] == [ref]
    with uow() as s:
        assert s.scalar(select(func.count(Notification.id)).where(Notification.event == "renewal_reminder")) == 1
