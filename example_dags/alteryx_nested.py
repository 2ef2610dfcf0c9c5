"""Nested: inside a larger pipeline, run workflow B, wait for it, then continue.

Two ways to wait are shown. ``refresh_sales`` waits inside the operator (the usual choice).
``start_quality_check`` only starts its job and hands the id to ``wait_for_quality_check``, a
sensor: useful when other work can run in between, or when the job is started elsewhere.

Trigger it with the param ``region`` set to ``Atlantis`` to see a failed job, its messages in the
task log, and what clearing the failed task does (a new job, since the failed one has finished).
"""

from __future__ import annotations

from typing import Any

import pendulum
from airflow.providers.common.compat.sdk import DAG, Param, XComArg, task

from airflow_provider_alteryx.operators.alteryx import AlteryxRunWorkflowOperator
from airflow_provider_alteryx.sensors.alteryx import AlteryxJobSensor

REGIONAL_SALES = "6a1f0c2b3d4e5f60718293a7"
DATA_QUALITY_CHECK = "6a1f0c2b3d4e5f60718293a8"

with DAG(
    dag_id="alteryx_nested",
    schedule=None,
    start_date=pendulum.datetime(2026, 1, 1, tz="UTC"),
    catchup=False,
    tags=["alteryx", "example"],
    params={
        "region": Param("EMEA", type="string", description="Sales region; Atlantis makes the workflow fail")
    },
):

    @task
    def choose_region(params: dict[str, Any] | None = None) -> dict[str, str]:
        return {"region": (params or {})["region"]}

    @task
    def publish(sales_job: dict[str, Any], checked_job_id: str) -> None:
        print(
            f"Sales job {sales_job['id']} ended {sales_job['disposition']}; quality check job {checked_job_id} passed"
        )

    # Form 1: the operator runs workflow B and waits for it.
    refresh_sales = AlteryxRunWorkflowOperator(
        task_id="refresh_sales",
        workflow_id=REGIONAL_SALES,
        questions=choose_region(),
        deferrable=True,
        poll_interval=2,
    )

    # Form 2: start without waiting, then wait in a sensor on the job id the operator returned.
    start_quality_check = AlteryxRunWorkflowOperator(
        task_id="start_quality_check", workflow_id=DATA_QUALITY_CHECK, wait_for_completion=False
    )
    wait_for_quality_check = AlteryxJobSensor(
        task_id="wait_for_quality_check",
        job_id=start_quality_check.output,
        deferrable=True,
        poke_interval=2,
        timeout=600,
        # The demo's quality check ends with warnings; pass fail_on_warning=True to make that fatal.
        fail_on_warning=False,
    )

    refresh_sales >> start_quality_check >> wait_for_quality_check
    # The operator pushes the finished job's summary as XCom "job"; the sensor returns the job id.
    publish(XComArg(refresh_sales, key="job"), wait_for_quality_check.output)
