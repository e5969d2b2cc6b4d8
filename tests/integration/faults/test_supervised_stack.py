"""Fault injection under the supervisor: scripts/devrun.py runs the real API,
action server, Rasa (the project's trained model), hub and knowledge-base
watcher on free ports, with a temporary VAR_DIR and SQLite database, and the
tests SIGKILL them one after another. ONE stack for the module (Rasa takes
~40-60 s to load, twice); the tests run in file order and share it:

1. Rasa is killed mid-conversation: the customer gets the hub's honest
   "assistant unavailable" message and is queued, and what they write next
   is stored;
2. while Rasa reloads: the API (SIGKILL) comes back and answers its health
   URL, the hub serving all along; the KB watcher comes back; the action
   server's serving child (rasa_sdk 3.21 runs Sanic with a worker process)
   is killed, the health check notices the hang and devrun restarts the
   group;
3. Rasa is back: a new conversation is answered by the bot, and the first
   conversation's stored messages are each there once.
"""

from __future__ import annotations

import asyncio
import os
import queue
import shutil
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

import pytest
from sqlalchemy import select

from backend.conversations import service as conv
from backend.conversations.models import Conversation
from backend.db import UnitOfWork, make_engine, make_session_factory
from livechat import texts
from tests.integration.livechat.harness import Customer, eventually, free_port
from tests.support.rasa_stack import MODEL

pytestmark = [pytest.mark.rasa, pytest.mark.anyio]  # slow but real: the real processes

ROOT = Path(__file__).resolve().parents[3]
DEVRUN = ROOT / "scripts" / "devrun.py"
PY = ROOT / ".venv" / "bin" / "python"
RASA = f'{ROOT / ".venv-rasa" / "bin" / "python"} {ROOT / "scripts" / "rasa_run.py"}'  # as Procfile.dev runs it
SECRET = "fault-injection-secret"
START_TIMEOUT = 300.0


@pytest.fixture(scope="module")
def anyio_backend():
    return "asyncio"


class Stack:
    """devrun.py on a temporary Procfile; its output is collected line by line."""

    def __init__(self, folder: Path, db_url: str) -> None:
        self.folder = folder
        self.ports = {name: free_port() for name in ("api", "actions", "rasa", "hub")}
        self.url = {name: f"http://127.0.0.1:{port}" for name, port in self.ports.items()}
        var = folder / "var"
        (var / "kb").mkdir(parents=True)
        (folder / "endpoints.yml").write_text(  # as make run's: the token, and the tracker store on disk
            f"action_endpoint:\n  url: {self.url['actions']}/webhook\n  token: ${{ACTION_SERVER_TOKEN}}\n"
            f"tracker_store:\n  type: SQL\n  url: sqlite:///{var / 'tracker.sqlite3'}\n")
        (folder / "credentials.yml").write_text("rest:\n")
        env = (f"VAR_DIR={var} DATABASE_URL={db_url} SECRET_KEY={SECRET} KB_INDEX_DIR={var / 'kb'} "
               "ACTION_SERVER_TOKEN=fault-injection-token RASA_TELEMETRY_ENABLED=false TF_CPP_MIN_LOG_LEVEL=3")
        p = self.ports
        (folder / "Procfile").write_text(
            f"api: cd {ROOT} && {env} API_HOST=127.0.0.1 API_PORT={p['api']} exec {PY} -m backend.api"
            f"  # ready: {self.url['api']}/api/health\n"
            f"actions: cd {ROOT} && {env} exec {PY} -m actions.server --actions actions -p {p['actions']}"
            f"  # ready: {self.url['actions']}/health\n"
            f"rasa: cd {ROOT} && {env} exec {RASA} run --enable-api -p {p['rasa']} -i 127.0.0.1"
            f" --endpoints {folder / 'endpoints.yml'} --credentials {folder / 'credentials.yml'} -m {MODEL}"
            f"  # ready: {self.url['rasa']}/status\n"
            f"hub: cd {ROOT} && {env} HUB_HOST=127.0.0.1 HUB_PORT={p['hub']} RASA_URL={self.url['rasa']}"
            f" ACTION_SERVER_URL={self.url['actions']} HUB_HOURS=always HUB_KB_SEARCH=0 exec {PY} -m livechat"
            f"  # ready: {self.url['hub']}/health\n"
            f"kb: cd {ROOT} && {env} KB_WATCH_INTERVAL=1 exec {PY} -m kb watch --quiet\n"
        )
        self.log_dir = folder / "logs"
        self.lines: list[str] = []
        self._queue: queue.Queue[str | None] = queue.Queue()
        self.popen = subprocess.Popen(
            [sys.executable, str(DEVRUN), "Procfile", "--log-dir", str(self.log_dir), "--logins", "none",
             "--ready-timeout", str(START_TIMEOUT), "--grace", "5", "--health-interval", "1",
             "--health-timeout", "3", "--health-failures", "3"],
            cwd=folder, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
            env=dict(os.environ, NO_COLOR="1"),
        )
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.popen.stdout is not None
        for line in self.popen.stdout:
            self._queue.put(line.rstrip("\n"))
        self._queue.put(None)

    def _drain(self) -> None:
        while True:
            try:
                line = self._queue.get_nowait()
            except queue.Empty:
                return
            if line is None:
                return
            self.lines.append(line)

    def seen(self, text: str, after: int = 0) -> bool:
        self._drain()
        return any(text in line for line in self.lines[after:])

    def mark(self) -> int:
        self._drain()
        return len(self.lines)

    def wait_line(self, text: str, *, after: int = 0, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        while not self.seen(text, after):
            if self.popen.poll() is not None:
                pytest.fail(f"devrun exited ({self.popen.returncode}) before {text!r}:\n" + self.tail())
            if time.monotonic() > deadline:
                pytest.fail(f"no devrun line containing {text!r} within {timeout:.0f} s:\n" + self.tail())
            time.sleep(0.1)

    def tail(self, n: int = 60) -> str:
        self._drain()
        return "\n".join(self.lines[-n:])

    def pid(self, name: str) -> int:
        for line in (self.log_dir / "status").read_text().splitlines():
            proc, _state, pid = line.split()
            if proc == name:
                return int(pid)
        raise KeyError(name)

    def stop(self) -> None:
        if self.popen.poll() is None:
            self.popen.send_signal(signal.SIGTERM)
            try:
                self.popen.wait(30)
            except subprocess.TimeoutExpired:
                self.popen.kill()
                self.popen.wait(10)


def answers(url: str, timeout: float = 3) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as resp:
            return resp.status < 400
    except OSError:
        return False


def children(pid: int) -> list[int]:
    out = subprocess.run(["ps", "-o", "pid=,args=", "--ppid", str(pid)], capture_output=True, text=True).stdout
    return [int(line.split()[0]) for line in out.splitlines() if line.strip()]


def cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


@pytest.fixture(scope="module")
def stack(tmp_path_factory, sqlite_template):
    if not MODEL.exists():
        pytest.skip("no trained model at bot/models (make run trains it)")
    folder = tmp_path_factory.mktemp("faults")
    shutil.copy(sqlite_template, folder / "db.sqlite3")
    running = Stack(folder, f"sqlite:///{folder / 'db.sqlite3'}")
    try:
        running.wait_line("fieldserv is running", timeout=START_TIMEOUT + 10)
        yield running
    finally:
        running.stop()
        assert running.seen("all processes stopped"), running.tail()


@pytest.fixture(scope="module")
def uow(stack):
    engine = make_engine(f"sqlite:///{stack.folder / 'db.sqlite3'}")
    yield UnitOfWork(make_session_factory(engine))
    engine.dispose()


STATE: dict = {}


def stored(uow: UnitOfWork, session_id: str) -> list[tuple[str, str | None]]:
    with uow() as s:
        cid = s.scalars(select(Conversation.id).where(Conversation.session_id == session_id)).one()
    msgs = conv.messages_since(uow, conversation_id=cid)
    assert [m.seq for m in msgs] == list(range(1, len(msgs) + 1))  # nothing missing, nothing twice
    return [(m.sender, m.text) for m in msgs]


async def test_rasa_killed_mid_conversation_customer_is_told_and_queued(stack, uow):
    customer = await Customer(stack.url["hub"]).connect()
    STATE["session_id"] = customer.session_id  # each test runs in its own event loop: reconnect by session
    assert (await customer.say("hi"))["ok"]
    await eventually(lambda: customer.bot_texts("bot"), timeout=60, what="the bot's greeting")

    mark = stack.mark()
    os.kill(stack.pid("rasa"), signal.SIGKILL)
    await asyncio.to_thread(stack.wait_line, "rasa exited (-9); restarting in 1 s (attempt 1)", after=mark,
                            timeout=15)
    ack = await customer.say("I need a repair")
    assert ack and ack["ok"], ack
    await customer.wait_text(texts.BOT_DOWN.split(",")[0], timeout=30)
    await customer.wait_state("queued", timeout=10)
    ack = await customer.say("still there?")
    assert ack and ack["ok"], ack
    said = [text for sender, text in stored(uow, customer.session_id) if sender == "customer"]
    assert said == ["hi", "I need a repair", "still there?"]
    await customer.close()


async def test_api_killed_comes_back_while_the_hub_keeps_serving(stack):
    mark = stack.mark()
    os.kill(stack.pid("api"), signal.SIGKILL)
    await asyncio.to_thread(stack.wait_line, "api exited (-9); restarting in 1 s", after=mark, timeout=15)
    assert answers(stack.url["hub"] + "/health")  # the hub (and its mounted API) kept serving
    assert answers(stack.url["hub"] + "/api/health")
    await asyncio.to_thread(stack.wait_line, "api is up again", after=mark, timeout=60)
    assert answers(stack.url["api"] + "/api/health")
    customer = await Customer(stack.url["hub"], session_id=STATE["session_id"]).connect()
    try:
        assert customer.session_id == STATE["session_id"]  # the same (queued) conversation
        assert (await customer.say("and now?"))["ok"]
    finally:
        await customer.close()


async def test_kb_watcher_killed_is_restarted(stack):
    mark = stack.mark()
    old = stack.pid("kb")
    os.kill(old, signal.SIGKILL)
    await asyncio.to_thread(stack.wait_line, "kb exited (-9); restarting in 1 s", after=mark, timeout=15)
    await asyncio.to_thread(stack.wait_line, "starting kb again", after=mark, timeout=15)
    new = await eventually(lambda: (p := _pid_or_none(stack, "kb")) not in (None, old) and p, timeout=15,
                           what="a new kb watcher")
    assert "kb watch" in cmdline(new)


def _pid_or_none(stack: Stack, name: str) -> int | None:
    try:
        return stack.pid(name)
    except ValueError:
        return None


async def test_action_server_serving_child_killed_is_noticed_by_the_health_check(stack):
    parent = stack.pid("actions")
    workers = [c for c in children(parent) if "multiprocessing-fork" in cmdline(c)]
    assert workers, f"rasa_sdk runs no worker process: {[cmdline(c) for c in children(parent)]}"
    mark = stack.mark()
    os.kill(max(workers), signal.SIGKILL)  # Sanic's serving worker; the parent still holds the port
    await asyncio.to_thread(stack.wait_line, "actions: health check 1 of 3 failed", after=mark, timeout=30)
    await asyncio.to_thread(stack.wait_line, "actions did not answer", after=mark, timeout=30)
    await asyncio.to_thread(stack.wait_line, "actions is up again", after=mark, timeout=60)
    assert answers(stack.url["actions"] + "/health")
    assert not Path(f"/proc/{parent}").exists() or "Z" in Path(f"/proc/{parent}/stat").read_text().split()[2]


async def test_rasa_comes_back_and_answers_and_nothing_was_lost_or_doubled(stack, uow):
    await asyncio.to_thread(stack.wait_line, "rasa is up again", timeout=240)
    fresh = await Customer(stack.url["hub"]).connect()
    try:
        assert (await fresh.say("hi"))["ok"]
        await eventually(lambda: fresh.bot_texts("bot"), timeout=60, what="the bot answers again")
    finally:
        await fresh.close()
    said = [text for sender, text in stored(uow, STATE["session_id"]) if sender == "customer"]
    assert said == ["hi", "I need a repair", "still there?", "and now?"]
    assert not stack.seen("giving up"), stack.tail()
    assert all(line.split()[1] == "up" for line in (stack.log_dir / "status").read_text().splitlines())
