"""Load test: N concurrent customer conversations through nginx and the hub.

    . var/prod/env.sh && .venv/bin/python bench/load_chat.py \\
        [--url http://127.0.0.1:8080] [--rasa-urls http://127.0.0.1:5005,...] \\
        [--levels 1,10,50] [--duration 30] [--max-turns 600] [--label "2 Rasa"]

(`make bench-load`, mk/load.mk, starts nothing: it drives the production
profile already running, `make run-prod`.) Each simulated customer is a
python-socketio ``AsyncClient`` on ``<url>/socket.io/?sticky=<conversation>``
(nginx's sticky rule hashes ``$arg_sticky``, so one load machine spreads over
both hub workers), signed in as a demo customer (a token made with
``SECRET_KEY`` from ``DATABASE_URL``'s demo world), and plays one
conversation after another, each a realistic mix:

  greeting → status check of one of their jobs → the service-request form to
  the end (product, serial number, problem, site, slot, confirmation) → a
  knowledge question → thanks; one conversation in twenty asks for a person
  after the status check instead (the handoff; no agent answers, it ends).

A turn is timed from ``user_uttered`` to the first ``bot_uttered`` of the
answer (a bot or system message whose ``seq`` is after the customer's). Each
level runs N conversations at once, by default without think time (closed
loop: the saturated figure), or with ``--think S``: each customer pauses a
random 0.5·S–1.5·S seconds (seeded) before each message after the first, as
people read and type (the paced figure: what N customers at once see), until
``--duration`` seconds or ``--max-turns`` turns;
turns that finish in the first ``--warmup`` seconds are not counted. The
floor: the same conversations posted to Rasa's REST channel straight
(``--rasa-urls``, conversations spread over them), in the same run.
Writes ``--out`` .json and .md (bench/results/load_chat by default) unless
``--no-write``; ``--append`` adds this run's rows to what is there.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import os
import platform
import random
import sys
import time
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results"
sys.path.insert(0, str(ROOT / "bench"))
from bot_turns import pct, summarise  # noqa: E402  (the percentile rule every bot bench shares)
HANDOFF_EVERY = 20


@dataclass(frozen=True)
class Customer:
    token: str | None
    job: str


def script(customer: Customer, handoff: bool) -> list[tuple[str, str]]:
    """(kind, text) for one conversation."""
    turns = [("greeting", "hello"), ("status", f"what is the status of {customer.job}")]
    if handoff:
        return turns + [("handoff", "I want to talk to a person please")]
    return turns + [
        ("form", "my split AC is not cooling at all, please send a technician"),
        ("form", "SN-AC-77120"),
        ("form", "it blows warm air since two days"),
        ("form", "12 MG Road, Bengaluru"),
        ("form", "tomorrow 11am"),
        ("form", "yes please"),
        ("knowledge", "how often should an air conditioner be serviced?"),
        ("thanks", "thanks a ton"),
    ]


@dataclass
class Recorder:
    """Turns of one level: counted after the warm-up, until the stop time or count."""
    warmup_s: float
    duration_s: float
    max_turns: int
    started: float = field(default_factory=time.monotonic)
    timings: list[float] = field(default_factory=list)  # ms, counted turns
    kinds: dict[str, list[float]] = field(default_factory=dict)
    errors: dict[str, int] = field(default_factory=dict)
    conversations: int = 0
    handoffs: int = 0
    first_counted: float | None = None
    last_counted: float | None = None

    def more(self) -> bool:
        return (time.monotonic() - self.started < self.duration_s) and len(self.timings) < self.max_turns

    def turn(self, kind: str, ms: float) -> None:
        now = time.monotonic()
        if now - self.started < self.warmup_s or len(self.timings) >= self.max_turns:
            return
        if self.first_counted is None:  # the window starts when the first counted turn started
            self.first_counted = now - ms / 1000
        self.last_counted = now
        self.timings.append(ms)
        self.kinds.setdefault(kind, []).append(ms)

    def error(self, what: str) -> None:
        self.errors[what] = self.errors.get(what, 0) + 1

    def summary(self) -> dict:
        out: dict = {"turns": len(self.timings), "conversations": self.conversations, "handoffs": self.handoffs,
                     "errors": dict(self.errors)}
        if not self.timings:
            return out
        window = max(1e-9, (self.last_counted or 0) - (self.first_counted or 0))
        out.update(summarise(self.timings), window_s=round(window, 2),
                   turns_per_s=round(len(self.timings) / window, 2),
                   by_kind={k: {"turns": len(v), "p50": round(pct(v, 50), 1), "p95": round(pct(v, 95), 1)}
                            for k, v in sorted(self.kinds.items())})
        return out


class HubChat:
    """One customer's socket on the hub (through nginx)."""

    def __init__(self, url: str, conversation: str, token: str | None, timeout: float) -> None:
        import socketio

        self.url, self.conversation, self.token, self.timeout = url, conversation, token, timeout
        self.client = socketio.AsyncClient(reconnection=False)
        self.replies: asyncio.Queue = asyncio.Queue()
        self.confirmed: asyncio.Queue = asyncio.Queue()
        self.client.on("bot_uttered", self.replies.put_nowait)
        self.client.on("session_confirm", self.confirmed.put_nowait)

    async def __aenter__(self) -> HubChat:
        await self.client.connect(f"{self.url}?sticky={self.conversation}", transports=["websocket"],
                                  wait_timeout=self.timeout)
        custom = {"token": self.token} if self.token else {}
        await self.client.emit("session_request", {"session_id": None, "customData": custom})
        self.session = await asyncio.wait_for(self.confirmed.get(), self.timeout)
        return self

    async def __aexit__(self, *exc) -> None:
        try:
            await self.client.emit("end_chat", {})
        except Exception:
            pass
        await self.client.disconnect()

    async def say(self, text: str) -> None:
        ack = await self.client.call("user_uttered", {"message": text, "session_id": self.session},
                                     timeout=self.timeout)
        if not isinstance(ack, dict) or "seq" not in ack:
            raise RuntimeError(f"refused: {ack}")
        seq = ack["seq"]
        deadline = time.monotonic() + self.timeout
        while True:  # the answer: the first bot or system message after the customer's
            data = await asyncio.wait_for(self.replies.get(), max(0.01, deadline - time.monotonic()))
            meta = data.get("metadata") or {}
            if meta.get("sender") in ("bot", "system") and (meta.get("seq") or 0) > seq and not data.get("replay"):
                return


class RestChat:
    """The floor: the same conversation posted to Rasa's REST channel straight."""

    def __init__(self, session, rasa_url: str, conversation: str, token: str | None) -> None:
        self.session, self.url, self.sender, self.token = session, rasa_url, conversation, token

    async def __aenter__(self) -> RestChat:
        return self

    async def __aexit__(self, *exc) -> None:
        return None

    async def say(self, text: str) -> None:
        body = {"sender": self.sender, "message": text, "metadata": {"token": self.token} if self.token else {}}
        async with self.session.post(f"{self.url}/webhooks/rest/webhook", json=body) as resp:
            replies = await resp.json()
            resp.raise_for_status()
        if not replies:
            raise RuntimeError("no reply")


async def run_level(path: str, conversations: int, customers: list[Customer], *, url: str = "",
                    rasa_urls: list[str] = (), duration: float = 30, max_turns: int = 600, warmup: float = 2,
                    timeout: float = 30, handoff_every: int = HANDOFF_EVERY, think: float = 0.0,
                    seed: int = 7) -> dict:
    """``conversations`` customers at once on ``path`` ("hub" or "rest"); the level's summary."""
    import aiohttp

    rec = Recorder(warmup, duration, max_turns)
    counter = itertools.count()
    pauses = random.Random(seed)
    run = uuid.uuid4().hex[:6]
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=timeout)) as http:
        async def one_conversation() -> None:
            n = next(counter)
            customer = customers[n % len(customers)]
            handoff = handoff_every > 0 and n % handoff_every == handoff_every - 1
            name = f"load-{run}-{conversations}-{n}"
            chat = (HubChat(url, name, customer.token, timeout) if path == "hub"
                    else RestChat(http, rasa_urls[n % len(rasa_urls)], name, customer.token))
            async with chat:
                rec.conversations += 1
                rec.handoffs += handoff
                for i, (kind, text) in enumerate(script(customer, handoff)):
                    if think and i:
                        await asyncio.sleep(think * pauses.uniform(0.5, 1.5))
                    if not rec.more():
                        return
                    t = time.perf_counter()
                    await chat.say(text)
                    rec.turn(kind, (time.perf_counter() - t) * 1000)

        async def worker() -> None:
            while rec.more():
                try:
                    await one_conversation()
                except (asyncio.TimeoutError, TimeoutError):
                    rec.error("timeout")
                except Exception as exc:  # counted, and the customer starts over
                    rec.error(type(exc).__name__)
                    await asyncio.sleep(0.2)

        await asyncio.gather(*(worker() for _ in range(conversations)))
    return {"path": path, "conversations_at_once": conversations, **rec.summary()}


def demo_customers(limit: int = 20) -> list[Customer]:
    """Signed-in demo customers (DATABASE_URL, SECRET_KEY), each with one of their jobs."""
    sys.path.insert(0, str(ROOT))
    from sqlalchemy import select

    from backend.db import make_engine, make_session_factory
    from backend.identity.actor import Actor
    from backend.identity.models import Role, User
    from backend.identity.tokens import issue_token
    from backend.jobs.models import Job

    engine = make_engine(os.environ["DATABASE_URL"])
    out: list[Customer] = []
    try:
        with make_session_factory(engine)() as s:
            for user in s.scalars(select(User).where(User.role == Role.CUSTOMER).order_by(User.id).limit(limit)):
                job = s.scalar(select(Job).where(Job.customer_id == user.customer_id).order_by(Job.id).limit(1))
                if job is None:
                    continue
                actor = Actor(Role.CUSTOMER, user.id, user.customer_id, user.name, "chat")
                out.append(Customer(issue_token(os.environ["SECRET_KEY"], actor), job.number))
    finally:
        engine.dispose()
    if not out:
        raise SystemExit("no demo customer with a job in DATABASE_URL (load the demo world)")
    return out


def markdown(report: dict) -> str:
    lines = ["# Load test: concurrent customer conversations (bench/load_chat.py)", "",
             "Each row: N conversations at once, closed loop (no think time) unless the run's label says "
             "think S (a pause of 0.5·S–1.5·S s before each message after the first), through nginx → hub → Rasa "
             "(`hub`) or posted to Rasa's REST channel straight (`rest`, the floor), in the same run. "
             "Turn = `user_uttered` → first `bot_uttered` of the answer. Load average (1 min) before "
             "each row; 2 shared cores.", "",
             "| run | Rasa | N | path | turns | turns/s | p50 ms | p95 ms | p99 ms | errors | load |",
             "|---|---:|---:|---|---:|---:|---:|---:|---:|---|---:|"]
    for run in report["runs"]:
        for r in run["rows"]:
            errs = ", ".join(f"{k} {v}" for k, v in r.get("errors", {}).items()) or "0"
            lines.append(f"| {run['label']} ({run['when']}) | {run['rasa_processes']} | {r['conversations_at_once']} "
                         f"| {r['path']} | {r['turns']} | {r.get('turns_per_s', '-')} | {r.get('p50', '-')} "
                         f"| {r.get('p95', '-')} | {r.get('p99', '-')} | {errs} | {r['load_before']} |")
    lines.append("")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--url", default=os.environ.get("PUBLIC_URL", "http://127.0.0.1:8080"))
    parser.add_argument("--rasa-urls", default=os.environ.get("RASA_URLS", "http://127.0.0.1:5005"),
                        help="the floor's Rasa processes (comma list)")
    parser.add_argument("--levels", default="1,10,50")
    parser.add_argument("--paths", default="hub,rest")
    parser.add_argument("--duration", type=float, default=30, help="seconds per level and path")
    parser.add_argument("--max-turns", type=int, default=600, help="counted turns per level and path")
    parser.add_argument("--warmup", type=float, default=2)
    parser.add_argument("--timeout", type=float, default=30, help="seconds a turn may take before it is an error")
    parser.add_argument("--think", type=float, default=0.0,
                        help="mean seconds a customer reads and types before each message (0: closed loop)")
    parser.add_argument("--label", default="run")
    parser.add_argument("--out", type=Path, default=RESULTS / "load_chat")
    parser.add_argument("--append", action="store_true", help="add this run to the existing results")
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args(argv)
    rasa_urls = [u.strip().rstrip("/") for u in args.rasa_urls.split(",") if u.strip()]
    customers = demo_customers()
    rows = []
    for n in (int(x) for x in args.levels.split(",")):
        for path in args.paths.split(","):
            load = round(os.getloadavg()[0], 2)
            row = asyncio.run(run_level(path, n, customers, url=args.url, rasa_urls=rasa_urls,
                                        duration=args.duration, max_turns=args.max_turns, warmup=args.warmup,
                                        timeout=args.timeout, think=args.think))
            row["load_before"], row["load_after"] = load, round(os.getloadavg()[0], 2)
            print(f"    {args.label}: N={n:>3} {path:<4} {row['turns']:>4} turns, {row.get('turns_per_s')} turns/s, "
                  f"p50 {row.get('p50')} p95 {row.get('p95')} p99 {row.get('p99')} ms, errors {row['errors']}, "
                  f"load {load}", flush=True)
            rows.append(row)
    label = f"{args.label}, think {args.think:g} s" if args.think else args.label
    run = {"label": label, "think_s": args.think, "when": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
           "machine": f"{platform.machine()}, {os.cpu_count()} cores", "url": args.url,
           "rasa_processes": len(rasa_urls), "rasa_urls": rasa_urls, "duration_s": args.duration,
           "max_turns": args.max_turns, "rows": rows}
    if not args.no_write:
        json_path = args.out.with_suffix(".json")
        report = {"runs": []}
        if args.append and json_path.exists():
            report = json.loads(json_path.read_text())
        report["runs"].append(run)
        json_path.parent.mkdir(parents=True, exist_ok=True)
        json_path.write_text(json.dumps(report, indent=2) + "\n")
        md = args.out.with_suffix(".md")
        notes = md.read_text().partition("\n## Notes")[1:] if args.append and md.exists() else ("", "")
        md.write_text(markdown(report) + "".join(notes))  # hand-written notes under the table are kept
    return 0


if __name__ == "__main__":
    sys.exit(main())
