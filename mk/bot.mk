# The Rasa assistant (bot/) and its action server (actions/).
#
#   make train       train bot/models/fieldserv.tar.gz when bot/ changed (else a no-op)
#   make validate-bot   rasa data validate (the known, explained warnings filtered)
#   make test-bot    conversation tests: rasa test on bot/tests/test_stories.yml
#   make eval-nlu    intent accuracy, macro-F1 and entity F1 on the held-out split
#   make bench-bot   turn latency through the REST channel (bench/bot_turns.py)
#
# `make test` and `make run` train first (TEST_PREREQS / RUN_PREREQS).

TEST_PREREQS += train
RUN_PREREQS  += train

RASA        := $(VENV_RASA)/bin/rasa
BOT_MODEL   := bot/models/fieldserv.tar.gz
BOT_RESULTS := var/bot
# What the model is trained from; the stamp is named after their hash.
BOT_HASH_CMD := find bot/config.yml bot/domain bot/data -type f -name '*.yml' | LC_ALL=C sort \
                | xargs sha256sum | sha256sum | cut -c1-16
export RASA_TELEMETRY_ENABLED := false

.PHONY: train bot-model validate-bot test-bot eval-nlu bench-bot

bot-model: train

# flock: two `make` runs (or two agents) never train into bot/models at once.
train: venv-rasa
	@mkdir -p bot/models
	@hash="$$($(BOT_HASH_CMD))"; stamp="bot/models/.trained-$$hash"; \
	if [[ -f "$$stamp" && -f "$(BOT_MODEL)" ]]; then \
	  echo "==> bot: model up to date ($(BOT_MODEL), inputs $$hash)"; exit 0; fi; \
	exec 9>bot/models/.lock; flock 9; \
	if [[ -f "$$stamp" && -f "$(BOT_MODEL)" ]]; then \
	  echo "==> bot: model up to date ($(BOT_MODEL), inputs $$hash)"; exit 0; fi; \
	echo "==> bot: training the Rasa model (bot/ changed; about 2-4 minutes on 2 cores)"; \
	log="bot/models/train.log"; \
	if ! $(RASA) train --config bot/config.yml --domain bot/domain --data bot/data \
	     --out bot/models --fixed-model-name fieldserv >"$$log" 2>&1; then \
	  tail -n 40 "$$log" >&2; echo "error: training failed, see $$log" >&2; exit 1; fi; \
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

eval-nlu: train venv
	@echo "==> bot: NLU on the held-out split (bot/tests/nlu_test.yml)"
	@mkdir -p $(BOT_RESULTS)
	@$(RASA) test nlu --model $(BOT_MODEL) --nlu bot/tests/nlu_test.yml --out $(BOT_RESULTS)/nlu \
	  >$(BOT_RESULTS)/nlu.log 2>&1 || (tail -n 30 $(BOT_RESULTS)/nlu.log; exit 1)
	@$(PY) bot/nlu_report.py $(BOT_RESULTS)/nlu

bench-bot: train venv
	@echo "==> bot: turn latency through the REST channel"
	@$(PY) bench/bot_turns.py
