# Kanalkollen: `make run` starts the bot in local mode, `make test` runs the suite.
# Both create .venv and install everything they need on a fresh machine.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
SCHEMA_DIR := .cache/teams-schema

.PHONY: run test lint migrate manifest install clean playground playground-walk azurite

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

# The tested versions from requirements.lock, hash-checked (pip and setuptools >= 70 too, so the
# venv's setuptools 65.5 with CVE-2024-6345 is replaced); then the project itself, built with
# that setuptools and without fetching anything more.
$(STAMP): pyproject.toml requirements.lock | $(BIN)/python
	$(BIN)/python -m pip install --quiet --require-hashes -r requirements.lock
	$(BIN)/python -m pip install --quiet --no-deps --no-build-isolation -e .
	touch $(STAMP)

install: $(STAMP)

migrate: install
	$(BIN)/kanalkollen migrate

run: migrate
	$(BIN)/kanalkollen serve

test: install
	$(BIN)/python -m pytest

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy domain storage

manifest: install
	$(BIN)/kanalkollen manifest build

# Microsoft 365 Agents Playground (needs Node.js >= 20, for these two targets only): the bot in
# local mode and one Playground per test person; see README "Agents Playground".
playground: install
	scripts/playground/run.sh

# The same, headless: walks request -> approval -> editors -> address -> active, then stops.
playground-walk: install
	scripts/playground/run.sh --walk

clean:
	rm -rf $(VENV) .cache .pytest_cache .mypy_cache .ruff_cache *.egg-info

# Azurite, Microsoft's Azure Storage emulator (npm, pinned in tests/node-azurite), for the Azure
# Blob file store tests; without it they are skipped with the reason. .ci/run installs it too.
azurite:
	npm ci --prefix tests/node-azurite --no-audit --no-fund --ignore-scripts --loglevel=error
