# The commands the README shows. Everything runs from the project root, offline.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python

.PHONY: setup compile compile-check lint test

setup:  ## venv + Python deps, npm toolchain (solcjs, anvil, OpenZeppelin), solc shim for ape
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install -e '.[dev,ape]'
	npm ci
	$(PY) -m registry.compiler --install-shim

compile:  ## contracts/*.sol -> registry/artifacts/*.json
	$(PY) -m registry.compiler

compile-check:  ## exit 1 when registry/artifacts is stale
	$(PY) -m registry.compiler --check

lint:
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy registry api scripts

test:
	$(PY) -m pytest -q
