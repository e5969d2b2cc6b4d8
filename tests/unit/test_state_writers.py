"""One writer per lifecycle: nothing but a lifecycle's writer assigns a
state column. Every other change of state goes through a table of allowed
moves (``backend.lifecycle.Lifecycle``) and leaves a history row.

The check reads the code (AST of ``backend/``, ``livechat/``, ``actions/``):
an assignment to ``.state``, ``.status`` or ``.estimate_state`` (alone or in
a tuple), or a ``setattr`` naming one, outside the writers below fails.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
STATE_ATTRS = {"state", "status", "estimate_state"}

WRITERS = {
    # the one function that moves every persistent lifecycle and writes its history row
    ("backend/history/moves.py", "move"),
    # conversations: the pure handoff model, and the row adopting a move it allowed (with its history row)
    ("backend/conversations/lifecycle.py", "transition_to"),
    ("backend/conversations/models.py", "apply"),
    # knowledge-base articles: checked against ARTICLE_MOVES, the caller writes the version row
    ("backend/knowledge/models.py", "transition_to"),
    # deliveries of the outbox: checked against DELIVERY_MOVES; delivery_attempts is their history
    ("backend/notifications/lifecycle.py", "set_state"),
    # a portal task: checked against TASK_MOVES; backend/tasks/store.py writes the state it set (its row is
    # its own history), and a task whose process stopped is only shown failed, through the same writer
    ("backend/tasks/lifecycle.py", "end"),
}
NOT_LIFECYCLES = {
    # admin edits set the fields given by name; they refuse a state field at run time
    ("backend/history/changes.py", "apply_changes"),
    # an agent's presence (available / away) is a setting they flip at will, not a lifecycle
    ("backend/conversations/handoffs.py", "set_agent_status"),
}
# The bulk generator builds plain plans (not rows), each move checked against the
# same tables (JOB_MOVES, CONTRACT_MOVES, ORDER_MOVES, REPAIR_MOVES) before insertion.
PLANNERS = "backend/generate/"


def _assigned_attrs(target: ast.AST):
    if isinstance(target, ast.Attribute):
        yield target.attr
    elif isinstance(target, (ast.Tuple, ast.List)):
        for element in target.elts:
            yield from _assigned_attrs(element)


def state_writes(path: Path) -> list[tuple[str, int]]:
    """(enclosing function, line) of each write of a state attribute in ``path``."""
    found = []

    def walk(node: ast.AST, function: str) -> None:
        for child in ast.iter_child_nodes(node):
            name = child.name if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef)) else function
            targets = []
            if isinstance(child, ast.Assign):
                targets = child.targets
            elif isinstance(child, (ast.AugAssign, ast.AnnAssign)):
                targets = [child.target]
            if any(attr in STATE_ATTRS for t in targets for attr in _assigned_attrs(t)):
                found.append((name, child.lineno))
            if (isinstance(child, ast.Call) and isinstance(child.func, ast.Name) and child.func.id == "setattr"
                    and len(child.args) >= 2 and not (isinstance(child.args[1], ast.Constant)
                                                      and child.args[1].value not in STATE_ATTRS)):
                found.append((name, child.lineno))  # setattr with a state name, or with a name not known here
            walk(child, name)

    walk(ast.parse(path.read_text(), str(path)), "<module>")
    return found


def offenders() -> list[str]:
    bad = []
    for top in ("backend", "livechat", "actions"):
        for path in sorted((ROOT / top).rglob("*.py")):
            rel = str(path.relative_to(ROOT))
            if rel.startswith(PLANNERS) or "/migrations/" in rel:
                continue
            for function, line in state_writes(path):
                if (rel, function) not in WRITERS | NOT_LIFECYCLES:
                    bad.append(f"{rel}:{line} in {function}()")
    return bad


def test_only_a_lifecycles_writer_assigns_a_state():
    assert offenders() == []


def test_the_check_sees_a_direct_assignment(tmp_path):
    sample = tmp_path / "sample.py"
    sample.write_text("def pay(inv):\n    inv.state, inv.paid_at = 'paid', 1\n    setattr(inv, 'status', 'x')\n")
    assert state_writes(sample) == [("pay", 2), ("pay", 3)]


def test_an_admin_edit_cannot_set_a_state():
    import pytest

    from backend.history.changes import apply_changes

    class Row:
        state = "open"

    with pytest.raises(ValueError):
        apply_changes(Row(), {"state": "paid"})
