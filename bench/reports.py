"""Report benchmark: every report endpoint over 1,000,000 generated jobs in PostgreSQL.

    python bench/reports.py [--jobs 1000000] [--runs 7] [--days 30 365] [--reuse] [--keep]

What it does:

1. connects to ``BENCH_DATABASE_URL`` (default: a database ``fieldserv_bench`` on
   127.0.0.1, created here), and loads ``--jobs`` jobs with ``backend.generate``
   (migrations included, so the report indexes of 0005_report_indexes exist);
   the load's time and throughput are recorded. ``--reuse`` keeps a database
   that already holds at least that many jobs instead of loading again;
2. serves the real aiohttp API on 127.0.0.1 (the same ``create_app`` as
   production) and logs in as a generated manager through ``POST /api/login``;
3. for each date range (``--days``: the N days ending on the newest job's
   day) and each report endpoint, one warm-up request and ``--runs`` timed
   requests (client side: HTTP, query, JSON); records median, p95
   (nearest rank), min, max, response size;
4. writes ``bench/results/reports.json`` and ``bench/results/reports.md``
   with the machine (nproc, RAM, CPU, PostgreSQL version, load average);
5. drops the database unless ``--keep``.

Goal: every report under 1 s at 1,000,000 jobs. Nothing here asserts it (no
wall-clock asserts anywhere): the numbers are written down and read.
On a shared 2-core machine the figures move with other processes' load; the
load average before and after is recorded with them.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import platform
import statistics
import sys
import time
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import aiohttp  # noqa: E402
from aiohttp import web  # noqa: E402
from sqlalchemy import text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from backend.api import create_app  # noqa: E402
from backend.db import UnitOfWork, make_engine, make_session_factory  # noqa: E402
from backend.generate import generate  # noqa: E402
from backend.reports.common import MAX_CALENDAR_DAYS  # noqa: E402
from backend.settings import Settings  # noqa: E402

DEFAULT_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/fieldserv_bench"
PASSWORD = "demo1234"  # what backend.generate gives every generated login
GOAL_MS = 1000.0


# --- the database ---------------------------------------------------------------------------------------

def ensure_database(url: str, *, fresh: bool) -> None:
    u = make_url(url)
    admin = make_engine(u.set(database="postgres").render_as_string(hide_password=False),
                        isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        exists = conn.execute(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": u.database}).scalar()
        if exists and fresh:
            conn.execute(text(f'DROP DATABASE "{u.database}" WITH (FORCE)'))
            exists = None
        if not exists:
            conn.execute(text(f'CREATE DATABASE "{u.database}"'))
    admin.dispose()


def drop_database(url: str) -> None:
    u = make_url(url)
    admin = make_engine(u.set(database="postgres").render_as_string(hide_password=False),
                        isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{u.database}" WITH (FORCE)'))
    admin.dispose()


def job_count(url: str) -> int:
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            return conn.execute(text("SELECT count(*) FROM jobs")).scalar() or 0
    except Exception:
        return 0
    finally:
        engine.dispose()


def dataset(engine) -> dict:
    """What the endpoints are asked about, and how big the tables are."""
    with engine.connect() as conn:
        q = lambda sql: conn.execute(text(sql)).scalar()  # noqa: E731
        newest = q("SELECT max(created_at) FROM jobs")
        sizes = {t: q(f"SELECT reltuples::bigint FROM pg_class WHERE relname = '{t}'") for t in (
            "jobs", "state_changes", "service_requests", "invoices", "invoice_lines", "receipts", "vouchers",
            "ledger_entries", "job_parts", "feedback", "expense_claims", "contracts", "service_orders",
            "repair_orders", "customers", "users")}
        sizes["jobs"] = q("SELECT count(*) FROM jobs")
        return {
            "today": newest.date().isoformat(),
            "manager": q("SELECT email FROM users WHERE role = 'manager' ORDER BY id LIMIT 1"),
            "request": q("SELECT number FROM service_requests WHERE kind = 'order' AND id <= "
                         "(SELECT max(id) - least(2000, count(*) / 2) FROM service_requests) ORDER BY id DESC LIMIT 1"),
            "customer": q("SELECT customer_id FROM invoices WHERE id > (SELECT max(id) - 50000 FROM invoices) "
                          "GROUP BY customer_id ORDER BY count(*) DESC, customer_id LIMIT 1"),
            "rows": sizes,
            "postgres": q("SELECT version()"),
            "settings": {k: q(f"SHOW {k}") for k in ("shared_buffers", "work_mem", "max_parallel_workers_per_gather",
                                                     "effective_cache_size")},
        }


# --- the machine ------------------------------------------------------------------------------------------

def machine() -> dict:
    def read(path: str) -> str:
        try:
            return Path(path).read_text()
        except OSError:
            return ""

    cpu = next((l.split(":", 1)[1].strip() for l in read("/proc/cpuinfo").splitlines() if l.startswith("model name")),
               platform.processor())
    mem_kb = next((int(l.split()[1]) for l in read("/proc/meminfo").splitlines() if l.startswith("MemTotal")), 0)
    return {"nproc": os.cpu_count(), "ram_gb": round(mem_kb / 1024 / 1024, 1), "cpu": cpu,
            "python": platform.python_version(), "load_average": [round(x, 2) for x in os.getloadavg()]}


# --- the endpoints -----------------------------------------------------------------------------------------

def endpoints(data: dict) -> list[tuple[str, dict]]:
    return [
        ("dashboard", {}), ("scoreboard", {}), ("kanban", {}),
        ("journey", {"request": data["request"]}),
        ("appointment-calendar", {}), ("jobs-calendar", {}), ("repair-calendar", {}),
        ("offer-pipeline", {}), ("order-pipeline", {}), ("sales-register", {}), ("outstanding", {}),
        ("statement", {"party_type": "customer", "party_id": data["customer"]}),
        ("cash-flow", {"by": "day"}), ("job-expense", {}), ("visit-reports", {}), ("parts-used", {}),
        ("feedback", {}), ("extra-billing", {}),
        ("pnl", {"by": "job"}), ("pnl", {"by": "technician"}), ("pnl", {"by": "product"}),
    ]


def nearest_rank(samples: list[float], pct: float) -> float:
    ordered = sorted(samples)
    return ordered[max(0, math.ceil(pct / 100 * len(ordered)) - 1)]


async def time_all(url: str, data: dict, days: list[int], runs: int) -> list[dict]:
    engine = make_engine(url, pool_size=4)
    app = create_app(Settings(database_url=url, secret_key="bench-secret"), UnitOfWork(make_session_factory(engine)))
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    host, port = runner.addresses[0][:2]
    base = f"http://{host}:{port}"
    results = []
    try:
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=600)) as http:
            async with http.post(f"{base}/api/login", json={"email": data["manager"], "password": PASSWORD}) as r:
                body = await r.json()
                assert r.status == 200, body
            headers = {"Authorization": f"Bearer {body['token']}"}
            end = date.fromisoformat(data["today"])
            for span in days:
                for name, params in endpoints(data):
                    used = min(span, MAX_CALENDAR_DAYS) if name.endswith("calendar") else span
                    start = end - timedelta(days=used - 1)
                    query = {"start": start.isoformat(), "end": end.isoformat(), **params}
                    if name == "journey":
                        query = dict(params)  # a request's whole history: no range
                    path = f"/api/reports/{name}?{urlencode(query)}"
                    samples, size, status = [], 0, 0
                    for i in range(runs + 1):
                        t0 = time.perf_counter()
                        async with http.get(base + path, headers=headers) as r:
                            payload = await r.read()
                            status = r.status
                        elapsed = (time.perf_counter() - t0) * 1000
                        size = len(payload)
                        if status != 200:
                            raise RuntimeError(f"{path} -> {status}: {payload[:300]!r}")
                        if i:  # the first request warms the caches
                            samples.append(elapsed)
                    label = name + (f" by={params['by']}" if "by" in params and name == "pnl" else "")
                    row = {"report": label, "path": path, "days": None if name == "journey" else span,
                           "days_used": None if name == "journey" else used,
                           "median_ms": round(statistics.median(samples), 1),
                           "p95_ms": round(nearest_rank(samples, 95), 1), "min_ms": round(min(samples), 1),
                           "max_ms": round(max(samples), 1), "bytes": size, "runs": runs}
                    row["under_goal"] = row["median_ms"] < GOAL_MS
                    results.append(row)
                    print(f"  {used:>4} d  {label:<22} median {row['median_ms']:>8.1f} ms   p95 {row['p95_ms']:>8.1f} ms"
                          f"   {size:>9,} B", flush=True)
    finally:
        await runner.cleanup()
        engine.dispose()
    return results


# --- outstanding: the ledger scan it replaced, timed in the same run ---------------------------------------------

def outstanding_before_0008(uow: UnitOfWork, actor, as_of: date) -> list:
    """``backend.ledger.service.outstanding`` as it was before migration 0008
    (commit 7373fc6), kept here as the baseline: every receivable entry of the
    ledger, tied to its invoice through its voucher's source."""
    from sqlalchemy import case, func, literal, select

    from backend.billing.models import Invoice, Receipt
    from backend.db import money
    from backend.ledger.chart import RECEIVABLE
    from backend.ledger.models import Account, LedgerEntry, Voucher
    from backend.ledger.service import BUCKETS, ZERO, Ageing

    invoice_of_entry = case(
        (Voucher.source_type == "invoice", Voucher.source_id),
        (Voucher.source_type == "receipt",
         select(Receipt.invoice_id).where(Receipt.id == Voucher.source_id).scalar_subquery()),
        else_=literal(None),
    )
    with uow() as s:
        per_invoice = (
            select(LedgerEntry.party_id.label("party_id"), invoice_of_entry.label("invoice_id"),
                   func.sum(LedgerEntry.debit - LedgerEntry.credit).label("due"))
            .join(Voucher, Voucher.id == LedgerEntry.voucher_id)
            .join(Account, Account.id == LedgerEntry.account_id)
            .where(Account.code == RECEIVABLE, LedgerEntry.party_type == "customer", LedgerEntry.on <= as_of)
            .group_by(LedgerEntry.party_id, invoice_of_entry)
        )
        sub = per_invoice.subquery()
        rows = s.execute(select(sub.c.party_id, sub.c.due, Invoice.due_on)
                         .join(Invoice, Invoice.id == sub.c.invoice_id, isouter=True).where(sub.c.due != 0)).all()
    result: dict = {}
    for pid, due, due_on in rows:
        days = (as_of - due_on).days if due_on else 0
        bucket = next(name for name, lo, hi in BUCKETS
                      if (lo is None and days <= 0) or (lo is not None and days >= lo and (hi is None or days <= hi)))
        b = result.setdefault(pid, {name: ZERO for name, _, _ in BUCKETS})
        b[bucket] += money(due)
    return [Ageing("customer", pid, money(sum(b.values(), ZERO)), b) for pid, b in sorted(result.items())]


def outstanding_baseline(url: str, data: dict, runs: int) -> dict:
    """The new ``ledger.outstanding`` and the one it replaced, in process (no HTTP), on the same data in
    the same run, each a warm-up and ``runs`` timed calls, the new one first (the old one's scan of the
    whole ledger would push the new one's pages out of shared_buffers); both must give the same ageing."""
    from backend.identity.actor import Actor
    from backend.identity.models import Role
    from backend.ledger import service as ledger

    engine = make_engine(url)
    uow = UnitOfWork(make_session_factory(engine))
    actor = Actor(Role.MANAGER, None)
    as_of = date.fromisoformat(data["today"])
    fns = {"before (full ledger scan)": lambda: outstanding_before_0008(uow, actor, as_of),
           "after (invoice balances)": lambda: ledger.outstanding(uow, actor, as_of=as_of)}
    samples: dict[str, list[float]] = {k: [] for k in fns}
    answers = {}
    try:
        for name, fn in reversed(fns.items()):
            for i in range(runs + 1):
                t0 = time.perf_counter()
                answers[name] = fn()
                if i:
                    samples[name].append((time.perf_counter() - t0) * 1000)
    finally:
        engine.dispose()
    before, after = answers["before (full ledger scan)"], answers["after (invoice balances)"]
    same = [(a.party_id, a.total, a.buckets) for a in before] == [(a.party_id, a.total, a.buckets) for a in after]
    out = {"as_of": as_of.isoformat(), "customers": len(after), "total": str(sum(a.total for a in after)),
           "same_answer": same, "runs": runs,
           "timings": {k: {"median_ms": round(statistics.median(v), 1), "p95_ms": round(nearest_rank(v, 95), 1),
                           "min_ms": round(min(v), 1), "max_ms": round(max(v), 1)} for k, v in samples.items()}}
    for k, t in out["timings"].items():
        print(f"  outstanding in process, {k:<26} median {t['median_ms']:>8.1f} ms   p95 {t['p95_ms']:>8.1f} ms",
              flush=True)
    print(f"  same ageing from both: {same} ({len(after):,} customers owe {out['total']})", flush=True)
    return out


# --- writing the results -------------------------------------------------------------------------------------

def markdown(doc: dict) -> str:
    m, d, load = doc["machine"], doc["dataset"], doc.get("load")
    lines = [
        "# Report benchmark",
        "",
        f"Run {doc['at']} by `python bench/reports.py` (`make bench-reports`).",
        "",
        f"- Machine: {m['nproc']} cores ({m['cpu']}), {m['ram_gb']} GB RAM, Python {m['python']}; "
        f"load average {m['load_average']} at start, {doc['load_average_end']} at end (a shared machine).",
        f"- PostgreSQL: {d['postgres'].split(',')[0]}; " + ", ".join(f"{k} {v}" for k, v in d["settings"].items()) + ".",
        f"- Data: {d['rows']['jobs']:,} jobs, ~{d['rows']['state_changes']:,} history rows, "
        f"~{d['rows']['invoices']:,} invoices, ~{d['rows']['ledger_entries']:,} ledger entries, "
        f"~{d['rows']['customers']:,} customers; newest job on {d['today']}.",
    ]
    if load:
        lines.append(f"- Load: {load['jobs']:,} jobs (and everything around them, {load['rows']:,} rows) in "
                     f"{load['seconds']:.0f} s = {load['jobs_per_second']:,.0f} jobs/s, indexes built after the load.")
    lines += [
        f"- Each figure: {doc['runs']} requests after one warm-up, through the HTTP API (client side: request, "
        "query, JSON); goal: under 1,000 ms.",
        "",
    ]
    spans = sorted({r["days"] for r in doc["results"] if r["days"]})
    head = "| report | " + " | ".join(f"{s} d median | {s} d p95" for s in spans) + " | size (first range) |"
    lines += [head, "|---|" + "---:|---:|" * len(spans) + "---:|"]
    names = list(dict.fromkeys(r["report"] for r in doc["results"]))
    for name in names:
        rows = [r for r in doc["results"] if r["report"] == name]
        cells = []
        for s in spans:
            r = next((x for x in rows if x["days"] in (s, None)), None)
            mark = " †" if r and r.get("days_used") not in (None, r["days"]) else ""
            cells += [f"{r['median_ms']:.0f} ms" + ("" if r["under_goal"] else " ⚠") + mark, f"{r['p95_ms']:.0f} ms"] \
                if r else ["", ""]
        lines.append(f"| {name} | " + " | ".join(cells) + f" | {rows[0]['bytes']:,} B |")
    base = doc.get("outstanding_baseline")
    if base:
        lines += ["", (f"Outstanding and ageing in process (no HTTP), as of {base['as_of']}: the code before "
                       "migration 0008 (a scan of every receivable entry, tied to its invoice through the voucher) "
                       f"and after it (per-invoice balances), in this run after the HTTP figures, {base['runs']} runs "
                       f"each after a warm-up, the new code first; same ageing from both: "
                       f"{'yes' if base['same_answer'] else 'NO'} "
                       f"({base['customers']:,} customers owe {base['total']})."),
                  "", "| outstanding | median | p95 | min | max |", "|---|---:|---:|---:|---:|"]
        lines += [f"| {k} | {t['median_ms']:.0f} ms | {t['p95_ms']:.0f} ms | {t['min_ms']:.0f} ms "
                  f"| {t['max_ms']:.0f} ms |" for k, t in base["timings"].items()]
    slow = [r for r in doc["results"] if not r["under_goal"]]
    lines += ["", "⚠: median over the 1 s goal." if slow else "Every report's median is under the 1 s goal.",
              f"†: calendars cover at most {MAX_CALENDAR_DAYS} days (longer ranges are refused), so this column "
              f"shows their {MAX_CALENDAR_DAYS}-day figure.", ""]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--days", type=int, nargs="+", default=[30, 365], help="date ranges to time, in days")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--reuse", action="store_true", help="keep a database that already holds the jobs")
    parser.add_argument("--keep", action="store_true", help="do not drop the database at the end")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results")
    args = parser.parse_args(argv)
    url = os.environ.get("BENCH_DATABASE_URL", DEFAULT_URL)
    doc: dict = {"at": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"), "machine": machine(),
                 "runs": args.runs, "jobs_asked": args.jobs}
    print(f"==> reports bench: {make_url(url).render_as_string(hide_password=True)}", flush=True)
    reuse = args.reuse and job_count(url) >= args.jobs
    if not reuse:
        ensure_database(url, fresh=True)
        engine = make_engine(url)
        print(f"==> loading {args.jobs:,} jobs (backend.generate)", flush=True)
        summary = generate(engine, jobs=args.jobs, seed=args.seed)
        engine.dispose()
        doc["load"] = {"jobs": summary.jobs, "rows": sum(summary.rows.values()), "seconds": round(summary.seconds, 1),
                       "jobs_per_second": round(summary.jobs_per_second, 1), "vouchers": summary.vouchers,
                       "balanced": summary.debit_cents == summary.credit_cents}
        print(f"    {summary.jobs:,} jobs, {sum(summary.rows.values()):,} rows in {summary.seconds:.0f} s "
              f"({summary.jobs_per_second:,.0f} jobs/s)", flush=True)
    else:
        print("==> reusing the loaded database", flush=True)
        engine = make_engine(url)
        from backend.migrate import upgrade

        upgrade(engine)  # the report indexes, if the data came from before them
        with engine.connect() as conn:
            conn.execution_options(isolation_level="AUTOCOMMIT").execute(text("ANALYZE"))
        engine.dispose()
    engine = make_engine(url)
    doc["dataset"] = dataset(engine)
    engine.dispose()
    print("==> timing every report endpoint", flush=True)
    doc["results"] = asyncio.run(time_all(url, doc["dataset"], args.days, args.runs))
    print("==> outstanding: before and after migration 0008, in process", flush=True)
    doc["outstanding_baseline"] = outstanding_baseline(url, doc["dataset"], args.runs)
    doc["load_average_end"] = [round(x, 2) for x in os.getloadavg()]
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "reports.json").write_text(json.dumps(doc, indent=2, default=str) + "\n")
    (args.out / "reports.md").write_text(markdown(doc))
    print(f"==> wrote {args.out / 'reports.json'} and {args.out / 'reports.md'}", flush=True)
    if not args.keep:
        drop_database(url)
        print("==> dropped the benchmark database", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
