# The README's words: make run, make test, make lint, make bench.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test lint format bench migrate clean chromium

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

## Serve the demo company on http://$(HOST):$(PORT), jobs in-process, SQLite unless DATABASE_URL is set.
run: migrate
	$(PY) manage.py seed_demo --if-empty
	@echo "Serving on http://$(HOST):$(PORT)/  (demo logins above; Ctrl-C to stop)"
	$(PY) manage.py runserver $(HOST):$(PORT)

## The whole suite; uses DATABASE_URL / CELERY_BROKER_URL when set (CI refuses SQLite).
test: $(VENV)/.dev chromium
	@# pytest exits 5 when it collected nothing: a broken suite, never a pass.
	@$(VENV)/bin/pytest; status=$$?; \
	  if [ $$status -eq 5 ]; then echo "make test: pytest collected no tests" >&2; exit 1; fi; exit $$status

# Browser tests drive Debian's Chromium (Playwright's own browser download fails on closed networks).
chromium:
	@command -v chromium >/dev/null || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; \
	  else echo "Browser tests need Debian's chromium: sudo apt-get install chromium" >&2; exit 1; fi; }

lint: $(VENV)/.dev
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(PY) manage.py makemigrations --check --dry-run

format: $(VENV)/.dev
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

bench: $(VENV)/.dev
	@for script in bench/*.py; do echo "== $$script"; $(PY) $$script || exit 1; done

clean:
	rm -rf $(VENV) staticfiles .pytest_cache .ruff_cache
