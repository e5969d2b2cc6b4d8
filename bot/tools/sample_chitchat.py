"""Write bot/data/nlu/out_of_scope_chitchat.yml: real people's open-domain chat lines as out_of_scope.

    python bot/tools/sample_chitchat.py [DATASET_JSON] [--n 250] [--seed 13]

Source: the "chitchat-dataset" package on PyPI (version 0.9.0, MIT licence;
BYU Perception, Control & Cognition lab's Chit-Chat Challenge: 7,168
conversations between people, 258,145 utterances). Get the file with
``pip download --no-deps chitchat-dataset==0.9.0`` and unzip it, or install the
package anywhere; DATASET_JSON defaults to the installed package's
``chitchat_dataset/dataset.json``. It is used to generate training data once;
nothing reads it at run time.

Filter (so no line is something this bot should act on): 4 to 16 words, plain
ASCII, no word of the business (appliances, repairs, bills, visits, contracts,
people to talk to...), no greeting, thanks, yes/no or goodbye, and questions
or requests only (ending in "?" or starting with a verb a person asks with),
since that is what reaches a support chat. Then a seeded sample of N lines,
none equal to a line of the HWU64 evaluation files (when present) or of
bot/eval/independent.tsv. A further N lines of the same draw go to
bot/eval/calibration_oos.tsv (with --calibration N): out-of-domain text the
model never sees, on which the fallback threshold is chosen (bot/eval/calibrate.py).

    python bot/tools/sample_chitchat.py [DATASET_JSON] --more 800 [--seed 14]

draws N further lines of the same filtered pool, none equal to a training line
or already in the calibration file, into bot/eval/calibration_oos_more.tsv, leaving
both of those untouched (the ninth round: 200 open-chat lines made the
threshold rule turn on a single line).
"""

from __future__ import annotations

import argparse
import csv
import json
import random
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from bot.eval.lines import norm as line_norm, training_lines, tsv_texts  # noqa: E402

OUT = ROOT / "bot" / "data" / "nlu" / "out_of_scope_chitchat.yml"
CALIBRATION = ROOT / "bot" / "eval" / "calibration_oos.tsv"
CALIBRATION_MORE = ROOT / "bot" / "eval" / "calibration_oos_more.tsv"
BUSINESS = re.compile(
    r"\b(a/?c|air ?con\w*|fridge|refrigerat\w*|freez\w*|wash\w*|dryer|geyser|heater|heat\w*|cool\w*|microwave|oven|"
    r"tv|television|purifier|filter|ro|inverter|ups|printer|laptop|repair\w*|fix\w*|broke\w*|technician|engineer|"
    r"mechanic|service\w*|warrant\w*|guarantee|contract\w*|amc|cmc|invoice\w*|bill\w*|pay\w*|refund\w*|money|"
    r"price|cost\w*|charge\w*|appointment\w*|visit\w*|schedul\w*|book\w*|cancel\w*|order\w*|status|complain\w*|"
    r"request\w*|ticket\w*|job\w*|work\w*|advance|expense\w*|claim\w*|part|parts|install\w*|leak\w*|noise|error\w*|"
    r"help\w*|human\w*|person|people|agent\w*|someone|somebody|anyone|anybody|talk|speak|call\w*|phone\w*|bot\w*|"
    r"robot\w*|machine\w*|computer\w*|manager|support|stop\w*|quit|appliance\w*|electric\w*|water|gas|power|"
    r"problem\w*|issue\w*|broken|damage\w*|useless|stupid|hate|angry|mad|annoy\w*|frustrat\w*|wrong|date|time|"
    r"tomorrow|today|week\w*|monday|tuesday|wednesday|thursday|friday|saturday|sunday|morning|evening|night)\b", re.I)
SMALL_TALK = re.compile(r"^\W*(hi|hey|hello|hii+|yo|sup|thanks?|thank you|bye|goodbye|yes|yeah|yep|yup|no|nope|"
                        r"nah|ok|okay|sure|cool|lol|haha\w*|oh|wow|nice|great|really|same|me too|you\??)\b", re.I)
THERE = re.compile(r"\bthere\W*$", re.I)
ASKING = re.compile(r"\?$|^(tell|show|give|let|can|could|would|will|do|does|did|is|are|what|which|who|where|"
                    r"when|why|how)\b", re.I)


def dataset_path(arg: str | None) -> Path:
    if arg:
        return Path(arg)
    import chitchat_dataset  # noqa: F401  (only to find the file)

    return Path(chitchat_dataset.__file__).with_name("dataset.json")


def excluded() -> set[str]:
    out: set[str] = set()
    files = [(ROOT / "bot" / "eval" / "independent.tsv", "text")]
    hwu = ROOT.parent / "shared" / "eval" / "hwu64"
    files += [(hwu / name, "text") for name in ("out_of_scope.tsv", "chitchat.tsv")]
    for path, column in files:
        if path.exists():
            with path.open(encoding="utf-8", newline="") as f:
                out.update(norm(row[column]) for row in csv.DictReader(f, delimiter="\t"))
    return out


def norm(text: str) -> str:
    return " ".join(re.sub(r"[^\w\s]", " ", text.lower()).split())


def candidates(path: Path) -> list[str]:
    data = json.loads(path.read_text(encoding="utf-8"))
    seen: dict[str, str] = {}
    for convo in data.values():
        for turn in convo["messages"]:
            for message in turn:
                text = " ".join(message["text"].split())
                words = text.split()
                if not 4 <= len(words) <= 16 or not text.isascii() or "http" in text or "[" in text:
                    continue
                if BUSINESS.search(text) or SMALL_TALK.match(text) or not ASKING.search(text):
                    continue
                if sum(len(w) >= 3 and w.isalpha() for w in re.findall(r"[A-Za-z]+", text)) < 3 or THERE.search(text):
                    continue  # fragments ("But . . . ?") and "are you still there?" (a greeting here)
                seen.setdefault(norm(text), text)
    return sorted(seen.values())


def write_calibration(path: Path, texts: list[str]) -> None:
    with path.open("w", encoding="utf-8", newline="") as f:
        f.write("intent\ttext\n")
        f.writelines(f"out_of_scope\t{t}\n" for t in texts)


def draw_more(pool: list[str], n: int, seed: int) -> int:
    taken = set(training_lines()) | {line_norm(t) for t in tsv_texts(CALIBRATION)}
    rest = [t for t in pool if line_norm(t) not in taken]
    more = sorted(random.Random(seed).sample(rest, min(n, len(rest))), key=str.lower)
    write_calibration(CALIBRATION_MORE, more)
    print(f"wrote {CALIBRATION_MORE} ({len(more)} lines of {len(rest)} not yet drawn)")
    return 0


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("dataset", nargs="?")
    ap.add_argument("--n", type=int, default=250)
    ap.add_argument("--seed", type=int, default=13)
    ap.add_argument("--calibration", type=int, default=200,
                    help="also write this many other lines to bot/eval/calibration_oos.tsv (never trained on)")
    ap.add_argument("--more", type=int, default=0,
                    help="only draw this many further calibration lines to bot/eval/calibration_oos_more.tsv")
    args = ap.parse_args()
    skip = excluded()
    pool = [t for t in candidates(dataset_path(args.dataset)) if norm(t) not in skip]
    if args.more:
        return draw_more(pool, args.more, args.seed)
    drawn = random.Random(args.seed).sample(pool, min(args.n + args.calibration, len(pool)))
    chosen = sorted(drawn[:args.n], key=str.lower)
    calibration = sorted(drawn[args.n:], key=str.lower)
    write_calibration(CALIBRATION, calibration)
    lines = [
        'version: "3.1"', "",
        "# GENERATED by bot/tools/sample_chitchat.py (do not edit by hand): real people's",
        "# open-domain chat lines as out_of_scope, from the chitchat-dataset package 0.9.0",
        "# (MIT licence; BYU PCC lab's Chit-Chat Challenge), filtered and sampled as that",
        f"# script says (seed {args.seed}, {len(chosen)} of {len(pool)} candidate lines).", "",
        "nlu:", "  - intent: out_of_scope", "    examples: |",
    ]
    lines += [f"      - {t}" for t in chosen]
    OUT.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(f"wrote {OUT} ({len(chosen)} lines of {len(pool)} candidates) and {CALIBRATION} ({len(calibration)})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
