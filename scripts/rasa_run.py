"""``rasa`` with one per-turn cost removed; run with .venv-rasa's Python:

    .venv-rasa/bin/python scripts/rasa_run.py run --enable-api ...   (the same arguments as `rasa`)

Rasa 3.6 checks every action-server answer with ``jsonschema.validate(result,
schema)``, which first re-checks the *schema* against its metaschema: on a
busy Rasa that was about a quarter of the process's time (py-spy,
bench/results/turn_profile.md). Here the validator is built once for the
constant schema and each answer is still validated against it, raising the
same ``ValidationError`` (the best match, as ``jsonschema.validate`` does).
Nothing else changes; the production profile's Rasa lines use this.
"""

from __future__ import annotations

import functools
import sys


@functools.lru_cache(maxsize=None)
def _validator(action_class: type):
    from jsonschema.validators import validator_for

    schema = action_class.action_response_format_spec()
    cls = validator_for(schema)
    cls.check_schema(schema)  # once, as jsonschema.validate would each time
    return cls(schema)


def validate_action_result(self, result) -> bool:
    from jsonschema.exceptions import best_match

    from rasa.shared.constants import DOCS_BASE_URL

    error = best_match(_validator(type(self)).iter_errors(result))
    if error is not None:
        error.message += (
            ". Failed to validate Action server response from API, make sure your response from the "
            f"Action endpoint is valid. For more information about the format visit {DOCS_BASE_URL}/custom-actions"
        )
        raise error
    return True


def patch() -> None:
    from rasa.core.actions.action import RemoteAction

    RemoteAction._validate_action_result = validate_action_result


def main() -> None:
    patch()
    from rasa.__main__ import main as rasa_main

    sys.argv[0] = "rasa"
    rasa_main()


if __name__ == "__main__":
    main()
