# TwinTag: `make up` installs and starts both variants; `make test` installs and runs every test.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.PHONY: install up test test-fast bench compare clean-data

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "TwinTag needs Python 3.11 or newer")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	@touch $@

install: $(STAMP)  ## create .venv and install TwinTag with its test tools

up: install  ## start both variants on localhost (Ctrl-C stops them)
	$(BIN)/twintag up both

test: install  ## run every test tier (PostgreSQL, browser and Docker tiers skip locally with a reason)
	$(BIN)/python -m pytest

test-fast: install  ## unit and integration tests only
	$(BIN)/python -m pytest tests/unit tests/integration -m "not postgres"

bench: install  ## print the benchmark figures recorded in docs/performance.md (about 4 minutes)
	$(BIN)/python loadtests/bench_classify.py
	$(BIN)/python loadtests/bench_queue.py
	$(BIN)/python loadtests/bench_pipeline.py

compare: install  ## both variants under the same load and CPU budget; writes reports/comparison.* (about 5 minutes)
	$(BIN)/python loadtests/compare.py

clean-data:  ## delete the local data directory (users, images, results)
	rm -rf data
