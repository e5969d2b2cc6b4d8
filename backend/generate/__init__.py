"""Demo-data generator: a realistic, internally consistent history across the
five processes, loaded in bulk, for demos and benchmarks.

``python -m backend.generate --jobs 1000000 [--database-url URL] [--seed 1]``

What it writes, into a database migrated by the project's migrations:
staff and customers with sites and serial-numbered items; contracts (C) with
offers, re-offers, acceptance, contract invoices and instalments, renewals,
expiries and their planned visits run as jobs; help-desk tickets (A); jobs
(B) in every state of ``JOB_MOVES`` with one history row per move, parts from
stock, advances, expense claims passed or rejected by the manager, feedback,
invoices with sales vouchers, receipts and collection follow-ups; service
orders (D) invoiced up front and delivered as jobs; in-house repairs (E) with
estimates (some revised), parts, invoices and delivery. Every voucher
balances; each job's state is reached by legal moves only; what lies after
"now" has not happened yet, so recent work sits in the open states.

The size knob is the number of jobs; the rest scales with it (one customer
per 8 jobs, one technician per 2,000, up to two years of history).
"""

from __future__ import annotations

import heapq
import random
import time as clock
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone

from sqlalchemy.engine import Engine

from backend.generate.book import Book, Who
from backend.generate.contracts import Contracts, Cover, Visit
from backend.generate.intake import Intake
from backend.generate.jobs import DONE, JobPlan, Jobs, problem_for
from backend.generate.sink import Sink
from backend.generate.world import World, accounts, build
from backend.migrate import upgrade

SYSTEM = Who(None, "admin", "system")
MAKER_WARRANTY = "MANUFACTURER_WARRANTY"  # the entitlement check's name for this cover
MAX_DAYS = 730


@dataclass(frozen=True)
class Summary:
    jobs: int
    days: int
    rows: dict[str, int]
    seconds: float
    vouchers: int
    debit_cents: int
    credit_cents: int
    jobs_by_state: dict[str, int]

    @property
    def jobs_per_second(self) -> float:
        return self.jobs / self.seconds if self.seconds else 0.0


class _Run:
    def __init__(self, sink: Sink, rnd: random.Random, now: datetime, jobs: int, password: str):
        self.rnd, self.now, self.target = rnd, now, jobs
        self.book = Book(sink, accounts(sink))
        self.w: World = build(sink, rnd, jobs=jobs, today=now.date(), password_hash=password)
        self.jobs = Jobs(self.book, self.w, rnd, now)
        self.intake = Intake(self.book, self.w, self.jobs, rnd, now)
        self.contracts = Contracts(self.book, self.w, rnd, now)
        self.days = min(MAX_DAYS, max(60, jobs // (2 * len(self.w.technicians))))
        self.recent: list[int] = []  # items of recently resolved jobs (repeat calls)

    def run(self, bar) -> None:
        rnd, today = self.rnd, self.now.date()
        first = today - timedelta(days=self.days)
        for cid in rnd.sample(self.w.customers, min(len(self.w.customers), max(1, self.target // 50))):
            offset = rnd.randrange(-60, self.days - 20)
            self.contracts.chain(cid, datetime.combine(first + timedelta(days=offset), time(rnd.randrange(9, 18)),
                                                       timezone.utc))
        visits = [v for v in self.contracts.visits]
        heapq.heapify(visits)
        self.due_now = sum(1 for v in visits if v.create_at <= self.now)  # visits whose job is still to raise
        covers = sorted(self.contracts.covers, key=lambda c: c.starts_on)
        active: list[Cover] = []
        day = min([first] + [v.create_at.date() for v in visits[:1]])
        while day <= today:
            while covers and covers[0].starts_on <= day:
                active.append(covers.pop(0))
            while visits and visits[0].create_at.date() <= day and visits[0].create_at <= self.now:
                self.due_now -= 1
                self._visit_job(heapq.heappop(visits), visits)
                bar.update(1)
            if day >= first:
                need = self.target - self.jobs.count - self.due_now
                days_left = (today - day).days + 1
                n = need if days_left == 1 else max(0, round(need / days_left))
                for at in sorted(self._moments(day, n)):
                    before = self.jobs.count
                    self._request_job(at, day, active)
                    bar.update(self.jobs.count - before)
                for at in self._moments(day, int(n * 0.12 + rnd.random())):
                    self.intake.ticket(rnd.choice(self.w.customers), at)
                for at in self._moments(day, int(n * 0.05 + rnd.random())):
                    cid = rnd.choice(self.w.customers)
                    self.intake.repair(cid, rnd.choice(self.w.items_of[cid]), at)
            self.jobs.forget_before(day)
            day += timedelta(days=1)
        while self.jobs.count < self.target:  # orders cancelled today: top up with covered calls
            before = self.jobs.count
            at = self.now - timedelta(seconds=self.rnd.randrange(60, 6 * 3600))
            self._request_job(at, today, active, order_ok=False)
            bar.update(self.jobs.count - before)
        for v in sorted(visits):  # due later: planned, no job yet
            self._visit_row(v, None, "planned")

    def _moments(self, day: date, n: int) -> list[datetime]:
        start = datetime.combine(day, time(7), timezone.utc)
        span = min(13 * 3600, int((self.now - start).total_seconds()))
        if span <= 0:
            return []
        return [start + timedelta(seconds=self.rnd.randrange(span)) for _ in range(n)]

    # --- C7: a planned visit becomes a job -------------------------------------------------------------
    def _visit_job(self, v: Visit, heap: list[Visit]) -> None:
        c = v.contract
        plan = JobPlan(v.create_at, c.customer_id, c.site_id, v.item_id, None, c.contract_id, None, c.covers_labour,
                       c.covers_parts, f"Planned maintenance visit under {c.number} (due {v.due_on})")
        self.jobs.simulate(plan, SYSTEM, due=v.due_on)
        job_id = self.jobs.emit(plan)
        state = "done" if plan.state in DONE else "carried_over" if plan.state == "cancelled" else "scheduled"
        vid = self._visit_row(v, job_id, state)
        self._remember(plan)
        if plan.cancelled is not None:
            due = plan.cancelled.date() + timedelta(days=7)
            carried = Visit(plan.cancelled + timedelta(hours=1), due, c, v.item_id, 0, vid)
            heapq.heappush(heap, carried)
            self.due_now += carried.create_at <= self.now
            self.book.history("planned_visit", vid, None, "scheduled", "carried_over", SYSTEM, plan.cancelled)

    def _visit_row(self, v: Visit, job_id: int | None, state: str) -> int:
        sink = self.book.sink
        vid = sink.next_id("planned_visits")
        sink.add("planned_visits", (vid, v.contract.contract_id, v.item_id, v.due_on, state, job_id, v.carried_from))
        return vid

    # --- A2: a request that becomes a job (covered) or a service order (D) ---------------------------------
    def _request_job(self, at: datetime, day: date, active: list[Cover], order_ok: bool = True) -> None:
        rnd, w = self.rnd, self.w
        r = rnd.random()
        if r < 0.32 and (cover := self._cover(day, active)) is not None:
            item = rnd.choice(cover.items)
            self._covered(at, cover.customer_id, item, cover.contract_id, cover.type_code, cover.covers_labour,
                          cover.covers_parts)
            return
        item = rnd.choice(self.recent) if self.recent and rnd.random() < 0.06 else rnd.choice(w.items)
        cid = w.item_customer[item]
        if (r < 0.44 or not order_ok) and w.item_warranty[item] >= day:
            self._covered(at, cid, item, None, MAKER_WARRANTY, True, True)
        elif order_ok and r < 0.72:  # no cover, a paid visit asked for by chat or phone: a billable job
            self._covered(at, cid, item, None, None, False, False, kind="order")
        elif order_ok:  # a walk-in service order (D), invoiced before the visit
            self.intake.order(cid, item, at)
        else:
            cover = self._cover(day, active)
            if cover is None:
                self._covered(at, cid, item, None, MAKER_WARRANTY, True, True)
            else:
                self._covered(at, cover.customer_id, rnd.choice(cover.items), cover.contract_id, cover.type_code,
                              cover.covers_labour, cover.covers_parts)

    def _cover(self, day: date, active: list[Cover]) -> Cover | None:
        while active:
            i = self.rnd.randrange(len(active))
            if active[i].until >= day:
                return active[i]
            active[i] = active[-1]
            active.pop()
        return None

    def _covered(self, at: datetime, cid: int, item: int, contract_id: int | None, cover: str | None, labour: bool,
                 parts: bool, kind: str = "job") -> None:
        problem = problem_for(self.w, item, self.rnd)
        rid, who = self.intake.request(cid, kind, problem, at, item=item, contract=contract_id, cover=cover,
                                       labour=labour, parts=parts)
        plan = JobPlan(at, cid, self.w.item_site[item], item, rid, contract_id, None, labour, parts, problem)
        self.jobs.simulate(plan, who)
        self.jobs.emit(plan)
        self._remember(plan)

    def _remember(self, plan: JobPlan) -> None:
        if plan.resolved is not None and plan.item_id is not None:
            self.recent.append(plan.item_id)
            if len(self.recent) > 2000:
                del self.recent[:1000]


def _rebuild_report_facts(engine: Engine) -> None:
    """The reports' per-job pre-aggregation, built once after a bulk load (it is kept current from the
    history afterwards; see backend/reports/facts.py)."""
    from backend.db import UnitOfWork, make_session_factory
    from backend.reports import facts
    from backend.reports.common import Sql

    with UnitOfWork(make_session_factory(engine))() as s:
        Sql(s).tune(s)
        facts.rebuild(s)


def generate(engine: Engine, *, jobs: int, seed: int = 1, now: datetime | None = None, progress: bool = True,
             batch: int = 50_000, rebuild_indexes: bool | None = None) -> Summary:
    """Migrate, then add a generated world of ``jobs`` jobs, in one transaction."""
    from tqdm import tqdm

    from backend.identity.passwords import hash_password

    if jobs < 1:
        raise ValueError("--jobs must be at least 1")
    upgrade(engine)
    now = (now or datetime.now(timezone.utc)).astimezone(timezone.utc)
    started = clock.perf_counter()
    sink = Sink(engine, batch=batch, rebuild_indexes=jobs >= 50_000 if rebuild_indexes is None else rebuild_indexes)
    bar = tqdm(total=jobs, unit="job", disable=not progress, smoothing=0.05, mininterval=0.5)
    try:
        run = _Run(sink, random.Random(seed), now, jobs, hash_password("demo1234"))
        run.run(bar)
        bar.set_postfix_str("indexes and ANALYZE")
        sink.finish(progress=(lambda msg: bar.set_postfix_str(msg[:60])) if progress else None)
        bar.set_postfix_str("report facts")
        _rebuild_report_facts(engine)
    except BaseException:
        bar.close()
        sink.abort()
        raise
    bar.close()
    t = run.book.totals
    return Summary(run.jobs.count, run.days, dict(sink.counts), clock.perf_counter() - started, t.vouchers, t.debit,
                   t.credit, dict(run.jobs.by_state))


__all__ = ["Summary", "generate"]
