# Two commands on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
# `make run PORT=8123` serves on another port; HOST too, e.g. HOST=0.0.0.0 on a trusted network.
PORT ?= 8000
HOST ?= 127.0.0.1
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
MANAGE := $(BIN)/python manage.py

.DEFAULT_GOAL := help
.PHONY: help run test lint migrations-check translations-check translations messages pytest system-deps browser-deps install format clean

help:
	@echo "make run    set up everything and serve the app on http://$(HOST):$(PORT) (SQLite; PORT=8123 for another port)"
	@echo "make test   lint, migrations check and the whole test suite (with coverage)"
	@echo "make format apply ruff's formatting and import order"
	@echo "make messages  update locale/*/LC_MESSAGES/django.po from the code (then translate)"
	@echo "make worker run the background worker alone (make run starts one already)"
	@echo "make bench  measure server time and the cost of confidentiality on 100,000 cases"

$(STAMP): pyproject.toml
	@test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

install: $(STAMP)

# The load-test tools (locust), for make loadtest and scaleout, and for the test that checks
# the locustfile.
LOAD_STAMP := $(VENV)/.installed-load

$(LOAD_STAMP): $(STAMP) pyproject.toml
	$(BIN)/python -m pip install --quiet -e '.[dev,load]'
	@touch $(LOAD_STAMP)

# A development .env with fresh random keys, written once and never overwritten.
.env: | $(STAMP)
	$(BIN)/python -m victimsupport.devenv .env

# Pango (PDF rendering with WeasyPrint) is needed to run the app, gettext's msgfmt to build
# the translations; Chromium for browser tests.
system-deps:
	@bash scripts/system-deps.sh pango gettext

browser-deps:
	@bash scripts/system-deps.sh pango gettext chromium

# The compiled catalogues (.mo) are built, never committed: from the .po files in git.
translations: $(STAMP) system-deps
	$(BIN)/python scripts/translations_check.py --compile-only

# Fails, naming the strings, when a string in the code has no French translation, an entry is
# fuzzy, or the catalogue is stale; then compiles the catalogues.
translations-check: $(STAMP) system-deps
	$(BIN)/python scripts/translations_check.py

# The same extraction the check makes, into the committed catalogues (translations are kept;
# new strings come in empty, for a translator to fill).
messages: $(STAMP) system-deps
	$(MANAGE) makemessages --locale fr --no-obsolete --add-location file \
		--ignore '.venv*' --ignore tests --ignore bench --ignore docs --ignore scripts \
		--ignore test-results --ignore staticfiles --ignore '*/migrations/*' --ignore .prod-local

run: $(STAMP) .env system-deps translations
	$(MANAGE) migrate --noinput
	$(MANAGE) createcachetable
	$(MANAGE) seed_demo --address http://$(HOST):$(PORT)/
	@echo "Serving on http://$(HOST):$(PORT) with a background worker  (Ctrl-C to stop both)"
	@$(MANAGE) db_worker & worker=$$!; \
	trap 'kill $$worker 2>/dev/null; wait $$worker 2>/dev/null' EXIT INT TERM; \
	$(MANAGE) runserver $(HOST):$(PORT)

# The background worker (large case-file PDFs) on its own; `make run` starts one already.
.PHONY: worker
worker: $(STAMP) .env
	$(MANAGE) db_worker

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

migrations-check: $(STAMP) .env
	$(MANAGE) makemigrations --check --dry-run

# pytest exits 5 when it collected no test: that fails the target like any other error.
pytest: $(LOAD_STAMP) browser-deps translations
	$(BIN)/python -m pytest

test: lint migrations-check translations-check pytest

format: $(STAMP)
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .coverage test-results staticfiles

# --- Production serving and load tests (README: "Running in production and under load") ---

# gunicorn with DJANGO_ENV=production over HTTPS on 127.0.0.1:8000 (local trial settings derived
# from .env into .prod-local/ unless ENV_FILE is set). MIGRATE=1 migrates first.
.PHONY: serve-prod
serve-prod: $(STAMP) .env translations
	@bash scripts/serve-prod.sh

# Bounded locust run against production-shaped servers: USERS (20), RUN_TIME (60s), SERVERS (1).
.PHONY: loadtest
loadtest: $(LOAD_STAMP) .env
	$(BIN)/python -m bench.loadtest.run $(if $(SERVERS),--servers $(SERVERS)) \
		$(if $(USERS),--users $(USERS)) $(if $(RUN_TIME),--run-time $(RUN_TIME))

# Two app servers (ports 8001, 8002) on one database: shared sessions, documents and throttle
# checked, then the load test spread over both.
.PHONY: scaleout
scaleout: $(LOAD_STAMP) .env
	$(BIN)/python -m bench.loadtest.run --servers $(or $(SERVERS),2) \
		$(if $(USERS),--users $(USERS)) $(if $(RUN_TIME),--run-time $(RUN_TIME))

# The benchmark runs on its own database of fictional cases (PostgreSQL by default), seeded
# once with BENCH_CASES cases; see README "Performance".
BENCH_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/victimsupport_bench
BENCH_CASES ?= 100000
BENCH_ENV = DJANGO_SETTINGS_MODULE=bench.settings BENCH_DATABASE_URL=$(BENCH_DATABASE_URL)

.PHONY: bench
bench: $(STAMP) system-deps
	@bash scripts/system-deps.sh wrk || echo "No wrk: the saturation measure uses its Python client."
	@$(BIN)/python scripts/ensure_postgres.py '$(BENCH_DATABASE_URL)'
	$(BENCH_ENV) $(MANAGE) migrate --noinput -v 0
	$(BENCH_ENV) $(MANAGE) createcachetable
	$(BENCH_ENV) BENCH_CASES=$(BENCH_CASES) $(BIN)/python -m bench.run $(BENCH_ARGS)
