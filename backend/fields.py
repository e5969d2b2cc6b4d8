"""The field rules every door shares: the API, the portal, the bot and the
hub hand typed text to the use cases, which check it here. Text is refused,
never cut short or cleaned behind the user's back."""

from __future__ import annotations

import re

from backend.errors import invalid

# C0 controls and DEL; a multi-line text keeps tab, line feed and carriage return.
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_CONTROL_MULTILINE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def text(value: object, field: str, *, max_len: int, required: bool = True, multiline: bool = False,
         what: str | None = None) -> str | None:
    """``value`` stripped of surrounding blanks, or refused (``invalid_input``
    naming ``field``): missing when required, longer than ``max_len``, with
    control characters (a NUL byte, an escape) or with text that is not
    Unicode (a lone surrogate)."""
    what = what or field.replace("_", " ")
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            raise invalid(f"the {what} is required", field=field)
        return None
    if not isinstance(value, str):
        raise invalid(f"the {what} must be text", field=field)
    value = value.strip()
    if len(value) > max_len:
        raise invalid(f"the {what} is longer than {max_len} characters", field=field, max_len=max_len)
    if (_CONTROL_MULTILINE if multiline else _CONTROL).search(value):
        raise invalid(f"the {what} contains control characters", field=field)
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise invalid(f"the {what} contains characters that are not text", field=field) from None
    return value


def printable(text: str) -> str:
    """Stored text put together into a new one (a chat transcript filed as a
    ticket): its control characters, other than line breaks and tabs, as spaces."""
    return _CONTROL_MULTILINE.sub(" ", text)
