"""Retrieval quality on StackFAQ: BM25, dense and hybrid, per answer and per thread, in one run.

    python -m kb.eval_stackfaq [--out bench/results] [--encoder minilm|hashing] [--limit N]

Reads the BEIR layout in ``$STACKFAQ_DIR/beir`` (default ``../shared/eval/stackfaq``
beside the repository); skips with a message when it is absent. StackFAQ is
for evaluation only: nothing of it is stored in the index folder or shipped.

Every StackFAQ answer becomes one "article" (title = the thread's question,
body = the answer) indexed exactly as the product indexes articles
(passages, embeddings, the same ``kb.search.rank``).

- per answer: the ranking of answers; relevant = every answer of the query's
  thread. recall@k = share of the relevant answers found in the top k
  (BEIR's definition), MRR@10 and nDCG@10 with binary gains.
- per thread: answers grouped into one "article" per thread (a thread ranks
  where its best answer ranks); one relevant thread per query.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from backend.settings import ROOT
from kb.indexer import index_documents
from kb.search import BOOST_WEIGHT, DEFAULT_FUSION, Snapshot, best_per_article, rank
from kb.store import ArticleDoc, VectorStore
from kb.text import query_terms

KS = (1, 5)
DEPTH = 10
BETAS = (0.05, 0.1, 0.15, 0.2, 0.3)


def stackfaq_dir() -> Path:
    return Path(os.environ.get("STACKFAQ_DIR") or ROOT.parent / "shared" / "eval" / "stackfaq")


def load_beir(folder: Path) -> tuple[list[dict], list[dict], dict[str, set[str]]]:
    corpus = [json.loads(line) for line in (folder / "corpus.jsonl").read_text("utf-8").splitlines() if line.strip()]
    queries = [json.loads(line) for line in (folder / "queries.jsonl").read_text("utf-8").splitlines() if line.strip()]
    qrels: dict[str, set[str]] = {}
    for line in (folder / "qrels" / "test.tsv").read_text("utf-8").splitlines()[1:]:
        parts = line.split("\t")
        if len(parts) >= 3 and float(parts[2]) > 0:
            qrels.setdefault(parts[0], set()).add(parts[1])
    return corpus, queries, qrels


def metrics(ranking: list[str], relevant: set[str]) -> dict[str, float]:
    out: dict[str, float] = {}
    for k in KS:
        out[f"recall@{k}"] = len(set(ranking[:k]) & relevant) / len(relevant)
        out[f"hit@{k}"] = float(any(doc in relevant for doc in ranking[:k]))
    first = next((i for i, doc in enumerate(ranking[:DEPTH]) if doc in relevant), None)
    out["mrr@10"] = 0.0 if first is None else 1.0 / (first + 1)
    dcg = sum(1.0 / math.log2(i + 2) for i, doc in enumerate(ranking[:DEPTH]) if doc in relevant)
    ideal = sum(1.0 / math.log2(i + 2) for i in range(min(len(relevant), DEPTH)))
    out["ndcg@10"] = dcg / ideal
    return out


def _mean(rows: list[dict[str, float]]) -> dict[str, float]:
    return {key: round(float(np.mean([r[key] for r in rows])), 4) for key in rows[0]} if rows else {}


def _encoder(name: str):
    if name == "hashing":
        from kb.encoder import HashingEncoder

        return HashingEncoder(256)
    from kb.encoder import MiniLMEncoder

    return MiniLMEncoder()


def build(corpus: list[dict], encoder) -> tuple[Snapshot, dict[int, str], float]:
    docs = [ArticleDoc(i + 1, str(d["_id"]), d.get("title") or "", d.get("text") or " ", ("stackfaq",), "en",
                       "published", 1, "") for i, d in enumerate(corpus)]
    store = VectorStore(model=encoder.name, dimension=encoder.dimension)
    started = time.perf_counter()
    passages = index_documents(store, encoder, docs)
    seconds = time.perf_counter() - started
    with tempfile.TemporaryDirectory() as tmp:  # go through disk, as the product does
        store.save(tmp)
        store = VectorStore.load(tmp, model=encoder.name, dimension=encoder.dimension)
    return Snapshot(store), {i + 1: str(d["_id"]) for i, d in enumerate(corpus)}, passages / seconds


def rankings(snap: Snapshot, doc_of: dict[int, str], thread_of: dict[str, str], qvec: np.ndarray,
             terms: list[str], fusion: str, weight: float | None, allowed: np.ndarray) -> tuple[list[str], list[str]]:
    ranked = rank(snap, qvec, terms, allowed=allowed, fusion=fusion, weight=weight)
    articles = best_per_article(snap, ranked, len(ranked))
    answers = [doc_of[int(snap.article_ids[r.position])] for r in articles]
    threads = list(dict.fromkeys(thread_of[a] for a in answers))
    return answers[:DEPTH], threads[:DEPTH]


def evaluate(folder: Path, *, encoder_name: str = "minilm", limit: int | None = None) -> dict:
    corpus, queries, qrels = load_beir(folder)
    queries = [q for q in queries if str(q["_id"]) in qrels][: limit or None]
    thread_of = {str(d["_id"]): str(d["thread"]) for d in corpus}
    encoder = _encoder(encoder_name)
    snap, doc_of, build_rate = build(corpus, encoder)
    started = time.perf_counter()
    qvecs = encoder.encode([q["text"] for q in queries], batch_size=128)
    query_ms = (time.perf_counter() - started) * 1e3 / max(1, len(queries))
    allowed = snap.live.copy()
    methods = {"bm25": ("lexical", None), "dense": ("dense", None), "hybrid": (DEFAULT_FUSION, None),
               "rrf (k=60)": ("rrf", None), "min-max blend α=0.7": ("blend", 0.7),
               "min-max blend α=0.9": ("blend", 0.9), **{f"boost β={b}": ("boost", b) for b in BETAS}}
    per_query: dict[str, dict[str, list]] = {m: {"answer": [], "thread": []} for m in methods}
    for q, qvec in zip(queries, qvecs):
        relevant = qrels[str(q["_id"])]
        terms = query_terms(q["text"])
        for name, (fusion, weight) in methods.items():
            answers, threads = rankings(snap, doc_of, thread_of, qvec, terms, fusion, weight, allowed)
            per_query[name]["answer"].append(metrics(answers, relevant))
            per_query[name]["thread"].append(metrics(threads, {str(q["thread"])}))
    results = {m: {level: _mean(rows) for level, rows in v.items()} for m, v in per_query.items()}
    return {
        "dataset": "StackFAQ (Karan & Šnajder 2018), BEIR layout",
        "corpus": len(corpus), "queries": len(queries), "passages": len(snap.passages),
        "encoder": encoder.name, "fusion": f"{DEFAULT_FUSION} β={BOOST_WEIGHT}",
        "build_passages_per_s": round(build_rate, 1), "query_encode_ms": round(query_ms, 2),
        "machine": f"{platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}",
        "results": results,
        "cross_validated_weight": _cross_validate(per_query),
    }


def _cross_validate(per_query: dict[str, dict[str, list]]) -> dict:
    """Pick β on half the queries (by per-answer nDCG@10), score the other half; both ways."""
    blends = [m for m in per_query if m.startswith("boost")]
    folds = []
    for train, test in ((0, 1), (1, 0)):
        def score(method: str, part: int, level: str = "answer", key: str = "ndcg@10") -> float:
            rows = per_query[method][level][part::2]
            return float(np.mean([r[key] for r in rows]))
        chosen = max(blends, key=lambda m: score(m, train))
        folds.append({"chosen": chosen, "held_out_answer_ndcg@10": round(score(chosen, test), 4),
                      "held_out_answer_recall@5": round(score(chosen, test, key="recall@5"), 4),
                      "dense_held_out_answer_ndcg@10": round(score("dense", test), 4)})
    return {"folds": folds}


COLUMNS = ("recall@1", "recall@5", "mrr@10", "ndcg@10")


def markdown(report: dict) -> str:
    head = "| method | " + " | ".join(f"answer {c}" for c in COLUMNS) + " | " + " | ".join(
        f"thread {c}" for c in COLUMNS) + " |"
    lines = [
        "# Knowledge-base retrieval quality: StackFAQ",
        "",
        f"{report['queries']} queries over {report['corpus']} answers ({report['passages']} passages); "
        f"encoder `{report['encoder']}`; product fusion: {report['fusion']}. Machine: {report['machine']}.",
        "Per answer: recall@k = share of the thread's answers in the top k (BEIR). Per thread: answers "
        "grouped by thread, one relevant thread. Generated by `make eval-kb` (kb/eval_stackfaq.py).",
        "",
        head,
        "|" + "---|" * (1 + 2 * len(COLUMNS)),
    ]
    for name, levels in report["results"].items():
        cells = [f"{levels['answer'][c]:.3f}" for c in COLUMNS] + [f"{levels['thread'][c]:.3f}" for c in COLUMNS]
        label = f"**{name}**" if name in ("bm25", "dense", "hybrid") else name
        lines.append(f"| {label} | " + " | ".join(cells) + " |")
    lines += ["", "Hit rate (any relevant answer in the top k), per answer: " + ", ".join(
        f"{n} hit@1 {r['answer']['hit@1']:.3f} / hit@5 {r['answer']['hit@5']:.3f}"
        for n, r in report["results"].items() if n in ("bm25", "dense", "hybrid")) + "."]
    cv = report["cross_validated_weight"]["folds"]
    lines += ["", "β chosen on one half of the queries, scored on the other (per-answer nDCG@10): " + "; ".join(
        f"{f['chosen']} → {f['held_out_answer_ndcg@10']:.3f} (dense {f['dense_held_out_answer_ndcg@10']:.3f})"
        for f in cv) + "."]
    lines += ["", f"Index build {report['build_passages_per_s']} passages/s; query encoding "
              f"{report['query_encode_ms']} ms/query (batched).", ""]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results")
    parser.add_argument("--encoder", choices=["minilm", "hashing"], default="minilm")
    parser.add_argument("--limit", type=int, help="only the first N queries (a quick check)")
    args = parser.parse_args(argv)
    beir = stackfaq_dir() / "beir"
    if not (beir / "corpus.jsonl").exists():
        print(f"eval-kb skipped: StackFAQ not found at {beir} (set STACKFAQ_DIR)")
        return 0
    report = evaluate(beir, encoder_name=args.encoder, limit=args.limit)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "kb_eval.json").write_text(json.dumps(report, ensure_ascii=False, indent=2) + "\n", "utf-8")
    text = markdown(report)
    (args.out / "kb_eval.md").write_text(text, "utf-8")
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
