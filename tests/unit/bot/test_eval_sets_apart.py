"""The evaluation sets stay out of the training data, and the independent set stays as it was frozen.

Any line of the HWU64 files (../shared/eval/hwu64, measure only), of the
independent validation set (bot/eval/independent.tsv) or of the calibration
sets (bot/eval/calibration_oos*.tsv) that appears in bot/data fails this test:
compared lower-cased, with punctuation, spacing and entity annotations ignored.
"""

from __future__ import annotations

import csv
import hashlib
import os
import re
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[3]
ANNOTATION = re.compile(r"\[([^\]]+)\]\([^)]*\)|\[([^\]]+)\]\{[^}]*\}")


def norm(text: str) -> str:
    text = ANNOTATION.sub(lambda m: m.group(1) or m.group(2), text)
    return " ".join(re.sub(r"[^\w\s]", " ", text.lower()).split())


def training_lines() -> dict[str, str]:
    out = {}
    for path in sorted((ROOT / "bot" / "data").rglob("*.yml")):
        for block in (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("nlu") or []:
            for line in str(block.get("examples") or "").splitlines():
                if line.strip().startswith("- "):
                    out[norm(line.strip()[2:])] = f"{path.relative_to(ROOT)}: {line.strip()[2:]}"
    return out


def tsv_lines(path: Path) -> list[str]:
    with path.open(encoding="utf-8", newline="") as f:
        return [row["text"] for row in csv.DictReader(f, delimiter="\t")]


def hwu64_dir() -> Path:
    return Path(os.environ.get("HWU64_DIR") or ROOT.parent / "shared" / "eval" / "hwu64")


def overlap(lines: list[str]) -> list[str]:
    train = training_lines()
    return sorted({train[norm(t)] for t in lines if norm(t) in train})


def test_the_training_data_is_read():
    assert len(training_lines()) > 1000


def test_no_line_of_the_independent_or_calibration_sets_is_trained_on():
    sets = [ROOT / "bot" / "eval" / name for name in
            ("independent.tsv", "calibration_oos.tsv", "calibration_oos_written.tsv")]
    assert overlap([t for path in sets for t in tsv_lines(path)]) == []


HWU64_HASHES = ROOT / "bot" / "eval" / "hwu64_lines.sha256"


def line_hash(text: str) -> str:
    return hashlib.sha256(norm(text).encode()).hexdigest()


def test_no_line_of_hwu64_is_trained_on():
    """Checked against the digests of the HWU64 lines kept in the repository
    (bot/eval/hwu64_lines.sha256: one sha256 per normalised line, no text), so
    the check runs where ../shared/eval is not mounted too."""
    kept = set(HWU64_HASHES.read_text().split())
    assert len(kept) > 900
    trained = {line_hash(t): where for t, where in training_lines().items()}
    assert sorted(where for h, where in trained.items() if h in kept) == []


def test_the_kept_hwu64_digests_are_those_of_the_evaluation_files():
    folder = hwu64_dir()
    if not (folder / "out_of_scope.tsv").exists():
        pytest.skip(f"the HWU64 evaluation files are not at {folder} (set HWU64_DIR); "
                    "the overlap test above uses the kept digests")
    lines = tsv_lines(folder / "out_of_scope.tsv") + tsv_lines(folder / "chitchat.tsv")
    assert len(lines) == 893 + 76
    assert {line_hash(t) for t in lines} == set(HWU64_HASHES.read_text().split())


def test_the_independent_set_is_the_one_frozen_before_the_model_was_scored_on_it():
    """Its digest is written in bot/eval/README.md; changing a line (a label, a text) shows here."""
    frozen = re.search(r"sha256 `([0-9a-f]{64})`", (ROOT / "bot" / "eval" / "README.md").read_text()).group(1)
    assert hashlib.sha256((ROOT / "bot" / "eval" / "independent.tsv").read_bytes()).hexdigest() == frozen
