# The load test (bench/load_chat.py, README "Several processes: the production
# profile"): N concurrent customer conversations through nginx and the hub of
# the production profile, which must already be running (`make run-prod` in
# another terminal), beside the bare-Rasa floor (Rasa's REST channel straight).
#
#   make bench-load                                   1, 10, 50 conversations; writes bench/results/load_chat.{md,json}
#   make bench-load BENCH_LOAD_ARGS='--levels 1,10 --duration 20 --append --label quiet'

BENCH_LOAD_ARGS ?=

.PHONY: bench-load

bench-load: venv
	@[[ -f $(PROD_DIR)/env.sh ]] || { echo "no $(PROD_DIR)/env.sh: start the profile first (make run-prod)" >&2; exit 2; }
	@echo "==> bench: load test through $(PROD_DIR)'s nginx and hubs (bench/load_chat.py)"
	@. $(PROD_DIR)/env.sh && $(PY) bench/load_chat.py $(BENCH_LOAD_ARGS)
