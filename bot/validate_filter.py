"""Filter `rasa data validate` output: pass it only with no unexplained warning.

Rasa's validator warns about every response that no story or rule names. Here
that is by design for two kinds of response, and this filter checks each one:
  * utter_ask_* : asked by a form for a slot (Rasa picks them by name);
  * utter_default: sent by Rasa's own action_default_fallback;
  * a response the custom actions send: its name, or the prefix of a name the
    actions build (utter_error_<code>, utter_job_status_<state>...), appears
    in actions/*.py.
Anything else (another warning, or a response nobody sends) is printed and
fails the check. Deprecation noise from Rasa's own dependencies is dropped.

Usage: rasa data validate ... 2>&1 | python bot/validate_filter.py
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
UNUSED = re.compile(r"The utterance '(utter_\w+)' is not used in any story or rule")
RASA_DEFAULTS = {"utter_default"}
NOISE = re.compile(r"Deprecat|pkg_resources|declare_namespace|xla_computation|MovedIn20|declarative_base|"
                   r"sqlalche\.me|telemetry|^\W*$|^\s*(import|from) |Implementing implicit namespace|"
                   r"Processed story blocks|rasa\.validator  - |story_conflict")


def action_sources() -> str:
    return "\n".join(p.read_text() for p in sorted((ROOT / "actions").glob("*.py")))


def explained(name: str, source: str) -> bool:
    if name.startswith("utter_ask_") or name in RASA_DEFAULTS or f'"{name}"' in source:
        return True
    prefixes = re.findall(r'f"(utter_\w+?)\{', source)
    return any(name.startswith(p) for p in prefixes)


def main() -> int:
    source = action_sources()
    explained_count, problems = 0, []
    for raw in sys.stdin:
        line = re.sub(r"\x1b\[[0-9;]*m", "", raw).rstrip()
        if m := UNUSED.search(line):
            if explained(m.group(1), source):
                explained_count += 1
            else:
                problems.append(f"response {m.group(1)} is neither asked by a form nor sent by an action")
        elif re.search(r"UserWarning|WARNING|ERROR|Error|error", line) and not NOISE.search(line):
            problems.append(line)
    print(f"==> bot: {explained_count} 'not used in any story or rule' warnings explained "
          "(form questions and responses sent by actions)")
    for problem in problems:
        print(f"    unexplained: {problem}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
