# Two commands on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
MANAGE := $(BIN)/python manage.py

.DEFAULT_GOAL := help
.PHONY: help run test lint migrations-check pytest system-deps browser-deps install format clean

help:
	@echo "make run    set up everything and serve the app on http://127.0.0.1:8000 (SQLite)"
	@echo "make test   lint, migrations check and the whole test suite (with coverage)"
	@echo "make format apply ruff's formatting and import order"

$(STAMP): pyproject.toml
	@test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

install: $(STAMP)

# A development .env with fresh random keys, written once and never overwritten.
.env: | $(STAMP)
	$(BIN)/python -m victimsupport.devenv .env

# Pango (PDF rendering with WeasyPrint) is needed to run the app; Chromium for browser tests.
system-deps:
	@bash scripts/system-deps.sh pango

browser-deps:
	@bash scripts/system-deps.sh pango chromium

run: $(STAMP) .env system-deps
	$(MANAGE) migrate --noinput
	$(MANAGE) createcachetable
	$(MANAGE) seed_demo
	@echo "Serving on http://127.0.0.1:8000  (Ctrl-C to stop)"
	$(MANAGE) runserver 127.0.0.1:8000

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

migrations-check: $(STAMP) .env
	$(MANAGE) makemigrations --check --dry-run

# pytest exits 5 when it collected no test: that fails the target like any other error.
pytest: $(STAMP) browser-deps
	$(BIN)/python -m pytest

test: lint migrations-check pytest

format: $(STAMP)
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .coverage test-results staticfiles
