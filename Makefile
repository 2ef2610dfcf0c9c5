# The two commands a newcomer needs: `make demo` and `make test`. Both set up .venv themselves.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed
# The suite runs again on the oldest Airflow we support, in its own virtualenv.
AIRFLOW2_VENV := .venv-airflow2
AIRFLOW2_INSTALLED := $(AIRFLOW2_VENV)/.installed
AIRFLOW2 := apache-airflow==2.11.*
# Each virtualenv installs the exact versions its lock names; `make lock` rewrites the locks on purpose.
LOCK := constraints/airflow3.txt
AIRFLOW2_LOCK := constraints/airflow2.txt
# Each virtualenv and each lock hold the provider with every extra (the suite tests each) and pyproject.toml's
# dev group (the tools, which the wheel's users never get). One lock serves every platform and every Python from
# our floor up (--universal).
COMPILE := $(BIN)/uv pip compile --quiet --universal --python-version 3.11 --custom-compile-command 'make lock' pyproject.toml --all-extras --group dev

.PHONY: help install demo test test-quick test-airflow2 lint docs package-check lock lock-upgrade standalone stack stack-test emulator bench soak clean

help:
	@echo "make demo        run the example DAGs through Airflow against the bundled Alteryx Server emulator"
	@echo "make test        ruff, mypy, the docs, the whole pytest suite (stack scenarios included) and the package check"
	@echo "                 on Airflow 3.3, then the suite again on Airflow 2.11"
	@echo "make test-quick  the pytest suite without the slow tests, on Airflow 3.3 (the inner loop)"
	@echo "make docs        the documentation site in docs/_build/html (warnings are errors; internal links checked)"
	@echo "make package-check  build the wheel and sdist, check them, and see Airflow find the wheel in a fresh virtualenv"
	@echo "make standalone  airflow standalone with the emulator and the example DAGs (Ctrl-C stops it)"
	@echo "make stack       Airflow as in production: PostgreSQL, scheduler, DAG processor, API server, two triggerers, emulator"
	@echo "                 (EXECUTOR=celery adds Redis and three Celery workers that share no disk; Ctrl-C stops it)"
	@echo "make stack-test  the production-topology scenarios (tests/stack) on that stack, both executors"
	@echo "make emulator    the emulator alone on http://127.0.0.1:8585"
	@echo "make bench       the benchmarks in bench/"
	@echo "make soak        200 creations of one workflow, 20 at a time, under faults: fails on any failure, duplicate or wrong job"
	@echo "make lock        after editing pyproject.toml's dependencies: update the locks in constraints/, keeping the other pins"
	@echo "make lock-upgrade  move every pin in constraints/ to the newest release"
	@echo "make clean       remove .venv, .airflow and caches"

# pip only bootstraps the locked uv, which installs the rest in seconds where pip takes minutes. The host's pip installs it
# into a venv made without pip (ensurepip alone costs seconds); a pip older than 22.3 (no --python) or none falls back to ensurepip.
%/bin/uv:
	test -x $*/bin/python || $(PYTHON) -m venv --without-pip $*
	$(PYTHON) -m pip --python $*/bin/python install --quiet --disable-pip-version-check -c $(LOCK) uv \
		|| { $*/bin/python -m ensurepip --default-pip && $*/bin/python -m pip install --quiet --disable-pip-version-check -c $(LOCK) uv; }

# $(call venv,DIR,LOCK,MORE REQUIREMENTS). uv adds pip for hand use. It leaves bytecode to Python, which writes it
# for what is imported (under 2 s of CPU, once, for Airflow) instead of compiling all of site-packages (about 10 s),
# except where PYTHONDONTWRITEBYTECODE forbids that and every airflow command would pay those 2 s again.
# A dependency pyproject.toml gained since the last `make lock` still installs, unpinned until the next one.
# uv reads --all-extras from a pyproject.toml given with -r only, so the editable `.` comes without its extras.
define venv
	$(1)/bin/uv pip install --quiet $(if $(PYTHONDONTWRITEBYTECODE),--compile-bytecode) --python $(1)/bin/python -c $(2) $(3) pip -e . -r pyproject.toml --all-extras --group dev \
		|| { echo "Could not install $(1) as $(2) pins it: if pyproject.toml's dependencies changed, run 'make lock'" >&2; exit 1; }
	touch $(1)/.installed
endef

$(INSTALLED): pyproject.toml $(LOCK) | $(BIN)/uv
	$(call venv,$(VENV),$(LOCK))

install: $(INSTALLED)

$(AIRFLOW2_INSTALLED): pyproject.toml $(AIRFLOW2_LOCK) | $(AIRFLOW2_VENV)/bin/uv
	$(call venv,$(AIRFLOW2_VENV),$(AIRFLOW2_LOCK),'$(AIRFLOW2)')

# uv keeps every pin already in a lock and resolves only what pyproject.toml changed, unless LOCK_FLAGS=--upgrade.
lock: | $(BIN)/uv
	$(COMPILE) $(LOCK_FLAGS) -o $(LOCK)
	echo '$(AIRFLOW2)' | $(COMPILE) - $(LOCK_FLAGS) -o $(AIRFLOW2_LOCK)

lock-upgrade:
	$(MAKE) lock LOCK_FLAGS=--upgrade

demo: install
	$(BIN)/python dev/demo.py demo

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

# The tests that need no multi-process stack or browser run in three processes: most of them wait on sockets
# and timers, not on a core, so three halve the time on two cores. The stack and browser tests start their own
# Airflow processes and run after them, one at a time.
test: lint docs
	$(BIN)/pytest -n 3 -m 'not stack and not ui'
	$(BIN)/pytest -m 'stack or ui'
	$(MAKE) package-check
	$(MAKE) test-airflow2

# -n (nitpicky) makes every reference to code, page or label that does not resolve a warning, and -W a
# warning an error; -E reads every page again, so a warning is never hidden by an earlier build. External
# links are not fetched.
docs: install
	$(BIN)/sphinx-build -E -q -n -W --keep-going -b html docs docs/_build/html
	@echo "docs/_build/html/index.html"

package-check: install
	$(BIN)/python dev/package_check.py

test-airflow2: $(AIRFLOW2_INSTALLED)
	$(AIRFLOW2_VENV)/bin/pytest -n 3

test-quick: install
	$(BIN)/pytest -m 'not slow'

# EXECUTOR=local (LocalExecutor) or celery (CeleryExecutor with Redis).
EXECUTOR ?= local
stack: install
	$(BIN)/python -m dev.stack --executor $(EXECUTOR)

stack-test: install
	$(BIN)/pytest -m stack tests/stack

standalone: install
	$(BIN)/python dev/demo.py standalone

emulator: install
	$(BIN)/alteryx-server-emulator

soak: install
	$(BIN)/python bench/soak.py

bench: install
	$(BIN)/python bench/emulator_load.py
	$(BIN)/python bench/trigger_fanout.py
	$(BIN)/python bench/scale.py
	$(BIN)/python bench/outage.py
	$(BIN)/python -m bench.import_cost
	$(BIN)/python -m bench.plugin_load
	$(BIN)/python -m bench.creation

clean:
	rm -rf $(VENV) $(AIRFLOW2_VENV) .venv-package dist docs/_build .airflow .pytest_cache .mypy_cache .ruff_cache *.egg-info
