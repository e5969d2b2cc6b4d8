"""The evaluation sets stay out of the training data, and the independent set stays as it was frozen.

Any line of the HWU64 files (../shared/eval/hwu64, measure only), of the
independent validation set (bot/eval/independent.tsv) or of the calibration
sets (bot/eval/calibration_oos*.tsv) that appears in bot/data fails this test:
compared lower-cased, with punctuation, spacing and entity annotations ignored.
Set B (bot/eval/independent_b.tsv, written by another author who never saw
bot/data) had 34 short lines equal to training lines when it was frozen ("yes",
"never mind"); they are left out of its figures, and no other may join them.
Set C (bot/eval/independent_c.tsv, a third author, sealed before the fourth
round of training data) is held to the same rule with its own 41 lines.
"""

from __future__ import annotations

import hashlib
import os
import re
from pathlib import Path

import pytest

from bot.eval.lines import ROOT, norm, training_lines, tsv_texts as tsv_lines


def hwu64_dir() -> Path:
    return Path(os.environ.get("HWU64_DIR") or ROOT.parent / "shared" / "eval" / "hwu64")


def overlap(lines: list[str]) -> list[str]:
    train = training_lines()
    return sorted({train[norm(t)] for t in lines if norm(t) in train})


def test_the_training_data_is_read():
    assert len(training_lines()) > 1000


def test_no_line_of_the_independent_or_calibration_sets_is_trained_on():
    sets = [ROOT / "bot" / "eval" / name for name in
            ("independent.tsv", "calibration_oos.tsv", "calibration_oos_written.tsv", "calibration_oos_more.tsv")]
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


SET_B = ROOT / "bot" / "eval" / "independent_b.tsv"
# set B's lines that equal a training line, as found when it was frozen (not scored)
SET_B_TRAINED_AT_FREEZE = frozenset({
    "4", "abort", "affirmative", "bye", "cancel my request", "collected 1200 cash", "convert 100 dollars to rupees",
    "forget it", "hi", "hi team", "human agent", "it worked", "leave it", "na", "nahi", "negative", "never mind",
    "nope", "not really", "ok bye", "ok tata", "r u a bot", "reached", "sr 000123", "sure", "technician kab aayega",
    "tell me a joke", "thanks a lot", "that helped", "thx", "ty", "wrong article", "ya correct", "yes"})


SET_C = ROOT / "bot" / "eval" / "independent_c.tsv"
# set C's lines that equal a training line, as found when it was frozen (not scored)
SET_C_TRAINED_AT_FREEZE = frozenset({
    "4", "absolutely", "affirmative", "am i talking to a real person", "are you a bot", "bas karo", "bye",
    "correct", "cya", "haan bilkul", "hello", "helpful article", "hi", "hlo", "i accept the estimate",
    "i want to give feedback", "incorrect", "is this automated", "job done", "leave it", "nah", "nahi", "negative",
    "next job", "nope", "ok bye", "on site now", "operator", "reached", "sahi hai", "send me the payment link",
    "stop", "stop asking me questions", "technician kab aayega", "tell me a joke", "track my service request",
    "when does my warranty expire", "who is the prime minister of japan", "withdraw my complaint", "yeah", "yes"})


SEALED = [(SET_B, SET_B_TRAINED_AT_FREEZE), (SET_C, SET_C_TRAINED_AT_FREEZE)]


@pytest.mark.parametrize("path, trained_at_freeze", SEALED, ids=["set B", "set C"])
def test_no_line_of_a_sealed_set_is_trained_on_beyond_those_found_at_its_freeze(path, trained_at_freeze):
    train = training_lines()
    assert {norm(t) for t in tsv_lines(path) if norm(t) in train} <= trained_at_freeze


@pytest.mark.parametrize("path", [SET_B, SET_C], ids=["set B", "set C"])
def test_a_sealed_set_is_the_one_frozen_before_the_model_was_scored_on_it(path):
    frozen = re.search(re.escape(path.name) + r"` sha256 `([0-9a-f]{64})`",
                       (ROOT / "bot" / "eval" / "README.md").read_text()).group(1)
    assert hashlib.sha256(path.read_bytes()).hexdigest() == frozen
