# Two commands do all the set-up: `make run` (site + demo) and `make test` (the whole suite).
# Both create what they need and are safe to run twice.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
FLASK := $(BIN)/flask --app marketplace
STAMP := $(VENV)/.installed
CHROMIUM ?= /usr/bin/chromium
PG_URL ?= postgresql://postgres@127.0.0.1:5432/test
HOST ?= 127.0.0.1
PORT ?= 5000

.PHONY: run worker test test-sqlite test-postgres install db demo chromium lint bench clean

install: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

db: install
	$(FLASK) db upgrade

demo: db
	$(FLASK) demo

# The site and the background worker together; Ctrl-C stops both.
run: demo
	@echo "知识产权转化池: http://$(HOST):$(PORT)/ (web + worker; Ctrl-C stops both)"
	$(BIN)/python -m marketplace.run --host $(HOST) --port $(PORT)

# The worker alone (when the site runs elsewhere, e.g. under gunicorn).
worker: db
	$(FLASK) worker

# Debian's Chromium for the browser tests (Playwright cannot download a browser here).
chromium:
	@if [ ! -x $(CHROMIUM) ]; then \
	  echo "Installing Debian's chromium for the browser tests"; \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -q && $$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium fonts-noto-cjk; \
	fi

test: install chromium
	$(MAKE) --no-print-directory test-sqlite
	@if [ -n "$$TEST_DATABASE_URL" ]; then $(MAKE) --no-print-directory test-postgres; \
	  else echo "TEST_DATABASE_URL is not set: PostgreSQL pass skipped (.ci/run sets it)"; fi

test-sqlite: install
	@echo "== tests on SQLite (with the browser journeys) =="
	env -u TEST_DATABASE_URL $(BIN)/pytest -q

test-postgres: install
	@echo "== tests on PostgreSQL: $${TEST_DATABASE_URL:-$(PG_URL)} =="
	TEST_DATABASE_URL=$${TEST_DATABASE_URL:-$(PG_URL)} $(BIN)/pytest -q -m "not browser"

lint: install
	$(BIN)/ruff check marketplace tests bench

bench: install
	@for script in bench/*_bench.py; do echo "== $$script"; $(BIN)/python $$script || exit 1; done

clean:
	rm -rf $(VENV) .pytest_cache test-artifacts
