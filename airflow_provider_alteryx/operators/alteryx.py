"""Run an Alteryx Server workflow as an Airflow task."""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from airflow.providers.common.compat.sdk import BaseOperator, BaseOperatorLink, XCom, conf

from airflow_provider_alteryx.exceptions import AlteryxError, AlteryxJobTimeoutError
from airflow_provider_alteryx.hooks.alteryx import AlteryxServerHook
from airflow_provider_alteryx.models import AlteryxJob
from airflow_provider_alteryx.triggers.alteryx import AlteryxJobTrigger
from airflow_provider_alteryx.utils.outcome import cancel_outcome, check_outcome, job_from_event

if TYPE_CHECKING:
    from airflow.providers.common.compat.sdk import Context, TaskInstanceKey

# Where a try's job id is kept across retries (Airflow 3.3+ task state). Renaming it breaks in-flight retries.
JOB_STATE_KEY = "alteryx_job_id"
WORKFLOW_URL_XCOM = "workflow_url"


class AlteryxWorkflowLink(BaseOperatorLink):
    """The "Alteryx Server" button on a task: opens the workflow's page on the Server."""

    name = "Alteryx Server"

    def get_link(self, operator: BaseOperator, *, ti_key: TaskInstanceKey) -> str:
        return XCom.get_value(key=WORKFLOW_URL_XCOM, ti_key=ti_key) or ""


class AlteryxRunWorkflowOperator(BaseOperator):
    """Run an Alteryx Server workflow and, by default, wait for its job.

    The job id, the job's URL and the workflow's page are pushed to XCom (``job_id``, ``job_url``,
    ``workflow_url``) as soon as the job exists; the return value is the job id, and the finished
    job's summary is pushed as ``job``.

    A retry whose earlier try's job is still queued or running re-attaches to that job instead of
    submitting another (Airflow 3.3+, which keeps task state across tries); once that job has
    finished, a retry submits a new one. Older Airflow submits a new job on every try.

    .. seealso:: ``example_dags/`` for sequential, simultaneous (mapped) and nested runs.

    :param workflow_id: the workflow (app) to run. Templated.
    :param questions: question answers, ``{name: value}`` or ``[{"name": ..., "value": ...}]``. Templated.
    :param priority: ``Default``, ``Low``, ``Medium``, ``High`` or ``Critical`` (the Server ignores it
        unless the key's user may prioritise jobs).
    :param worker_tag: run on workers with this tag (Server 2023.1+).
    :param credential_id: run as this stored credential (Server 2023.1+).
    :param alteryx_conn_id: the Airflow connection to the Server.
    :param wait_for_completion: wait for the job to finish; if False, return its id at once (pair
        with :class:`~airflow_provider_alteryx.sensors.alteryx.AlteryxJobSensor`).
    :param deferrable: wait in the triggerer instead of the worker. Default: ``[operators] default_deferrable``.
    :param poll_interval: seconds between job status checks.
    :param timeout: longest wait for the job, in seconds; then the job is cancelled (where the Server
        can) and the task fails. Unlike ``execution_timeout`` it also holds while deferred. None: no limit.
    :param fail_on_warning: fail the task when the job ends with disposition ``Warning``.
    :param cancel_on_kill: cancel the job when the task is killed (marked failed or success, or cleared).
    :param output_dir: download the job's outputs into ``<output_dir>/<job id>/`` (first listed format
        of each); the paths are pushed to XCom as ``output_files``. Templated.
    """

    template_fields: Sequence[str] = ("workflow_id", "questions", "output_dir")
    template_fields_renderers = {"questions": "json"}
    operator_extra_links = (AlteryxWorkflowLink(),)
    ui_color = "#0078c0"
    ui_fgcolor = "#ffffff"

    def __init__(
        self,
        *,
        workflow_id: str,
        questions: Mapping[str, Any] | Sequence[Mapping[str, Any]] | None = None,
        priority: str | None = None,
        worker_tag: str | None = None,
        credential_id: str | None = None,
        alteryx_conn_id: str = AlteryxServerHook.default_conn_name,
        wait_for_completion: bool = True,
        deferrable: bool = conf.getboolean("operators", "default_deferrable", fallback=False),
        poll_interval: float = 10.0,
        timeout: float | None = None,
        fail_on_warning: bool = False,
        cancel_on_kill: bool = True,
        output_dir: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.workflow_id = workflow_id
        self.questions = questions
        self.priority = priority
        self.worker_tag = worker_tag
        self.credential_id = credential_id
        self.alteryx_conn_id = alteryx_conn_id
        self.wait_for_completion = wait_for_completion
        self.deferrable = deferrable
        self.poll_interval = poll_interval
        self.timeout = timeout
        self.fail_on_warning = fail_on_warning
        self.cancel_on_kill = cancel_on_kill
        self.output_dir = output_dir
        self.job_id: str | None = None

    @cached_property
    def hook(self) -> AlteryxServerHook:
        return AlteryxServerHook(self.alteryx_conn_id)

    def execute(self, context: Context) -> str:
        ti = context["ti"]
        self._publish_workflow_link(ti)
        job = self._job_of_earlier_try(context) or self._submit(context)
        self.job_id = job.id
        ti.xcom_push(key="job_id", value=job.id)
        ti.xcom_push(key="job_url", value=self.hook.job_url(job.id))
        if not self.wait_for_completion:
            return job.id
        return self._finish(context, self._wait(job))

    def _publish_workflow_link(self, ti: Any) -> None:
        workflow_url = self.hook.workflow_url(self.workflow_id)
        ti.xcom_push(key=WORKFLOW_URL_XCOM, value=workflow_url)
        link = AlteryxWorkflowLink()
        if hasattr(link, "xcom_key"):
            # Airflow 3 shows links from this XCom, written at the task's end; writing it now shows the
            # button while the job runs. Airflow 2 computes links on demand through get_link().
            ti.xcom_push(key=link.xcom_key, value=workflow_url)

    def _wait(self, job: AlteryxJob) -> AlteryxJob:
        """The finished job: polled here, or (deferrable) handed to the trigger unless already finished."""
        if self.deferrable:
            job = self.hook.get_job(job.id)
            if not job.is_terminal:
                self.defer(
                    trigger=AlteryxJobTrigger(
                        job_id=job.id,
                        alteryx_conn_id=self.alteryx_conn_id,
                        poll_interval=self.poll_interval,
                        deadline=None if self.timeout is None else time.time() + self.timeout,
                        fail_on_warning=self.fail_on_warning,
                        cancel_on_kill=self.cancel_on_kill,
                    ),
                    method_name="execute_complete",
                )
            return job
        try:
            return self.hook.wait_for_job(job.id, poll_interval=self.poll_interval, timeout=self.timeout)
        except AlteryxJobTimeoutError as timeout:
            raise AlteryxJobTimeoutError(f"{timeout}; the job was {self._cancel(job.id)}", timeout.job) from None

    def _job_of_earlier_try(self, context: Context) -> AlteryxJob | None:
        """The job an earlier try of this task started, if it is still queued or running."""
        store = context.get("task_state_store")
        job_id = store.get(JOB_STATE_KEY) if store is not None else None
        if not job_id:
            return None
        try:
            job = self.hook.get_job(str(job_id))
        except AlteryxError as error:
            self.log.warning("Cannot read job %s of an earlier try (%s); submitting a new one", job_id, error)
            return None
        if job.workflow_id not in (None, self.workflow_id):
            self.log.info("The earlier try's job %s ran workflow %s, not %s; submitting a new one", job.id, job.workflow_id, self.workflow_id)
            return None
        if job.is_terminal:
            self.log.info("The earlier try's job %s has finished (%s); submitting a new one", job.id, job.outcome)
            return None
        self.log.info("Re-attaching to job %s of an earlier try, which is still %s", job.id, job.status)
        return job

    def _submit(self, context: Context) -> AlteryxJob:
        job = self.hook.run_workflow(self.workflow_id, self.questions, self.priority, self.worker_tag, self.credential_id)
        self.log.info("Created Alteryx job %s for workflow %s (%s)", job.id, self.workflow_id, job.status)
        store = context.get("task_state_store")
        if store is not None:
            store.set(JOB_STATE_KEY, job.id)
        return job

    def execute_complete(self, context: Context, event: dict[str, Any]) -> str:
        """Resume after :class:`AlteryxJobTrigger` fired: validate its event and judge the job."""
        return self._finish(context, job_from_event(event))

    def _finish(self, context: Context, job: AlteryxJob) -> str:
        ti = context["ti"]
        ti.xcom_push(key="job", value=job.to_dict())
        check_outcome(self.log, job, fail_on_warning=self.fail_on_warning)
        if self.output_dir:
            ti.xcom_push(key="output_files", value=self._download_outputs(job))
        return job.id

    def _download_outputs(self, job: AlteryxJob) -> list[str]:
        folder = Path(self.output_dir or ".") / job.id
        saved = [str(self.hook.download_job_output(job.id, output.id, output.formats[0], folder / output.name)) for output in job.outputs if output.formats]
        self.log.info("Downloaded %d output(s) of job %s into %s", len(saved), job.id, folder)
        return saved

    def _cancel(self, job_id: str) -> str:
        try:
            job = self.hook.cancel_job(job_id)
        except AlteryxError as error:
            self.log.warning("Could not cancel Alteryx job %s: %s", job_id, error)
            return f"not cancelled ({error})"
        return cancel_outcome(job)

    def on_kill(self) -> None:
        """Cancel the job when the task is killed in the worker (marked failed or success, or cleared)."""
        if self.cancel_on_kill and self.job_id:
            self.log.info("Task killed: cancelling Alteryx job %s", self.job_id)
            self.log.info("Alteryx job %s was %s", self.job_id, self._cancel(self.job_id))
