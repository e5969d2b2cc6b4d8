"""Parse every evaluation set with the trained model, in one process (.venv-rasa).

    .venv-rasa/bin/python bot/eval/parse_sets.py MODEL OUT.json

Loads the model once (as ``rasa run`` does) and parses, exactly as a chat
message is parsed (pipeline, fallback and the handoff net included):

* ``heldout``: bot/tests/nlu_test.yml (the held-out split of the training data);
* ``independent``: bot/eval/independent.tsv (written apart from bot/data, see bot/eval/README.md);
* ``independent_b``: bot/eval/independent_b.tsv (set B, another author; its lines equal to a
  training line are marked ``trained`` and left out of its figures);
* ``independent_c``: bot/eval/independent_c.tsv (set C, a third author, sealed before the fourth
  round of training data; treated like set B);
* ``dev_social`` and ``dev_all``: bot/eval/dev_*.tsv, development sets read line by line (small
  talk and 160 requests for a person; 16 lines of every intent): the fifth and sixth rounds'
  data briefs and the handoff net's patterns came from their misses;
* ``dev_handoff``: bot/eval/dev_handoff.tsv, 150 requests for a person in unusual words and 50 near
  misses (label ``other``), read line by line: the seventh round's widening of the handoff net;
* ``dev_oos``: bot/eval/dev_oos.tsv, 287 errands people ask a general assistant, read line by line:
  the eighth round's out-of-scope brief named its gaps;
* ``dev_handoff_b``: bot/eval/dev_handoff_b.tsv, 160 requests for a person as a help desk's logs
  hold them and 90 near misses (another company's helpline, a past call told as a story), read
  line by line: the ninth round's widening of the handoff net;
* ``dev_replies``: bot/eval/dev_replies.tsv, 200 replies to the assistant (yes, no, thanks and
  praise, stop) and 60 near misses (label ``other``), kept out of the ninth round's training;
* ``calibration_oos``: bot/eval/calibration_oos*.tsv, out-of-domain lines kept out of training
  to choose the fallback threshold on (bot/eval/calibrate.py);
* ``hwu64_oos`` and ``hwu64_chitchat``: ../shared/eval/hwu64 (or $HWU64_DIR), measure only.

Writes, per set, one row per utterance: text, expected intent (or the source
intent for HWU64), predicted intent and its confidence, and the time the
parse took. bot/eval/report.py turns that into figures.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import sys
import time
from pathlib import Path

from bot.eval.lines import ROOT, examples, norm, read_tsv, training_lines, unannotated


def hwu64_dir() -> Path:
    return Path(os.environ.get("HWU64_DIR") or ROOT.parent / "shared" / "eval" / "hwu64")


def read_rasa_yaml(path: Path) -> list[tuple[str, str]]:
    return [(intent, unannotated(line)) for intent, line in examples(path) if intent]


def sets() -> dict[str, list[tuple[str, str]]]:
    out = {
        "heldout": read_rasa_yaml(ROOT / "bot" / "tests" / "nlu_test.yml"),
        "independent": read_tsv(ROOT / "bot" / "eval" / "independent.tsv", "intent"),
        "independent_b": read_tsv(ROOT / "bot" / "eval" / "independent_b.tsv", "intent"),
        "independent_c": read_tsv(ROOT / "bot" / "eval" / "independent_c.tsv", "intent"),
        "dev_social": read_tsv(ROOT / "bot" / "eval" / "dev_social.tsv", "intent"),
        "dev_all": read_tsv(ROOT / "bot" / "eval" / "dev_all.tsv", "intent"),
        "dev_handoff": read_tsv(ROOT / "bot" / "eval" / "dev_handoff.tsv", "intent"),
        "dev_oos": read_tsv(ROOT / "bot" / "eval" / "dev_oos.tsv", "intent"),
        "dev_handoff_b": read_tsv(ROOT / "bot" / "eval" / "dev_handoff_b.tsv", "intent"),
        "dev_replies": read_tsv(ROOT / "bot" / "eval" / "dev_replies.tsv", "intent"),
        "calibration_oos": read_tsv(ROOT / "bot" / "eval" / "calibration_oos.tsv", "intent")
        + read_tsv(ROOT / "bot" / "eval" / "calibration_oos_written.tsv", "intent")
        + read_tsv(ROOT / "bot" / "eval" / "calibration_oos_more.tsv", "intent"),
    }
    folder = hwu64_dir()
    if (folder / "out_of_scope.tsv").exists():
        out["hwu64_oos"] = read_tsv(folder / "out_of_scope.tsv", "source_intent")
        out["hwu64_chitchat"] = read_tsv(folder / "chitchat.tsv", "bot_intent")
    else:
        print(f"note: {folder} not found; the HWU64 figures are skipped", file=sys.stderr)
    return out


async def parse_all(model: str, todo: dict[str, list[tuple[str, str]]]) -> dict:
    from rasa.core.agent import Agent

    agent = Agent.load(model)
    trained = training_lines()
    result = {"model": model, "sets": {}}
    for name, rows in todo.items():
        parsed = []
        for expected, text in rows:
            started = time.perf_counter()
            data = await agent.parse_message(text)
            took = (time.perf_counter() - started) * 1e3
            intent = data.get("intent") or {}
            # the model's own best intent, before the fallback (for calibrating its threshold)
            # and the runner-up's confidence (for its ambiguity margin)
            ranked = [r for r in data.get("intent_ranking") or [] if r.get("name") != "nlu_fallback"] or [intent]
            top, second = ranked[0], (ranked[1] if len(ranked) > 1 else {})
            parsed.append({"text": text, "expected": expected, "predicted": intent.get("name"),
                           "confidence": round(float(intent.get("confidence") or 0.0), 4),
                           "top": top.get("name"), "top_confidence": round(float(top.get("confidence") or 0.0), 4),
                           "second_confidence": round(float(second.get("confidence") or 0.0), 4),
                           "ms": round(took, 2), "trained": norm(text) in trained})
        result["sets"][name] = parsed
    return result


def main(argv: list[str]) -> int:
    logging.disable(logging.WARNING)
    model, out = argv[1], Path(argv[2])
    result = asyncio.run(parse_all(model, sets()))
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
