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
	$(BIN)/dualcarbon run --world default --seed 20240601 --workdir work

test: $(STAMP)
	$(BIN)/python -m pytest -q

clean:
	rm -rf $(VENV) work warehouse target logs dbt_packages
