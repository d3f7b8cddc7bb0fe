# The README's words: make run, make test, make lint, make bench.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test pytest system-packages lint format bench bench-scripts migrate backup restore clean

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)

# Reinstall only when a lock file changes.
$(VENV)/.runtime: requirements.txt | $(VENV)/bin/python
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.dev: requirements.txt requirements-dev.txt $(VENV)/.runtime
	$(PY) -m pip install --quiet -r requirements-dev.txt
	touch $@

migrate: $(VENV)/.runtime
	$(PY) manage.py migrate --noinput

## Serve the demo company on http://$(HOST):$(PORT) with a Celery worker and beat beside the web
## server, so schedules fire: SQLite unless DATABASE_URL is set, and a broker that is a folder
## (.run/broker/) unless CELERY_BROKER_URL is set. Ctrl-C stops all three.
run: migrate
	$(PY) manage.py seed_demo --if-empty
	@echo "Serving on http://$(HOST):$(PORT)/  (demo logins above; Ctrl-C to stop)"
	$(PY) manage.py run_local $(HOST):$(PORT)

## The whole suite, on real services: DATABASE_URL / CELERY_BROKER_URL when set; otherwise a
## throwaway PostgreSQL and Redis started on loopback for the run (.ci/services.sh).
test: $(VENV)/.dev system-packages
	@if [ -z "$$DATABASE_URL" ] && ls -d /usr/lib/postgresql/*/bin >/dev/null 2>&1 && command -v redis-server >/dev/null; then \
	  bash -c 'source .ci/services.sh && trap stop_services EXIT && start_services && $(MAKE) --no-print-directory pytest'; \
	else $(MAKE) --no-print-directory pytest; fi

pytest:
	@# pytest exits 5 when it collected nothing: a broken suite, never a pass.
	@$(VENV)/bin/pytest $(PYTEST_ARGS); status=$$?; \
	  if [ $$status -eq 5 ]; then echo "make test: pytest collected no tests" >&2; exit 1; fi; exit $$status

# What the tests drive for real: Debian's Chromium (Playwright's own browser download fails on
# closed networks), PostgreSQL, Redis, Prometheus, and nginx with openssl (the TLS proxy).
# Installed when missing and we may (root).
system-packages:
	@missing=""; \
	  command -v chromium >/dev/null || missing="$$missing chromium"; \
	  command -v prometheus >/dev/null || missing="$$missing prometheus"; \
	  [ -x /usr/sbin/nginx ] || command -v nginx >/dev/null || missing="$$missing nginx"; \
	  command -v openssl >/dev/null || missing="$$missing openssl"; \
	  ls -d /usr/lib/postgresql/*/bin >/dev/null 2>&1 || missing="$$missing postgresql"; \
	  command -v redis-server >/dev/null || missing="$$missing redis-server"; \
	  if [ -n "$$missing" ]; then \
	    if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing; \
	    else echo "The tests need:$$missing. Install them: sudo apt-get install$$missing" >&2; exit 1; fi; \
	  fi

## Back up the database DATABASE_URL names (PostgreSQL) with pg_dump, to backups/scoreboard-<UTC time>.dump
## with its manifest beside it (OUTPUT=path for another place). README: "Operations: backups and restore".
backup: $(VENV)/.runtime
	$(PY) manage.py backup $(if $(OUTPUT),--output "$(OUTPUT)")

## Restore FILE (a dump make backup wrote) into the database DATABASE_URL names, then check it against its
## manifest. Only into an empty database, unless YES=1 says to replace what it holds. Stop web, worker and beat first.
restore: $(VENV)/.runtime
	@if [ -z "$(FILE)" ]; then echo "make restore: say which dump, e.g. make restore FILE=backups/scoreboard-20261206T020000Z.dump" >&2; exit 2; fi
	$(PY) manage.py restore "$(FILE)" $(if $(YES),--yes)

## ruff, the format, the layering of the apps (import-linter), bandit against its reviewed baseline
## (bandit-baseline.json: a new medium finding fails), and the migrations.
lint: $(VENV)/.dev
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports --no-cache
	$(VENV)/bin/bandit -q -c pyproject.toml -r scoreboard initiatives metrics governance -ll -b bandit-baseline.json
	$(PY) manage.py makemigrations --check --dry-run

format: $(VENV)/.dev
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

## The benchmarks, on BENCH_DATABASE_URL (a scratch database: its size siblings are kept between
## runs) or, without it, on one throwaway PostgreSQL for the whole run. The sizes S, L and XL are
## built first (bench/_sizes.py), once; then each script runs at the sizes BENCH_SIZES names.
bench: $(VENV)/.dev
	@if [ -z "$$BENCH_DATABASE_URL" ] && ls -d /usr/lib/postgresql/*/bin >/dev/null 2>&1; then \
	  port=$$($(PY) -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'); \
	  env -u SERVICES_DIR -u DATABASE_URL PG_PORT=$$port REDIS_PORT=$$((port + 1)) bash -c 'source .ci/services.sh \
	    && trap "stop_services; rm -rf \"\$$SERVICES_DIR\"" EXIT && start_services >/dev/null \
	    && BENCH_DATABASE_URL="$$DATABASE_URL" env -u DATABASE_URL $(MAKE) --no-print-directory bench-scripts'; \
	else $(MAKE) --no-print-directory bench-scripts; fi

bench-scripts:
	@started=$$(date +%s); echo "== bench/_sizes.py (S, L, XL: built once, then kept)"; $(PY) bench/_sizes.py || exit 1; \
	  for script in bench/[!_]*.py; do echo "== $$script"; $(PY) $$script || exit 1; done; \
	  echo "== make bench took $$(( ($$(date +%s) - started) / 60 )) min"

clean:
	rm -rf $(VENV) staticfiles .pytest_cache .ruff_cache
