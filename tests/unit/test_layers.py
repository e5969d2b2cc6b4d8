"""The areas of ``backend/`` in one direction.

Every import counts, those inside functions included: a package may import
only packages of a lower layer (never one of its own layer, never one
above), so the packages form no cycle. The README's "The layers" section
draws the same order.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BACKEND = ROOT / "backend"

# Lowest first. A package imports only from the layers before its own.
LAYERS: list[tuple[str, set[str]]] = [
    ("foundation", {"errors", "settings", "local_secrets", "company"}),
    ("field rules", {"fields"}),
    ("kernel", {"db", "lifecycle", "references"}),
    ("who", {"identity"}),
    ("records", {"history", "idempotency", "notifications", "tasks"}),
    ("customers", {"customers"}),
    ("master data and ledger", {"catalog", "knowledge", "conversations", "ledger"}),
    ("billing", {"billing"}),
    ("bank and cash", {"banking"}),
    ("contracts and jobs", {"coverage", "jobs"}),
    ("orders and repairs", {"orders", "repairs"}),
    ("intake", {"intake", "documents"}),
    ("processes", {"processes", "delivery"}),
    ("schedules", {"schedules"}),
    ("reports", {"reports"}),
    ("schema", {"models", "migrate"}),
    ("demo data", {"demo", "generate"}),
    ("dev tools", {"devmail"}),
    ("entry points", {"api", "web", "cli", "worker"}),
]
LAYER_OF = {pkg: i for i, (_, pkgs) in enumerate(LAYERS) for pkg in pkgs}


def _package(path: Path) -> str:
    rel = path.relative_to(BACKEND)
    return rel.parts[0] if len(rel.parts) > 1 else rel.stem


def _module(path: Path) -> list[str]:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return parts[:-1] if parts[-1] == "__init__" else parts


def _exists(dotted: str) -> bool:
    p = ROOT.joinpath(*dotted.split("."))
    return p.with_suffix(".py").exists() or (p / "__init__.py").exists()


def backend_imports(path: Path) -> set[tuple[str, int]]:
    """The backend packages ``path`` imports, with the line of each import."""
    found = set()
    module = _module(path)
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        targets = []
        if isinstance(node, ast.Import):
            targets = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = module if path.name == "__init__.py" else module[:-1]
                anchor = anchor[: len(anchor) - (node.level - 1)]
                base = ".".join(anchor + ([node.module] if node.module else []))
            targets = [f"{base}.{a.name}" if _exists(f"{base}.{a.name}") else base for a in node.names]
        for target in targets:
            parts = target.split(".")
            if parts[0] == "backend" and len(parts) > 1:
                found.add((parts[1], node.lineno))
    return found


def import_edges() -> dict[tuple[str, str], list[str]]:
    """(importer, imported) package pairs, with where each import is."""
    edges: dict[tuple[str, str], list[str]] = {}
    for path in sorted(BACKEND.rglob("*.py")):
        if "migrations" in path.relative_to(BACKEND).parts:
            continue  # Alembic revisions: frozen history, they import what they migrate
        src = _package(path)
        for dst, line in backend_imports(path):
            if dst != src:
                edges.setdefault((src, dst), []).append(f"{path.relative_to(ROOT)}:{line}")
    return edges


def cycles(edges) -> list[list[str]]:
    """Groups of packages that reach each other (Tarjan's strongly connected components)."""
    graph: dict[str, set[str]] = {}
    for src, dst in edges:
        graph.setdefault(src, set()).add(dst)
        graph.setdefault(dst, set())
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    groups: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        for w in graph[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            group = []
            while True:
                w = stack.pop()
                group.append(w)
                if w == v:
                    break
            if len(group) > 1:
                groups.append(sorted(group))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return groups


def test_every_backend_package_has_a_place_in_the_order():
    packages = {_package(p) for p in BACKEND.rglob("*.py")} - {"__init__", "migrations"}
    assert packages - set(LAYER_OF) == set(), "add the new package to LAYERS (and to the README's drawing)"


def test_the_backend_packages_form_no_cycle():
    assert cycles(import_edges()) == []


@pytest.mark.parametrize("layer", [name for name, _ in LAYERS])
def test_a_layer_imports_only_the_layers_below_it(layer):
    mine = dict(LAYERS)[layer]
    wrong = {f"{src} -> {dst} ({LAYERS[LAYER_OF[dst]][0]})": where
             for (src, dst), where in import_edges().items()
             if src in mine and LAYER_OF.get(dst, len(LAYERS)) >= LAYER_OF[src]}
    assert wrong == {}
