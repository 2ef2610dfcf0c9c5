"""Event-driven: run a DAG after each job a Server schedule runs, while the schedule still lives on the Server.

Many shops move orchestration to Airflow a piece at a time: the Server keeps running "Regional sales"
on its own schedule, and the steps that follow it move to Airflow first. An ``AssetWatcher`` lists
the workflow's jobs every minute (one request, however many jobs run) and updates the asset once per
job that finished with ``Success`` or ``Warning``; this DAG, scheduled on the asset, then runs once
per such job, with the job's summary (id, disposition, outputs, messages) in its triggering event.
The asset is the workflow's, built by ``workflow_asset`` (``alteryx://<Server host>/workflows/<id>``, named
by that URI), which the operator also updates when an Airflow task runs the workflow: the DAG follows the
workflow whoever ran it.

A job that finished while the triggerer was down is reported when it is back, and none is reported
twice (see :class:`~airflow_provider_alteryx.triggers.workflow_events.AlteryxWorkflowJobsTrigger`).
Event-driven scheduling needs Airflow 3: on Airflow 2 this file defines no DAG.
"""

from __future__ import annotations

from typing import Any

import pendulum
from airflow.providers.common.compat.sdk import DAG, task

from airflow_provider_alteryx.assets.alteryx import workflow_asset

try:
    from airflow.sdk import AssetWatcher

    from airflow_provider_alteryx.triggers.workflow_events import AlteryxWorkflowJobsTrigger

    EVENT_DRIVEN = True
except ImportError:  # Airflow 2
    EVENT_DRIVEN = False

# "Regional sales" in the emulator's bundled demo catalogue; use your Server's workflow id instead.
REGIONAL_SALES = "6a1f0c2b3d4e5f60718293a7"
# The Server alteryx_default points at (here the emulator of `make emulator`); the asset's URI names it.
ALTERYX_SERVER = "http://127.0.0.1:8585"
# Jobs created before this are never reported. A fixed time: Airflow identifies the watcher by its arguments.
WATCH_SINCE = "2026-11-01T00:00:00Z"

if EVENT_DRIVEN:
    regional_sales_jobs = workflow_asset(
        ALTERYX_SERVER,
        REGIONAL_SALES,
        watchers=[
            AssetWatcher(
                name="regional_sales_finished",
                trigger=AlteryxWorkflowJobsTrigger(
                    workflow_id=REGIONAL_SALES,
                    since=WATCH_SINCE,
                    dispositions=["Success", "Warning"],
                    poll_interval=60,
                ),
            )
        ],
    )

    with DAG(
        dag_id="alteryx_server_events",
        schedule=[regional_sales_jobs],
        start_date=pendulum.datetime(2026, 1, 1, tz="UTC"),
        catchup=False,
        tags=["alteryx", "example"],
    ):

        @task
        def report_job(triggering_asset_events: Any = None) -> list[str]:
            """Log each Server job behind this run and return their ids (one per run, unless runs were queued together)."""
            job_ids = []
            for events in (triggering_asset_events or {}).values():
                for event in events:
                    # A watcher's event carries the trigger's payload; the operator's has job_id and disposition itself.
                    payload = event.extra.get("payload", event.extra)
                    job = payload.get("job", {})
                    print(
                        f"Alteryx job {payload.get('job_id')} of workflow {payload.get('workflow_id')} ended {payload.get('disposition')}"
                    )
                    print(
                        f"Outputs: {', '.join(output['name'] for output in job.get('outputs', [])) or 'none'}"
                    )
                    job_ids.append(str(payload.get("job_id")))
            return job_ids

        report_job()
