"""DAGs that the operator and sensor tests run with dag.test(); Airflow syncs them from this folder.

Workflow ids are those of tests/catalogue.yaml. The connection comes from AIRFLOW_CONN_ALTERYX_DEFAULT,
which each test points at its own emulator.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pendulum
from airflow.providers.common.compat.sdk import DAG

from airflow_provider_alteryx.operators.alteryx import AlteryxRunWorkflowOperator
from airflow_provider_alteryx.sensors.alteryx import AlteryxJobSensor

QUICK, REGIONAL, WARNS, SLOW, MEDIUM, NAMED_OUTPUTS = (f"0000000000000000000000a{i}" for i in range(1, 7))
# The output names of NAMED_OUTPUTS's six outputs, and where to save them, come from the run's conf.
NAMED_OUTPUT_QUESTIONS = {f"o{n}": f"{{{{ dag_run.conf['o{n}'] }}}}" for n in range(1, 7)}
START = pendulum.datetime(2026, 1, 1, tz="UTC")
MODES = {"sync": False, "deferred": True}
DAGS: dict[str, DAG] = {}


class WorkerDiesOnFirstTry(AlteryxRunWorkflowOperator):
    """Stands in for a worker that crashes after submitting the job: the one case the emulator cannot produce."""

    def execute(self, context: Any) -> str:
        if context["ti"].try_number == 1:
            self.wait_for_completion = False
            super().execute(context)
            raise RuntimeError("simulated worker crash while the Alteryx job runs")
        return super().execute(context)


def single_task(
    dag_id: str, operator: type[AlteryxRunWorkflowOperator] = AlteryxRunWorkflowOperator, **kwargs: Any
) -> DAG:
    with DAG(dag_id, schedule=None, start_date=START, catchup=False) as dag:
        operator(task_id="run", poll_interval=0.1, **kwargs)
    DAGS[dag_id] = dag
    return dag


for mode, deferrable in MODES.items():
    single_task(
        f"success_{mode}",
        deferrable=deferrable,
        workflow_id=REGIONAL,
        questions={"region": "EMEA"},
        output_dir="{{ var.value.alteryx_test_outputs }}",
    )
    single_task(f"warning_{mode}", deferrable=deferrable, workflow_id=WARNS)
    single_task(f"warning_fails_{mode}", deferrable=deferrable, workflow_id=WARNS, fail_on_warning=True)
    single_task(
        f"error_{mode}",
        deferrable=deferrable,
        workflow_id=REGIONAL,
        questions=[{"name": "region", "value": "Atlantis"}],
    )
    single_task(f"slow_{mode}", deferrable=deferrable, workflow_id=SLOW)
    single_task(
        f"named_outputs_{mode}",
        deferrable=deferrable,
        workflow_id=NAMED_OUTPUTS,
        questions=NAMED_OUTPUT_QUESTIONS,
        output_dir="{{ dag_run.conf['output_dir'] }}",
    )
    single_task(f"timeout_{mode}", deferrable=deferrable, workflow_id=SLOW, timeout=1)
    single_task(
        f"retry_failed_job_{mode}",
        deferrable=deferrable,
        workflow_id=REGIONAL,
        questions={"region": "Atlantis"},
        retries=1,
        retry_delay=0,
    )
    single_task(
        f"retry_running_job_{mode}",
        WorkerDiesOnFirstTry,
        deferrable=deferrable,
        workflow_id=MEDIUM,
        retries=1,
        retry_delay=0,
    )

    with DAG(f"mapped_{mode}", schedule=None, start_date=START, catchup=False) as mapped:
        AlteryxRunWorkflowOperator.partial(
            task_id="run", workflow_id=REGIONAL, poll_interval=0.1, deferrable=deferrable
        ).expand(questions=[{"region": region} for region in ("EMEA", "APAC", "AMER")])
    DAGS[mapped.dag_id] = mapped

    with DAG(f"sensor_{mode}", schedule=None, start_date=START, catchup=False) as sensed:
        start = AlteryxRunWorkflowOperator(
            task_id="start",
            workflow_id=REGIONAL,
            questions={"region": "{{ dag_run.conf.get('region', 'EMEA') }}"},
            wait_for_completion=False,
        )
        watch = AlteryxJobSensor(
            task_id="watch",
            job_id="{{ ti.xcom_pull(task_ids='start') }}",
            poke_interval=0.1,
            timeout=30,
            deferrable=deferrable,
        )
        start >> watch
    DAGS[sensed.dag_id] = sensed

    with DAG(f"sensor_timeout_{mode}", schedule=None, start_date=START, catchup=False) as sensed_too_long:
        start = AlteryxRunWorkflowOperator(task_id="start", workflow_id=SLOW, wait_for_completion=False)
        watch = AlteryxJobSensor(
            task_id="watch",
            job_id="{{ ti.xcom_pull(task_ids='start') }}",
            poke_interval=0.1,
            timeout=1,
            deferrable=deferrable,
        )
        start >> watch
    DAGS[sensed_too_long.dag_id] = sensed_too_long

single_task("unknown_question", workflow_id=REGIONAL, questions={"regoin": "EMEA"})
# Airflow does not apply execution_timeout to a deferred task: the trigger's deadline carries it.
single_task(
    "execution_timeout_deferred", deferrable=True, workflow_id=SLOW, execution_timeout=timedelta(seconds=2)
)
single_task("lineage_without_download", workflow_id=REGIONAL, questions={"region": "EMEA"})
single_task(
    "by_name", workflow_name="{{ dag_run.conf.get('name', 'Regional') }}", questions={"region": "EMEA"}
)
single_task(
    "hook_params_deferred",
    deferrable=True,
    workflow_id=QUICK,
    hook_params={"retry_limit": 3, "request_timeout": 15, "pool_size": 8},
)
