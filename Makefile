# The two commands a newcomer needs: `make demo` and `make test`. Both set up .venv themselves.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed

.PHONY: help install demo test lint standalone emulator bench clean

help:
	@echo "make demo        run the example DAGs through Airflow against the bundled Alteryx Server emulator"
	@echo "make test        ruff, mypy and the whole pytest suite"
	@echo "make standalone  airflow standalone with the emulator and the example DAGs (Ctrl-C stops it)"
	@echo "make emulator    the emulator alone on http://127.0.0.1:8585"
	@echo "make bench       the benchmarks in bench/"
	@echo "make clean       remove .venv, .airflow and caches"

$(INSTALLED): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[test]'
	touch $@

install: $(INSTALLED)

demo: install
	$(BIN)/python dev/demo.py demo

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

test: lint
	$(BIN)/pytest

standalone: install
	$(BIN)/python dev/demo.py standalone

emulator: install
	$(BIN)/alteryx-server-emulator

bench: install
	$(BIN)/python bench/emulator_load.py
	$(BIN)/python bench/trigger_fanout.py

clean:
	rm -rf $(VENV) .airflow .pytest_cache .mypy_cache .ruff_cache *.egg-info
