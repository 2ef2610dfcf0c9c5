"""Simultaneous: the same workflow run at once for several inputs, one mapped task per region.

Sizing the pool: Alteryx Server runs at most "simultaneous workflows" jobs per worker (System
Settings > Worker > Run Workflows > Workflows allowed to run simultaneously) and queues the rest.
Give the ``alteryx`` pool that many slots times your worker count, less what schedules and Gallery
users need, so Airflow holds back the surplus instead of flooding the Server's queue. Create it with
``--include-deferred``: a deferred task waits for its job in the triggerer, and a pool without it counts
only queued and running tasks, so each task would free its slot as soon as its job exists and every job
would reach the Server at once:

    airflow pools set alteryx 2 "Alteryx Server worker slots" --include-deferred
"""

from __future__ import annotations

import pendulum
from airflow.providers.common.compat.sdk import DAG

from airflow_provider_alteryx.operators.alteryx import AlteryxRunWorkflowOperator

REGIONAL_SALES = "6a1f0c2b3d4e5f60718293a7"  # the demo catalogue's workflow with a "region" question
REGIONS = ["EMEA", "APAC", "AMER", "LATAM"]

with DAG(
    dag_id="alteryx_simultaneous",
    schedule=None,
    start_date=pendulum.datetime(2026, 1, 1, tz="UTC"),
    catchup=False,
    tags=["alteryx", "example"],
):
    # One task instance (and one Alteryx job) per region, each waited on and linked separately.
    AlteryxRunWorkflowOperator.partial(
        task_id="refresh_region",
        workflow_id=REGIONAL_SALES,
        pool="alteryx",
        deferrable=True,
        poll_interval=2,
    ).expand(questions=[{"region": region, "as_of": "{{ ds }}"} for region in REGIONS])
