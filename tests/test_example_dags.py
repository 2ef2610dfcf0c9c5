"""The example DAGs parse cleanly and run green through ``airflow dags test`` against the emulator."""

from __future__ import annotations

import ast
import importlib
import shlex
import warnings
from pathlib import Path

import pytest
from airflow.cli.cli_parser import get_parser

from airflow_provider_alteryx.emulator import EmulatorConfig, load_catalogue, run_emulator
from dev.demo import EXAMPLE_DAGS, POOL_COMMAND, airflow, airflow_env, prepare

EXAMPLES = Path(__file__).parents[1] / "example_dags"
# Alteryx jobs each example starts: A, B, C; four regions; the sales refresh and the quality check.
EXPECTED_JOBS = {"alteryx_sequential": 3, "alteryx_simultaneous": 4, "alteryx_nested": 2}
# Scheduled on Server-run jobs (an AssetWatcher, Airflow 3 only), so not run here; tests/triggers/test_workflow_events.py covers them.
EVENT_DRIVEN_DAGS = (
    ("alteryx_server_events",)
    if hasattr(importlib.import_module("airflow.triggers.base"), "BaseEventTrigger")
    else ()
)


def test_example_dags_parse_without_errors_or_warnings() -> None:
    try:
        from airflow.dag_processing.dagbag import DagBag
    except ImportError:  # Airflow 2
        from airflow.models.dagbag import DagBag  # type: ignore[no-redef]

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        bag = DagBag(dag_folder=str(EXAMPLES))
    assert bag.import_errors == {}
    assert sorted(bag.dag_ids) == sorted((*EXAMPLE_DAGS, *EVENT_DRIVEN_DAGS))
    assert [str(w.message) for w in caught if str(EXAMPLES) in str(w.filename)] == []


@pytest.mark.parametrize("dag_id", EXAMPLE_DAGS)
def test_example_dag_runs_green_through_airflow_dags_test(tmp_path: Path, dag_id: str) -> None:
    with run_emulator(EmulatorConfig(workflows=load_catalogue(), time_scale=0.2)) as emulator:
        env = airflow_env(emulator, home=tmp_path / "airflow")
        prepare(env)
        done = airflow(env, "dags", "test", dag_id, capture_output=True, timeout=300)
        assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
        jobs = emulator.jobs()
    assert len(jobs) == EXPECTED_JOBS[dag_id]
    assert {job["disposition"] for job in jobs} <= {"Success", "Warning"}
    if dag_id == "alteryx_sequential":
        (report,) = (tmp_path / "airflow" / "outputs").rglob("report.csv")
        assert (
            report.parent.name == jobs[-1]["id"] and report.read_text() == "month,revenue\n2026-10,219.50\n"
        )


def test_the_simultaneous_example_documents_a_pool_that_counts_deferred_tasks() -> None:
    """Its docstring's command is the one users copy: without --include-deferred the pool would cap only creations."""
    docstring = ast.get_docstring(ast.parse((EXAMPLES / "alteryx_simultaneous.py").read_text()))
    assert docstring is not None
    (command,) = [shlex.split(line) for line in docstring.splitlines() if "airflow pools set" in line]
    documented = get_parser().parse_args(command[1:])  # read as Airflow's own command line reads it
    assert (documented.pool, documented.include_deferred) == ("alteryx", True)


def test_make_standalone_and_the_ui_tests_create_the_pool_counting_deferred_tasks() -> None:
    created = get_parser().parse_args(list(POOL_COMMAND))
    assert (created.pool, created.include_deferred) == ("alteryx", True)
