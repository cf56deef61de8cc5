# The two commands a new user runs: `make run` and `make test`. Both bootstrap .venv.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.PHONY: run test lint typecheck contracts unit format emulator clean bench

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(STAMP)
	$(BIN)/mypy

contracts: $(STAMP)
	$(BIN)/lint-imports

unit: $(STAMP)
	$(BIN)/pytest -n 2 -q

test: lint typecheck contracts unit

format: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

# Demo mode grows with the service; today it serves the Google emulator with a trusted key.
run: $(STAMP)
	@mkdir -p var
	$(BIN)/misena emulator --port $${MISENA_EMULATOR_PORT:-8787} --key-file var/demo-service-account.json

bench: $(STAMP)
	$(BIN)/python -m bench.emulator_throughput

clean:
	rm -rf $(VENV) var .mypy_cache .pytest_cache .ruff_cache
