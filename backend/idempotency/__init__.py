"""Idempotency keys for every use case that creates or appends something.

A client that may send the same call twice (a retried HTTP request, a chat
message delivered again, a form posted twice) passes a key. Inside the use
case's transaction::

    once = claim(s, actor, "jobs.add_parts_used", idempotency_key, job=job_id, part=sku, qty=qty)
    if once.replay is not None:
        return replace(view_of(once.replay), created=False)   # the first result, nothing done again
    ... do the work ...
    once.done(job.number)

- same key, same arguments: ``once.replay`` is the first call's result
  reference and the use case answers with it (``created=False``);
- same key, other arguments: ``idempotency_conflict``, nothing changes;
- no key: ``once`` does nothing (the call is not protected).

The key row is inserted before the work (in a savepoint), so of two
concurrent calls with one key the second waits on the unique index
(PostgreSQL) or on the write lock (SQLite, ``BEGIN IMMEDIATE``) and then
answers with the first one's result. A refusal rolls the key back with
everything else, so a refused call may be retried with the same key.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from backend.errors import DomainError, ErrorCode, invalid
from backend.idempotency.models import IdempotencyKey
from backend.identity.actor import Actor

MAX_KEY = 120


class Once:
    """One keyed call inside its transaction (see the module docstring)."""

    def __init__(self, session: Session | None = None, row: IdempotencyKey | None = None,
                 replay: str | None = None) -> None:
        self._session = session
        self._row = row
        self.replay = replay

    def done(self, result: str | int) -> None:
        """Record what the first call made; a retry gets this reference back."""
        if self._row is not None:
            self._row.result_ref = str(result)
            self._session.flush()


def scope_of(actor: Actor) -> str:
    return f"user:{actor.user_id}" if actor.user_id is not None else f"{actor.role}:{actor.name}"[:40]


def fingerprint(args: Mapping[str, Any]) -> str:
    text = json.dumps(args, sort_keys=True, separators=(",", ":"), default=_plain, ensure_ascii=True)
    return hashlib.sha256(text.encode("ascii")).hexdigest()


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return format(value.normalize(), "f") if value.is_finite() else str(value)
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    if isinstance(value, (set, frozenset)):
        return sorted(value, key=str)
    return str(value)


def claim(s: Session, actor: Actor, operation: str, key: str | None, **args: Any) -> Once:
    """Claim ``key`` for ``operation`` by ``actor`` with these (normalised) arguments."""
    if key is None or key == "":
        return Once()
    if not isinstance(key, str) or len(key) > MAX_KEY or not key.isprintable():
        raise invalid(f"an idempotency key is 1 to {MAX_KEY} printable characters", field="idempotency_key")
    scope, digest = scope_of(actor), fingerprint(args)
    existing = _find(s, scope, operation, key)
    if existing is None:
        row = IdempotencyKey(scope=scope, operation=operation, key=key, fingerprint=digest)
        try:
            with s.begin_nested():
                s.add(row)
                s.flush()
            return Once(s, row)
        except IntegrityError:
            existing = _find(s, scope, operation, key)  # a concurrent call with this key committed first
            if existing is None:
                raise
    if existing.fingerprint != digest:
        raise DomainError(ErrorCode.IDEMPOTENCY_CONFLICT,
                          "this idempotency key was already used for a different call; use a new key",
                          operation=operation)
    if existing.result_ref is None:  # every use case records its result before it commits
        raise RuntimeError(f"idempotency key of {operation} committed without a result")
    return Once(replay=existing.result_ref)


def _find(s: Session, scope: str, operation: str, key: str) -> IdempotencyKey | None:
    return s.scalar(select(IdempotencyKey).where(IdempotencyKey.scope == scope,
                                                 IdempotencyKey.operation == operation,
                                                 IdempotencyKey.key == key))


__all__ = ["IdempotencyKey", "Once", "claim", "fingerprint", "scope_of"]
