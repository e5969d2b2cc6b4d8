"""Summarise `rasa test nlu` results: intent accuracy, macro-F1, entity F1.

Usage: python bot/nlu_report.py var/bot/nlu  (writes summary.json there too)
"""

from __future__ import annotations

import json
import sys
from pathlib import Path


def summary(folder: Path) -> dict:
    intents = json.loads((folder / "intent_report.json").read_text())
    out = {
        "intent_accuracy": round(intents["accuracy"], 4),
        "intent_macro_f1": round(intents["macro avg"]["f1-score"], 4),
        "intent_weighted_f1": round(intents["weighted avg"]["f1-score"], 4),
        "examples": int(intents["macro avg"]["support"]),
        "weakest_intents": sorted(
            ((name, round(r["f1-score"], 3)) for name, r in intents.items()
             if isinstance(r, dict) and "f1-score" in r and name not in ("macro avg", "weighted avg", "micro avg")),
            key=lambda x: x[1])[:5],
        "entities": {},
    }
    for report in sorted(folder.glob("*Extractor_report.json")) + sorted(folder.glob("DIETClassifier_report.json")):
        data = json.loads(report.read_text())
        extractor = report.name.removesuffix("_report.json")
        # The regex extractor only ever extracts these; scoring it on the others says nothing.
        labels = REGEX_ENTITIES if extractor == "RegexEntityExtractor" else None
        out["entities"][extractor] = entity_f1(data, labels)
    return out


REGEX_ENTITIES = ("reference", "email", "phone")
NOT_LABELS = ("micro avg", "macro avg", "weighted avg", "accuracy")


def entity_f1(data: dict, labels: tuple[str, ...] | None) -> dict:
    """Micro- and macro-F1 over ``labels`` (all entity labels when None), from the
    per-label precision, recall and support of a Rasa entity report."""
    rows = {k: v for k, v in data.items() if k not in NOT_LABELS and isinstance(v, dict) and k != "no_entity"
            and (labels is None or k in labels)}
    tp = fp = fn = 0.0
    for r in rows.values():
        hits = r["recall"] * r["support"]
        tp += hits
        fn += r["support"] - hits
        fp += hits / r["precision"] - hits if r["precision"] else 0.0
    micro = 2 * tp / (2 * tp + fp + fn) if tp else 0.0
    macro = sum(r["f1-score"] for r in rows.values()) / len(rows) if rows else 0.0
    return {"micro_f1": round(micro, 4), "macro_f1": round(macro, 4), "labels": sorted(rows)}


def main(argv: list[str]) -> int:
    folder = Path(argv[1] if len(argv) > 1 else "var/bot/nlu")
    result = summary(folder)
    (folder / "summary.json").write_text(json.dumps(result, indent=2) + "\n")
    print(f"intent accuracy {result['intent_accuracy']:.3f}   intent macro-F1 {result['intent_macro_f1']:.3f}"
          f"   ({result['examples']} held-out examples)")
    for name, figures in result["entities"].items():
        print(f"entities ({name}: {', '.join(figures['labels'])}): micro-F1 {figures['micro_f1']:.3f}, "
              f"macro-F1 {figures['macro_f1']:.3f}")
    print("weakest intents: " + ", ".join(f"{n} {f:.2f}" for n, f in result["weakest_intents"]))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
