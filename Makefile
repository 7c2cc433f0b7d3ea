# The two commands. Each works on a fresh machine with only python3 and the package registries:
# it creates .venv, installs the pinned set (requirements.txt as constraints) and the project
# (editable), then does its job.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

export DBT_SEND_ANONYMOUS_USAGE_STATS := False
export DBT_VERSION_CHECK := False
export DO_NOT_TRACK := 1
export MPLBACKEND := Agg

.PHONY: run test install clean

$(STAMP): pyproject.toml requirements.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip setuptools wheel
	$(BIN)/python -m pip install --quiet -r requirements.txt
	$(BIN)/python -m pip install --quiet --no-deps --no-build-isolation -e .
	$(BIN)/python -m ingestion.warehouse install-spatial
	touch $(STAMP)

install: $(STAMP)

# Sample sources (default world), ingest, dbt build, expectations, replications, report.
run: $(STAMP)
	$(BIN)/dualcarbon run --world default --workdir work    # the default seed: ingestion.settings.DEFAULT_SEED

test: $(STAMP)
	$(BIN)/python -m pytest -q

# Benchmarks, not part of `make test`: every bench/bench_*.py in turn; each prints `name: value` lines
# (ratios first) and writes bench/results/<script>.json. The end-to-end run on the default world comes
# first and keeps its warehouse for the scripts that need a built one.
BENCH_WORK := bench/results/work
.PHONY: bench
bench: $(STAMP)
	$(BIN)/python bench/bench_end_to_end.py --world default --keep $(BENCH_WORK)
	@status=0; for script in bench/bench_*.py; do \
	  [ $$script = bench/bench_end_to_end.py ] && continue; \
	  echo "== $$script"; \
	  BENCH_WAREHOUSE=$(BENCH_WORK)/warehouse.duckdb $(BIN)/python $$script || status=1; \
	done; exit $$status

clean:
	rm -rf $(VENV) work warehouse target logs dbt_packages
