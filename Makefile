# Two commands set everything up on a machine with Python 3.11 and pip:
#   make run    create .venv if missing, install the pinned dependencies, run the default study
#               and write its report (results/report.html)
#   make test   same set-up, then the linters (make lint) and the test suite
#   make bench  same set-up, then the benchmarks (results/bench/bench.csv)
#   make bench-3d  the 3D unit cells' per-level costs (results/bench/bench_3d.csv; LEVELS="0 1" for some)
#   make cases  the table of cases the study defines (results/cases.csv), nothing solved
# STUDY=config/studies/<name>.yaml runs a ready-made study instead of config/config.yaml.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed
PROFILE := --workflow-profile workflow/profiles/default
STUDY_FILE := $(if $(STUDY),--configfile $(STUDY))

.PHONY: run cases report bench bench-3d test test-fast dry-run lint format check-gmsh clean

run: $(INSTALLED)
	$(BIN)/snakemake $(PROFILE) $(STUDY_FILE) --cores all
	$(BIN)/snakemake $(STUDY_FILE) --report results/report.html

cases: $(INSTALLED)
	$(BIN)/snakemake $(STUDY_FILE) --cores 1 --quiet rules -- results/cases.csv
	@echo "wrote results/cases.csv"

report: $(INSTALLED)
	$(BIN)/snakemake $(STUDY_FILE) --report results/report.html

bench: $(INSTALLED)
	$(BIN)/python benchmarks/bench.py

bench-3d: $(INSTALLED)
	$(BIN)/python benchmarks/bench.py --cells --end-time 1 $(if $(LEVELS),--cell-levels $(LEVELS))

test: lint
	$(BIN)/pytest

test-fast: $(INSTALLED)
	$(BIN)/pytest -m "not slow"

dry-run: $(INSTALLED)
	$(BIN)/snakemake $(PROFILE) $(STUDY_FILE) --dry-run

# The formatters check, never rewrite; `make format` rewrites.
lint: $(INSTALLED)
	$(BIN)/ruff format --check --quiet .
	$(BIN)/ruff check --quiet .
	$(BIN)/snakefmt --check Snakefile workflow/rules
	$(BIN)/snakemake --lint

format: $(INSTALLED)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix --quiet .
	$(BIN)/snakefmt Snakefile workflow/rules

$(INSTALLED): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || \
		{ echo "error: $(PYTHON) is older than Python 3.11; run: make PYTHON=python3.11 ..." >&2; exit 1; }
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[test]'
	@$(MAKE) --no-print-directory check-gmsh
	@touch $@

# gmsh's wheel links to X11/OpenGL libraries that a minimal system may lack; name the missing ones.
check-gmsh:
	@missing=$$(ldd $(VENV)/lib/libgmsh.so* 2>/dev/null | awk '/not found/ {print $$1}' | sort -u | tr '\n' ' '); \
	if [ -n "$$missing" ]; then \
		echo "error: gmsh needs system libraries that are missing: $$missing" >&2; \
		echo "  on Debian/Ubuntu: apt-get install libglu1-mesa libxcursor1 libxft2 libxinerama1" >&2; \
		exit 1; \
	fi
	@$(BIN)/python -c 'import gmsh' || { echo "error: gmsh does not import (see the message above)" >&2; exit 1; }

clean:
	rm -rf results .snakemake
