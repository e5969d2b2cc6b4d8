# The knowledge base (kb/, backend/knowledge/, data/kb/).
#
#   make kb-index    migrate, import data/kb (unchanged articles are skipped), sync the
#                    index under var/kb/ (only new or changed articles are embedded)
#   make kb-rebuild  embed every article again into a fresh index
#   make kb-watch    sync the index whenever an article is published, edited or archived
#                    (python -m kb watch; `make run` starts it from Procfile.dev)
#   make test-kb     the knowledge-base tests (the real-model smoke test included)
#   make eval-kb     retrieval quality on StackFAQ (../shared/eval/stackfaq or
#                    $$STACKFAQ_DIR): BM25, dense and hybrid, per answer and per thread;
#                    writes bench/results/kb_eval.{md,json}; skips if the set is absent
#   make bench-kb    search latency at 1k/10k/100k passages beside NumPy brute force,
#                    HNSW recall, build throughput; bench/results/kb_search.{md,json}
#
# `make run` indexes the starter articles first (RUN_PREREQS), so the bot can answer.

RUN_PREREQS += kb-index

KB_ENV := HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1

.PHONY: kb-index kb-rebuild kb-watch test-kb eval-kb bench-kb

kb-index: venv
	@echo "==> kb: importing data/kb and syncing the search index (var/kb)"
	@$(PY) -m backend.cli migrate >/dev/null
	@$(KB_ENV) $(PY) -m kb import-md data/kb --quiet

kb-rebuild: venv
	@echo "==> kb: rebuilding the search index from the database"
	@$(KB_ENV) $(PY) -m kb rebuild

kb-watch: venv
	@echo "==> kb: watching the articles (Ctrl-C stops)"
	@$(KB_ENV) $(PY) -m kb watch --quiet

test-kb: venv
	@$(KB_ENV) $(PY) -m pytest -q tests/unit/kb tests/integration/kb

eval-kb: venv
	@echo "==> kb: StackFAQ retrieval quality (kb/eval_stackfaq.py; a few minutes on 2 cores)"
	@$(KB_ENV) $(PY) -m kb.eval_stackfaq --out bench/results

bench-kb: venv
	@echo "==> kb: search benchmark (bench/kb_search.py; builds a 100k-passage index, several minutes)"
	@$(KB_ENV) $(PY) bench/kb_search.py --out bench/results
