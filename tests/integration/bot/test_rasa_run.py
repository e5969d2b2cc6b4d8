"""scripts/rasa_run.py (the production profile's Rasa): the action-server
answer is still validated against Rasa's schema, with the same error, once
the schema check is no longer repeated per call."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
RASA_PY = ROOT / ".venv-rasa" / "bin" / "python"

CHECK = """
import sys, jsonschema
sys.path.insert(0, "scripts")
import rasa_run
from rasa.core.actions.action import RemoteAction
from rasa.utils.endpoints import EndpointConfig
original = RemoteAction._validate_action_result
rasa_run.patch()
action = RemoteAction("action_x", EndpointConfig("http://127.0.0.1:1"))
good = {"events": [{"event": "slot", "name": "reference", "value": "JB-1"}], "responses": [{"response": "utter_x"}]}
assert action._validate_action_result(good) is True
for bad in ({"events": "no"}, {"events": [{"name": "x"}]}, {"responses": [1]}):
    errors = []
    for check in (original, RemoteAction._validate_action_result):
        try:
            check(action, dict(bad))
            errors.append(None)
        except jsonschema.ValidationError as exc:
            errors.append(exc.message)
    assert errors[0] is not None and errors[0] == errors[1], (bad, errors)
print("ok")
"""


@pytest.mark.rasa
def test_patched_validation_accepts_and_refuses_as_rasa_does():
    if not RASA_PY.exists():
        pytest.skip("no .venv-rasa")
    out = subprocess.run([str(RASA_PY), "-c", CHECK], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0 and out.stdout.strip().endswith("ok"), out.stderr[-2000:]
