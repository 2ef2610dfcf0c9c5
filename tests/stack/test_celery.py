"""The CeleryExecutor profile: Redis and three Celery workers that share no disk, as on separate hosts.

Outputs pass between workers through object storage, and job creations take turns through Redis.
"""

from __future__ import annotations

import json

import pytest
import redis

from airflow_provider_alteryx.hooks.redis_store import PREFIX
from dev.stack import CELERY_WORKERS, COORDINATION_DATABASE
from tests.stack.driver import SHORT, TASKS, Driver, Figures, assert_nothing_lost, finish, run_under_faults

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


@pytest.mark.parametrize("run", [1, 2, 3])
def test_celery_h_50_mapped_tasks_under_faults_on_three_hosts(
    celery_stack: Driver, record: Figures, run: int
) -> None:
    """Answers lost together on different hosts are attributed through Redis: no retry, duplicate or wrong job."""
    assert_nothing_lost(run_under_faults(celery_stack, record, f"hosts-{run}", count=50))
    assert (record.tasks, record.retried) == (50, 0)
    workers = [
        name
        for name in CELERY_WORKERS
        if f"hosts-{run}-" in celery_stack.stack.components[name].log.read_text()
    ]
    turns = redis.Redis.from_url(
        celery_stack.stack.env["AIRFLOW__CELERY__BROKER_URL"].rsplit("/", 1)[0] + f"/{COORDINATION_DATABASE}"
    )
    records = turns.keys(f"{PREFIX}*")
    record.note += (
        f"; ran on {len(workers)} workers with their own TMPDIR and HOME, {len(records)} keys in Redis"
    )
    assert len(workers) == len(CELERY_WORKERS) and records
