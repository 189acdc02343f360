# The two quick-start commands: `make study` and `make test`. Both install whatever is missing first.
PYTHON ?= python3
export PYTHON

.PHONY: setup study test lint
setup:
	@bash scripts/setup.sh

study: setup
	$(PYTHON) -m chipwar study --out chipwar-report

test: setup
	$(PYTHON) -m pytest

# ruff (lint and format check) and mypy on the package, configured in pyproject.toml; CI runs it after the tests
lint: setup
	$(PYTHON) -m ruff check python/chipwar
	$(PYTHON) -m ruff format --check python/chipwar
	$(PYTHON) -m mypy
