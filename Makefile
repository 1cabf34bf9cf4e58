# insightlib — two commands: `make report` and `make test`.
#
#   make report     runtime dependencies only (pyproject [project] dependencies), then the sample report
#   make test       + the dev extra (pytest, ruff, hypothesis): ruff and the fast suite (a few minutes)
#   make test-slow  + the backends extra (pyspark, psycopg): notebooks, browser, Spark, PostgreSQL
#   make bench      the benchmarks (ratios against hand-written DuckDB SQL and pandas)
#   make lab        + the lab extra (JupyterLab), then opens notebooks/ in JupyterLab
#
# One stamp file per extra in .venv, each depending on pyproject.toml, so a `make test` after a
# `make report` installs the dev extra, and an edited pyproject.toml reinstalls what changed.
#
# Installs go through uv (https://docs.astral.sh/uv/) when it can be had: a `uv` on the PATH, else
# one pip-installed once into a tool folder outside the project ($(UV_TOOL), like uv's own wheel
# cache), so .venv holds the runtime only (no uv, pip or setuptools: about 60 MB less); uv
# resolves and links the wheels about five times faster than pip and writes no bytecode up front.
# Without it (offline, no wheel for the platform) pip does the same work in a venv made by
# `python -m venv`. `make report USE_UV=0` forces pip.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
USE_UV ?= 1
UV_TOOL ?= $(HOME)/.cache/insightlib/uv-tool
PIP := $(BIN)/python -m pip install --quiet --disable-pip-version-check --no-compile
# the uv to use, found when the recipe runs (the tool folder may have been made by this make):
# a uv on the PATH, else the one in $(UV_TOOL); empty when USE_UV=0 or neither is there
FIND_UV = uv=""; if [ "$(USE_UV)" = 1 ]; then \
	uv=$$(command -v uv 2>/dev/null || true); \
	[ -n "$$uv" ] || [ ! -x "$(UV_TOOL)/bin/uv" ] || uv="$(UV_TOOL)/bin/uv"; fi
# install into .venv: with uv when there is one, else with pip
INSTALL = $(FIND_UV); if [ -n "$$uv" ]; then \
	"$$uv" pip install --quiet --python $(BIN)/python $(1); \
	else $(BIN)/python -m pip --version >/dev/null 2>&1 || $(BIN)/python -m ensurepip --upgrade >/dev/null; \
	$(PIP) $(1); fi
RUNTIME := $(VENV)/.installed-runtime
DEV := $(VENV)/.installed-dev
BACKENDS := $(VENV)/.installed-backends
LAB := $(VENV)/.installed-lab
# the fast suite: everything but the tests marked slow (notebooks, whole runs), browser or backends
FAST := not slow and not browser and not backends
# `make bench BENCH_SIZES=1e6,3e6` limits the sizes of the whole-run benchmark (shared machine)
BENCH_SIZES ?= 1e6,3e6,1e7,3e7

.PHONY: report test test-slow test-all lint format sample check clean bench mutation lab

$(BIN)/python:
	@echo "make: creating $(VENV) (uv from the PATH or $(UV_TOOL), else pip)"
	@if [ "$(USE_UV)" = 1 ] && ! command -v uv >/dev/null 2>&1 && [ ! -x "$(UV_TOOL)/bin/uv" ]; then \
		( $(PYTHON) -m venv "$(UV_TOOL)" && "$(UV_TOOL)/bin/python" -m pip install --quiet \
			--disable-pip-version-check uv ) || echo "uv not available: installing with pip"; fi
	@$(FIND_UV); if [ -n "$$uv" ]; then "$$uv" venv --quiet --python $(PYTHON) $(VENV); \
	else $(PYTHON) -m venv $(VENV); fi

$(RUNTIME): pyproject.toml | $(BIN)/python
	@echo "make: installing the runtime dependencies into $(VENV)"
	@$(call INSTALL,-e .)
	$(BIN)/python -m ipykernel install --sys-prefix --name python3 >/dev/null
	@touch $@

$(DEV): $(RUNTIME)
	@echo "make: installing the dev extra (pytest, ruff, hypothesis, mutmut)"
	@$(call INSTALL,-e '.[dev]')
	@touch $@

# (a variable: a comma written inside $(call ...) would split its argument)
BACKENDS_EXTRAS := -e '.[dev,backends]'
$(BACKENDS): $(DEV)
	@echo "make: installing the backends extra (pyspark, psycopg)"
	@$(call INSTALL,$(BACKENDS_EXTRAS))
	@touch $@

$(LAB): $(RUNTIME)
	@echo "make: installing the lab extra (JupyterLab)"
	@$(call INSTALL,-e '.[lab]')
	@touch $@

data/sample/insight.toml: | $(RUNTIME)
	$(BIN)/insightlib sample data/sample

report: $(RUNTIME) data/sample/insight.toml
	$(BIN)/insightlib run data/sample --out reports

test: lint
	$(BIN)/python -m pytest -m "$(FAST)"

test-slow: $(BACKENDS)
	$(BIN)/python -m pytest -m "not ($(FAST))"

test-all: test test-slow

lab: $(LAB) data/sample/insight.toml
	$(BIN)/jupyter lab notebooks/

lint: $(DEV)
	$(BIN)/ruff check insightlib tests benchmarks
	$(BIN)/ruff format --check insightlib tests benchmarks

format: $(DEV)
	$(BIN)/ruff format insightlib tests benchmarks
	$(BIN)/ruff check --fix insightlib tests benchmarks

sample: $(RUNTIME)
	$(BIN)/insightlib sample data/sample --force

check: $(RUNTIME)
	$(BIN)/insightlib check data/sample

bench: $(RUNTIME)
	$(BIN)/python benchmarks/bench_run.py --sizes $(BENCH_SIZES)
	$(BIN)/python benchmarks/bench_quant.py
	$(BIN)/python benchmarks/bench_qual.py

# mutation testing of the core (not part of `make test`; ~15-20 min on two cores): mutmut runs
# the statistics, periods, redaction, engine aggregation, locus and the emerging/fading rules
# against their fast tests; the last line is `mutation score: K killed of N (P%)`.
# One module: `$(BIN)/python tests/mutation_score.py stats`; docs/mutation.md lists survivors.
mutation: $(DEV)
	$(BIN)/python tests/mutation_score.py

clean:
	rm -rf $(VENV) reports/*/ reports/index.html mutants/
