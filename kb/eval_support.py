"""Does the knowledge base answer only what its articles support? (`make eval-nlu`)

    python -m kb.eval_support [--out var/bot/kb_support.json] [--encoder minilm|hashing] [--no-stackfaq]

On the shipped articles (data/kb, indexed with the real model in a temporary
folder, exactly as the product indexes them):

* unanswerable questions (bench/kb_support_questions.yaml): "false-confident"
  = the search gave an answer (a confident best article) at all;
* answerable questions (the same file's ``answerable`` plus
  tests/integration/kb/questions.yaml ``answered``): hit@1 = an answer was given
  and it is one of the expected articles.

Each figure is given with the support check off (the dense threshold alone,
as before issue 13) and on, and per half of each list ("tune": the 1st, 3rd,
... question, on which the threshold was chosen; "check": the others), with
the threshold sweep on the tune half. On StackFAQ (``$STACKFAQ_DIR``, default
../shared/eval/stackfaq; evaluation only) it reports per-thread hit@1 with and
without the check, counting a withheld answer as a miss, and the share withheld.
"""

from __future__ import annotations

import argparse
import json
import tempfile
from pathlib import Path

import yaml

from backend.knowledge.content import parse_markdown
from backend.settings import ROOT
from kb.indexer import index_documents
from kb.search import Searcher
from kb.store import ArticleDoc, VectorStore
from kb.support import NEED_LOW, NEED_MIDDLE, Support

QUESTIONS = ROOT / "bench" / "kb_support_questions.yaml"
SMOKE = ROOT / "tests" / "integration" / "kb" / "questions.yaml"
SWEEP = ((0.5, 0.9), (0.6, 0.9), (0.6, 1.0), (0.7, 0.9))  # (coverage needed at 0.45-0.55, at 0.35-0.45)


def _encoder(name: str):
    if name == "hashing":
        from kb.encoder import HashingEncoder

        return HashingEncoder(256)
    from kb.encoder import MiniLMEncoder

    return MiniLMEncoder()


def shipped_docs() -> list[ArticleDoc]:
    docs = []
    for i, path in enumerate(sorted((ROOT / "data" / "kb").glob("*.md")), 1):
        a = parse_markdown(path.read_text(encoding="utf-8"), name=path.stem)
        docs.append(ArticleDoc(i, a.slug, a.title, a.body, tuple(a.tags), a.language, "published", 1, ""))
    return docs


def build_searcher(docs: list[ArticleDoc], encoder, folder: Path) -> Searcher:
    store = VectorStore(model=encoder.name, dimension=encoder.dimension)
    index_documents(store, encoder, docs)
    store.save(folder)
    searcher = Searcher(folder, encoder, support=False)
    searcher.refresh(force=True)
    return searcher


def questions() -> tuple[list[str], list[tuple[str, set[str]]]]:
    own = yaml.safe_load(QUESTIONS.read_text(encoding="utf-8"))
    smoke = yaml.safe_load(SMOKE.read_text(encoding="utf-8"))

    def slugs(item) -> set[str]:
        return set(item["slug"]) if isinstance(item["slug"], list) else {item["slug"]}

    answerable = [(i["q"], slugs(i)) for i in own["answerable"]] + [(i["q"], slugs(i)) for i in smoke["answered"]]
    return list(own["unanswerable"]) + list(smoke["not_answered"]), answerable


def verdicts(searcher: Searcher, items: list[str]) -> list[dict]:
    """Per question: best article, cosine, and the support coverage of the best article."""
    out = []
    snap = searcher._snapshot
    for q in items:
        r = searcher.search(q, audience="customer", k=3)
        if not r.hits:
            out.append({"q": q, "slug": None, "dense": 0.0, "coverage": 0.0, "dense_ok": False})
            continue
        best = r.hits[0]
        from kb.text import query_terms

        v = snap.support.check(query_terms(r.query), best.article_id, best.dense_score)
        out.append({"q": q, "slug": best.slug, "dense": best.dense_score, "coverage": v.coverage,
                    "missing": list(v.missing), "dense_ok": best.dense_score >= searcher.threshold})
    return out


def _answered(row: dict, needs: tuple[float, float] | None) -> bool:
    """Answered with the dense threshold alone (``needs`` None) or with the support check's tiers."""
    if not row["dense_ok"]:
        return False
    if needs is None:
        return True
    return row["coverage"] >= Support({}, need_middle=needs[0], need_low=needs[1]).needed(row["dense"])


CHOSEN = (NEED_MIDDLE, NEED_LOW)


def shipped(encoder_name: str) -> dict:
    encoder = _encoder(encoder_name)
    unanswerable, answerable = questions()
    with tempfile.TemporaryDirectory() as tmp:
        searcher = build_searcher(shipped_docs(), encoder, Path(tmp))
        un = verdicts(searcher, unanswerable)
        an = verdicts(searcher, [q for q, _ in answerable])
    for row, (_, expected) in zip(an, answerable):
        row["expected"] = sorted(expected)

    def figures(threshold: float | None, part: slice = slice(None)) -> dict:
        u, a = un[part], an[part]
        exp = answerable[part]
        return {
            "false_confident": round(sum(_answered(r, threshold) for r in u) / len(u), 4),
            "hit@1": round(sum(_answered(r, threshold) and r["slug"] in e for r, (_, e) in zip(a, exp)) / len(a), 4),
            "withheld_answerable": round(sum(not _answered(r, threshold) for r in a) / len(a), 4),
        }

    tune, check = slice(0, None, 2), slice(1, None, 2)
    misses = ([f"unanswerable answered: `{r['q']}` → {r['slug']} (cosine {r['dense']:.2f}, support {r['coverage']:.2f})"
               for r in un if _answered(r, CHOSEN)]
              + [f"answerable {'withheld' if not _answered(r, CHOSEN) else 'wrong'}: `{r['q']}` → "
                 f"{r['slug']} (expected {', '.join(r['expected'])}; cosine {r['dense']:.2f}, support "
                 f"{r['coverage']:.2f}, missing {', '.join(r['missing']) or '-'})"
                 for r in an if not (_answered(r, CHOSEN) and r["slug"] in r["expected"])])
    return {
        "unanswerable": len(un), "answerable": len(an), "coverage needed (0.45-0.55, 0.35-0.45)": CHOSEN,
        "before (dense threshold only)": figures(None),
        "after (dense + support check)": figures(CHOSEN),
        "after, check half only": figures(CHOSEN, check),
        "sweep on the tune half": {str(t): figures(t, tune) for t in SWEEP},
        "sweep on the check half": {str(t): figures(t, check) for t in SWEEP},
        "misses": misses,
    }


def stackfaq(encoder_name: str) -> dict | None:
    from kb.eval_stackfaq import build, load_beir, stackfaq_dir
    from kb.search import best_per_article, rank
    from kb.text import query_terms

    beir = stackfaq_dir() / "beir"
    if not (beir / "corpus.jsonl").exists():
        return None
    corpus, queries, qrels = load_beir(beir)
    queries = [q for q in queries if str(q["_id"]) in qrels]
    thread_of = {str(d["_id"]): str(d["thread"]) for d in corpus}
    encoder = _encoder(encoder_name)
    snap, doc_of, _ = build(corpus, encoder)
    vectors = encoder.encode([q["text"] for q in queries], batch_size=128)
    threshold = encoder.confidence_threshold
    before = after = withheld = 0
    for q, vec in zip(queries, vectors):
        terms = query_terms(q["text"])
        top = best_per_article(snap, rank(snap, vec, terms, allowed=snap.live), 1)
        if not top or top[0].dense < threshold:
            withheld += 1
            continue
        article = int(snap.article_ids[top[0].position])
        right = thread_of[doc_of[article]] == str(q["thread"])
        before += right
        if snap.support.check(terms, article, top[0].dense).supported:
            after += right
        else:
            withheld += 1
    n = len(queries)
    return {"queries": n, "thread hit@1 before": round(before / n, 4), "thread hit@1 after": round(after / n, 4),
            "withheld after": round(withheld / n, 4)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", type=Path, default=ROOT / "var" / "bot" / "kb_support.json")
    parser.add_argument("--encoder", choices=["minilm", "hashing"], default="minilm")
    parser.add_argument("--no-stackfaq", action="store_true")
    args = parser.parse_args(argv)
    report = {"shipped articles": shipped(args.encoder)}
    if not args.no_stackfaq:
        faq = stackfaq(args.encoder)
        if faq is not None:
            report["StackFAQ"] = faq
    s = report["shipped articles"]
    sets = {"unanswerable false-confident": {"before": s["before (dense threshold only)"]["false_confident"],
                                             "after": s["after (dense + support check)"]["false_confident"],
                                             "after, check half": s["after, check half only"]["false_confident"],
                                             "questions": s["unanswerable"]},
            "answerable hit@1": {"before": s["before (dense threshold only)"]["hit@1"],
                                 "after": s["after (dense + support check)"]["hit@1"],
                                 "after, check half": s["after, check half only"]["hit@1"],
                                 "questions": s["answerable"]}}
    if "StackFAQ" in report:
        f = report["StackFAQ"]
        sets["StackFAQ thread hit@1"] = {"before": f["thread hit@1 before"], "after": f["thread hit@1 after"],
                                         "withheld after": f["withheld after"], "queries": f["queries"]}
    out = {"sets": sets, "detail": report, "misses": s["misses"]}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(out, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    for name, fig in sets.items():
        print(f"knowledge base, {name}: " + ", ".join(f"{k} {v}" for k, v in fig.items()))
    print(json.dumps(s["sweep on the tune half"]))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
