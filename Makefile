# eoffice: `make run` serves the demo system, `make test` runs the whole suite.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 5000
FLASK := $(BIN)/flask --app wsgi
EOFFICE_TEST_DATABASE_URL ?= postgresql+psycopg://postgres@127.0.0.1:5432/test
PYTEST_WORKERS ?= 2

.PHONY: run test install install-test system-deps translations db demo worker clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip wheel setuptools

install: $(BIN)/python
	$(BIN)/pip install --quiet -e .
	$(MAKE) --no-print-directory translations

install-test: $(BIN)/python system-deps
	$(BIN)/pip install --quiet -e '.[test]'
	$(MAKE) --no-print-directory translations

# Debian packages the suite needs (pdfsig and pdftoppm, SoftHSM2, Chromium, NSS tools, fonts).
system-deps:
	@sh scripts/system-deps.sh

translations:
	@$(BIN)/pybabel compile --use-fuzzy -d eoffice/translations -f >/dev/null

# The embedded default: SQLite, file store and job store under instance/, the demo agencies, users and PKI.
# Cookies are not marked Secure here only because this address is plain HTTP on the loopback interface.
# 16 threads: requests waiting for a verifier (VERIFY_MAX_CONCURRENT at once) must leave threads for everyone else.
run: export EOFFICE_SESSION_COOKIE_SECURE ?= 0
run: export EOFFICE_DEMO_MODE ?= 1
run: export EOFFICE_DEMO_PKI_URL ?= http://$(HOST):$(PORT)/pki
run: export EOFFICE_PKI_PUBLIC_PATH ?= certs/demo
run: install
	@$(FLASK) db upgrade
	@$(FLASK) eoffice demo --if-empty
	@$(FLASK) jobs worker > instance/worker.log 2>&1 & worker=$$!; \
	  trap 'kill $$worker 2>/dev/null' EXIT INT TERM; \
	  echo ""; echo "eoffice is running at http://$(HOST):$(PORT)/  (worker log: instance/worker.log; Ctrl+C stops)"; \
	  $(BIN)/waitress-serve --listen=$(HOST):$(PORT) --threads=16 wsgi:app

# The whole suite on SQLite, then again on PostgreSQL for every test that touches the database.
# With CI set, a PostgreSQL that cannot be reached fails the run instead of being skipped.
# The browser tests run in a process of their own: Playwright's sync API keeps an event loop running in its
# thread for as long as the browser lives, and pyHanko's asyncio.run() would meet it.
test: install-test
	$(BIN)/python -m pytest -n $(PYTEST_WORKERS) -p no:cacheprovider -m "not e2e"
	$(BIN)/python -m pytest -p no:cacheprovider -m e2e tests/e2e
	@if $(BIN)/python scripts/pg_available.py "$(EOFFICE_TEST_DATABASE_URL)"; then \
	  echo "== PostgreSQL run: $(EOFFICE_TEST_DATABASE_URL)"; \
	  EOFFICE_TEST_DATABASE_URL="$(EOFFICE_TEST_DATABASE_URL)" $(BIN)/python -m pytest -n $(PYTEST_WORKERS) \
	    -p no:cacheprovider -m "not sqlite_only and not e2e"; \
	elif [ -n "$$CI" ]; then \
	  echo "PostgreSQL at $(EOFFICE_TEST_DATABASE_URL) is required when CI is set but cannot be reached." >&2; exit 1; \
	else \
	  echo "== PostgreSQL run skipped: $(EOFFICE_TEST_DATABASE_URL) cannot be reached."; \
	fi

clean:
	rm -rf $(VENV) build dist *.egg-info
