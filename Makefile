# Two commands do all set-up: `make run` and `make test`. Everything else here is what they use.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000
POSTGRES_URL ?= postgres://postgres@127.0.0.1:5432/test
# The suite runs on every core: pytest-xdist workers, each with its own test database and demo city; every
# browser test on one worker (one served demo). `make test PYTEST_WORKERS=0` runs it in a single process.
PYTEST_WORKERS ?= auto
PYTEST_PARALLEL = -n $(PYTEST_WORKERS) --dist loadgroup

.PHONY: run test test-postgres lint system-test-deps clean messages

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.run-deps: pyproject.toml | $(BIN)/python
	@echo "Installing pinned dependencies into $(VENV)…"
	$(BIN)/python -m pip install --quiet --progress-bar off -e .
	@touch $@

$(VENV)/.test-deps: pyproject.toml $(VENV)/.run-deps
	@echo "Installing test dependencies…"
	$(BIN)/python -m pip install --quiet --progress-bar off -e '.[test]'
	@touch $@

## make run: set up, migrate, load the demo city when the database is empty, serve on http://$(HOST):$(PORT)
run: $(VENV)/.run-deps
	HTTPS=$${HTTPS:-false} $(BIN)/tamasuk serve --init --host $(HOST) --port $(PORT)

## Debian's Chromium (browser tests), an Arabic font and Pango (pages, screenshots, PDFs); installed only as root.
system-test-deps:
	@missing=""; \
	command -v chromium >/dev/null 2>&1 || missing="$$missing chromium"; \
	fc-list 2>/dev/null | grep -qi amiri || missing="$$missing fonts-hosny-amiri"; \
	command -v pdftoppm >/dev/null 2>&1 || missing="$$missing poppler-utils"; \
	ldconfig -p 2>/dev/null | grep -q libpangoft2-1.0 || missing="$$missing libpango-1.0-0 libpangoft2-1.0-0"; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = "0" ]; then \
	    echo "Installing$$missing from Debian…"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	  else \
	    echo "Missing$$missing: install them (as root: apt-get install$$missing); browser tests will be skipped."; \
	  fi; \
	fi

## make test: everything the tests need, then the whole suite on the embedded SQLite database
test: $(VENV)/.test-deps system-test-deps
	$(BIN)/python -m pytest $(PYTEST_PARALLEL)

## the whole suite again on PostgreSQL (skipped when unreachable, unless TAMASUK_REQUIRE_POSTGRES=1)
test-postgres: $(VENV)/.test-deps system-test-deps
	DATABASE_URL=$${DATABASE_URL:-$(POSTGRES_URL)} $(BIN)/python -m pytest $(PYTEST_PARALLEL)

lint: $(VENV)/.test-deps
	$(BIN)/ruff check src tests benchmarks

## rebuild translation catalogues after changing strings (needs GNU gettext)
messages: $(VENV)/.run-deps
	cd src/tamasuk && ../../$(BIN)/django-admin makemessages -l ar -l fr -l sw --no-obsolete && ../../$(BIN)/django-admin compilemessages

clean:
	rm -rf $(VENV) var
