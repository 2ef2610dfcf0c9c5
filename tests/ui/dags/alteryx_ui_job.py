"""The Alteryx job view's DAGs: a deferred Alteryx task beside a plain one, and a DAG scheduled on the workflow's asset."""

from __future__ import annotations

import json
import os
from typing import Any

import pendulum
from airflow.providers.common.compat.sdk import DAG, task

from airflow_provider_alteryx.assets.alteryx import workflow_asset
from airflow_provider_alteryx.operators.alteryx import AlteryxRunWorkflowOperator

# "Watched in the UI" and "Hold the workers" in tests/ui/catalogue.yaml.
WATCHED = "0000000000000000000000b2"
HOLDER = "0000000000000000000000b1"
# The emulator's address is chosen when the test starts; the asset names it as every event does.
SERVER = json.loads(os.environ.get("AIRFLOW_CONN_ALTERYX_DEFAULT", '{"host": "http://emulator"}'))["host"]
WATCHED_ASSET = workflow_asset(SERVER, WATCHED)

with DAG(
    dag_id="alteryx_ui_job",
    schedule=None,
    start_date=pendulum.datetime(2026, 1, 1, tz="UTC"),
    catchup=False,
    tags=["alteryx", "test"],
    default_args={"retries": 0},
):

    @task
    def plain() -> str:
        return "not an Alteryx task"

    plain() >> AlteryxRunWorkflowOperator(
        task_id="watched",
        workflow_id=WATCHED,
        questions={"batch": "{{ run_id }}"},
        priority="High",
        deferrable=True,
        poll_interval=1,
        output_dir="{{ var.value.alteryx_output_dir }}",
    )

with DAG(
    dag_id="alteryx_ui_downstream",
    schedule=[WATCHED_ASSET],
    start_date=pendulum.datetime(2026, 1, 1, tz="UTC"),
    catchup=False,
    tags=["alteryx", "test"],
):

    @task
    def report(triggering_asset_events: Any = None) -> list[dict[str, Any]]:
        """The extras of the asset events that started this run."""
        return [dict(event.extra) for events in (triggering_asset_events or {}).values() for event in events]

    report()
