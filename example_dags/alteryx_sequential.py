"""Sequential: workflow A, then B, then C, each starting only once the one before has succeeded.

This is what runner macros did with "Block Until Done": here each task waits for its own job, and
Airflow's dependencies do the blocking. A failed job fails its task, so the next one never starts.
"""

from __future__ import annotations

import pendulum
from airflow.providers.common.compat.sdk import DAG

from airflow_provider_alteryx.operators.alteryx import AlteryxRunWorkflowOperator

# Workflows of the emulator's bundled demo catalogue; use your Server's workflow ids instead.
EXTRACT_ORDERS = "6a1f0c2b3d4e5f60718293a4"
TRANSFORM_ORDERS = "6a1f0c2b3d4e5f60718293a5"
PUBLISH_REPORT = "6a1f0c2b3d4e5f60718293a6"

with DAG(
    dag_id="alteryx_sequential",
    schedule=None,
    start_date=pendulum.datetime(2026, 1, 1, tz="UTC"),
    catchup=False,
    tags=["alteryx", "example"],
    # Waiting in the triggerer frees the worker slot while Alteryx runs the job.
    default_args={"deferrable": True, "poll_interval": 2},
):
    extract = AlteryxRunWorkflowOperator(task_id="extract_orders", workflow_id=EXTRACT_ORDERS)
    transform = AlteryxRunWorkflowOperator(task_id="transform_orders", workflow_id=TRANSFORM_ORDERS)
    publish = AlteryxRunWorkflowOperator(
        task_id="publish_report",
        workflow_id=PUBLISH_REPORT,
        questions={"recipient": "finance@example.com"},
        # Outputs land in <output_dir>/<job id>/; their paths are in the task's "output_files" XCom.
        output_dir="{{ var.value.get('alteryx_output_dir', 'alteryx-outputs') }}/{{ ds }}",
    )

    extract >> transform >> publish
