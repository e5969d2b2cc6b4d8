"""The lines of the training data and of the evaluation sets, compared as the apart-test compares them.

Lower-cased, with punctuation, spacing and entity annotations ignored; used by
tests/unit/bot/test_eval_sets_apart.py (no evaluation line is trained on) and by
bot/eval/parse_sets.py (set B's few lines that equal a training line are marked
and left out of its figures).
"""

from __future__ import annotations

import csv
import re
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
ANNOTATION = re.compile(r"\[([^\]]+)\]\([^)]*\)|\[([^\]]+)\]\{[^}]*\}")


def unannotated(text: str) -> str:
    return ANNOTATION.sub(lambda m: m.group(1) or m.group(2), text)


def norm(text: str) -> str:
    return " ".join(re.sub(r"[^\w\s]", " ", unannotated(text).lower()).split())


def examples(path: Path) -> list[tuple[str, str]]:
    """(intent, annotated line) for every NLU example of a Rasa YAML file (synonyms and lookups have
    no intent and give "")."""
    out = []
    for block in (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("nlu") or []:
        for line in str(block.get("examples") or "").splitlines():
            if line.strip().startswith("- "):
                out.append((block.get("intent") or "", line.strip()[2:].strip()))
    return out


def training_lines(data: Path = ROOT / "bot" / "data") -> dict[str, str]:
    """Every NLU example of ``data``, normalised → "file: line"."""
    return {norm(line): f"{path.relative_to(ROOT)}: {line}"
            for path in sorted(data.rglob("*.yml")) for _, line in examples(path)}


def rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f, delimiter="\t"))


def read_tsv(path: Path, intent_column: str = "intent") -> list[tuple[str, str]]:
    """(intent, text) rows of a tab-separated evaluation set."""
    return [(row[intent_column], row["text"]) for row in rows(path)]


def tsv_texts(path: Path) -> list[str]:
    """The text column of a tab-separated evaluation set (whatever its label columns)."""
    return [row["text"] for row in rows(path)]
