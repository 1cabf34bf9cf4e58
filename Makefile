# insightlib — two commands: `make report` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: report test lint format sample check clean bench mutation

$(STAMP): pyproject.toml
	@test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	$(BIN)/python -m ipykernel install --sys-prefix --name python3 >/dev/null
	@touch $(STAMP)

data/sample/insight.toml: | $(STAMP)
	$(BIN)/insightlib sample data/sample

report: $(STAMP) data/sample/insight.toml
	$(BIN)/insightlib run data/sample --out reports

test: $(STAMP)
	$(BIN)/ruff check insightlib tests benchmarks
	$(BIN)/ruff format --check insightlib tests benchmarks
	$(BIN)/python -m pytest

lint: $(STAMP)
	$(BIN)/ruff check insightlib tests benchmarks
	$(BIN)/ruff format --check insightlib tests benchmarks

format: $(STAMP)
	$(BIN)/ruff format insightlib tests benchmarks
	$(BIN)/ruff check --fix insightlib tests benchmarks

sample: $(STAMP)
	$(BIN)/insightlib sample data/sample --force

check: $(STAMP)
	$(BIN)/insightlib check data/sample

bench: $(STAMP)
	$(BIN)/python benchmarks/bench_quant.py
	$(BIN)/python benchmarks/bench_qual.py

# mutation testing of the core (not part of `make test`; ~15-20 min on two cores): mutmut runs
# the statistics, periods, redaction, engine aggregation, locus and the emerging/fading rules
# against their fast tests; the last line is `mutation score: K killed of N (P%)`.
# One module: `$(BIN)/python tests/mutation_score.py stats`; docs/mutation.md lists survivors.
mutation: $(STAMP)
	$(BIN)/python tests/mutation_score.py

clean:
	rm -rf $(VENV) reports/*/ reports/index.html mutants/
