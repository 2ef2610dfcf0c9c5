"""A DAG the plugin's tests run with dag.test(): its task creates a job and ends at once, leaving the job to run."""

from __future__ import annotations

import pendulum
from airflow.providers.common.compat.sdk import DAG

from airflow_provider_alteryx.operators.alteryx import AlteryxRunWorkflowOperator

# "Regional" in tests/catalogue.yaml.
REGIONAL = "0000000000000000000000a2"

with DAG(
    "views_left_running", schedule=None, start_date=pendulum.datetime(2026, 1, 1, tz="UTC"), catchup=False
) as LEFT_RUNNING:
    AlteryxRunWorkflowOperator(
        task_id="start", workflow_id=REGIONAL, questions={"region": "EMEA"}, wait_for_completion=False
    )
