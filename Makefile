# Kanalkollen: `make run` starts the bot in local mode, `make test` runs the suite.
# Both create .venv and install everything they need on a fresh machine.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
NODE_TOOLS := .cache/node-tools
# pytest-xdist workers for `make test`: one per CPU; `make test TEST_WORKERS=0` runs in one.
TEST_WORKERS ?= auto

.PHONY: run test lint migrate manifest install clean playground playground-walk azurite node-tools

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
	$(BIN)/python -m pytest -n $(TEST_WORKERS)

# The Node packages the card renderer and Teams manifest schema tests use, pinned in
# tests/node/package-lock.json and installed with `npm ci` into .cache/node-tools. `make test`
# never installs them: without them those tests are skipped, saying to run this target.
node-tools:
	@command -v node >/dev/null 2>&1 && command -v npm >/dev/null 2>&1 || { \
	  echo "node-tools: Node.js >= 18 with npm is needed (only for the card renderer and Teams" \
	    "manifest schema tests; make test skips them without it)." >&2; exit 1; }
	@pins=$$(cat tests/node/package.json tests/node/package-lock.json | sha256sum | cut -d' ' -f1); \
	if [ "$$(cat $(NODE_TOOLS)/installed.sha256 2>/dev/null)" != "$$pins" ]; then \
	  echo "node-tools: installing the pinned packages of tests/node into $(NODE_TOOLS) (npm ci)"; \
	  rm -rf $(NODE_TOOLS) && mkdir -p $(NODE_TOOLS) && \
	  cp tests/node/package.json tests/node/package-lock.json $(NODE_TOOLS)/ && \
	  npm ci --prefix $(NODE_TOOLS) --no-audit --no-fund --loglevel=error && \
	  printf '%s\n' "$$pins" > $(NODE_TOOLS)/installed.sha256; \
	else echo "node-tools: $(NODE_TOOLS) holds the pinned packages"; fi
	@if [ -f tests/node-azurite/package-lock.json ]; then \
	  echo "node-tools: installing Azurite, pinned in tests/node-azurite (npm ci)"; \
	  npm ci --prefix tests/node-azurite --no-audit --no-fund --ignore-scripts --loglevel=error; \
	fi

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
