# Quick start: `make run` (install + run the example scenarios), `make test` (install + whole suite).
# Everything installs into .venv from the hash-pinned lock files in requirements/.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
SCENARIOS := $(sort $(wildcard scenarios/*.yaml))

.PHONY: run test test-random fuzz lint bench lock schema clean

$(VENV)/.run-installed: requirements/run.lock pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --require-hashes --no-deps -r requirements/run.lock
	$(BIN)/python -m pip install --quiet --no-deps --no-build-isolation -e .
	touch $@

$(VENV)/.test-installed: requirements/test.lock pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --require-hashes --no-deps -r requirements/test.lock
	$(BIN)/python -m pip install --quiet --no-deps --no-build-isolation -e .
	touch $@ $(VENV)/.run-installed

run: $(VENV)/.run-installed
	$(BIN)/cba run $(SCENARIOS)

lint: $(VENV)/.test-installed
	$(BIN)/ruff check cba tests benchmarks templates tools
	$(BIN)/ruff format --check cba tests benchmarks templates tools
	$(BIN)/mypy

# Deterministic: the same Hypothesis examples everywhere, nothing saved between runs (this is
# what CI runs). test-random and fuzz search new examples each run (opt in).
test: lint
	$(BIN)/python -m pytest

test-random: $(VENV)/.test-installed
	HYPOTHESIS_PROFILE=dev $(BIN)/python -m pytest

fuzz: $(VENV)/.test-installed
	HYPOTHESIS_PROFILE=fuzz $(BIN)/python -m pytest tests/property tests/engine

bench: $(VENV)/.run-installed
	$(BIN)/python benchmarks/run_benchmarks.py

schema: $(VENV)/.run-installed
	$(BIN)/cba schema -o scenarios/cba-scenario.schema.json
	$(BIN)/cba schema --format markdown -o docs/scenario-language.md
	$(BIN)/cba schema --budget -o scenarios/budgets/cba-budget.schema.json

# Maintainers only: re-resolve the lock files (needs uv: pip install uv).
lock:
	uv pip compile pyproject.toml requirements/build.in --universal --python-version 3.11 --generate-hashes -o requirements/run.lock
	uv pip compile pyproject.toml requirements/build.in --extra test --universal --python-version 3.11 --generate-hashes -o requirements/test.lock

clean:
	rm -rf $(VENV) out .pytest_cache .mypy_cache .ruff_cache .hypothesis
