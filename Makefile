# fieldserv: the two commands are `make run` and `make test`.
# Both install whatever is missing first (scripts/bootstrap.sh), and skip it
# when it is already done, so they are fast on every run after the first.
#
# Other areas hook in with a fragment mk/<area>.mk (see mk/README.md):
#   SETUP_PREREQS += <target>   needed by both run and test
#   TEST_PREREQS  += <target>   needed by `make test` only
#   RUN_PREREQS   += <target>   needed by `make run` only
# The fragments are included below, before the rules that use these lists.

SHELL := bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help
.DELETE_ON_ERROR:
MAKEFLAGS += --no-builtin-rules

# Paths (override on the command line or in the environment).
VENV      ?= .venv
VENV_RASA ?= .venv-rasa
PY        := $(VENV)/bin/python
RASA_PY   := $(VENV_RASA)/bin/python
PROCFILE  ?= Procfile.dev
export VENV VENV_RASA

# `make test TESTS=tests/unit PYTEST_ARGS="-k ledger -x"`
TESTS       ?= tests
PYTEST_ARGS ?=
# When set, `make test` writes pytest's own exit code there (.ci/run uses it
# to tell "no tests collected" (5) from other failures).
PYTEST_EXIT_FILE ?=

# Prerequisite lists; mk/*.mk fragments append to them.
SETUP_PREREQS := venv venv-rasa
TEST_PREREQS  := browser
RUN_PREREQS   :=

-include mk/*.mk

.PHONY: help setup test-setup run-setup venv venv-rasa browser test run clean-venvs

help:
	@echo "make run     install what is missing, set up the demo database, start the system"
	@echo "make test    install what is missing, run the whole test suite"
	@echo "             (TESTS=tests/unit PYTEST_ARGS='-k name -x' narrow it)"
	@echo "make setup   only install: $(SETUP_PREREQS)"
	@echo "make run-prod  the production profile: nginx, two hubs, two Rasa + action servers, PostgreSQL, Redis (deploy/)"
	@echo "bash .ci/run what CI runs: make test against PostgreSQL and Redis"

venv:
	@VENV=$(VENV) scripts/bootstrap.sh venv

venv-rasa:
	@VENV_RASA=$(VENV_RASA) scripts/bootstrap.sh rasa

browser:
	@scripts/bootstrap.sh browser

setup: $(SETUP_PREREQS)

test-setup: $(SETUP_PREREQS) $(TEST_PREREQS)

run-setup: $(SETUP_PREREQS) $(RUN_PREREQS)

test: test-setup
	@echo "==> tests: $(PY) -m pytest -ra $(TESTS) $(PYTEST_ARGS)"
	@rc=0; $(PY) -m pytest -ra $(TESTS) $(PYTEST_ARGS) || rc=$$?; \
	if [[ -n "$(PYTEST_EXIT_FILE)" ]]; then echo "$$rc" > "$(PYTEST_EXIT_FILE)"; fi; \
	exit $$rc

run: run-setup
	@echo "==> database: $(PY) -m backend.cli setup-db"
	@$(PY) -m backend.cli setup-db
	@echo "==> starting the processes of $(PROCFILE) (Ctrl-C stops them all)"
	@exec $(PY) scripts/devrun.py $(PROCFILE)

# Remove both environments (the next make reinstalls them from scratch).
clean-venvs:
	rm -rf $(VENV) $(VENV_RASA) $(VENV).lock $(VENV_RASA).lock
