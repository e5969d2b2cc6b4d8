"""A real Rasa server for the protocol tests (marked ``rasa``).

The project's own bot (``bot/models/*.tar.gz``, with its action server) is
used when it has been trained; until then a tiny throwaway bot is trained
once (seconds: keyword intents and rules) and cached under ``var/test-cache``.
Its handoff answer is the real bot's contract: a custom payload
``{"handoff": {"reason", "requested_by"}}``.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import socket
import subprocess
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
RASA = ROOT / ".venv-rasa" / "bin" / "rasa"
PY = ROOT / ".venv" / "bin" / "python"
CACHE = ROOT / "var" / "test-cache"

TINY = {
    "config.yml": """
recipe: default.v1
language: en
assistant_id: hub-test-bot
pipeline:
  - name: KeywordIntentClassifier
policies:
  - name: RulePolicy
""",
    "domain.yml": """
version: "3.1"
intents: [greet, human, menu]
responses:
  utter_greet:
    - text: "Hello! I am the CoolBreeze assistant.\\n\\nHow can I help you today?"
      buttons:
        - title: "Our services"
          payload: "/menu"
        - title: "Talk to a person"
          payload: "/human"
  utter_menu:
    - text: "We repair air conditioners and washing machines."
  utter_handoff:
    - text: "I will connect you with a person."
      custom:
        handoff:
          reason: asked
          requested_by: customer
session_config:
  session_expiration_time: 60
  carry_over_slots_to_new_session: true
""",
    "data/nlu.yml": """
version: "3.1"
nlu:
  - intent: greet
    examples: |
      - hello
      - hi
  - intent: human
    examples: |
      - human
      - person
      - agent
  - intent: menu
    examples: |
      - menu
      - services
""",
    "data/rules.yml": """
version: "3.1"
rules:
  - rule: greet
    steps: [{intent: greet}, {action: utter_greet}]
  - rule: menu
    steps: [{intent: menu}, {action: utter_menu}]
  - rule: human
    steps: [{intent: human}, {action: utter_handoff}]
""",
    "credentials.yml": "rest:\n",
}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def project_model() -> Path | None:
    models = sorted((ROOT / "bot" / "models").glob("*.tar.gz"), key=lambda p: p.stat().st_mtime)
    return models[-1] if models else None


def tiny_model() -> Path:
    digest = hashlib.sha256("".join(f"{k}\n{v}" for k, v in sorted(TINY.items())).encode()).hexdigest()[:12]
    folder = CACHE / f"tiny-rasa-{digest}"
    model = folder / "models" / "tiny.tar.gz"
    if model.exists():
        return model
    shutil.rmtree(folder, ignore_errors=True)
    for name, text in TINY.items():
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text.lstrip(), encoding="utf-8")
    subprocess.run(
        [str(RASA), "train", "--fixed-model-name", "tiny", "--out", "models", "--quiet"],
        cwd=folder, check=True, timeout=600, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
        env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"},
    )
    return model


def _wait(url: str, proc: subprocess.Popen, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{what} exited with {proc.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=2) as resp:
                if resp.status == 200:
                    return
        except OSError:
            time.sleep(0.5)
    raise RuntimeError(f"{what} did not answer on {url} within {timeout:.0f} s")


@dataclass
class RasaServer:
    url: str
    model: Path
    real_bot: bool
    procs: list[subprocess.Popen] = field(default_factory=list)
    action_url: str | None = None

    def stop(self) -> None:
        for proc in reversed(self.procs):
            if proc.poll() is None:
                proc.terminate()
                try:
                    proc.wait(20)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait(5)


def start_rasa(workdir: Path, *, database_url: str, secret_key: str) -> RasaServer:
    """Start Rasa (and, for the project's bot, its action server)."""
    model = project_model()
    real = model is not None
    if model is None:
        model = tiny_model()
    workdir.mkdir(parents=True, exist_ok=True)
    log = open(workdir / "rasa.log", "wb")
    procs: list[subprocess.Popen] = []
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "DATABASE_URL": database_url, "SECRET_KEY": secret_key}
    action_url = None
    endpoints = workdir / "endpoints.yml"
    if real:
        aport = free_port()
        action_url = f"http://127.0.0.1:{aport}"
        alog = open(workdir / "actions.log", "wb")
        procs.append(subprocess.Popen([str(PY), "-m", "rasa_sdk", "--actions", "actions", "--port", str(aport)],
                                      cwd=ROOT, env=env, stdout=alog, stderr=subprocess.STDOUT))
        _wait(f"{action_url}/health", procs[-1], 60, "the action server")
        endpoints.write_text(f"action_endpoint:\n  url: {action_url}/webhook\n", encoding="utf-8")
    else:
        endpoints.write_text("", encoding="utf-8")
    credentials = workdir / "credentials.yml"
    credentials.write_text("rest:\n", encoding="utf-8")
    port = free_port()
    procs.append(subprocess.Popen(
        [str(RASA), "run", "--enable-api", "-m", str(model), "-p", str(port), "-i", "127.0.0.1",
         "--credentials", str(credentials), "--endpoints", str(endpoints)],
        cwd=workdir, env=env, stdout=log, stderr=subprocess.STDOUT,
    ))
    server = RasaServer(f"http://127.0.0.1:{port}", model, real, procs, action_url)
    try:
        _wait(f"{server.url}/status", procs[-1], 180, "Rasa")
    except Exception:
        server.stop()
        raise
    return server


_shared: dict[str, object] = {}


def shared_rasa(sqlite_template: Path, workdir: Path):
    """One Rasa (and action server) per test run, shared by the hub's
    integration and browser tests: loading the project's model takes a minute
    or more on two cores. Returns (server, database url, unit of work, people)
    on its own copy of the migrated database; stopped when the run ends."""
    if "env" not in _shared:
        import atexit

        from backend.db import UnitOfWork, make_engine, make_session_factory
        from tests.integration.livechat.harness import SECRET
        from tests.unit.livechat.factories import build_people

        workdir.mkdir(parents=True, exist_ok=True)
        db = workdir / "hub.sqlite3"
        shutil.copy(sqlite_template, db)
        url = f"sqlite:///{db}"
        engine = make_engine(url)
        uow = UnitOfWork(make_session_factory(engine))
        people = build_people(uow, prefix="r")
        server = start_rasa(workdir / "rasa", database_url=url, secret_key=SECRET)
        atexit.register(server.stop)
        atexit.register(engine.dispose)
        _shared["env"] = (server, url, uow, people)
    return _shared["env"]
