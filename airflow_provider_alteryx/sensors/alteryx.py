"""Wait for an Alteryx job that something else started (typically the operator with ``wait_for_completion=False``)."""

from __future__ import annotations

import time
from collections.abc import Sequence
from functools import cached_property
from typing import TYPE_CHECKING, Any

from airflow.providers.common.compat.sdk import AirflowSensorTimeout, BaseSensorOperator, conf

from airflow_provider_alteryx.constants import DEFAULT_CONN_ID, XComKey
from airflow_provider_alteryx.exceptions import AlteryxJobTimeoutError
from airflow_provider_alteryx.hooks.params import check_hook_params
from airflow_provider_alteryx.validation import server_id

if TYPE_CHECKING:
    from airflow.providers.common.compat.sdk import Context

    from airflow_provider_alteryx.hooks.alteryx import AlteryxServerHook
    from airflow_provider_alteryx.models import AlteryxJob


class AlteryxJobSensor(BaseSensorOperator):
    """Succeed when an Alteryx job has completed successfully; fail when it ended in ``Error`` or was cancelled.

    The sensor only watches: it never cancels the job, on timeout or kill.

    :param job_id: the job to watch, e.g. ``"{{ ti.xcom_pull(task_ids='start') }}"``. Templated.
    :param alteryx_conn_id: the Airflow connection to the Server.
    :param fail_on_warning: fail when the job ends with disposition ``Warning``.
    :param deferrable: wait in the triggerer instead of the worker. Default: ``[operators] default_deferrable``.
    :param hook_params: tuning of the hook, e.g. ``{"retry_limit": 20}``; checked when the DAG is parsed.

    ``poke_interval``, ``timeout``, ``mode`` and ``soft_fail`` work as for every sensor.
    """

    template_fields: Sequence[str] = ("job_id",)

    def __init__(
        self,
        *,
        job_id: str,
        alteryx_conn_id: str = DEFAULT_CONN_ID,
        fail_on_warning: bool = False,
        deferrable: bool = conf.getboolean("operators", "default_deferrable", fallback=False),
        hook_params: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.hook_params = check_hook_params(hook_params)
        self.job_id = job_id
        self.alteryx_conn_id = alteryx_conn_id
        self.fail_on_warning = fail_on_warning
        self.deferrable = deferrable

    @cached_property
    def hook(self) -> AlteryxServerHook:
        from airflow_provider_alteryx.hooks.alteryx import (
            AlteryxServerHook,  # when the task runs, not at parsing
        )

        return AlteryxServerHook(self.alteryx_conn_id, **self.hook_params)

    def poke(self, context: Context) -> bool:
        # A poke is a wait's poll: it rides out the outages a wait does (hook_params wait_retry_budget).
        job = self.hook.get_job(self.job_id, waiting=True)
        if not job.is_terminal:
            self.log.info("Alteryx job %s is %s", job.id, job.status)
            return False
        self._finish(context, job)
        return True

    def execute(self, context: Context) -> Any:
        self.job_id = server_id(self.job_id, "job_id")  # as rendered: checked before any request
        # What the UI's Alteryx job view reads: which job, through which connection.
        context["ti"].xcom_push(key=XComKey.JOB_ID, value=self.job_id)
        context["ti"].xcom_push(key=XComKey.CONN_ID, value=self.alteryx_conn_id)
        if not self.deferrable:
            return super().execute(context)
        job = self.hook.get_job(self.job_id)
        if job.is_terminal:
            return self._finish(context, job)
        from airflow_provider_alteryx.triggers.alteryx import (
            AlteryxJobTrigger,
        )  # only a deferring task needs it

        self.defer(
            trigger=AlteryxJobTrigger(
                job_id=job.id,
                alteryx_conn_id=self.alteryx_conn_id,
                poll_interval=self.poke_interval,
                deadline=time.time() + self.timeout,
                fail_on_warning=self.fail_on_warning,
                cancel_on_kill=False,
                cancel_on_timeout=False,
                hook_params=self.hook_params,
            ),
            method_name="execute_complete",
        )

    def execute_complete(self, context: Context, event: dict[str, Any]) -> str:
        try:
            from airflow_provider_alteryx.outcome import job_from_event

            job = job_from_event(event)
        except AlteryxJobTimeoutError as timeout:
            raise AirflowSensorTimeout(str(timeout)) from None
        return self._finish(context, job)

    def _finish(self, context: Context, job: AlteryxJob) -> str:
        context["ti"].xcom_push(key=XComKey.JOB, value=job.to_dict())
        from airflow_provider_alteryx.outcome import check_outcome

        check_outcome(self.log, job, fail_on_warning=self.fail_on_warning)
        return job.id
