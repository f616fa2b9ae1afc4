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
	@echo "make faults kill servers, the worker and a private PostgreSQL mid-work (minutes)"
	@echo "make bench  measure server time and the cost of confidentiality on 100,000 cases"
	@echo "make backup / backup-check   dump the database into BACKUP_DIR / restore the latest and check it"
	@echo "make replica / pgbouncer     a local streaming replica (5433) / PgBouncer (6432); *-smoke runs pages through them"
	@echo "make fuzz   the property tests (bad input to every form and page) with many examples"

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

# The property tests (tests/**/test_properties_*.py) with many new examples each run instead
# of the suite's few fixed ones: `make fuzz`, or FUZZ_ARGS='-k premises' for one part.
.PHONY: fuzz
fuzz: $(STAMP) translations
	HYPOTHESIS_PROFILE=thorough $(BIN)/python -m pytest --no-cov -p no:cacheprovider $(FUZZ_ARGS) \
		$$(find tests -name 'test_properties_*.py' | sort)

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

# Fault tests with real processes (tests/faults/): the quick ones run in `make test` too; these
# add those that need minutes (a private PostgreSQL restarted under load, its disk filled while
# an export is stored; mounting the small filesystem needs root).
.PHONY: faults
faults: $(STAMP) system-deps translations
	FAULTS_SLOW=1 $(BIN)/python -m pytest tests/faults -m faults --no-cov -p no:cacheprovider

# Bounded locust run against production-shaped servers: USERS (20), RUN_TIME (60s), SERVERS (1),
# PARTNERS (0: partner-organisation users besides the caseworkers), WORKER=1 (a background worker).
.PHONY: loadtest
loadtest: $(LOAD_STAMP) .env
	$(BIN)/python -m bench.loadtest.run $(if $(SERVERS),--servers $(SERVERS)) \
		$(if $(USERS),--users $(USERS)) $(if $(RUN_TIME),--run-time $(RUN_TIME)) \
		$(if $(PARTNERS),--partners $(PARTNERS)) $(if $(WORKER),--worker)

# "Nothing lost" under a national service's load: 50 caseworkers and 10 partner users for 10
# minutes on two app servers and one background worker (reads, intakes, notes, referrals read
# by partners, PDFs); then every write is looked up in the database and verify_audit is run.
.PHONY: loadtest-national
loadtest-national: $(LOAD_STAMP) .env
	$(BIN)/python -m bench.loadtest.run --servers 2 --worker --users 50 --partners 10 \
		--run-time $(or $(RUN_TIME),10m) --label national

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

# --- Database operations (docs/operations.md) ---

# A local streaming replica of 127.0.0.1:5432 on port 5433 (.pg-replica/), and PgBouncer in
# transaction pooling mode on port 6432 (.pgbouncer/). Neither restarts the primary.
.PHONY: replica replica-stop pgbouncer pgbouncer-stop replica-smoke pgbouncer-smoke backup backup-check
replica:
	@bash scripts/pg-replica.sh start

# Stops the replica and drops its replication slot (the primary then keeps no WAL for it).
replica-stop:
	@bash scripts/pg-replica.sh stop

pgbouncer:
	@bash scripts/pgbouncer.sh start

pgbouncer-stop:
	@bash scripts/pgbouncer.sh stop

# Pages through the app with its reads on the replica, then through PgBouncer (both started
# here), on SMOKE_DB (migrated and seeded with the demo data first).
SMOKE_DB ?= victimsupport_smoke
SMOKE_PRIMARY = postgres://postgres@127.0.0.1:5432/$(SMOKE_DB)
SMOKE_SETUP = $(BIN)/python scripts/ensure_postgres.py '$(SMOKE_PRIMARY)' && \
	DATABASE_URL=$(SMOKE_PRIMARY) $(MANAGE) migrate --noinput -v 0 && \
	DATABASE_URL=$(SMOKE_PRIMARY) $(MANAGE) createcachetable && \
	DATABASE_URL=$(SMOKE_PRIMARY) $(MANAGE) seed_demo > /dev/null

replica-smoke: $(STAMP) .env system-deps replica
	@$(SMOKE_SETUP)
	DATABASE_URL=$(SMOKE_PRIMARY) DATABASE_REPLICA_URL=postgres://postgres@127.0.0.1:5433/$(SMOKE_DB) \
		$(BIN)/python scripts/db_smoke.py

pgbouncer-smoke: $(STAMP) .env system-deps pgbouncer
	@$(SMOKE_SETUP)
	DATABASE_URL=postgres://postgres@127.0.0.1:6432/$(SMOKE_DB) DATABASE_POOLER=pgbouncer-transaction \
		$(BIN)/python scripts/db_smoke.py

# A pg_dump of DATABASE_URL into BACKUP_DIR, with the audit chain's head beside it (or in
# BACKUP_ANCHOR_DIR); then the drill on the latest dump: restore into a scratch database,
# verify the chain, decrypt everything, drop it. Non-zero on any error.
backup: $(STAMP) .env
	$(MANAGE) backup

backup-check: $(STAMP) .env
	$(MANAGE) backup_check
