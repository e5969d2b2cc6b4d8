"""The conversation tests (bot/tests/test_stories.yml) through `rasa test`.

Every flow, happy and unhappy, must be predicted exactly as written.
"""

from __future__ import annotations

import os
import subprocess

import pytest
import yaml

from tests.support.rasa_stack import MODEL, RASA, ROOT

pytestmark = pytest.mark.rasa


def test_every_conversation_story_passes(tmp_path):
    if not MODEL.exists():
        pytest.skip(f"no trained model at {MODEL}: run `make train` (make test trains first)")
    done = subprocess.run(
        [str(RASA), "test", "core", "--model", str(MODEL), "--stories", "bot/tests/test_stories.yml",
         "--out", str(tmp_path), "--no-plot"],
        cwd=ROOT, env={**os.environ, "RASA_TELEMETRY_ENABLED": "false", "TF_CPP_MIN_LOG_LEVEL": "3"},
        capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stderr[-3000:]
    failed = (tmp_path / "failed_test_stories.yml").read_text()
    assert "None of the test stories failed" in failed, failed[:3000]
    report = yaml.safe_load((tmp_path / "story_report.json").read_text())
    assert report["conversation_accuracy"]["accuracy"] == 1.0
