"""The browser test's DAG: one task whose first try fails (its Alteryx job ends in Error) and whose second succeeds."""

from __future__ import annotations

import pendulum
from airflow.providers.common.compat.sdk import DAG

from airflow_provider_alteryx.operators.alteryx import AlteryxRunWorkflowOperator

# "Fails on the first try" in tests/ui/catalogue.yaml: its job ends in Error while the question `attempt` is 1.
FAILS_ON_FIRST_TRY = "0000000000000000000000f1"

with DAG(
    dag_id="alteryx_ui_flaky",
    schedule=None,
    start_date=pendulum.datetime(2026, 1, 1, tz="UTC"),
    catchup=False,
    tags=["alteryx", "test"],
    # No retries: the failed try stays failed until someone clears it in the UI.
    default_args={"retries": 0},
):
    AlteryxRunWorkflowOperator(
        task_id="flaky",
        workflow_id=FAILS_ON_FIRST_TRY,
        questions={"attempt": "{{ ti.try_number }}"},
        deferrable=True,
        poll_interval=1,
    )
