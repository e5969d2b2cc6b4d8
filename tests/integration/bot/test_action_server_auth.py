"""The action server as `make run` starts it (`python -m actions.server`):
bound to 127.0.0.1, /health open, everything else refused (401) without the
shared token — before any action runs — and served with it."""

from __future__ import annotations

import json
import os
import socket
import stat
import subprocess
import urllib.error
import urllib.request

import pytest

from actions.server import (
    TOKEN_FILE,
    action_server_token,
    presented_token,
    token_matches,
)
from tests.support.rasa_stack import PY, ROOT, free_port, wait_for

TOKEN = "test-token-for-the-action-server"


def action_call(name: str) -> dict:
    """What Rasa posts to /webhook: a made-up tracker for one action."""
    return {
        "next_action": name, "sender_id": "made-up", "version": "3.6.21",
        "tracker": {"sender_id": "made-up", "slots": {}, "latest_message": {"text": "hi", "intent": {}, "entities": []},
                    "events": [], "paused": False, "followup_action": None, "active_loop": {},
                    "latest_action_name": None},
        "domain": {"version": "3.1", "intents": [], "entities": [], "slots": {}, "responses": {}, "actions": [],
                   "forms": {}},
    }


def post(url: str, body: dict, headers: dict | None = None) -> tuple[int, dict]:
    request = urllib.request.Request(url, data=json.dumps(body).encode(), method="POST",
                                     headers={"Content-Type": "application/json", **(headers or {})})
    try:
        with urllib.request.urlopen(request, timeout=30) as resp:
            return resp.status, json.loads(resp.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read() or b"null")


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    folder = tmp_path_factory.mktemp("actions")
    port = free_port()
    log = folder / "actions.log"
    env = {**os.environ, "ACTION_SERVER_TOKEN": TOKEN, "VAR_DIR": str(folder)}
    env.pop("ACTION_SERVER_HOST", None)
    proc = subprocess.Popen([str(PY), "-m", "actions.server", "--actions", "bench.noop_actions", "-p", str(port)],
                            cwd=ROOT, env=env, stdout=log.open("wb"), stderr=subprocess.STDOUT)
    try:
        wait_for(f"http://127.0.0.1:{port}/health", proc, log, "the action server", timeout=120)
        yield f"http://127.0.0.1:{port}", port, log
    finally:
        proc.terminate()
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)


def _outside_address() -> str | None:
    """An address of this machine other than loopback, if it has one."""
    try:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            s.connect(("192.0.2.1", 9))  # no packet is sent for UDP connect
            address = s.getsockname()[0]
    except OSError:
        return None
    return None if address.startswith("127.") else address


def test_a_call_without_the_token_is_refused_and_runs_nothing(server):
    url, _, log = server
    for headers, query in (({}, ""), ({}, "?token=wrong"), ({"Authorization": "Bearer wrong"}, "")):
        status, body = post(f"{url}/webhook{query}", action_call("action_handoff"), headers)
        assert status == 401 and body["error"] == "unauthorized", (headers, query, body)
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(f"{url}/actions", timeout=10)
    assert refused.value.code == 401
    text = log.read_text()
    assert "refused POST /webhook" in text and "Traceback" not in text


def test_a_call_with_the_token_runs_the_action(server):
    url, _, _ = server
    status, body = post(f"{url}/webhook?token={TOKEN}", action_call("validate_service_request_form"))
    assert status == 200, body
    assert body["events"] == [{"event": "slot", "timestamp": None, "name": "requested_slot", "value": None}]
    status, body = post(f"{url}/webhook", action_call("action_handoff"), {"Authorization": f"Bearer {TOKEN}"})
    assert status == 200 and body["events"] == []


def test_health_stays_open_for_the_supervisor(server):
    url, _, _ = server
    with urllib.request.urlopen(f"{url}/health", timeout=10) as resp:
        assert resp.status == 200


def test_it_listens_on_loopback_only(server):
    _, port, _ = server
    address = _outside_address()
    if address is None:
        pytest.skip("this machine has no non-loopback address to try")
    with pytest.raises(OSError):
        socket.create_connection((address, port), timeout=3).close()


def test_the_token_is_made_once_and_kept_private(tmp_path):
    first = action_server_token(tmp_path, env={})
    assert len(first) >= 40 and action_server_token(tmp_path, env={}) == first
    assert stat.S_IMODE((tmp_path / TOKEN_FILE).stat().st_mode) == 0o600
    assert action_server_token(tmp_path, env={"ACTION_SERVER_TOKEN": "from-env"}) == "from-env"
    printed = subprocess.run([str(PY), "-m", "actions.server", "--print-token"], cwd=ROOT, check=True,
                             capture_output=True, text=True, timeout=60,
                             env={**os.environ, "VAR_DIR": str(tmp_path), "ACTION_SERVER_TOKEN": ""})
    assert printed.stdout.strip() == first


def test_token_parsing():
    assert presented_token({"token": ["a"]}, {}) == "a"
    assert presented_token({}, {"authorization": "Bearer b"}) == "b"
    assert presented_token({}, {"authorization": "Basic b"}) is None
    assert token_matches("x", "x") and not token_matches("", "x") and not token_matches(None, "x")
    assert not token_matches("é", "x")
