"""Edits that leave a history row: set the fields given, say what changed.

The admin's edits (catalog records, contract types, desk settings) all take
"the fields to change" and record "name old → new; …" in the history note.
``skip`` is the value that means "not given" (``None``, or a sentinel where
``None`` itself is a value to store)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

Changes = dict[str, tuple[Any, Any]]
STATE_FIELDS = frozenset({"state", "status", "estimate_state"})  # moved by a lifecycle only


def apply_changes(row: Any, wanted: dict[str, Any], *, skip: Any = None) -> Changes:
    """Set each wanted field (not ``skip``) that differs; what changed, old → new.
    A state is not a field to edit: it moves through its lifecycle."""
    if STATE_FIELDS & set(wanted):
        raise ValueError(f"{sorted(STATE_FIELDS & set(wanted))} change through a lifecycle move, not an edit")
    changes: Changes = {}
    for name, value in wanted.items():
        if value is skip:
            continue
        old = getattr(row, name)
        if old != value:
            changes[name] = (old, value)
            setattr(row, name, value)
    return changes


def shown(value: Any, *, none: str = "None") -> str:
    """A value as a history note shows it: quoted text, plain numbers."""
    if value is None:
        return none
    if isinstance(value, Decimal):
        return f"{value.normalize():f}"
    return repr(value) if isinstance(value, str) else str(value)


def describe(changes: Changes, *, sep: str = " ", none: str = "None") -> str:
    """``name old → new; …``"""
    return "; ".join(f"{k}{sep}{shown(a, none=none)} → {shown(b, none=none)}" for k, (a, b) in changes.items())
