"""One small mechanism shared by every lifecycle: an explicit table of moves.

Each process declares ``MOVES = Lifecycle({state: {next_state, ...}})``; the
service calls ``MOVES.check(entity_kind, current, target)`` before touching
anything, so an illegal move raises a stable error and changes nothing.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from enum import StrEnum

from backend.errors import DomainError, ErrorCode


class Lifecycle:
    def __init__(self, name: str, moves: Mapping[StrEnum, Iterable[StrEnum]]) -> None:
        self.name = name
        self._moves = {src: frozenset(dst) for src, dst in moves.items()}

    def allowed(self, current: StrEnum) -> frozenset[StrEnum]:
        return self._moves.get(current, frozenset())

    def can(self, current: StrEnum, target: StrEnum) -> bool:
        return target in self.allowed(current)

    def check(self, current: StrEnum, target: StrEnum) -> None:
        if not self.can(current, target):
            allowed = sorted(str(s) for s in self.allowed(current))
            raise DomainError(
                ErrorCode.ILLEGAL_TRANSITION,
                f"a {self.name} in state '{current}' cannot move to '{target}'",
                entity=self.name,
                current=str(current),
                target=str(target),
                allowed=allowed,
            )

    def states(self) -> set[StrEnum]:
        found: set[StrEnum] = set(self._moves)
        for dst in self._moves.values():
            found |= dst
        return found

    def terminal(self) -> set[StrEnum]:
        return {s for s in self.states() if not self._moves.get(s)}
