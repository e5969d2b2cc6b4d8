"""A writer killed mid-save (SIGKILL, no cleanup) leaves the previous index loadable."""

from __future__ import annotations

import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from kb.encoder import HashingEncoder
from kb.indexer import index_documents
from kb.search import Searcher
from kb.store import ArticleDoc, VectorStore

ROOT = Path(__file__).resolve().parents[3]

WRITER = textwrap.dedent("""
    import os, signal, sys
    from kb import store as store_module
    from kb.encoder import HashingEncoder
    from kb.indexer import index_documents
    from kb.store import ArticleDoc, VectorStore

    folder, stage = sys.argv[1], sys.argv[2]
    encoder = HashingEncoder(64)
    store = VectorStore.load(folder, model=encoder.name, dimension=encoder.dimension)
    store.remove_article(1)
    index_documents(store, encoder, [ArticleDoc(9, "new", "New article", "Text that must not appear.")])
    real_replace, real_fsync = os.replace, os.fsync

    def die():
        os.kill(os.getpid(), signal.SIGKILL)

    def replace(src, dst):
        if stage == "before-manifest" and str(dst).endswith("manifest.json"):
            die()
        real_replace(src, dst)

    def fsync(fd):
        if stage == "during-index-write":
            die()
        real_fsync(fd)

    store_module.os.replace, store_module.os.fsync = replace, fsync
    store.save(folder)
""")


@pytest.fixture
def first_generation(tmp_path):
    encoder = HashingEncoder(64)
    store = VectorStore(model=encoder.name, dimension=encoder.dimension)
    index_documents(store, encoder, [ArticleDoc(1, "washer", "Washer E3", "Close the door firmly."),
                                     ArticleDoc(2, "ac", "AC cooling", "Clean the air filters.")])
    store.save(tmp_path / "kb")
    return tmp_path / "kb", encoder


@pytest.mark.parametrize("stage", ["during-index-write", "before-manifest"])
def test_a_writer_killed_mid_save_leaves_the_previous_index(first_generation, stage):
    folder, encoder = first_generation
    proc = subprocess.run([sys.executable, "-c", WRITER, str(folder), stage], cwd=ROOT, capture_output=True,
                          text=True, timeout=120)
    assert proc.returncode == -signal.SIGKILL, proc.stderr

    survivor = VectorStore.load(folder, model=encoder.name, dimension=encoder.dimension)
    assert survivor.generation == 1 and sorted(survivor.articles) == [1, 2]
    result = Searcher(folder, encoder, threshold=0.2).search("close the washer door")
    assert result.best.slug == "washer"

    survivor.save(folder)  # the next writer succeeds and sweeps what the dead one left
    assert not list(folder.glob("*.tmp"))
    assert VectorStore.load(folder, model=encoder.name, dimension=encoder.dimension).generation == 2
