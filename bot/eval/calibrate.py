"""Choose the FallbackClassifier threshold on data the figures are not measured on.

    python bot/eval/calibrate.py PARSED.json

Reads bot/eval/parse_sets.py's output (which keeps, per utterance, the model's
own best intent and its confidence before the fallback) for two sets only:
the held-out split (in-domain, bot/tests/nlu_test.yml) and
bot/eval/calibration_oos.tsv (out-of-domain lines never trained on). For each
threshold it prints the held-out accuracy (a message under the threshold
falls back, which costs its intent) and the share of calibration lines that a
business intent would act on. The chosen threshold (bot/config.yml) is the
lowest whose business share is at most 2 % (half the 5 % goal), which keeps
the most in-domain answers; the independent validation set and HWU64 are not
used here.

The FallbackClassifier also falls back when the best two intents are closer
than its ambiguity margin. A second table holds the chosen threshold and
varies the margin; by the same rule the margin is the smallest whose business
share stays at most 2 % (a smaller margin answers more messages instead of
asking to rephrase). Rows parsed before the runner-up's confidence was kept
are judged on the threshold alone.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from report import SAFE, SMALL_TALK  # noqa: E402

THRESHOLDS = [round(0.25 + 0.05 * i, 2) for i in range(12)]
MARGINS = [0.0, 0.02, 0.05, 0.1]
MOST_ACTED_ON = 0.02
# the margin the threshold has always been chosen at (the FallbackClassifier's setting until the ninth round)
THRESHOLD_STEP_MARGIN = 0.05


def final(row: dict, threshold: float, margin: float = 0.0) -> str:
    if row["predicted"] == "request_human" and row["confidence"] == 1.0 and row["top"] != "request_human":
        return "request_human"  # the handoff net, which the threshold does not touch
    if row["predicted"] == "nlu_fallback" and row["confidence"] == 1.0:
        return "nlu_fallback"  # the unknown-words guard, which neither touches
    unsure = row["top_confidence"] < threshold or row["top_confidence"] - row.get("second_confidence", 0.0) < margin
    return "nlu_fallback" if unsure else row["top"]


def figures(held: list[dict], oos: list[dict], threshold: float, margin: float) -> tuple[float, float]:
    """Held-out accuracy and the share of out-of-domain lines a business intent would act on."""
    acc = sum(final(r, threshold, margin) == r["expected"] for r in held) / len(held)
    business = sum(final(r, threshold, margin) not in SAFE | SMALL_TALK for r in oos) / len(oos)
    return acc, business


def choose(held: list[dict], oos: list[dict]) -> tuple[float | None, float | None]:
    """The rule: the lowest threshold, then the smallest margin, acting on at most 2 % of the lines."""
    threshold = next((t for t in THRESHOLDS
                      if figures(held, oos, t, THRESHOLD_STEP_MARGIN)[1] <= MOST_ACTED_ON), None)
    if threshold is None:
        return None, None
    return threshold, next((m for m in MARGINS if figures(held, oos, threshold, m)[1] <= MOST_ACTED_ON), None)


def main(path: str) -> int:
    sets = json.loads(Path(path).read_text())["sets"]
    held, oos = sets["heldout"], sets["calibration_oos"]
    threshold, margin = choose(held, oos)
    print(f"threshold  held-out accuracy  calibration OOS to a business intent   "
          f"(ambiguity margin {THRESHOLD_STEP_MARGIN})")
    for t in THRESHOLDS:
        acc, business = figures(held, oos, t, THRESHOLD_STEP_MARGIN)
        print(f"{t:9.2f}  {acc:17.3f}  {business:10.3f}")
    if threshold is None:
        print(f"no threshold keeps the business share at most {MOST_ACTED_ON:.0%}")
        return 1
    print(f"\nmargin     held-out accuracy  calibration OOS to a business intent   (threshold {threshold})")
    for m in MARGINS:
        acc, business = figures(held, oos, threshold, m)
        print(f"{m:6.2f}  {acc:20.3f}  {business:10.3f}")
    print(f"\nby the rule: threshold {threshold}, ambiguity margin {margin}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1]))
