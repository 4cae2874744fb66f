# setnet: `make demo` and `make test` do all set-up on a fresh machine with Python 3.11+.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed
DATA_DIR ?= data

# Prefect runs with no server configured: a temporary local one, state kept in the data folder, no telemetry.
export PREFECT_HOME ?= $(CURDIR)/$(DATA_DIR)/prefect-home
export PREFECT_SERVER_ANALYTICS_ENABLED := false
export PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS ?= 600

.PHONY: install browser demo serve-prefect test lint bench bench-features bench-ingest bench-cli bench-pipeline bench-models bench-scaling bench-peer bench-extras bench-ceiling model-card lock clean

install: $(INSTALLED)

$(INSTALLED): pyproject.toml constraints.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --upgrade "pip>=24"
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -c constraints.txt -e ".[dev]"
	touch $@

demo: install
	mkdir -p $(PREFECT_HOME)
	$(BIN)/setnet --data-dir $(DATA_DIR) demo

# A local Prefect server (SQLite under PREFECT_HOME) and process worker running every deployment of prefect.yaml
# on DATA_DIR; prints the UI address; Ctrl-C stops both. See docs/operations.md.
PREFECT_PORT ?= 4200
serve-prefect: install
	mkdir -p $(PREFECT_HOME)
	$(BIN)/setnet --data-dir $(DATA_DIR) serve-prefect --port $(PREFECT_PORT)

# Debian's Chromium, Japanese fonts, poppler and tesseract (OCR of the fax test) for the report's browser and PDF
# tests (no browser download).
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
browser:
	command -v chromium >/dev/null && command -v pdftoppm >/dev/null && command -v tesseract >/dev/null && \
	  fc-list :lang=ja | grep -q . || \
	  ($(SUDO) apt-get update && $(SUDO) apt-get install -y --no-install-recommends chromium fonts-noto-cjk poppler-utils \
	    tesseract-ocr tesseract-ocr-eng)

test: install browser
	$(BIN)/python -m pytest

# ruff, then the import layers of pyproject.toml's [tool.importlinter] (also checked by tests/test_architecture.py).
lint: install
	$(BIN)/ruff check .
	$(BIN)/lint-imports

# Every benchmark of bench/ in sequence (bench/run_all.py): each one's verdicts and wall time, then a summary; exit
# status 1 if any failed. BENCH_ARGS="--quick" for the smaller sizes, "--only ingest,cli" or "--skip models".
bench: install bench-extras
	$(BIN)/python -m bench.run_all $(BENCH_ARGS)

# The feature-engine benchmark on a generated decade (not a test; cached data in bench/.data/): prints PASS/FAIL.
bench-features: install
	$(BIN)/python -m bench.features_bench $(BENCH_ARGS)

# Catch ingest of a generated 1e6-row file, canonical (UTF-8) and cooperative (CP932) layouts, each in a fresh
# process (cached files in bench/.data/): prints rows/s, wall time and peak memory with PASS/FAIL (10 s, 500 MB, 3x).
bench-ingest: install
	$(BIN)/python -m bench.ingest_bench $(BENCH_ARGS)

# How fast the default sample world and the tiny demo are on this machine (timings live here, never in tests):
# prints the figures and PASS/FAIL against 60 s each.
bench-pipeline: install
	$(BIN)/python -m bench.pipeline_bench $(BENCH_ARGS)

# The interactive commands (`setnet --help`, `setnet runs`, `setnet ingest sites`: under 2 s beyond their work) and
# the daily run on the tiny demo's data by phase (under 20 s), without a Prefect server: prints PASS/FAIL.
bench-cli: install
	$(BIN)/python -m bench.cli_bench $(BENCH_ARGS)

# After `make demo`: the model card scored against the sample world's hidden truth, and the skill ceiling bench.
model-card: install
	$(BIN)/setnet --data-dir $(DATA_DIR) model-card --truth $(DATA_DIR)/sample/truth/truth.csv --ceiling docs/model-ceiling.md $(if $(wildcard docs/model-peer.md),--peer docs/model-peer.md) --out docs/model-card.md

# How long a retrain with its backtest takes on a 5-year, 8-net world (generated once under bench/.data/): seconds per
# fold and species, peak memory, PASS/FAIL against 5 minutes.
bench-models: install
	$(BIN)/python -m bench.models_bench $(BENCH_ARGS)

# Scaling curve: feature build and retrain at 1, 2, 5, 10 years and 10, 50, 200 nets (generated worlds cached in
# bench/.data/scaling/), each point in a fresh process: wall, CPU, peak memory, growth exponents PASS/FAIL (k <= 1.1)
# and the per-unit costs docs/scaling.md uses. BENCH_ARGS="--quick" for a smaller subset.
bench-scaling: install
	$(BIN)/python -m bench.scaling_bench $(BENCH_ARGS)
# setnet's rolling-origin backtest against Nixtla's mlforecast (LightGBM, lags, rolling means, date features, with and
# without the ocean signals) over the same windows of a generated world: MAE, CRPS, r2 with the hidden truth, wall
# time, PASS/FAIL. mlforecast is a benchmark-only extra (never a runtime dependency), installed here; --no-deps
# because mlforecast 1.1.0's metadata pins pandas<3.0, on which it does not depend for what the bench uses.
bench-peer: install bench-extras
	$(BIN)/python -m bench.peer_bench $(BENCH_ARGS)

bench-extras: install
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -c constraints.txt -e ".[bench]"
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps -c constraints.txt mlforecast

# After `make demo`: how much skill any forecast issued the evening before can reach (docs/model-ceiling.md).
bench-ceiling: install
	$(BIN)/python -m bench.model_ceiling --data-dir $(DATA_DIR) --out docs/model-ceiling.md

# Re-pin every dependency to what is installed now (run after changing pyproject.toml).
lock: install
	$(BIN)/python -m pip freeze --exclude-editable --disable-pip-version-check | grep -v "^-e" > constraints.txt

clean:
	rm -rf $(DATA_DIR)/setnet.duckdb $(DATA_DIR)/grids.zarr $(DATA_DIR)/models $(DATA_DIR)/reports $(DATA_DIR)/sample
