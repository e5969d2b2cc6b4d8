"""`make run` starts the worker from Procfile.dev and waits for its /health."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]


def test_procfile_dev_starts_the_worker_and_waits_for_its_health_url():
    spec = importlib.util.spec_from_file_location("devrun_for_worker", ROOT / "scripts" / "devrun.py")
    devrun = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("devrun_for_worker", devrun)
    spec.loader.exec_module(devrun)
    entries = {e.name: e for e in devrun.parse_procfile((ROOT / "Procfile.dev").read_text())}
    worker = entries["worker"]
    assert "-m backend.worker" in worker.command
    assert worker.ready_url == "http://127.0.0.1:8091/health"  # WORKER_HEALTH_PORT's default
