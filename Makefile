# Two commands set everything up on a fresh machine (Python 3.11+; the tests add Debian's Chromium):
#   make demo   virtual environment, install, migrate SQLite (main and key store), seed the demo, serve on 127.0.0.1:$(PORT)
#   make test   install (Chromium too, if missing) and run the whole suite (SQLite by default; set
#               DATABASE_URL for PostgreSQL)

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PORT ?= 8000
# Links in the demo's notification emails (printed on the console) point at the port it serves on.
SITE_URL ?= http://127.0.0.1:$(PORT)
PYTEST_WORKERS ?= 2

.PHONY: install demo test test-replica lint bench bench-quick frontend clean browser

$(BIN)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $@

install: $(BIN)/.installed

demo: install
	DEBUG=true $(BIN)/python manage.py migrate --noinput --database keys
	DEBUG=true $(BIN)/python manage.py migrate --noinput
	DEBUG=true SITE_URL=$(SITE_URL) $(BIN)/python manage.py seed_demo
	DEBUG=true SITE_URL=$(SITE_URL) $(BIN)/python manage.py runserver 127.0.0.1:$(PORT)

# The browser tests drive Debian's Chromium (never a browser build downloaded by Playwright).
CHROMIUM ?= /usr/bin/chromium

browser:
	@if [ ! -x "$(CHROMIUM)" ]; then \
	  echo "$(CHROMIUM) is missing: installing Debian's chromium and chromium-driver."; \
	  if [ "$$(id -u)" = 0 ]; then SUDO=; \
	  elif command -v sudo >/dev/null 2>&1; then SUDO=sudo; \
	  else echo "Cannot install Chromium: not root and no sudo. Install Debian's chromium package, or run the other tests alone: $(BIN)/python -m pytest -m 'not browser'." >&2; exit 1; fi; \
	  if ! { $$SUDO apt-get update && \
	         $$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends chromium chromium-driver; }; then \
	    echo "Cannot install Chromium with apt-get. Install Debian's chromium package, or run the other tests alone: $(BIN)/python -m pytest -m 'not browser'." >&2; exit 1; \
	  fi; \
	  [ -x "$(CHROMIUM)" ] || { echo "apt-get finished but $(CHROMIUM) is still missing." >&2; exit 1; }; \
	fi

test: install browser
	$(BIN)/python -m pytest -n $(PYTEST_WORKERS) $(PYTEST_ARGS)

# Reads from a real streaming replica: a throwaway PostgreSQL primary and standby (needs PostgreSQL's
# server binaries; .ci/run runs it).
test-replica: install
	.ci/replica-test

lint: install
	$(BIN)/ruff check .
	DEBUG=true $(BIN)/mypy
	$(BIN)/python manage.py makemigrations --check --dry-run

# The benchmark harness on its own database (<DATABASE_URL name>_bench, or var/bench.sqlite3).
bench: install
	$(BIN)/python -m bench $(BENCH_ARGS)

bench-quick: install
	$(BIN)/python -m bench --quick

# Rebuilds static/css and static/js from govuk-frontend (needs Node.js; not needed to run the system).
frontend:
	cd frontend && npm ci --no-audit --no-fund && sh build.sh

clean:
	rm -rf $(VENV) var
