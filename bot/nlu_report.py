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
        avg = data.get("micro avg") or data.get("weighted avg") or {}
        out["entities"][extractor] = {
            "micro_f1": round(avg.get("f1-score", 0.0), 4),
            "macro_f1": round(data.get("macro avg", {}).get("f1-score", 0.0), 4),
        }
    return out


def main(argv: list[str]) -> int:
    folder = Path(argv[1] if len(argv) > 1 else "var/bot/nlu")
    result = summary(folder)
    (folder / "summary.json").write_text(json.dumps(result, indent=2) + "\n")
    print(f"intent accuracy {result['intent_accuracy']:.3f}   intent macro-F1 {result['intent_macro_f1']:.3f}"
          f"   ({result['examples']} held-out examples)")
    for name, figures in result["entities"].items():
        print(f"entities ({name}): micro-F1 {figures['micro_f1']:.3f}, macro-F1 {figures['macro_f1']:.3f}")
    print("weakest intents: " + ", ".join(f"{n} {f:.2f}" for n, f in result["weakest_intents"]))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
