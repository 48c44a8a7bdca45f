# The commands the README shows. Everything runs from the project root, offline except for
# the PyPI, npm and Debian registries. Setup steps are stamped, so re-running is quick.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
REGISTRY := $(VENV)/bin/registry
# The EVM hardfork the contracts are built for: the oldest one every node of the network runs
# (the committed artifacts are cancun; `make compile EVM_VERSION=shanghai` for an older chain).
EVM_VERSION ?= cancun

.PHONY: run setup test test-setup compile compile-check lint bench chain-down clean

run: setup  ## set up, then chain + contracts + demo data + indexer + API/web page
	$(REGISTRY) up

setup: $(VENV)/.installed node_modules/.installed $(VENV)/.solc-shim  ## Python + npm toolchain

$(VENV)/.installed: pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --upgrade pip
	$(VENV)/bin/pip install --quiet -e '.[dev,ape]'
	touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund
	touch $@

$(VENV)/.solc-shim: $(VENV)/.installed node_modules/.installed
	$(PY) -m registry.compiler --install-shim
	touch $@

test-setup: setup  ## + Debian's Chromium for the web page tests (needs root or sudo)
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi; \
	  $$SUDO apt-get update -qq && $$SUDO apt-get install -y -qq chromium; }

test: lint test-setup  ## lint first (fails fast), then every test (anvil, SQL, Chromium)
	$(PY) -m pytest -q

compile:  ## contracts/*.sol -> registry/artifacts/*.json (for EVM_VERSION)
	$(PY) -m registry.compiler --evm-version $(EVM_VERSION)

compile-check:  ## exit 1 when registry/artifacts is stale (for EVM_VERSION)
	$(PY) -m registry.compiler --check --evm-version $(EVM_VERSION)

lint: setup  ## ruff check, ruff format --check, mypy (run by `make test`, so by CI)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy registry api scripts tests

bench: setup  ## the benchmarks the issues name (each prints a JSON line last)
	$(PY) scripts/bench_gas.py
	$(PY) scripts/bench_index.py
	$(PY) scripts/bench_api.py
	$(PY) scripts/bench_digest.py --reuse
	$(PY) scripts/bench_risk.py
	$(PY) scripts/bench_tape.py

chain-down:
	$(REGISTRY) chain down

clean:  ## forget the local chain, database and keys of the demo (keeps the toolchain)
	-$(REGISTRY) chain down
	rm -rf .data
