# The two commands a newcomer needs: `make demo` and `make test`. Both set up .venv themselves.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed
# The suite runs again on the oldest Airflow we support, in its own virtualenv.
AIRFLOW2_VENV := .venv-airflow2
AIRFLOW2_INSTALLED := $(AIRFLOW2_VENV)/.installed

.PHONY: help install demo test test-airflow2 lint standalone emulator bench clean

help:
	@echo "make demo        run the example DAGs through Airflow against the bundled Alteryx Server emulator"
	@echo "make test        ruff, mypy and the whole pytest suite, on Airflow 3.3 and again on Airflow 2.11"
	@echo "make standalone  airflow standalone with the emulator and the example DAGs (Ctrl-C stops it)"
	@echo "make emulator    the emulator alone on http://127.0.0.1:8585"
	@echo "make bench       the benchmarks in bench/"
	@echo "make clean       remove .venv, .airflow and caches"

$(INSTALLED): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[test]'
	touch $@

install: $(INSTALLED)

$(AIRFLOW2_INSTALLED): pyproject.toml
	test -x $(AIRFLOW2_VENV)/bin/python || $(PYTHON) -m venv $(AIRFLOW2_VENV)
	$(AIRFLOW2_VENV)/bin/python -m pip install --quiet --disable-pip-version-check 'apache-airflow==2.11.*' -e '.[test]'
	touch $@

demo: install
	$(BIN)/python dev/demo.py demo

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

test: lint
	$(BIN)/pytest
	$(MAKE) test-airflow2

test-airflow2: $(AIRFLOW2_INSTALLED)
	$(AIRFLOW2_VENV)/bin/pytest

standalone: install
	$(BIN)/python dev/demo.py standalone

emulator: install
	$(BIN)/alteryx-server-emulator

bench: install
	$(BIN)/python bench/emulator_load.py
	$(BIN)/python bench/trigger_fanout.py

clean:
	rm -rf $(VENV) $(AIRFLOW2_VENV) .airflow .pytest_cache .mypy_cache .ruff_cache *.egg-info
