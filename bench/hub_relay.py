"""Customer ↔ agent relay through the hub, beside a bare python-socketio relay.

    .venv/bin/python bench/hub_relay.py [--conversations 100 1000] [--seconds 10]

For each level, N conversations run closed loops at once: the customer sends
a message, the agent receives it and answers, the customer receives the
answer, and so on. Each message carries its send time; latency is measured on
arrival at the other side (clients and clock in this process). Messages/s
counts messages delivered in both directions during the measured window.

The same clients (python-socketio AsyncClient over WebSocket, one agent socket
per 10 conversations) run against two servers, each in its own process:

- ``hub``: ``python -m livechat`` on a fresh SQLite database, every message
  stored (group commit) before it is delivered;
- ``bare``: a python-socketio server that only relays between rooms (the
  floor: no storage, no checks).

Results go to bench/results/hub_relay.json and .md.

For investigating: HUB_BENCH_PROFILE=/path runs the hub under cProfile;
HUB_BENCH_SCRIPT=/path.py runs that script instead of ``python -m livechat``
(e.g. to wrap or replace parts of the hub in an experiment).
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
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
RESULTS = ROOT / "bench" / "results"
SECRET = "bench-secret"
PER_AGENT = 10


# -- the bare relay (run in its own process with --serve-bare PORT) ----------------
def serve_bare(port: int) -> None:
    import socketio
    from aiohttp import web

    sio = socketio.AsyncServer(async_mode="aiohttp", cors_allowed_origins="*")
    app = web.Application()
    sio.attach(app)

    class Customers(socketio.AsyncNamespace):
        async def on_session_request(self, sid, data):
            await self.enter_room(sid, f"c:{data['session_id']}")
            await self.emit("session_confirm", data["session_id"], to=sid)

        async def on_user_uttered(self, sid, data):
            cid = int(data["session_id"][5:])
            await sio.emit("message", {"conversation_id": cid, "text": data["message"], "sender": "customer"},
                           room=f"a:{cid}", namespace="/agent")

    class Agents(socketio.AsyncNamespace):
        async def on_connect(self, sid, environ, auth):
            for cid in auth["conversations"]:
                await self.enter_room(sid, f"a:{cid}")

        async def on_send(self, sid, data):
            cid = data["conversation_id"]
            await sio.emit("bot_uttered", {"text": data["text"], "metadata": {"sender": "agent"}},
                           room=f"c:bench{cid:027d}", namespace="/")

    sio.register_namespace(Customers("/"))
    sio.register_namespace(Agents("/agent"))

    async def health(_request):
        return web.json_response({"status": "ok"})

    app.router.add_get("/health", health)
    web.run_app(app, host="127.0.0.1", port=port, print=None, access_log=None)


# -- helpers -----------------------------------------------------------------------
def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_health(url: str, proc: subprocess.Popen, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode}")
        try:
            with urllib.request.urlopen(url + "/health", timeout=1):
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError("server did not start")


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def pct(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    values = sorted(values)
    k = min(len(values) - 1, max(0, round(p / 100 * (len(values) - 1))))
    return values[k]


@dataclass
class Stats:
    latencies: list[float] = field(default_factory=list)
    delivered: int = 0
    measuring: bool = False
    running: bool = True

    def arrived(self, sent: float) -> None:
        if self.measuring:
            self.latencies.append((time.perf_counter() - sent) * 1000)
            self.delivered += 1


# -- the setup of each server --------------------------------------------------------
def prepare_hub_db(url: str, n: int) -> tuple[list[str], list[tuple[str, list[int]]]]:
    """Conversations already with agents: (session ids, [(agent token, conversation ids)])."""
    from backend.conversations import service as conv
    from backend.db import UnitOfWork, make_engine, make_session_factory
    from backend.identity.actor import Actor
    from backend.identity.models import Role, User
    from backend.identity.passwords import hash_password
    from backend.identity.tokens import issue_token
    from backend.migrate import upgrade

    engine = make_engine(url)
    upgrade(engine)
    uow = UnitOfWork(make_session_factory(engine))
    agents = []
    pw = hash_password("bench-password")
    with uow() as s:
        for i in range((n + PER_AGENT - 1) // PER_AGENT):
            u = User(email=f"agent{i}@bench.test", name=f"Agent {i}", role=Role.AGENT, password_hash=pw,
                     max_chats=PER_AGENT)
            s.add(u)
            s.flush()
            agents.append(Actor(Role.AGENT, u.id, None, u.name, "console"))
    sessions, owned = [], {a.user_id: [] for a in agents}
    for i in range(n):
        view = conv.open_session(uow, session_id=f"bench{i:027d}")
        agent = agents[i // PER_AGENT]
        conv.pick_conversation(uow, agent, conversation_id=view.id)
        sessions.append(view.session_id)
        owned[agent.user_id].append(view.id)
    engine.dispose()
    return sessions, [(issue_token(SECRET, a), owned[a.user_id]) for a in agents]


def prepare_bare(n: int) -> tuple[list[str], list[tuple[str, list[int]]]]:
    sessions = [f"bench{i:027d}" for i in range(n)]
    groups = [list(range(i, min(n, i + PER_AGENT))) for i in range(0, n, PER_AGENT)]
    return sessions, [("", g) for g in groups]


# -- the load ---------------------------------------------------------------------------
async def run_level(kind: str, url: str, pid: int, sessions: list[str], agents: list[tuple[str, list[int]]],
                    *, warmup: float, seconds: float, pace: float) -> dict:
    import socketio

    stats = Stats()
    conv_of_session: dict[str, int] = {}
    customers: dict[int, socketio.AsyncClient] = {}
    gates: dict[int, asyncio.Event] = {}
    agent_clients = []
    sem = asyncio.Semaphore(50)

    async def make_agent(token: str, convs: list[int]):
        c = socketio.AsyncClient(reconnection=False)

        @c.on("message", namespace="/agent")
        async def on_message(m):
            if m.get("sender") != "customer" or not stats.running:
                return
            text = m["text"]
            stats.arrived(float(text.split("|", 1)[0]))
            await c.emit("send", {"conversation_id": m["conversation_id"], "text": f"{time.perf_counter()}|a"},
                         namespace="/agent")

        auth = {"token": token} if kind.startswith("hub") else {"conversations": convs}
        async with sem:
            await c.connect(url, namespaces=["/agent"], auth=auth, transports=["websocket"], wait_timeout=30)
        agent_clients.append(c)

    async def make_customer(i: int, session_id: str, cid: int):
        c = socketio.AsyncClient(reconnection=False)
        confirmed = asyncio.Event()
        gate = gates[cid] = asyncio.Event()

        @c.on("session_confirm")
        async def on_confirm(_sid):
            confirmed.set()

        @c.on("bot_uttered")
        async def on_bot(d):
            if (d.get("metadata") or {}).get("sender") != "agent":
                return
            stats.arrived(float(d["text"].split("|", 1)[0]))
            gate.set()

        async with sem:
            await c.connect(url, transports=["websocket"], wait_timeout=30)
            await c.emit("session_request", {"session_id": session_id})
            await asyncio.wait_for(confirmed.wait(), 30)
        customers[cid] = c

    # conversation ids: the hub's come from the database; the bare relay's are indexes
    if kind.startswith("hub"):
        ids = [cid for _t, convs in agents for cid in convs]
    else:
        ids = list(range(len(sessions)))
    for session_id, cid in zip(sessions, ids):
        conv_of_session[session_id] = cid
    await asyncio.gather(*(make_agent(t, convs) for t, convs in agents))
    await asyncio.gather(*(make_customer(i, s, conv_of_session[s]) for i, s in enumerate(sessions)))

    async def phase(mode: str) -> dict:
        stats.latencies, stats.delivered, stats.running, stats.measuring = [], 0, True, False

        async def loop(i: int, session_id: str, cid: int):
            c = customers[cid]
            gate = gates[cid]
            if mode == "paced":  # spread the conversations over the interval
                await asyncio.sleep(pace * i / len(sessions))
            while stats.running:
                started = time.perf_counter()
                gate.clear()
                await c.emit("user_uttered", {"message": f"{time.perf_counter()}|c", "session_id": session_id})
                if mode == "saturate":
                    try:
                        await asyncio.wait_for(gate.wait(), 10)
                    except asyncio.TimeoutError:
                        pass
                else:
                    await asyncio.sleep(max(0.0, pace - (time.perf_counter() - started)))

        tasks = [asyncio.create_task(loop(i, s, conv_of_session[s])) for i, s in enumerate(sessions)]
        await asyncio.sleep(warmup + (pace if mode == "paced" else 0))
        cpu0, t0 = cpu_seconds(pid), time.perf_counter()
        before = health()
        stats.measuring = True
        await asyncio.sleep(seconds)
        stats.measuring = False
        elapsed, cpu = time.perf_counter() - t0, cpu_seconds(pid) - cpu0
        after = health()
        stats.running = False
        await asyncio.gather(*tasks, return_exceptions=True)
        await asyncio.sleep(1.0)  # let replies in flight drain
        lat = stats.latencies
        result = {
            "mode": mode, "seconds": round(elapsed, 2), "messages": stats.delivered,
            "messages_per_s": round(stats.delivered / elapsed, 1),
            "p50_ms": round(pct(lat, 50), 2), "p99_ms": round(pct(lat, 99), 2),
            "mean_ms": round(statistics.fmean(lat), 2) if lat else None, "server_cpu_s": round(cpu, 2),
            "server_cpu_ms_per_message": round(cpu * 1000 / max(1, stats.delivered), 3),
        }
        if mode == "paced":
            result["offered_per_s"] = round(2 * len(sessions) / pace, 1)
        if before and after:
            batches = after["write_batches"] - before["write_batches"]
            written = after["messages_written"] - before["messages_written"]
            result.update(write_batches=batches, messages_per_batch=round(written / max(1, batches), 1),
                          write_ms_per_batch=round((after["write_seconds"] - before["write_seconds"]) * 1000
                                                   / max(1, batches), 2))
        return result

    def health() -> dict:
        if not kind.startswith("hub"):
            return {}
        return json.loads(urllib.request.urlopen(url + "/health", timeout=5).read())

    out = {"server": kind, "conversations": len(sessions), "agents": len(agents),
           "saturate": await phase("saturate"), "paced": await phase("paced")}
    await asyncio.gather(*(c.disconnect() for c in list(customers.values()) + agent_clients),
                         return_exceptions=True)
    return out


def start_server(kind: str, n: int, workdir: Path) -> tuple[subprocess.Popen, str, list, list]:
    port = free_port()
    log = open(workdir / f"{kind}-{n}.log", "wb")
    if kind.startswith("hub"):
        db = workdir / f"{kind}-{n}.sqlite3"
        url = f"sqlite:///{db}"
        sessions, agents = prepare_hub_db(url, n)
        env = {**os.environ, "DATABASE_URL": url, "SECRET_KEY": SECRET, "HUB_HOST": "127.0.0.1",
               "HUB_PORT": str(port), "HUB_HOURS": "always", "HUB_KB_SEARCH": "0", "HUB_RATE_BURST": "1000000",
               "HUB_RATE_PER_S": "1000000", "HUB_ASSIGN_TIMEOUT": "3600", "RASA_URL": "http://127.0.0.1:9",
               "ACTION_SERVER_URL": "", "HUB_MESSAGE_FSYNC": "0" if kind == "hub-nofsync" else "1"}
        profile = os.environ.get("HUB_BENCH_PROFILE")  # a path: run the hub under cProfile
        cmd = [sys.executable, "-m", "cProfile", "-o", profile, "-m", "livechat"] if profile else \
            [sys.executable, os.environ["HUB_BENCH_SCRIPT"]] if os.environ.get("HUB_BENCH_SCRIPT") else \
            [sys.executable, "-m", "livechat"]
        proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    else:
        sessions, agents = prepare_bare(n)
        proc = subprocess.Popen([sys.executable, __file__, "--serve-bare", str(port)], cwd=ROOT, stdout=log,
                                stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    wait_health(url, proc)
    return proc, url, sessions, agents


def markdown(report: dict) -> str:
    lines = [
        "# Live-chat relay: hub vs bare python-socketio",
        "",
        f"{report['machine']}; clients (one python-socketio AsyncClient per customer, one per 10 conversations "
        "per agent) in one separate process; each server in its own process. Generated by `bench/hub_relay.py`. "
        f"Load average (1/5/15 min) at start {report.get('load_average_at_start')}, at end "
        f"{report.get('load_average_at_end')}: the machine's 2 cores are shared with other work.",
        "",
        f"- **saturated**: every conversation runs a closed loop (customer → agent → customer) as fast as it "
        f"goes; messages/s is the relay's capacity here. {report['seconds']} s measured after "
        f"{report['warmup']} s warm-up.",
        f"- **paced**: every customer sends a message every {report['pace']} s and the agent answers each "
        "(offered load in the table); latency under that load.",
        "- servers: **bare** relays between rooms and stores nothing (the floor); **hub** is `python -m "
        "livechat` storing every message in SQLite before delivering it (group commit, an fsync per commit as "
        "the core configures SQLite); **hub-nofsync** is the same with `HUB_MESSAGE_FSYNC=0` (a stored message "
        "survives a hub crash, not a power cut). The hub runs as `python -m livechat` does, with its "
        "garbage-collector and switch-interval settings (livechat/__main__.py); the bare relay with Python's "
        "defaults.",
        "",
        "| conversations | server | saturated msg/s | p50 ms | p99 ms | paced: offered msg/s | p50 ms | p99 ms "
        "| server CPU ms/msg | hub / bare msg/s |",
        "|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for n, pair in report["levels"].items():
        bare = pair.get("bare")
        for kind in ("bare", "hub", "hub-nofsync"):
            r = pair.get(kind)
            if not r:
                continue
            sat, paced = r["saturate"], r["paced"]
            ratio = (f"{sat['messages_per_s'] / bare['saturate']['messages_per_s']:.0%}"
                     if kind != "bare" and bare else "")
            lines.append(
                f"| {n} | {kind} | {sat['messages_per_s']:.0f} | {sat['p50_ms']:.1f} | {sat['p99_ms']:.1f} | "
                f"{paced['offered_per_s']:.0f} | {paced['p50_ms']:.1f} | {paced['p99_ms']:.1f} | "
                f"{sat['server_cpu_ms_per_message']:.3f} | {ratio} |")
    goal = report.get("goal")
    if goal:
        lines += ["", f"Goal at {goal['conversations']} conversations: hub ≥ 70% of the bare relay's throughput "
                      f"({goal['ratio']:.0%}: {'met' if goal['throughput_met'] else 'not met'}); p99 < 50 ms "
                      f"(paced: {goal['p99_ms']:.1f} ms: {'met' if goal['p99_met'] else 'not met'})."]
    return "\n".join(lines) + "\n"


async def main_async(args) -> dict:
    workdir = Path(tempfile.mkdtemp(prefix="hub-relay-"))
    report = {"machine": f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}",
              "seconds": args.seconds, "warmup": args.warmup, "pace": args.pace,
              "load_average_at_start": [round(x, 2) for x in os.getloadavg()], "levels": {}}
    try:
        for n in args.conversations:
            report["levels"][str(n)] = {}
            for kind in args.servers:
                proc, url, sessions, agents = start_server(kind, n, workdir)
                try:
                    result = await run_level(kind, url, proc.pid, sessions, agents, warmup=args.warmup,
                                             seconds=args.seconds, pace=args.pace)
                finally:
                    proc.terminate()
                    proc.wait(20)
                report["levels"][str(n)][kind] = result
                print(json.dumps(result), flush=True)
        top = report["levels"].get(str(max(args.conversations)), {})
        if top.get("hub") and top.get("bare"):
            ratio = top["hub"]["saturate"]["messages_per_s"] / top["bare"]["saturate"]["messages_per_s"]
            p99 = top["hub"]["paced"]["p99_ms"]
            report["goal"] = {"conversations": max(args.conversations), "ratio": round(ratio, 3),
                              "throughput_met": ratio >= 0.7, "p99_ms": p99, "p99_met": p99 < 50}
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    report["load_average_at_end"] = [round(x, 2) for x in os.getloadavg()]
    return report


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--conversations", type=int, nargs="+", default=[100, 1000])
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--warmup", type=float, default=3.0)
    parser.add_argument("--pace", type=float, default=2.0,
                        help="paced phase: each customer sends every PACE seconds (the agent answers each)")
    parser.add_argument("--servers", nargs="+", default=["bare", "hub", "hub-nofsync"],
                        choices=["bare", "hub", "hub-nofsync"])
    parser.add_argument("--serve-bare", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, default=RESULTS / "hub_relay")
    args = parser.parse_args()
    if args.serve_bare:
        serve_bare(args.serve_bare)
        return
    report = asyncio.run(main_async(args))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.with_suffix(".json").write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    args.out.with_suffix(".md").write_text(markdown(report), encoding="utf-8")
    print(markdown(report))


if __name__ == "__main__":
    main()
