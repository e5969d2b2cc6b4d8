"""The real Rasa server (.venv-rasa) and the real action server (.venv) on free
ports, for the bot's, the hub's and the browser tests (and bench/hub_bot_turn.py).

``start_stack`` starts the action server as ``make run`` does
(``python -m actions.server``: 127.0.0.1 only, a shared token of its own, its
own database, secret and knowledge-base folder), then Rasa on the project's
trained model (``bot/models/fieldserv.tar.gz``) pointed at it with that token.
``tracker_db`` gives Rasa the SQL tracker store of ``endpoints.yml`` on a
SQLite file (always a test's own path, never ``var/``); without it Rasa keeps
conversations in memory. ``RasaStack.kill_rasa`` / ``start_rasa`` restart Rasa
alone on the same files. The hub's tests may run
before a model is trained: ``model=tiny_model()`` trains (once, cached under
``var/test-cache``) a keyword bot whose handoff answer is the real bot's
contract, a custom payload ``{"handoff": {"reason", "requested_by"}}``; it
needs no action server.
"""

from __future__ import annotations

import hashlib
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
RASA = ROOT / ".venv-rasa" / "bin" / "rasa"
RASA_PY = ROOT / ".venv-rasa" / "bin" / "python"
RASA_RUN = ROOT / "scripts" / "rasa_run.py"  # `rasa` as every profile runs it (the schema validator built once)
PY = ROOT / ".venv" / "bin" / "python"
MODEL = ROOT / "bot" / "models" / "fieldserv.tar.gz"
CACHE = ROOT / "var" / "test-cache"
STARTUP_TIMEOUT = 300  # seconds: loading TensorFlow and the model is slow on a busy machine


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(url: str, proc: subprocess.Popen, log: Path, what: str, timeout: float = STARTUP_TIMEOUT) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{what} exited with {proc.returncode}; see {log}:\n{log.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(url, timeout=5) as resp:
                if resp.status == 200:
                    return
        except OSError:
            time.sleep(0.5)
    raise RuntimeError(f"{what} did not answer on {url} within {timeout:.0f} s; see {log}")


@dataclass
class RasaStack:
    url: str
    model: Path
    workdir: Path
    action_url: str | None = None
    action_token: str | None = None
    procs: list[subprocess.Popen] = field(default_factory=list)
    rasa_command: list[str] = field(default_factory=list)
    rasa_env: dict[str, str] = field(default_factory=dict)

    @property
    def real_bot(self) -> bool:
        """The project's bot (with its action server), not the tiny keyword bot."""
        return self.action_url is not None

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

    @property
    def rasa(self) -> subprocess.Popen:
        return self.procs[-1]

    def kill_rasa(self) -> None:
        """SIGKILL Rasa (no shutdown hooks run), and wait until it is gone."""
        self.rasa.send_signal(signal.SIGKILL)
        self.rasa.wait(30)

    def start_rasa(self) -> None:
        """Start Rasa again with the same command, endpoints and tracker store."""
        rlog = self.workdir / "rasa.log"
        with rlog.open("ab") as out:
            out.write(b"\n--- restarted ---\n")
            self.procs[-1] = subprocess.Popen(self.rasa_command, cwd=self.workdir, env=self.rasa_env, stdout=out,
                                              stderr=subprocess.STDOUT)
        wait_for(f"{self.url}/status", self.procs[-1], rlog, "Rasa")

    def stop(self) -> None:
        for proc in reversed(self.procs):
            if proc.poll() is None:
                proc.terminate()
                try:
                    proc.wait(30)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait(5)


def start_stack(workdir: Path, *, database_url: str, secret_key: str, model: Path | None = None,
                action_package: str = "actions", kb_index_dir: Path | None = None,
                env: dict[str, str] | None = None, tracker_db: Path | None = None,
                stores_yaml: str = "") -> RasaStack:
    """The action server (unless the model is the tiny bot), then Rasa pointed at it.

    ``kb_index_dir``: the knowledge-base index the action server searches
    (``KB_INDEX_DIR``); default an empty folder, so no test reads ``var/kb``.
    ``stores_yaml``: tracker and lock stores for Rasa's endpoints file (the
    production profile's shared stores, ``deploy/prodconf.py``), instead of
    ``tracker_db``."""
    model = model or MODEL
    workdir.mkdir(parents=True, exist_ok=True)
    real = not model.is_relative_to(CACHE)
    base_env = {**os.environ, "DATABASE_URL": database_url, "SECRET_KEY": secret_key, "TF_CPP_MIN_LOG_LEVEL": "3",
                "RASA_TELEMETRY_ENABLED": "false", "KB_INDEX_DIR": str(kb_index_dir or workdir / "no-kb"),
                **(env or {})}
    stack = RasaStack(f"http://127.0.0.1:{free_port()}", model, workdir)
    if tracker_db is not None:
        tracker_db.parent.mkdir(parents=True, exist_ok=True)
    endpoints, credentials = workdir / "endpoints.yml", workdir / "credentials.yml"
    credentials.write_text("rest:\n", encoding="utf-8")
    try:
        if real:
            stack.action_url = f"http://127.0.0.1:{free_port()}"
            stack.action_token = base_env.get("ACTION_SERVER_TOKEN") or secrets.token_urlsafe(24)
            base_env["ACTION_SERVER_TOKEN"] = stack.action_token
            alog = workdir / "actions.log"
            stack.procs.append(subprocess.Popen(
                [str(PY), "-m", "actions.server", "--actions", action_package,
                 "--port", stack.action_url.rsplit(":", 1)[1]],
                cwd=ROOT, env=base_env, stdout=alog.open("wb"), stderr=subprocess.STDOUT))
            wait_for(f"{stack.action_url}/health", stack.procs[-1], alog, "the action server")
            # the same shape as the project's endpoints.yml: the token through ${ACTION_SERVER_TOKEN}
            endpoint_text = (f"action_endpoint:\n  url: {stack.action_url}/webhook\n"
                             "  token: ${ACTION_SERVER_TOKEN}\n")
        else:
            endpoint_text = ""
        if tracker_db is not None:
            base_env["RASA_TRACKER_URL"] = f"sqlite:///{tracker_db.resolve()}"
            endpoint_text += "tracker_store:\n  type: SQL\n  url: ${RASA_TRACKER_URL}\n"
        endpoints.write_text(endpoint_text + stores_yaml, encoding="utf-8")
        rlog = workdir / "rasa.log"
        stack.rasa_command = [str(RASA_PY), str(RASA_RUN), "run", "--enable-api", "-m", str(model), "-p", stack.url.rsplit(":", 1)[1],
                              "-i", "127.0.0.1", "--endpoints", str(endpoints), "--credentials", str(credentials)]
        stack.rasa_env = base_env
        stack.procs.append(subprocess.Popen(stack.rasa_command, cwd=workdir, env=base_env, stdout=rlog.open("wb"),
                                            stderr=subprocess.STDOUT))
        wait_for(f"{stack.url}/status", stack.procs[-1], rlog, "Rasa")
    except Exception:
        stack.stop()
        raise
    return stack


def project_model() -> Path | None:
    return MODEL if MODEL.exists() else None


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


def texts(messages: list[dict]) -> str:
    return "\n".join(m.get("text", "") for m in messages)


def custom(messages: list[dict]) -> list[dict]:
    return [m["custom"] for m in messages if m.get("custom")]


def buttons(messages: list[dict]) -> dict[str, str]:
    """Title → payload of every button the bot offered."""
    return {b["title"]: b["payload"] for m in messages for b in m.get("buttons") or ()}
