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
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from report import SAFE, SMALL_TALK  # noqa: E402

THRESHOLDS = [round(0.25 + 0.05 * i, 2) for i in range(12)]


def final(row: dict, threshold: float) -> str:
    if row["predicted"] == "request_human" and row["confidence"] == 1.0 and row["top"] != "request_human":
        return "request_human"  # the handoff net, which the threshold does not touch
    return row["top"] if row["top_confidence"] >= threshold else "nlu_fallback"


def main(path: str) -> int:
    sets = json.loads(Path(path).read_text())["sets"]
    held, oos = sets["heldout"], sets["calibration_oos"]
    print("threshold  held-out accuracy  calibration OOS to a business intent")
    for t in THRESHOLDS:
        acc = sum(final(r, t) == r["expected"] for r in held) / len(held)
        business = sum(final(r, t) not in SAFE | SMALL_TALK for r in oos) / len(oos)
        print(f"{t:9.2f}  {acc:17.3f}  {business:10.3f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1]))
