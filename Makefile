# The two quick-start commands: `make study` and `make test`. Both install whatever is missing first.
PYTHON ?= python3
export PYTHON

.PHONY: setup study test
setup:
	@bash scripts/setup.sh

study: setup
	$(PYTHON) -m chipwar study --out chipwar-report

test: setup
	$(PYTHON) -m pytest
