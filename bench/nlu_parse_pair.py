"""Two Rasa models' NLU parse time side by side, interleaved in one process (.venv-rasa).

    .venv-rasa/bin/python bench/nlu_parse_pair.py BASELINE.tar.gz CANDIDATE.tar.gz [--rounds 3] [--out DIR]

Loads both models once (as ``rasa run`` does) and parses the same messages (the
held-out split and the first independent set, 610 lines) alternately: message 1
on A then B, message 2 on B then A, and so on, for ``--rounds`` passes. Both
models therefore see the same machine at the same moments, which a pair of
``make bench-bot`` runs a few minutes apart does not guarantee on a shared
machine. Prints and writes (``nlu_parse_pair.md`` / ``.json``) p50/p95 per model
and the candidate's ratio to the baseline.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.eval.lines import ROOT, read_tsv  # noqa: E402
from bot.eval.parse_sets import read_rasa_yaml  # noqa: E402


def messages() -> list[str]:
    held_out = [text for _, text in read_rasa_yaml(ROOT / "bot" / "tests" / "nlu_test.yml")]
    return held_out + [text for _, text in read_tsv(ROOT / "bot" / "eval" / "independent.tsv")]


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * q))]


async def measure(paths: list[str], texts: list[str], rounds: int) -> dict[str, list[float]]:
    from rasa.core.agent import Agent

    agents = [Agent.load(p) for p in paths]
    for agent in agents:  # first parses load lazily-read parts; not measured
        for text in texts[:20]:
            await agent.parse_message(text)
    took: dict[str, list[float]] = {p: [] for p in paths}
    for r in range(rounds):
        for i, text in enumerate(texts):
            order = (0, 1) if (i + r) % 2 == 0 else (1, 0)
            for k in order:
                started = time.perf_counter()
                await agents[k].parse_message(text)
                took[paths[k]].append((time.perf_counter() - started) * 1e3)
        print(f"  pass {r + 1}/{rounds} done", file=sys.stderr, flush=True)
    return took


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("baseline")
    ap.add_argument("candidate")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--out", default=str(ROOT / "bench" / "results"))
    args = ap.parse_args()
    texts = messages()
    print(f"==> parsing {len(texts)} messages x {args.rounds} passes on each model, interleaved", file=sys.stderr)
    took = asyncio.run(measure([args.baseline, args.candidate], texts, args.rounds))
    base, cand = took[args.baseline], took[args.candidate]
    result = {
        "messages": len(texts), "rounds": args.rounds, "cores": os.cpu_count(),
        "load_average": [round(x, 2) for x in os.getloadavg()],
        "when": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "baseline": {"model": args.baseline, "p50_ms": round(percentile(base, 0.5), 2),
                     "p95_ms": round(percentile(base, 0.95), 2)},
        "candidate": {"model": args.candidate, "p50_ms": round(percentile(cand, 0.5), 2),
                      "p95_ms": round(percentile(cand, 0.95), 2)},
    }
    result["ratio_p50"] = round(result["candidate"]["p50_ms"] / result["baseline"]["p50_ms"], 3)
    result["ratio_p95"] = round(result["candidate"]["p95_ms"] / result["baseline"]["p95_ms"], 3)
    lines = [
        "# NLU parse, two models interleaved in one process (`bench/nlu_parse_pair.py`)",
        "",
        f"{result['when']}, {result['cores']} cores, load average {result['load_average']}; "
        f"{result['messages']} messages x {result['rounds']} passes each.",
        "",
        "| model | p50 ms | p95 ms |",
        "|---|---:|---:|",
        f"| baseline `{args.baseline}` | {result['baseline']['p50_ms']} | {result['baseline']['p95_ms']} |",
        f"| candidate `{args.candidate}` | {result['candidate']['p50_ms']} | {result['candidate']['p95_ms']} |",
        "",
        f"candidate / baseline: p50 x{result['ratio_p50']}, p95 x{result['ratio_p95']}",
    ]
    print("\n".join(lines))
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "nlu_parse_pair.json").write_text(json.dumps(result, indent=1) + "\n")
    (out / "nlu_parse_pair.md").write_text("\n".join(lines) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
