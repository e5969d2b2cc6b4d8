"""The production profile's nginx (deploy/nginx.conf.template, rendered by
deploy/prodconf.py) on free ports in front of two hub workers that share one
Redis: a Socket.IO session over long-polling and one over WebSocket through
it, static files from disk, and the worker holding a session SIGKILLed: the
client reconnects through nginx to the other worker and nothing is lost or
stored twice; and the profile's front as `make run-prod` runs it (both
workers under scripts/devrun.py --keep-going) with the chat widget in
Debian's Chromium: the worker holding its session is SIGKILLed mid-chat, the
widget carries on through the other, and the supervisor restarts the killed
one. Rasa is the scripted stand-in (FakeRasa)."""

from __future__ import annotations

import asyncio
import os
import re
import shlex
import signal
import subprocess
import sys
import threading
import time
import urllib.request
import uuid
from pathlib import Path

import pytest

from deploy.prodconf import resolve, write
from tests.conftest import _require
from tests.e2e.livechat.test_browser import widget_say
from tests.integration.livechat.harness import Customer, HubProcess, eventually, free_port, hub_env
from tests.support.browser import ARGS, CHROMIUM, needs_chromium
from tests.unit.test_devrun import Devrun
from tests.unit.test_devrun_prod import pid_of

ROOT = Path(__file__).resolve().parents[3]

pytestmark = [pytest.mark.redis, pytest.mark.anyio]
NGINX = Path("/usr/sbin/nginx")


class PollingCustomer(Customer):
    """The widget's behaviour over Socket.IO's long-polling transport only
    (every request of the session must reach the same worker)."""

    async def connect(self) -> "PollingCustomer":
        await self.sio.connect(self.url, transports=["polling"], wait_timeout=10)
        await asyncio.wait_for(self.confirmed.wait(), 10)
        return self


class Nginx:
    def __init__(self, prod_dir: Path) -> None:
        self.conf = prod_dir / "nginx" / "nginx.conf"
        self.dir = prod_dir / "nginx"
        self.proc = subprocess.Popen([str(NGINX), "-p", str(self.dir), "-c", str(self.conf)],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)

    def upstreams(self, path_part: str = "/socket.io/") -> list[str]:
        log = (self.dir / "access.log").read_text()
        return [m[1] for line in log.splitlines() if path_part in line
                for m in [re.search(r"upstream=(\S+)", line)] if m and m[1] != "-"]

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)


def wait_http(url: str, nginx: Nginx, within: float = 20.0) -> None:
    deadline = time.monotonic() + within
    while True:
        try:
            with urllib.request.urlopen(url, timeout=2) as resp:
                if resp.status == 200:
                    return
        except OSError:
            if time.monotonic() > deadline or nginx.proc.poll() is not None:
                raise RuntimeError(f"nginx did not answer; see {nginx.dir / 'error.log'}")
            time.sleep(0.1)


def render_profile(tmp_path: Path, sqlite_url: str, rasa_url: str) -> tuple[str, int, int, dict[str, str]]:
    """The profile's nginx rendered on free ports (deploy/prodconf.py) for two hub workers sharing Redis:
    the public URL, the workers' ports and their environment."""
    redis_url = _require("TEST_REDIS_URL", "Redis")
    if not NGINX.is_file():
        message = "Debian's nginx is missing (make run-prod installs it: apt-get install -y nginx)"
        if os.environ.get("REQUIRE_SERVICES") == "1":
            pytest.fail(message)
        pytest.skip(message)
    public, p1, p2 = free_port(), free_port(), free_port()
    public_url = f"http://127.0.0.1:{public}"
    settings = resolve({"PUBLIC_LISTEN": f"127.0.0.1:{public}", "PUBLIC_URL": public_url,
                        "HUB_LISTEN": f"127.0.0.1:{p1},127.0.0.1:{p2}", "SECRET_KEY": "x"}, tmp_path / "prod")
    write(tmp_path / "prod", settings)
    env = hub_env(sqlite_url, rasa_url, REDIS_URL=redis_url, HUB_ALLOWED_ORIGINS=public_url,
                  HUB_REDIS_CHANNEL=f"fieldserv-nginx-{uuid.uuid4().hex[:12]}")
    return public_url, p1, p2, env


@pytest.fixture
def profile(tmp_path, sqlite_url, hub_uow, people, fake_rasa):
    public_url, p1, p2, env = render_profile(tmp_path, sqlite_url, fake_rasa.url)
    hubs = {f"127.0.0.1:{p}": HubProcess(p, env, tmp_path / f"hub-{p}.log") for p in (p1, p2)}
    nginx = None
    try:
        starting = [threading.Thread(target=hub.start) for hub in hubs.values()]  # both at once
        for t in starting:
            t.start()
        for t in starting:
            t.join()
        for hub in hubs.values():
            if hub.proc is None or hub.proc.poll() is not None:
                raise RuntimeError(f"a hub worker did not start; see {hub.log_path}")
        nginx = Nginx(tmp_path / "prod")
        wait_http(public_url + "/health", nginx)
        yield public_url, hubs, nginx
    finally:
        if nginx is not None:
            nginx.stop()
        for hub in hubs.values():
            hub.stop()


async def test_a_long_polling_session_goes_through_nginx_to_one_worker(profile):
    url, hubs, nginx = profile
    customer = await PollingCustomer(url).connect()
    try:
        assert customer.sio.transport() == "polling"
        for text in ("hello", "menu", "one more"):
            ack = await customer.say(text)
            assert ack and ack["ok"], ack
        await customer.wait_text("You said: one more")
        assert "We can help with these." in customer.bot_texts()
        used = set(nginx.upstreams())
        assert len(used) == 1 and used <= set(hubs), used  # sticky: every polling request on one worker
    finally:
        await customer.close()


async def test_clients_that_name_a_sticky_id_are_spread_over_both_workers_each_kept_on_one(profile):
    """How a load test from one machine reaches both workers: ?sticky=<id>."""
    url, hubs, nginx = profile
    ids = [f"s{i}x{uuid.uuid4().hex[:6]}" for i in range(12)]
    customers = [await PollingCustomer(f"{url}/?sticky={sticky}").connect() for sticky in ids]
    try:
        for c in customers:
            await c.say("hi")
        for c in customers:
            await c.wait_text("You said: hi")
    finally:  # together: a polling client's disconnect waits for its pending long-poll
        await asyncio.gather(*(c.close() for c in customers))
    by_id = {sticky: set(nginx.upstreams(f"sticky={sticky}")) for sticky in ids}
    assert all(len(used) == 1 for used in by_id.values()), by_id  # each session on one worker
    assert set().union(*by_id.values()) == set(hubs)  # and both workers used (12 ids: all on one ~1 in 2,000)


async def test_a_websocket_session_and_static_files_through_nginx(profile):
    url, hubs, nginx = profile
    with urllib.request.urlopen(url + "/static/widget.js", timeout=10) as resp:
        assert resp.status == 200 and b"session_request" in resp.read()
        assert resp.headers["Cache-Control"] == "max-age=3600"  # nginx's own answer, from disk
    assert not nginx.upstreams("/static/")  # no hub was asked
    with urllib.request.urlopen(url + "/", timeout=10) as resp:  # the demo website, from a hub
        assert resp.status == 200
    customer = await Customer(url).connect()
    try:
        assert customer.sio.transport() == "websocket"
        await customer.say("hello")
        await customer.wait_text("You said: hello")
    finally:
        await customer.close()


async def test_the_worker_holding_a_session_is_killed_and_the_client_carries_on_through_the_other(profile):
    url, hubs, nginx = profile
    customer = await Customer(url).connect()
    try:
        await customer.say("before")
        await customer.wait_text("You said: before", timeout=30)
        # a websocket is logged when it ends: ask which worker this client's address sticks to
        with urllib.request.urlopen(url + "/health", timeout=10) as resp:
            assert resp.status == 200
        await eventually(lambda: nginx.upstreams("/health"), timeout=10, what="nginx logs the request")
        [serving] = set(nginx.upstreams("/health"))
        dropped: list[float] = []
        customer.sio.on("disconnect", lambda *_: dropped.append(time.monotonic()))
        hubs[serving].kill()
        await eventually(lambda: dropped, timeout=30, what="the client notices its worker died")
        await customer.say("during")  # sent now if already back, else kept and sent on reconnect
        await eventually(lambda: customer.confirmed.is_set() and customer.sio.connected, timeout=60,
                         what="the client reconnects through nginx")
        await customer.wait_text("You said: during", timeout=30)
        await customer.say("after")
        await customer.wait_text("You said: after", timeout=30)
        before = len(nginx.upstreams("/health"))
        with urllib.request.urlopen(url + "/health", timeout=10) as resp:
            assert resp.status == 200
        # nginx logs a request after its answer has gone out: wait for the line
        await eventually(lambda: len(nginx.upstreams("/health")) > before, timeout=10, what="nginx logs the request")
        others = set(nginx.upstreams("/health")[before:]) - {serving}
        assert others, "no request reached the other worker"
        stored = [d.get("text") for d in customer.seqs.values()]
        for text in ("before", "during", "after"):
            assert stored.count(text) == 1, stored  # each customer message stored once
            assert stored.count(f"You said: {text}") == 1, stored  # and answered once
    finally:
        await customer.close()


@pytest.fixture
def supervised_profile(tmp_path, sqlite_url, hub_uow, people, fake_rasa):
    """The profile's front as `make run-prod` runs it: two hub workers under the supervisor
    (scripts/devrun.py --keep-going) behind the rendered nginx."""
    public_url, p1, p2, env = render_profile(tmp_path, sqlite_url, fake_rasa.url)
    assignments = " ".join(f"{k}={shlex.quote(v)}" for k, v in env.items())
    procfile = "".join(
        f"hub{i}: cd {shlex.quote(str(ROOT))} && {assignments} HUB_HOST=127.0.0.1 HUB_PORT={port} "
        f"exec {shlex.quote(sys.executable)} -m livechat  # ready: http://127.0.0.1:{port}/health\n"
        for i, port in ((1, p1), (2, p2)))
    run = Devrun(tmp_path, procfile, "--keep-going")
    nginx = None
    try:
        run.wait_for("status: hub1 up, hub2 up")
        nginx = Nginx(tmp_path / "prod")
        wait_http(public_url + "/health", nginx)
        yield public_url, run, {f"127.0.0.1:{p1}": "hub1", f"127.0.0.1:{p2}": "hub2"}, nginx, fake_rasa
    finally:
        if nginx is not None:
            nginx.stop()
        run.popen.send_signal(signal.SIGTERM)
        try:
            run.wait_exit()
        finally:
            run.kill()


@pytest.mark.browser
@needs_chromium
async def test_the_widget_in_chromium_carries_on_through_the_other_worker_and_the_supervisor_restarts_the_killed_one(
        supervised_profile):
    url, run, names, nginx, rasa = supervised_profile
    from playwright.async_api import async_playwright

    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=str(CHROMIUM), args=ARGS, headless=True)
        try:
            page = await browser.new_page()
            await page.goto(url + "/")
            await page.click(".fsc-launch")
            await widget_say(page, "before")
            await page.wait_for_selector(".fsc-bot >> text=You said: before", timeout=30000)
            # a websocket is logged when it ends: ask which worker this client's address sticks to
            await asyncio.to_thread(wait_http, url + "/health", nginx)
            await eventually(lambda: nginx.upstreams("/health"), timeout=10, what="nginx logs the request")
            serving_at = nginx.upstreams("/health")[-1]
            serving = names[serving_at]
            killed = pid_of(run, serving)
            os.killpg(killed, signal.SIGKILL)
            await widget_say(page, "during")  # kept by the widget until it is connected again
            await page.wait_for_selector(".fsc-bot >> text=You said: during", timeout=60000)
            await widget_say(page, "after")
            await page.wait_for_selector(".fsc-bot >> text=You said: after", timeout=30000)
            assert await page.locator(".fsc-me").all_inner_texts() == ["before", "during", "after"]
            assert await page.locator(".fsc-me.fsc-pending").count() == 0
        finally:
            await browser.close()
    # a websocket is logged when it ends (the browser closed): the one after the kill was on the other worker
    await eventually(lambda: set(nginx.upstreams("/socket.io/")) - {serving_at}, timeout=10,
                     what="the widget's session after the kill is on the other worker")
    assert [r["message"] for r in rasa.received] == ["before", "during", "after"]  # each once
    await asyncio.to_thread(run.wait_for, f"{serving} is up again")  # the supervisor brought it back
    assert pid_of(run, serving) != killed
