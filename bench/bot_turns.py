"""Turn latency of the assistant through Rasa's REST channel.

    .venv/bin/python bench/bot_turns.py [--turns 300] [--levels 1,10,50]

Starts, on free ports, two stacks on one demo database (SQLite, migrated,
demo world loaded):

* real:  Rasa + the real action server (``actions``), whose actions read the
  database through the service core;
* floor: the same Rasa model + an action server of do-nothing actions
  (``bench/noop_actions``): the same HTTP hops, no backend work.

The measured turn is a signed-in customer asking for a job's status ("what is
the status of JB-000001"): NLU, the form and its validation action, the
status action (two action-server calls), the response. Each level runs N
concurrent conversations for the same total number of turns, on one stack at
a time. Results: bench/results/bot_turns.json and .md (p50/p95/p99 in ms, and
real minus floor = the backend's share).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from datetime import datetime, timezone
from pathlib import Path

import aiohttp

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from backend.db import UnitOfWork, make_engine, make_session_factory  # noqa: E402
from backend.identity.actor import Actor  # noqa: E402
from backend.identity.models import Role, User  # noqa: E402
from backend.identity.tokens import issue_token  # noqa: E402
from backend.migrate import upgrade  # noqa: E402

RASA = ROOT / ".venv-rasa" / "bin" / "rasa"
PY = ROOT / ".venv" / "bin" / "python"
MODEL = ROOT / "bot" / "models" / "fieldserv.tar.gz"
RESULTS = ROOT / "bench" / "results"
SECRET = "bench-secret"
STARTUP = 300


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait(url: str, proc: subprocess.Popen, what: str) -> None:
    deadline = time.monotonic() + STARTUP
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{what} exited with {proc.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=5) as r:
                if r.status == 200:
                    return
        except OSError:
            time.sleep(1)
    raise RuntimeError(f"{what} not up on {url} after {STARTUP} s")


def start_stack(work: Path, name: str, package: str, env: dict) -> tuple[str, list[subprocess.Popen]]:
    aport, rport = free_port(), free_port()
    procs = [subprocess.Popen([str(PY), "-m", "rasa_sdk", "--actions", package, "--port", str(aport), "--quiet"],
                              cwd=ROOT, env=env, stdout=(work / f"{name}-actions.log").open("wb"),
                              stderr=subprocess.STDOUT)]
    wait(f"http://127.0.0.1:{aport}/health", procs[0], f"{name} action server")
    endpoints = work / f"{name}-endpoints.yml"
    endpoints.write_text("action_endpoint:\n  url: ${ACTION_ENDPOINT_URL}\n")
    procs.append(subprocess.Popen(
        [str(RASA), "run", "-m", str(MODEL), "-p", str(rport), "-i", "127.0.0.1", "--endpoints", str(endpoints),
         "--credentials", str(ROOT / "bot" / "credentials.yml")],
        cwd=work, env={**env, "ACTION_ENDPOINT_URL": f"http://127.0.0.1:{aport}/webhook"},
        stdout=(work / f"{name}-rasa.log").open("wb"), stderr=subprocess.STDOUT))
    url = f"http://127.0.0.1:{rport}"
    wait(f"{url}/", procs[1], f"{name} Rasa")
    return url, procs


def demo_database(work: Path) -> tuple[str, str, str]:
    """A migrated SQLite file with the demo world; (url, customer token, one of their jobs)."""
    from sqlalchemy import select

    from backend import demo
    from backend.jobs.models import Job

    url = f"sqlite:///{work / 'bench.sqlite3'}"
    engine = make_engine(url)
    upgrade(engine)
    uow = UnitOfWork(make_session_factory(engine))
    demo.load(uow)
    with uow() as s:
        job = s.scalar(select(Job).order_by(Job.id).limit(1))
        user = s.scalar(select(User).where(User.customer_id == job.customer_id, User.role == Role.CUSTOMER))
        actor = Actor(Role.CUSTOMER, user.id, user.customer_id, user.name, "chat")
        job_number = job.number
    engine.dispose()
    return url, issue_token(SECRET, actor), job_number


async def turn(session: aiohttp.ClientSession, url: str, sender: str, text: str, token: str) -> float:
    body = {"sender": sender, "message": text, "metadata": {"token": token}}
    started = time.perf_counter()
    async with session.post(f"{url}/webhooks/rest/webhook", json=body) as resp:
        replies = await resp.json()
        resp.raise_for_status()
    elapsed = (time.perf_counter() - started) * 1000
    if not replies:
        raise RuntimeError(f"no reply to {text!r} from {url}")
    return elapsed


async def level(url: str, conversations: int, turns: int, text: str, token: str, tag: str) -> list[float]:
    per_conversation = max(1, turns // conversations)
    timings: list[float] = []
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=300)) as session:
        async def one(i: int) -> None:
            sender = f"{tag}-{conversations}-{i}-{time.monotonic_ns()}"
            await turn(session, url, sender, text, token)  # warm-up: session start, not measured
            for _ in range(per_conversation):
                timings.append(await turn(session, url, sender, text, token))

        await asyncio.gather(*(one(i) for i in range(conversations)))
    return timings


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q / 100 * len(ordered)) - 1))]


def summarise(values: list[float]) -> dict:
    return {"turns": len(values), "p50": round(pct(values, 50), 1), "p95": round(pct(values, 95), 1),
            "p99": round(pct(values, 99), 1), "mean": round(statistics.fmean(values), 1)}


def markdown(report: dict) -> str:
    lines = [
        "# Bot turn latency (REST channel)", "",
        f"{report['when']} · {report['machine']} · model `{report['model']}` · turn: “{report['text']}”", "",
        "| concurrent conversations | stack | turns | p50 ms | p95 ms | p99 ms |",
        "|---:|---|---:|---:|---:|---:|",
    ]
    for row in report["levels"]:
        for stack in ("real", "floor"):
            r = row[stack]
            lines.append(f"| {row['conversations']} | {stack} | {r['turns']} | {r['p50']} | {r['p95']} | {r['p99']} |")
    lines += ["", "Backend share (real − floor):", "",
              "| concurrent conversations | Δp50 ms | Δp95 ms | Δp99 ms |", "|---:|---:|---:|---:|"]
    for row in report["levels"]:
        d = row["backend_share"]
        lines.append(f"| {row['conversations']} | {d['p50']} | {d['p95']} | {d['p99']} |")
    lines += ["", "`real`: actions call the service core on SQLite; `floor`: do-nothing actions "
              "(bench/noop_actions), same HTTP hops. Goal: the backend adds under 10 ms at p95.", ""]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--turns", type=int, default=300, help="measured turns per level and stack")
    parser.add_argument("--levels", default="1,10,50")
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    if not MODEL.exists():
        print(f"no trained model at {MODEL}: run `make train`", file=sys.stderr)
        return 2
    work = Path(tempfile.mkdtemp(prefix="bench-bot-"))
    procs: list[subprocess.Popen] = []
    try:
        db_url, token, job = demo_database(work)
        env = {**os.environ, "DATABASE_URL": db_url, "SECRET_KEY": SECRET, "TF_CPP_MIN_LOG_LEVEL": "3",
               "RASA_TELEMETRY_ENABLED": "false", "KB_INDEX_DIR": str(work / "no-kb")}
        print("==> bench: starting the real and the floor stacks (a minute or two)")
        real_url, p1 = start_stack(work, "real", "actions", env)
        procs += p1
        floor_url, p2 = start_stack(work, "floor", "bench.noop_actions", env)
        procs += p2
        text = f"what is the status of {job}"
        levels = []
        for conversations in [int(x) for x in args.levels.split(",")]:
            row = {"conversations": conversations}
            for stack, url in (("real", real_url), ("floor", floor_url)):
                row[stack] = summarise(asyncio.run(level(url, conversations, args.turns, text, token, stack)))
                print(f"    {conversations:>3} conversations, {stack:<5}: p50 {row[stack]['p50']} ms, "
                      f"p95 {row[stack]['p95']} ms, p99 {row[stack]['p99']} ms")
            row["backend_share"] = {q: round(row["real"][q] - row["floor"][q], 1) for q in ("p50", "p95", "p99")}
            levels.append(row)
        report = {"when": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
                  "machine": f"{platform.machine()}, {os.cpu_count()} cores, load {os.getloadavg()[0]:.1f}",
                  "model": MODEL.name, "text": text, "turns_per_level": args.turns, "levels": levels}
        args.out.mkdir(parents=True, exist_ok=True)
        (args.out / "bot_turns.json").write_text(json.dumps(report, indent=2) + "\n")
        (args.out / "bot_turns.md").write_text(markdown(report))
        print(f"==> bench: wrote {args.out / 'bot_turns.md'}")
        return 0
    finally:
        for proc in reversed(procs):
            if proc.poll() is None:
                proc.terminate()
                try:
                    proc.wait(30)
                except subprocess.TimeoutExpired:
                    proc.kill()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
