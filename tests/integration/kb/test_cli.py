"""``python -m kb``: import the shipped articles into a migrated database, index, search."""

from __future__ import annotations

from pathlib import Path

import pytest

from backend.settings import Settings
from kb.cli import main
from kb.encoder import HashingEncoder

ROOT = Path(__file__).resolve().parents[3]
DATA = ROOT / "data" / "kb"


@pytest.fixture
def run(sqlite_url, tmp_path, capsys):
    settings = Settings(var_dir=tmp_path, database_url=sqlite_url)
    encoder = HashingEncoder(128)

    def run(*argv: str) -> tuple[int, str, str]:
        code = main([argv[0], "--quiet", *argv[1:]], encoder=encoder, settings=settings)
        out = capsys.readouterr()
        return code, out.out, out.err

    return run


def test_import_index_search_and_reimport(run, tmp_path):
    code, out, _ = run("import-md", str(DATA))
    count = len(list(DATA.glob("*.md")))
    assert code == 0
    assert f"import: {count} created, 0 updated (new version), 0 unchanged, 0 refused" in out
    assert f"{count} added" in out and "index generation 1" in out
    assert (tmp_path / "kb" / "manifest.json").exists()

    code, out, _ = run("search", "washing machine error E3 door not locked")
    assert code == 0 and "/kb/washing-machine-error-codes" in out.splitlines()[1]

    code, out, _ = run("import-md", str(DATA))
    assert f"0 created, 0 updated (new version), {count} unchanged" in out
    assert "0 added" in out and "index generation 1" in out  # nothing changed, nothing written

    code, out, _ = run("status")
    assert code == 0 and f"articles: {count}" in out


def test_csv_import_and_sync(run, tmp_path):
    faq = tmp_path / "faq.csv"
    faq.write_text("question,answer\nDo you repair chimneys?,Yes: kitchen chimneys and hobs.\n,no question\n",
                   encoding="utf-8")
    code, out, _ = run("import-csv", str(faq))
    assert code == 0 and "1 created" in out and "refused faq.csv:3 [invalid_input]" in out
    code, out, _ = run("search", "kitchen chimney repair", "--json")
    assert code == 0 and '"slug": "do-you-repair-chimneys"' in out


def test_refusals_have_clear_messages_and_exit_codes(run, tmp_path):
    code, _, err = run("import-md", str(tmp_path / "missing"))
    assert code == 2 and "refused [not_found]" in err
    code, _, err = run("status")
    assert code == 3 and "no index" in err
    (tmp_path / "kb").mkdir()
    (tmp_path / "kb" / "manifest.json").write_text("{broken")
    code, out, _ = run("sync")
    assert code == 0 and "rebuilt (corrupt" in out


def test_the_command_runs_as_its_own_process(sqlite_url, tmp_path):
    """``python -m kb`` as make runs it: a fresh interpreter, settings from the environment."""
    import os
    import subprocess
    import sys

    env = {**os.environ, "DATABASE_URL": sqlite_url, "VAR_DIR": str(tmp_path)}
    proc = subprocess.run([sys.executable, "-m", "kb", "import-md", str(DATA), "--quiet", "--no-sync"],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert f"{len(list(DATA.glob('*.md')))} created" in proc.stdout
