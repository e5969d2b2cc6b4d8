"""Test helpers for the hub: a scripted stand-in for Rasa's REST channel, the
hub on a free port, and customer / agent clients built on python-socketio's
real client (the same wire protocol a browser speaks)."""

from __future__ import annotations

import asyncio
import itertools
import socket
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

import socketio
from aiohttp import web

from backend.db import UnitOfWork
from backend.settings import Settings
from livechat.app import create_app
from livechat.settings import HubSettings

SECRET = "test-secret-for-the-hub"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def hub_settings(database_url: str, *, rasa_url: str, **overrides: Any) -> HubSettings:
    base = HubSettings(
        core=Settings(database_url=database_url, secret_key=SECRET),
        host="127.0.0.1", port=0, rasa_url=rasa_url, action_server_url=None, hours="always",
        assign_timeout_s=30, routing_tick_s=0.2, rate_burst=50, rate_per_s=50, kb_search=False,
        mount_api=True, rasa_timeout_s=5,
    )
    return replace(base, **overrides)


class FakeRasa:
    """Rasa's REST channel as the hub sees it. ``human`` asks for a person
    (the real bot's handoff payload), ``menu`` answers with buttons, a text
    with a blank line comes back in two parts; everything else is echoed."""

    def __init__(self) -> None:
        self.received: list[dict] = []
        self.resumed: list[str] = []
        self.executed: list[tuple[str, str]] = []
        self.delay = 0.0
        self.runner: web.AppRunner | None = None
        self.url = ""

    async def webhook(self, request: web.Request) -> web.Response:
        body = await request.json()
        self.received.append(body)
        if self.delay:
            await asyncio.sleep(self.delay)
        text = body.get("message", "")
        sender = body["sender"]
        if text in ("human", "/human", "/request_human"):
            return web.json_response([
                {"recipient_id": sender, "text": "Let me find a person for you."},
                {"recipient_id": sender, "custom": {"handoff": {"reason": "asked", "requested_by": "customer"}}},
            ])
        if text == "menu":
            return web.json_response([{"recipient_id": sender, "text": "Pick one:\n\nWe can help with these.",
                                       "buttons": [{"title": "Book a visit", "payload": "/book"},
                                                   {"title": "Talk to a person", "payload": "/human"}]}])
        return web.json_response([{"recipient_id": sender, "text": f"You said: {text}"}])

    async def tracker_event(self, request: web.Request) -> web.Response:
        body = await request.json()
        if body.get("event") == "resume":
            self.resumed.append(request.match_info["sender"])
        return web.json_response({"sender_id": request.match_info["sender"]})

    async def execute(self, request: web.Request) -> web.Response:
        body = await request.json()
        self.executed.append((request.match_info["sender"], body.get("name")))
        return web.json_response({"tracker": {}, "messages": []})

    async def start(self) -> "FakeRasa":
        app = web.Application()
        app.router.add_post("/webhooks/rest/webhook", self.webhook)
        app.router.add_post("/conversations/{sender}/tracker/events", self.tracker_event)
        app.router.add_post("/conversations/{sender}/execute", self.execute)
        self.runner = web.AppRunner(app)
        await self.runner.setup()
        port = free_port()
        await web.TCPSite(self.runner, "127.0.0.1", port).start()
        self.url = f"http://127.0.0.1:{port}"
        return self

    async def stop(self) -> None:
        if self.runner:
            await self.runner.cleanup()


@dataclass
class RunningHub:
    app: web.Application
    runner: web.AppRunner
    url: str

    async def stop(self) -> None:
        await self.runner.cleanup()


async def start_hub(settings: HubSettings, uow: UnitOfWork | None = None, *, port: int | None = None) -> RunningHub:
    port = port or free_port()
    settings = replace(settings, port=port)
    app = create_app(settings, uow=uow)
    runner = web.AppRunner(app, shutdown_timeout=1)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    return RunningHub(app, runner, f"http://127.0.0.1:{port}")


async def eventually(check: Callable[[], Any], *, timeout: float = 10.0, what: str = "condition") -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.02)


_ids = itertools.count(1)


@dataclass
class Customer:
    """A website visitor: the widget's behaviour in Python (session id and
    last seq kept across reconnects, unacknowledged messages resent)."""

    url: str
    token: str | None = None
    session_id: str | None = None
    last_seq: int = 0
    events: list[tuple[str, Any]] = field(default_factory=list)
    outbox: dict[str, str] = field(default_factory=dict)
    reconnection: bool = True

    def __post_init__(self) -> None:
        self.sio = socketio.AsyncClient(reconnection=self.reconnection, reconnection_delay=0.2,
                                        reconnection_delay_max=1)
        self.confirmed = asyncio.Event()
        self.seqs: dict[int, dict] = {}

        @self.sio.on("connect")
        async def _connect():
            self.confirmed.clear()
            await self.sio.emit("session_request", self._session_data())

        @self.sio.on("session_confirm")
        async def _confirm(sid):
            self.session_id = sid
            self.confirmed.set()
            for cid, text in list(self.outbox.items()):
                asyncio.ensure_future(self._send(text, cid))

        for name in ("bot_uttered", "user_message", "handoff_state", "typing", "business_hours", "chat_error"):
            self.sio.on(name, self._recorder(name))

    def _session_data(self) -> dict:
        data: dict[str, Any] = {"session_id": self.session_id, "last_seq": self.last_seq}
        if self.token:
            data["customData"] = {"token": self.token}
        return data

    def _recorder(self, name: str):
        async def record(data=None):
            self.events.append((name, data))
            seq = None
            if name == "bot_uttered":
                seq = (data.get("metadata") or {}).get("seq")
            elif name == "user_message":
                seq = data.get("seq")
            if seq is not None:
                self.seqs[seq] = data
                while self.last_seq + 1 in self.seqs:
                    self.last_seq += 1
        return record

    async def connect(self) -> "Customer":
        await self.sio.connect(self.url, transports=["websocket"], wait_timeout=10)
        await asyncio.wait_for(self.confirmed.wait(), 10)
        return self

    async def _send(self, text: str, client_id: str) -> dict | None:
        data: dict[str, Any] = {"message": text, "session_id": self.session_id, "client_id": client_id}
        if self.token:
            data["customData"] = {"token": self.token}
        try:
            ack = await self.sio.call("user_uttered", data, timeout=10)
        except (socketio.exceptions.TimeoutError, socketio.exceptions.BadNamespaceError,
                socketio.exceptions.DisconnectedError):
            return None
        if ack and ack.get("ok"):
            self.outbox.pop(client_id, None)
            self.seqs.setdefault(ack["seq"], {"text": text, "seq": ack["seq"], "client_id": client_id})
            while self.last_seq + 1 in self.seqs:
                self.last_seq += 1
        return ack

    async def say(self, text: str, *, client_id: str | None = None) -> dict | None:
        client_id = client_id or f"c{next(_ids)}-{uuid.uuid4().hex[:8]}"
        self.outbox[client_id] = text
        if not self.sio.connected or not self.confirmed.is_set():
            return None
        return await self._send(text, client_id)

    async def emit_raw(self, event: str, data: Any) -> Any:
        return await self.sio.call(event, data, timeout=10)

    def bot_texts(self, sender: str | None = None) -> list[str]:
        out = []
        for name, data in self.events:
            if name == "bot_uttered" and (sender is None or (data.get("metadata") or {}).get("sender") == sender):
                out.append(data.get("text"))
        return out

    def states(self) -> list[dict]:
        return [d for n, d in self.events if n == "handoff_state"]

    def last_state(self) -> dict | None:
        s = self.states()
        return s[-1] if s else None

    async def wait_text(self, fragment: str, *, sender: str | None = None, timeout: float = 10.0) -> str:
        return await eventually(
            lambda: next((t for t in self.bot_texts(sender) if t and fragment in t), None),
            timeout=timeout, what=f"a message containing {fragment!r}",
        )

    async def wait_state(self, state: str, *, timeout: float = 10.0, **extra: Any) -> dict:
        def check():
            last = self.last_state()
            if last and last["state"] == state and all(last.get(k) == v for k, v in extra.items()):
                return last
            return None
        return await eventually(check, timeout=timeout, what=f"state {state} {extra}")

    async def seen_state(self, state: str, *, timeout: float = 10.0) -> dict:
        """Any handoff_state with this state so far (it may have moved on since)."""
        return await eventually(lambda: next((d for d in self.states() if d["state"] == state), None),
                                timeout=timeout, what=f"state {state} at some point")

    async def close(self) -> None:
        await self.sio.disconnect()


@dataclass
class Agent:
    url: str
    token: str
    events: list[tuple[str, Any]] = field(default_factory=list)
    reconnection: bool = True

    def __post_init__(self) -> None:
        self.sio = socketio.AsyncClient(reconnection=self.reconnection, reconnection_delay=0.2,
                                        reconnection_delay_max=1)
        for name in ("assigned", "unassigned", "message", "conversation", "conversation_closed", "typing",
                     "queue_update"):
            self.sio.on(name, self._recorder(name), namespace="/agent")

    def _recorder(self, name: str):
        async def record(data=None):
            self.events.append((name, data))
        return record

    async def connect(self) -> "Agent":
        await self.sio.connect(self.url, namespaces=["/agent"], auth={"token": self.token},
                               transports=["websocket"], wait_timeout=10)
        return self

    async def call(self, event: str, data: dict | None = None) -> dict:
        return await self.sio.call(event, data or {}, namespace="/agent", timeout=15)

    async def ok(self, event: str, data: dict | None = None) -> dict:
        reply = await self.call(event, data)
        assert reply["ok"], reply
        return reply

    def got(self, name: str) -> list[Any]:
        return [d for n, d in self.events if n == name]

    async def wait_event(self, name: str, check: Callable[[Any], bool] = lambda d: True, *,
                         timeout: float = 10.0) -> Any:
        return await eventually(lambda: next((d for d in self.got(name) if check(d)), None), timeout=timeout,
                                what=f"agent event {name}")

    async def close(self) -> None:
        await self.sio.disconnect()


class HubProcess:
    """``python -m livechat`` in its own process, as ``make run`` starts it."""

    def __init__(self, port: int, env: dict[str, str], log_path) -> None:
        import os

        self.port = port
        self.url = f"http://127.0.0.1:{port}"
        self.env = {**os.environ, **env, "HUB_HOST": "127.0.0.1", "HUB_PORT": str(port)}
        self.log_path = log_path
        self.proc = None

    def start(self, timeout: float = 30.0) -> "HubProcess":
        import subprocess
        import sys
        import urllib.request

        from tests.integration.livechat.rasa_server import ROOT

        log = open(self.log_path, "ab")
        self.proc = subprocess.Popen([sys.executable, "-m", "livechat"], cwd=ROOT, env=self.env, stdout=log,
                                     stderr=subprocess.STDOUT)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"the hub exited with {self.proc.returncode}; see {self.log_path}")
            try:
                with urllib.request.urlopen(self.url + "/health", timeout=1) as resp:
                    if resp.status == 200:
                        return self
            except OSError:
                time.sleep(0.1)
        raise RuntimeError(f"the hub did not answer within {timeout} s; see {self.log_path}")

    def kill(self) -> None:
        """Stop it hard, as a crash or a killed container would."""
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except Exception:
                self.proc.kill()
                self.proc.wait(5)


def hub_env(database_url: str, rasa_url: str, **extra: str) -> dict[str, str]:
    return {
        "DATABASE_URL": database_url, "SECRET_KEY": SECRET, "RASA_URL": rasa_url, "ACTION_SERVER_URL": "",
        "HUB_HOURS": "always", "HUB_KB_SEARCH": "0", "HUB_RATE_BURST": "100", "HUB_RATE_PER_S": "100",
        "HUB_ASSIGN_TIMEOUT": "60", **extra,
    }
