# The Rasa assistant (bot/) and its action server (actions/).
#
#   make train       train bot/models/fieldserv.tar.gz when bot/ changed (else a no-op); first
#                    puts the repository on .venv-rasa's path (bot/components: our pipeline
#                    components) and exports the sentence encoder to var/nlu-encoder once
#   make validate-bot   rasa data validate (the known, explained warnings filtered)
#   make test-bot    conversation tests: rasa test on bot/tests/test_stories.yml
#   make eval-nlu    the held-out split (intent accuracy, macro-F1, entity F1), the independent
#                    validation set, HWU64 out-of-scope and chit-chat, the knowledge base's
#                    support check; writes bench/results/nlu_eval.{md,json}
#   make bench-bot   turn latency through the REST channel (bench/bot_turns.py)
#   make bench-nlu-pair BASELINE=other.tar.gz   the NLU parse of another model and of the trained one,
#                    interleaved in one process (bench/nlu_parse_pair.py): a ratio a busy machine keeps
#   make bench-handoff-net [BASELINE=rev]   the handoff net's cost per message, a git revision's
#                    patterns beside the working tree's, interleaved (bench/handoff_net_pair.py)
#
# `make test` and `make run` train first (TEST_PREREQS / RUN_PREREQS).

TEST_PREREQS += train
RUN_PREREQS  += train

RASA        := $(VENV_RASA)/bin/rasa
BOT_MODEL   := bot/models/fieldserv.tar.gz
BOT_RESULTS := var/bot
NLU_ENCODER := var/nlu-encoder
# What the model is trained from (the data, the pipeline's own components, the
# Rasa environment's pins, the encoder's package); the stamp is named after their hash.
BOT_HASH_CMD := { find bot/config.yml bot/domain bot/data -type f -name '*.yml'; \
                  find bot/components -type f -name '*.py'; echo bot/requirements-rasa.txt; } | LC_ALL=C sort \
                | xargs sha256sum | { cat; grep -v onnx_digest $(NLU_ENCODER)/manifest.json; } \
                | sha256sum | cut -c1-16
export RASA_TELEMETRY_ENABLED := false
# Rasa's training cache (trained components, keyed by their config and data) lives outside the
# checkout, so a fresh clone on the same machine (CI's) restores what an earlier training made
# instead of training DIET again. Rasa does not key it on our components' source, so the folder
# is named after that source: a changed component never restores a part trained by old code.
# The handoff net (handoff*.py) trains nothing and is imported from the source when the model
# loads, so its patterns change without retraining anything and are left out of the name.
RASA_CACHE_ROOT ?= $(HOME)/.cache/fieldserv/rasa
BOT_CODE_HASH   := $(shell cat $(sort $(filter-out bot/components/handoff%,$(wildcard bot/components/*.py))) \
                     bot/requirements-rasa.txt 2>/dev/null | sha256sum | cut -c1-12)
export RASA_CACHE_DIRECTORY ?= $(RASA_CACHE_ROOT)/$(BOT_CODE_HASH)

.PHONY: train bot-model bot-path nlu-encoder validate-bot test-bot eval-nlu bench-bot bench-nlu-pair bench-handoff-net

bot-model: train

# Our components (bot/components) are imported by Rasa as `bot.components.…`, from
# any working directory: a .pth file puts the repository on .venv-rasa's path.
bot-path: venv-rasa
	@$(RASA_PY) -c 'import pathlib, sysconfig; root = str(pathlib.Path.cwd()); \
	  f = pathlib.Path(sysconfig.get_paths()["purelib"], "fieldserv-bot.pth"); \
	  f.exists() and f.read_text().strip() == root or f.write_text(root + "\n")'

# all-MiniLM-L6-v2 as ONNX for .venv-rasa (no torch there), exported once in .venv.
nlu-encoder: venv
	@mkdir -p var/log
	@$(PY) -m bot.components.export --out $(NLU_ENCODER) 2>var/log/nlu-encoder-export.log \
	  || { tail -n 20 var/log/nlu-encoder-export.log >&2; exit 1; }

# flock: two `make` runs (or two agents) never train into bot/models at once.
train: venv-rasa bot-path nlu-encoder
	@mkdir -p bot/models
	@hash="$$($(BOT_HASH_CMD))"; stamp="bot/models/.trained-$$hash"; \
	if [[ -f "$$stamp" && -f "$(BOT_MODEL)" ]]; then \
	  echo "==> bot: model up to date ($(BOT_MODEL), inputs $$hash)"; exit 0; fi; \
	exec 9>bot/models/.lock; flock 9; \
	if [[ -f "$$stamp" && -f "$(BOT_MODEL)" ]]; then \
	  echo "==> bot: model up to date ($(BOT_MODEL), inputs $$hash)"; exit 0; fi; \
	mkdir -p "$$RASA_CACHE_DIRECTORY"; \
	find "$(RASA_CACHE_ROOT)" -mindepth 1 -maxdepth 1 -type d ! -name "$(BOT_CODE_HASH)" -mtime +7 \
	  -exec rm -rf {} + 2>/dev/null || true; \
	log="bot/models/train.log"; \
	echo "==> bot: training the Rasa model (bot/ changed; 5-20 minutes on 2 cores when the data changed, log: $$log)"; \
	if ! scripts/bootstrap.sh logged "$$log" $(RASA) train --config bot/config.yml --domain bot/domain --data bot/data \
	     --out bot/models --fixed-model-name fieldserv; then \
	  echo "error: training failed, see $$log (fix bot/data or bot/config.yml, then make train)" >&2; exit 1; fi; \
	rm -f bot/models/.trained-*; touch "$$stamp"; \
	echo "==> bot: trained $(BOT_MODEL)"

validate-bot: venv-rasa venv
	@echo "==> bot: rasa data validate"
	@$(RASA) data validate --domain bot/domain --data bot/data --config bot/config.yml 2>&1 \
	  | $(PY) bot/validate_filter.py

test-bot: train
	@echo "==> bot: conversation tests (bot/tests/test_stories.yml)"
	@$(RASA) test core --model $(BOT_MODEL) --stories bot/tests/test_stories.yml \
	  --out $(BOT_RESULTS)/core --fail-on-prediction-errors

# About 3 minutes on 2 cores: `rasa test nlu` (entities), every set parsed by the
# model in one process, the knowledge base indexed and searched with the real model.
eval-nlu: train venv
	@echo "==> bot: NLU on the held-out split (bot/tests/nlu_test.yml), entities included"
	@mkdir -p $(BOT_RESULTS)
	@$(RASA) test nlu --model $(BOT_MODEL) --nlu bot/tests/nlu_test.yml --out $(BOT_RESULTS)/nlu \
	  >$(BOT_RESULTS)/nlu.log 2>&1 || (tail -n 30 $(BOT_RESULTS)/nlu.log; exit 1)
	@$(PY) bot/nlu_report.py $(BOT_RESULTS)/nlu
	@echo "==> bot: every evaluation set through the model (bot/eval/parse_sets.py)"
	@$(RASA_PY) bot/eval/parse_sets.py $(BOT_MODEL) $(BOT_RESULTS)/parsed.json >$(BOT_RESULTS)/parse.log 2>&1 \
	  || (tail -n 30 $(BOT_RESULTS)/parse.log; exit 1)
	@echo "==> kb: the support check on the unanswerable and answerable questions (kb/eval_support.py)"
	@HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 $(PY) -m kb.eval_support --out $(BOT_RESULTS)/kb_support.json \
	  >$(BOT_RESULTS)/kb_support.log 2>&1 || (tail -n 30 $(BOT_RESULTS)/kb_support.log; exit 1)
	@echo "==> results (bench/results/nlu_eval.md)"
	@$(PY) bot/eval/report.py $(BOT_RESULTS)/parsed.json --kb $(BOT_RESULTS)/kb_support.json \
	  --entities $(BOT_RESULTS)/nlu/summary.json --out bench/results

bench-bot: train venv
	@echo "==> bot: turn latency through the REST channel"
	@$(PY) bench/bot_turns.py

bench-nlu-pair: train
	@[[ -n "$(BASELINE)" ]] || { echo "usage: make bench-nlu-pair BASELINE=path/to/another-model.tar.gz" \
	  "(e.g. one trained from an older commit's bot/ with rasa train --out)" >&2; exit 2; }
	@$(RASA_PY) bench/nlu_parse_pair.py $(BASELINE) $(BOT_MODEL)

bench-handoff-net: venv
	@$(VENV)/bin/python bench/handoff_net_pair.py --baseline $(or $(BASELINE),HEAD)
