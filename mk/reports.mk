# The manager's reports (backend/reports/) and the demo-data generator (backend/generate/).
#
#   make bench-reports   load 1,000,000 generated jobs into PostgreSQL (BENCH_DATABASE_URL, default a
#                        fieldserv_bench database on 127.0.0.1 that it creates and drops), time every
#                        report endpoint through the HTTP API; bench/results/reports.{json,md}
#                        (BENCH_REPORTS_ARGS="--jobs 100000 --runs 3 --keep" to change it)
#   make demo-data-big   add a generated history of DEMO_JOBS jobs (default 20,000) to DATABASE_URL
#                        (the SQLite file under var/ by default), for a demo with full reports
#   make test-reports    the report and generator tests (PostgreSQL too when TEST_DATABASE_URL is set)

BENCH_REPORTS_ARGS ?=
DEMO_JOBS ?= 20000

.PHONY: bench-reports demo-data-big test-reports

bench-reports: venv
	@echo "==> reports: benchmark (bench/reports.py $(BENCH_REPORTS_ARGS)); the 1M-job load takes ~10 min"
	@$(PY) bench/reports.py $(BENCH_REPORTS_ARGS)

demo-data-big: venv
	@echo "==> reports: generating $(DEMO_JOBS) jobs (python -m backend.generate)"
	@$(PY) -m backend.generate --jobs $(DEMO_JOBS)

test-reports: venv
	@echo "==> reports: $(PY) -m pytest -ra tests/integration/reports"
	@$(PY) -m pytest -ra tests/integration/reports
