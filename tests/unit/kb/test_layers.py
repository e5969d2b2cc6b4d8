"""The knowledge area of the backend stays free of the search machinery."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
FORBIDDEN = {"faiss", "numpy", "sentence_transformers", "torch", "aiohttp", "kb"}


def test_backend_knowledge_imports_no_search_machinery():
    offenders = {}
    for path in (ROOT / "backend" / "knowledge").rglob("*.py"):
        names = set()
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Import):
                names |= {a.name.split(".")[0] for a in node.names}
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names.add(node.module.split(".")[0])
        if names & FORBIDDEN:
            offenders[path.name] = sorted(names & FORBIDDEN)
    assert offenders == {}


def test_importing_kb_loads_neither_torch_nor_the_model():
    import subprocess
    import sys

    code = ("import sys, kb.search, kb.indexer, kb.cli; "
            "print('torch' in sys.modules, 'sentence_transformers' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True)
    assert out.stdout.split() == ["False", "False"]
