"""The real Rasa server (.venv-rasa) and the real action server (.venv) on free ports."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
RASA = ROOT / ".venv-rasa" / "bin" / "rasa"
PY = ROOT / ".venv" / "bin" / "python"
MODEL = ROOT / "bot" / "models" / "fieldserv.tar.gz"
STARTUP_TIMEOUT = 300  # seconds: loading TensorFlow and the model is slow on a busy machine


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait(url: str, proc: subprocess.Popen, log: Path, what: str) -> None:
    deadline = time.monotonic() + STARTUP_TIMEOUT
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{what} exited with {proc.returncode}; see {log}:\n{log.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(url, timeout=5) as resp:
                if resp.status == 200:
                    return
        except OSError:
            time.sleep(1)
    raise RuntimeError(f"{what} did not answer on {url} within {STARTUP_TIMEOUT} s; see {log}")


@dataclass
class Bot:
    url: str
    action_url: str
    workdir: Path
    procs: list[subprocess.Popen] = field(default_factory=list)

    def say(self, sender: str, text: str, metadata: dict | None = None) -> list[dict]:
        """One turn through the REST channel: the bot's messages."""
        body = json.dumps({"sender": sender, "message": text, "metadata": metadata or {}}).encode()
        request = urllib.request.Request(f"{self.url}/webhooks/rest/webhook", data=body,
                                         headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=120) as resp:
            return json.loads(resp.read())

    def tracker(self, sender: str) -> dict:
        with urllib.request.urlopen(f"{self.url}/conversations/{sender}/tracker", timeout=60) as resp:
            return json.loads(resp.read())

    def stop(self) -> None:
        for proc in reversed(self.procs):
            if proc.poll() is None:
                proc.terminate()
                try:
                    proc.wait(30)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait(5)


def start_bot(workdir: Path, *, database_url: str, secret_key: str, action_package: str = "actions") -> Bot:
    """Start the action server, then Rasa pointed at it through a temporary endpoints file."""
    workdir.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "DATABASE_URL": database_url, "SECRET_KEY": secret_key, "TF_CPP_MIN_LOG_LEVEL": "3",
           "RASA_TELEMETRY_ENABLED": "false", "KB_INDEX_DIR": str(workdir / "no-kb")}
    aport, rport = free_port(), free_port()
    bot = Bot(f"http://127.0.0.1:{rport}", f"http://127.0.0.1:{aport}", workdir)
    alog, rlog = workdir / "actions.log", workdir / "rasa.log"
    try:
        bot.procs.append(subprocess.Popen(
            [str(PY), "-m", "rasa_sdk", "--actions", action_package, "--port", str(aport)],
            cwd=ROOT, env=env, stdout=alog.open("wb"), stderr=subprocess.STDOUT))
        _wait(f"{bot.action_url}/health", bot.procs[-1], alog, "the action server")
        endpoints = workdir / "endpoints.yml"
        endpoints.write_text("action_endpoint:\n  url: ${ACTION_ENDPOINT_URL}\n", encoding="utf-8")  # unquoted: Rasa expands it
        bot.procs.append(subprocess.Popen(
            [str(RASA), "run", "--enable-api", "-m", str(MODEL), "-p", str(rport), "-i", "127.0.0.1",
             "--endpoints", str(endpoints), "--credentials", str(ROOT / "bot" / "credentials.yml")],
            cwd=workdir, env={**env, "ACTION_ENDPOINT_URL": f"{bot.action_url}/webhook"},
            stdout=rlog.open("wb"), stderr=subprocess.STDOUT))
        _wait(f"{bot.url}/status", bot.procs[-1], rlog, "Rasa")
    except Exception:
        bot.stop()
        raise
    return bot


def texts(messages: list[dict]) -> str:
    return "\n".join(m.get("text", "") for m in messages)


def custom(messages: list[dict]) -> list[dict]:
    return [m["custom"] for m in messages if m.get("custom")]
