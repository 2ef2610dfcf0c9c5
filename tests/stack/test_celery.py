"""The CeleryExecutor profile: Redis and two Celery workers, with outputs passed between workers through object storage."""

from __future__ import annotations

import json

import pytest

from tests.stack.driver import SHORT, TASKS, Driver, Figures, assert_nothing_lost, finish

pytestmark = [pytest.mark.stack, pytest.mark.slow]


def test_celery_baseline_20_mapped_deferrable_tasks(celery_stack: Driver, record: Figures) -> None:
    run_id = celery_stack.trigger("stack_mapped", "celery", count=TASKS, workflow=SHORT)
    assert_nothing_lost(finish(celery_stack, record, run_id))
    assert record.tasks == TASKS


def test_celery_outputs_written_by_one_worker_are_read_by_another(
    celery_stack: Driver, record: Figures
) -> None:
    run_id = celery_stack.trigger("stack_outputs", "outputs")
    assert_nothing_lost(finish(celery_stack, record, run_id, "stack_outputs"))
    assert celery_stack.wait_finished("stack_outputs", run_id, "read_outputs") == {-1: ("success", 1)}
    entry = celery_stack.stack.api(
        "GET", f"/dags/stack_outputs/dagRuns/{run_id}/taskInstances/read_outputs/xcomEntries/return_value"
    )
    read = json.loads(entry["value"]) if isinstance(entry["value"], str) else entry["value"]
    record.note = f"written on queue worker-1, read on {read['worker']}"
    assert read["worker"] == "celery-worker-2"
    (url,) = read["contents"]
    assert url.startswith("file://") and url.endswith(".csv")
    assert read["contents"][url] == f"item,status\n{run_id}/0,done\n"
    assert celery_stack.sql(
        "SELECT queue FROM task_instance WHERE run_id = %s AND task_id = 'run'", run_id
    ) == [("worker-1",)]
