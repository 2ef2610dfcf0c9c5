"""DAGs the stack scenarios (tests/stack) trigger on the multi-process stack of dev/stack.py.

Workflow ids are those of tests/stack/catalogue.yaml. Each mapped task answers the question ``item`` with a
value unique to its run and map index, so a duplicate job is visible in the emulator's job list.
"""

from __future__ import annotations

import os
from datetime import timedelta
from typing import Any

import pendulum
from airflow.providers.common.compat.sdk import DAG
from airflow.providers.standard.operators.empty import EmptyOperator
from airflow.sdk import ObjectStoragePath, task
from stack_blocking import BlockTheTriggerer

from airflow_provider_alteryx.assets.alteryx import workflow_asset
from airflow_provider_alteryx.operators.alteryx import AlteryxRunWorkflowOperator

SHORT, MEDIUM, LONG, LONGEST = (f"5a000000000000000000000{i}" for i in range(1, 5))
START = pendulum.datetime(2026, 1, 1, tz="UTC")
RETRIES: dict[str, Any] = {"retries": 1, "retry_delay": timedelta(seconds=3)}


@task
def items(params: dict[str, Any] | None = None, run_id: str | None = None) -> list[dict[str, str]]:
    """One question answer per map index: ``<run id>/<index>``."""
    assert params is not None
    return [{"item": f"{run_id}/{index}"} for index in range(int(params["count"]))]


def mapped(dag_id: str, poll_interval: float, pool: str = "default_pool") -> DAG:
    """``count`` mapped deferrable runs of workflow ``workflow`` (both DAG params), in ``pool``."""
    with DAG(
        dag_id, schedule=None, start_date=START, catchup=False, params={"count": 20, "workflow": SHORT}
    ) as dag:
        AlteryxRunWorkflowOperator.partial(
            task_id="run",
            workflow_id="{{ params.workflow }}",
            deferrable=True,
            poll_interval=poll_interval,
            pool=pool,
            **RETRIES,
        ).expand(questions=items())
    return dag


# Airflow 3 creates an asset on its first event when no DAG names it, and of two tasks that finish at once and
# both create it, one fails (the API server answers its success 409). Named here, the workflows' assets exist
# before any scenario, as they do where a DAG is scheduled on them (docs/ui.rst). Never run.
with DAG("stack_assets", schedule=None, start_date=START, catchup=False) as stack_assets:
    EmptyOperator(
        task_id="name_the_assets",
        outlets=[
            workflow_asset(os.environ["ALTERYX_STACK_SERVER"], id) for id in (SHORT, MEDIUM, LONG, LONGEST)
        ],
    )

stack_mapped = mapped("stack_mapped", poll_interval=2)
# The setting for "cancelled within two poll intervals".
stack_kill = mapped("stack_kill", poll_interval=5)
# In the pool the simultaneous example documents, which the pool scenario creates with the size it tests.
stack_pooled = mapped("stack_pooled", poll_interval=2, pool="alteryx")

with DAG(
    "stack_blocker",
    schedule=None,
    start_date=START,
    catchup=False,
    params={"seconds": 180, "delay": 1, "marker": "/tmp/stack-blocked", "release": "/tmp/stack-released"},
) as stack_blocker:
    BlockTheTriggerer(task_id="block")


@task(queue="worker-2")
def read_outputs(ti: Any = None) -> dict[str, Any]:
    """Read back, on the other Celery worker, what the ``run`` task saved to object storage."""
    urls = ti.xcom_pull(task_ids="run", key="output_files")
    return {
        "worker": os.environ.get("ALTERYX_STACK_COMPONENT"),
        "contents": {url: ObjectStoragePath(url).read_text() for url in urls},
    }


with DAG("stack_outputs", schedule=None, start_date=START, catchup=False) as stack_outputs:
    write = AlteryxRunWorkflowOperator(
        task_id="run",
        workflow_id=SHORT,
        questions={"item": "{{ run_id }}/0"},
        deferrable=True,
        poll_interval=2,
        output_dir="{{ var.value.stack_output_dir }}",
        queue="worker-1",
        **RETRIES,
    )
    write >> read_outputs()
