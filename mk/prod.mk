# The production profile (deploy/, README "Running several processes: the
# production profile"): PostgreSQL, Redis, nginx in front of two hub
# workers, two Rasa processes each with its action server, the API, the
# queue worker and the knowledge-base watcher, each restarted when it dies.
#
#   make run-prod                       everything on this machine
#   make run-prod PROD_ONLY=rasa1,actions1   one machine's share (addresses from the environment)
#
# Settings: deploy/prodconf.py (DATABASE_URL, RASA_TRACKER_URL, REDIS_URL,
# RASA_LOCK_STORE_URL, PUBLIC_LISTEN, RASA_URLS, ...). `make run` is unchanged.

PROD_DIR  ?= var/prod
PROD_ONLY ?=
export PROD_DIR

# nginx is also what tests/integration/livechat/test_nginx.py runs
TEST_PREREQS += nginx

.PHONY: run-prod nginx

# Debian's nginx (run by the profile in the foreground with its own config
# under $(PROD_DIR)/nginx, not as the system service).
nginx:
	@if [[ -x /usr/sbin/nginx ]]; then echo "==> prod: nginx present ($$(/usr/sbin/nginx -v 2>&1))"; \
	elif [[ "$$(id -u)" == 0 ]] && command -v apt-get >/dev/null; then \
		echo "==> prod: installing Debian's nginx (apt-get install -y nginx; log: var/log/setup-nginx.log)"; \
		mkdir -p var/log; \
		apt-get -o DPkg::Lock::Timeout=600 install -y -q nginx > var/log/setup-nginx.log 2>&1 || \
		{ apt-get -o DPkg::Lock::Timeout=600 update -q >> var/log/setup-nginx.log 2>&1 && \
		  apt-get -o DPkg::Lock::Timeout=600 install -y -q nginx >> var/log/setup-nginx.log 2>&1; } || \
		{ echo "prod: installing nginx failed; see var/log/setup-nginx.log" >&2; exit 1; }; \
	else echo "==> prod: nginx is missing: the nginx test is skipped and make run-prod stops;" \
		"install it: sudo apt-get install -y nginx"; fi

run-prod: run-setup nginx
	@echo "==> prod: configuration from the environment (deploy/prodconf.py → $(PROD_DIR))"
	@$(PY) deploy/prodconf.py --prod-dir $(PROD_DIR)
	@echo "==> prod: database: $(PY) -m backend.cli setup-db (on DATABASE_URL)"
	@. $(PROD_DIR)/env.sh && $(PY) -m backend.cli setup-db
	@echo "==> prod: starting $(PROD_DIR)/Procfile (Ctrl-C stops them all; a process that dies is restarted)"
	@exec $(PY) scripts/devrun.py $(PROD_DIR)/Procfile --keep-going --health-timeout 15 --cwd . --log-dir var/log/prod \
		--ready-timeout 300 $(if $(PROD_ONLY),--only $(PROD_ONLY))
