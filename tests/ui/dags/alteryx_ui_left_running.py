"""The Alteryx jobs page's DAG: a task that creates a job and ends at once, leaving the job queued or running."""

from __future__ import annotations

import pendulum
from airflow.providers.common.compat.sdk import DAG

from airflow_provider_alteryx.operators.alteryx import AlteryxRunWorkflowOperator

# "Hold the workers" in tests/ui/catalogue.yaml: an hour long, so the job outlives its task by far.
LONG = "0000000000000000000000b1"

with DAG(
    dag_id="alteryx_ui_left_running",
    schedule=None,
    start_date=pendulum.datetime(2026, 1, 1, tz="UTC"),
    catchup=False,
    tags=["alteryx", "test"],
    default_args={"retries": 0},
):
    AlteryxRunWorkflowOperator(task_id="start", workflow_id=LONG, wait_for_completion=False)
