"""The handoff net's cost per message, an older revision's patterns beside the working tree's.

    .venv/bin/python bench/handoff_net_pair.py [--baseline REV] [--rounds 5] [--out DIR]

The net (bot/components/handoff_patterns.py) runs on every message the
assistant parses, after the classifiers; a round that widens it adds regular
expressions to every turn. This loads the patterns module as it was at REV
(``git show REV:bot/components/handoff_patterns.py``, default HEAD) and as it
is now, and times ``trigger()`` on the same messages (the held-out split and
every set under bot/eval) alternately, A then B, B then A, for ``--rounds``
passes, so both see the same machine at the same moments. Prints and writes
(``handoff_net_pair.md`` / ``.json``) per-message p50/p95 for each and the
working tree's ratio to the baseline.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
import types
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.nlu_parse_pair import percentile  # noqa: E402
from bot.eval.lines import ROOT, tsv_texts  # noqa: E402
from bot.eval.parse_sets import read_rasa_yaml  # noqa: E402

PATTERNS = "bot/components/handoff_patterns.py"


def messages() -> list[str]:
    texts = [text for _, text in read_rasa_yaml(ROOT / "bot" / "tests" / "nlu_test.yml")]
    for path in sorted((ROOT / "bot" / "eval").glob("*.tsv")):
        texts += tsv_texts(path)
    return texts


def load(name: str, source: str) -> types.ModuleType:
    module = types.ModuleType(name)
    exec(compile(source, name, "exec"), module.__dict__)  # noqa: S102 (our own file, at a revision)
    return module


def measure(triggers: dict, texts: list[str], rounds: int) -> dict[str, list[float]]:
    names = list(triggers)
    times: dict[str, list[float]] = {n: [] for n in names}
    for r in range(rounds):
        for i, text in enumerate(texts):
            order = names if (i + r) % 2 == 0 else names[::-1]
            for name in order:
                started = time.perf_counter()
                triggers[name](text)
                times[name].append((time.perf_counter() - started) * 1e6)
    return times


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--baseline", default="HEAD")
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--out", default=str(ROOT / "bench" / "results"))
    args = ap.parse_args()
    old = subprocess.run(["git", "show", f"{args.baseline}:{PATTERNS}"], cwd=ROOT, capture_output=True, text=True,
                         check=True).stdout
    triggers = {f"baseline ({args.baseline})": load("baseline_patterns", old).trigger,
                "working tree": load("current_patterns", (ROOT / PATTERNS).read_text()).trigger}
    texts = messages()
    print(f"==> {len(texts)} messages x {args.rounds} rounds, interleaved", flush=True)
    times = measure(triggers, texts, args.rounds)
    rows = {name: {"p50_us": round(percentile(v, 0.5), 1), "p95_us": round(percentile(v, 0.95), 1)}
            for name, v in times.items()}
    (base, b), (_, c) = rows.items()
    ratio = {"p50": round(c["p50_us"] / b["p50_us"], 3), "p95": round(c["p95_us"] / b["p95_us"], 3)}
    lines = ["| patterns | p50 µs / message | p95 µs / message |", "|---|---:|---:|"]
    lines += [f"| {name} | {r['p50_us']} | {r['p95_us']} |" for name, r in rows.items()]
    lines.append(f"\nworking tree / baseline: p50 x{ratio['p50']}, p95 x{ratio['p95']} "
                 f"({len(texts)} messages, {args.rounds} rounds, {os.cpu_count()} cores, "
                 f"load average {os.getloadavg()[0]:.2f})")
    print("\n".join(lines))
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "handoff_net_pair.md").write_text("# The handoff net's cost per message (`bench/handoff_net_pair.py`)\n\n"
                                             + "\n".join(lines) + "\n", encoding="utf-8")
    (out / "handoff_net_pair.json").write_text(json.dumps({"baseline": args.baseline, "messages": len(texts),
                                                           "rounds": args.rounds, "rows": rows, "ratio": ratio},
                                                          indent=1) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
