# setnet: `make demo` and `make test` do all set-up on a fresh machine with Python 3.11+.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed
DATA_DIR ?= data

# Prefect runs with no server configured: a temporary local one, state kept in the data folder, no telemetry.
export PREFECT_HOME ?= $(CURDIR)/$(DATA_DIR)/prefect-home
export PREFECT_SERVER_ANALYTICS_ENABLED := false
export PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS ?= 120

.PHONY: install demo test lint bench lock clean

install: $(INSTALLED)

$(INSTALLED): pyproject.toml constraints.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --upgrade "pip>=24"
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -c constraints.txt -e ".[dev]"
	touch $@

demo: install
	mkdir -p $(PREFECT_HOME)
	$(BIN)/setnet --data-dir $(DATA_DIR) demo

test: install
	$(BIN)/python -m pytest

lint: install
	$(BIN)/ruff check .

# The feature-engine benchmark on a generated decade (not a test; cached data in bench/.data/): prints PASS/FAIL.
bench: install
	$(BIN)/python -m bench.features_bench $(BENCH_ARGS)

# Re-pin every dependency to what is installed now (run after changing pyproject.toml).
lock: install
	$(BIN)/python -m pip freeze --exclude-editable --disable-pip-version-check | grep -v "^-e" > constraints.txt

clean:
	rm -rf $(DATA_DIR)/setnet.duckdb $(DATA_DIR)/grids.zarr $(DATA_DIR)/models $(DATA_DIR)/reports $(DATA_DIR)/sample
