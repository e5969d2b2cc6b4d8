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

RASA_PY = ROOT / ".venv-rasa" / "bin" / "python"  # Rasa as the profiles run it: scripts/rasa_run.py
PY = ROOT / ".venv" / "bin" / "python"
MODEL = ROOT / "bot" / "models" / "fieldserv.tar.gz"
model = MODEL  # --model
RESULTS = ROOT / "bench" / "results"
SECRET = "bench-secret"
STARTUP = 300
TURNS_PER_CHAT = 5


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


def start_stack(work: Path, name: str, package: str, env: dict) -> tuple[str, str, list[subprocess.Popen]]:
    aport, rport = free_port(), free_port()
    procs = [subprocess.Popen([str(PY), "-m", "rasa_sdk", "--actions", package, "--port", str(aport), "--quiet"],
                              cwd=ROOT, env=env, stdout=(work / f"{name}-actions.log").open("wb"),
                              stderr=subprocess.STDOUT)]
    wait(f"http://127.0.0.1:{aport}/health", procs[0], f"{name} action server")
    endpoints = work / f"{name}-endpoints.yml"
    endpoints.write_text("action_endpoint:\n  url: ${ACTION_ENDPOINT_URL}\n")
    procs.append(subprocess.Popen(
        [str(RASA_PY), str(ROOT / "scripts" / "rasa_run.py"), "run", "--enable-api", "-m", str(model), "-p", str(rport), "-i", "127.0.0.1",
         "--endpoints", str(endpoints),
         "--credentials", str(ROOT / "bot" / "credentials.yml")],
        cwd=work, env={**env, "ACTION_ENDPOINT_URL": f"http://127.0.0.1:{aport}/webhook"},
        stdout=(work / f"{name}-rasa.log").open("wb"), stderr=subprocess.STDOUT))
    url = f"http://127.0.0.1:{rport}"
    wait(f"{url}/", procs[1], f"{name} Rasa")
    return url, f"http://127.0.0.1:{aport}/webhook", procs


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


async def turn(session: aiohttp.ClientSession, url: str, sender: str, text: str, token: str,
               expect_reply: bool) -> float:
    body = {"sender": sender, "message": text, "metadata": {"token": token}}
    started = time.perf_counter()
    async with session.post(f"{url}/webhooks/rest/webhook", json=body) as resp:
        replies = await resp.json()
        resp.raise_for_status()
    elapsed = (time.perf_counter() - started) * 1000
    if expect_reply and not replies:  # the floor's actions say nothing; the real ones must answer
        raise RuntimeError(f"no reply to {text!r} from {url}")
    return elapsed


async def level(url: str, conversations: int, turns: int, text: str, token: str, tag: str) -> list[float]:
    """``conversations`` at once, each a realistic chat: a greeting (not measured,
    it starts the session), then TURNS_PER_CHAT measured turns, then a new chat.
    (Rasa's prediction time grows with the length of a conversation, so one
    endless conversation would measure that instead.)"""
    per_worker = max(1, turns // conversations)
    timings: list[float] = []
    real = tag == "real"
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=300)) as session:
        async def worker(i: int) -> None:
            done = 0
            while done < per_worker:
                sender = f"{tag}-{conversations}-{i}-{time.monotonic_ns()}"
                await turn(session, url, sender, "hello", token, True)
                for _ in range(min(TURNS_PER_CHAT, per_worker - done)):
                    timings.append(await turn(session, url, sender, text, token, real))
                    done += 1

        await asyncio.gather(*(worker(i) for i in range(conversations)))
    return timings


def action_call(job: str, token: str) -> dict:
    """The action server request Rasa sends for the status action of the measured turn."""
    latest = {"intent": {"name": "check_request_status", "confidence": 1.0}, "entities": [],
              "text": f"what is the status of {job}", "message_id": "bench", "metadata": {"token": token}}
    tracker = {"sender_id": "bench", "slots": {"reference": job, "handoff_offered": False}, "latest_message": latest,
               "events": [], "paused": False, "followup_action": None, "active_loop": {},
               "latest_action_name": "status_form"}
    return {"next_action": "action_check_request_status", "sender_id": "bench", "tracker": tracker, "domain": {},
            "version": "3.6.21"}


async def parse_level(url: str, turns: int, text: str) -> list[float]:
    timings: list[float] = []
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=120)) as session:
        for i in range(turns + 1):
            started = time.perf_counter()
            async with session.post(f"{url}/model/parse", json={"text": text}) as resp:
                await resp.read()
                resp.raise_for_status()
            if i:
                timings.append((time.perf_counter() - started) * 1000)
    return timings


async def action_level(url: str, conversations: int, turns: int, body: dict) -> list[float]:
    """The action alone: Rasa's HTTP call to the action server, nothing else."""
    per_conversation = max(1, turns // conversations)
    timings: list[float] = []
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=120)) as session:
        async def one() -> None:
            for i in range(per_conversation + 1):
                started = time.perf_counter()
                async with session.post(url, json=body) as resp:
                    await resp.read()
                    resp.raise_for_status()
                if i:  # the first call warms up
                    timings.append((time.perf_counter() - started) * 1000)

        await asyncio.gather(*(one() for _ in range(conversations)))
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
        f"{report['when']} · {report['machine']} · model `{report['model']}` · turn: “{report['text']}”",
        f"(each simulated chat: a greeting, then {TURNS_PER_CHAT} measured turns; a signed-in customer)", "",
        "| concurrent conversations | stack | turns | p50 ms | p95 ms | p99 ms |",
        "|---:|---|---:|---:|---:|---:|",
    ]
    for row in report["levels"]:
        for stack in ("real", "floor"):
            r = row[stack]
            lines.append(f"| {row['conversations']} | {stack} | {r['turns']} | {r['p50']} | {r['p95']} | {r['p99']} |")
    p = report["nlu_parse"]
    lines += ["", f"NLU parse alone (`/model/parse`, one at a time): p50 {p['p50']} ms, p95 {p['p95']} ms.",
              "", "Backend share (real − floor):", "",
              "| concurrent conversations | Δp50 ms | Δp95 ms | Δp99 ms |", "|---:|---:|---:|---:|"]
    for row in report["levels"]:
        d = row["backend_share"]
        lines.append(f"| {row['conversations']} | {d['p50']} | {d['p95']} | {d['p99']} |")
    lines += ["", "The status action alone (its HTTP call from Rasa to the action server), real − do-nothing:", "",
              "| concurrent calls | real p50 | real p95 | do-nothing p95 | Δp95 ms |", "|---:|---:|---:|---:|---:|"]
    for row in report["levels"]:
        a, f = row["action_real"], row["action_floor"]
        lines.append(f"| {row['conversations']} | {a['p50']} | {a['p95']} | {f['p95']} | {row['action_share']['p95']} |")
    lines += ["", "`real`: actions call the service core on SQLite; `floor`: do-nothing actions "
              "(bench/noop_actions), same HTTP hops. Goal: the backend adds under 10 ms at p95.", ""]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--turns", type=int, default=200, help="measured turns per level and stack")
    parser.add_argument("--levels", default="1,10,50")
    parser.add_argument("--out", type=Path, default=RESULTS)
    parser.add_argument("--model", type=Path, default=MODEL, help="the Rasa model (default: the trained one)")
    args = parser.parse_args(argv)
    global model
    model = args.model.resolve()
    if not model.exists():
        print(f"no trained model at {model}: run `make train`", file=sys.stderr)
        return 2
    work = Path(tempfile.mkdtemp(prefix="bench-bot-"))
    procs: list[subprocess.Popen] = []
    try:
        db_url, token, job = demo_database(work)
        env = {**os.environ, "DATABASE_URL": db_url, "SECRET_KEY": SECRET, "TF_CPP_MIN_LOG_LEVEL": "3",
               "RASA_TELEMETRY_ENABLED": "false", "KB_INDEX_DIR": str(work / "no-kb")}
        print("==> bench: starting the real and the floor stacks (a minute or two)")
        real_url, real_actions, p1 = start_stack(work, "real", "actions", env)
        procs += p1
        floor_url, floor_actions, p2 = start_stack(work, "floor", "bench.noop_actions", env)
        procs += p2
        text = f"what is the status of {job}"
        parse = summarise(asyncio.run(parse_level(real_url, args.turns, text)))
        print(f"    NLU parse alone (1 at a time): p50 {parse['p50']} ms, p95 {parse['p95']} ms")
        levels = []
        for conversations in [int(x) for x in args.levels.split(",")]:
            row = {"conversations": conversations}
            for stack, url in (("real", real_url), ("floor", floor_url)):
                row[stack] = summarise(asyncio.run(level(url, conversations, args.turns, text, token, stack)))
                print(f"    {conversations:>3} conversations, {stack:<5}: p50 {row[stack]['p50']} ms, "
                      f"p95 {row[stack]['p95']} ms, p99 {row[stack]['p99']} ms")
            row["backend_share"] = {q: round(row["real"][q] - row["floor"][q], 1) for q in ("p50", "p95", "p99")}
            for stack, url in (("real", real_actions), ("floor", floor_actions)):
                row[f"action_{stack}"] = summarise(asyncio.run(
                    action_level(url, conversations, args.turns, action_call(job, token))))
            row["action_share"] = {q: round(row["action_real"][q] - row["action_floor"][q], 1)
                                   for q in ("p50", "p95", "p99")}
            print(f"    {conversations:>3} conversations, status action alone: real p95 {row['action_real']['p95']} ms, "
                  f"do-nothing p95 {row['action_floor']['p95']} ms")
            levels.append(row)
        report = {"when": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
                  "machine": f"{platform.machine()}, {os.cpu_count()} cores, load {os.getloadavg()[0]:.1f}",
                  "model": model.name, "text": text, "turns_per_level": args.turns, "nlu_parse": parse,
                  "levels": levels}
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
