"""Run an Alteryx Server workflow as an Airflow task."""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from functools import cached_property
from typing import TYPE_CHECKING, Any

from airflow.providers.common.compat.sdk import Asset, AssetAlias, BaseOperator, BaseOperatorLink, XCom, conf
from airflow.providers.common.compat.version_compat import AIRFLOW_V_3_0_PLUS

from airflow_provider_alteryx.assets.alteryx import ALIAS_NAME, output_uri, workflow_asset
from airflow_provider_alteryx.constants import DEFAULT_CONN_ID, StateKey, XComKey
from airflow_provider_alteryx.exceptions import (
    AlteryxAmbiguousJobError,
    AlteryxError,
    AlteryxInputError,
    AlteryxJobTimeoutError,
)
from airflow_provider_alteryx.hooks.jobs import JobRequest, parse_priority
from airflow_provider_alteryx.hooks.params import check_hook_params
from airflow_provider_alteryx.validation import MIN_POLL_INTERVAL, optional_seconds, seconds

# A DAG file that builds this operator imports only the above: the hook, the transport and what judges a
# finished job are imported where a task runs (parsing a DAG costs none of them).
if TYPE_CHECKING:
    from airflow.providers.common.compat.sdk import Context, TaskInstanceKey

    from airflow_provider_alteryx.hooks.alteryx import AlteryxServerHook
    from airflow_provider_alteryx.hooks.creation import Claims
    from airflow_provider_alteryx.models import AlteryxJob

# How long on_kill waits for its cancel. Airflow 3's supervisor sends SIGKILL 5 s after the SIGTERM that runs
# on_kill (supervisor.kill's escalation delay), so a longer wait would only be cut short; the cancel request
# itself goes out first, within this time.
CANCEL_ON_KILL_SECONDS = 4.0


class AlteryxWorkflowLink(BaseOperatorLink):
    """The "Alteryx Server" button on a task: opens the workflow's page on the Server."""

    name = "Alteryx Server"

    def get_link(self, operator: BaseOperator, *, ti_key: TaskInstanceKey) -> str:
        return XCom.get_value(key=XComKey.WORKFLOW_URL, ti_key=ti_key) or ""


class AlteryxRunWorkflowOperator(BaseOperator):
    """Run an Alteryx Server workflow and, by default, wait for its job.

    The job id, the job's URL and the workflow's page are pushed to XCom (``job_id``, ``job_url``,
    ``workflow_url``) as soon as the job exists; the return value is the job id, and the finished
    job's summary is pushed as ``job``.

    On success (Airflow 3) the task adds asset events through its outlet alias ``alteryx_workflow_runs``:
    one for the workflow (``alteryx://<Server host>/workflows/<id>``, see :mod:`airflow_provider_alteryx.assets.alteryx`)
    and one for each output it saved, each with the job id and disposition as extra.

    A retry whose earlier try's job is still queued or running re-attaches to that job instead of
    submitting another (Airflow 3.3+, which keeps task state across tries); once that job has
    finished, a retry submits a new one. Older Airflow submits a new job on every try.

    .. seealso:: ``example_dags/`` for sequential, simultaneous (mapped) and nested runs.

    :param workflow_id: the workflow (app) to run. Templated.
    :param workflow_name: the workflow's name instead of its id (exactly one of the two), resolved
        through the workflow list when the task runs; no match or several fail before any job exists,
        listing the candidates. The XComs and the link show the resolved id. Templated.
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
        can) and the task fails. None: no limit. The task's ``execution_timeout`` is honoured the same
        way while deferred (Airflow itself does not apply it to deferred tasks); the earlier one wins.
    :param fail_on_warning: fail the task when the job ends with disposition ``Warning``.
    :param cancel_on_kill: cancel the job when the task is killed (marked failed or success, or cleared).
    :param output_dir: download the job's outputs into ``<output_dir>/<job id>/`` (first listed format
        of each); a local path or any Airflow object-storage URL (``s3://...``, ``file://...``) that tasks on
        other workers can read. The paths or URLs are pushed to XCom as ``output_files``. Templated.
    :param hook_params: tuning of the hook, e.g. ``{"retry_limit": 20, "request_timeout": 30}``
        (see :class:`~airflow_provider_alteryx.hooks.alteryx.AlteryxServerHook`); checked when the DAG is parsed.
    """

    template_fields: Sequence[str] = ("workflow_id", "workflow_name", "questions", "output_dir")
    template_fields_renderers = {"questions": "json"}
    operator_extra_links = (AlteryxWorkflowLink(),)
    ui_color = "#0078c0"
    ui_fgcolor = "#ffffff"

    def __init__(
        self,
        *,
        workflow_id: str | None = None,
        workflow_name: str | None = None,
        questions: Mapping[str, Any] | Sequence[Mapping[str, Any]] | None = None,
        priority: str | None = None,
        worker_tag: str | None = None,
        credential_id: str | None = None,
        alteryx_conn_id: str = DEFAULT_CONN_ID,
        wait_for_completion: bool = True,
        deferrable: bool = conf.getboolean("operators", "default_deferrable", fallback=False),
        poll_interval: float = 10.0,
        timeout: float | None = None,
        fail_on_warning: bool = False,
        cancel_on_kill: bool = True,
        output_dir: str | None = None,
        hook_params: Mapping[str, Any] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        if (workflow_id is None) == (workflow_name is None):
            raise AlteryxInputError(
                "Give exactly one of workflow_id (the workflow's 24-character id) and workflow_name (its name on the Server)."
            )
        self.workflow_id = workflow_id
        self.workflow_name = workflow_name
        self.questions = questions
        # Checked now, when the DAG file is parsed: a wrong value fails there, not after a job exists.
        self.priority = parse_priority(priority)
        self.worker_tag = worker_tag
        self.credential_id = credential_id
        self.alteryx_conn_id = alteryx_conn_id
        self.wait_for_completion = wait_for_completion
        self.deferrable = deferrable
        self.poll_interval = seconds(poll_interval, "poll_interval", minimum=MIN_POLL_INTERVAL)
        self.timeout = optional_seconds(timeout, "timeout")
        self.fail_on_warning = fail_on_warning
        self.cancel_on_kill = cancel_on_kill
        self.output_dir = output_dir
        self.hook_params = check_hook_params(hook_params)
        if AIRFLOW_V_3_0_PLUS:
            # Where the asset events of a successful run go: the workflow's URI is known only once the task runs.
            # Airflow 2.11 keeps an alias only once the DAG processor stored the DAG, so dag.test() fails on it.
            self.outlets = [*self.outlets, AssetAlias(name=ALIAS_NAME)]
        self.job_id: str | None = None
        # The finished job and where its outputs went, for OpenLineage once the task completes.
        self._finished: tuple[AlteryxJob, list[str]] | None = None

    @cached_property
    def hook(self) -> AlteryxServerHook:
        from airflow_provider_alteryx.hooks.alteryx import AlteryxServerHook

        return AlteryxServerHook(self.alteryx_conn_id, **self.hook_params)

    def execute(self, context: Context) -> str:
        ti = context["ti"]
        # The templated arguments, as rendered: checked before anything is sent to the Server.
        workflow_id = self.workflow_id if self.workflow_name is None else self._resolve(self.workflow_name)
        request = JobRequest.build(
            workflow_id, self.questions, self.priority, self.worker_tag, self.credential_id
        )
        ti.xcom_push(key=XComKey.CONN_ID, value=self.alteryx_conn_id)
        self._publish_workflow_link(ti, request.workflow_id)
        job = self._job_of_earlier_try(context, request) or self._submit(context, request)
        self.job_id = job.id
        ti.xcom_push(key=XComKey.JOB_ID, value=job.id)
        ti.xcom_push(key=XComKey.JOB_URL, value=self.hook.job_url(job.id))
        if not self.wait_for_completion:
            return job.id
        return self._finish(context, self._wait(job, ti))

    def _resolve(self, name: str) -> str:
        workflow = self.hook.find_workflow(name)
        self.log.info("Workflow %r is %s", name, workflow)
        return workflow.id

    def _publish_workflow_link(self, ti: Any, workflow_id: str) -> None:
        workflow_url = self.hook.workflow_url(workflow_id)
        ti.xcom_push(key=XComKey.WORKFLOW_URL, value=workflow_url)
        link = AlteryxWorkflowLink()
        if hasattr(link, "xcom_key"):
            # Airflow 3 shows links from this XCom, written at the task's end; writing it now shows the
            # button while the job runs. Airflow 2 computes links on demand through get_link().
            ti.xcom_push(key=link.xcom_key, value=workflow_url)

    def _deadline(self, ti: Any) -> tuple[float | None, str]:
        """When the wait must end (wall clock), and which limit says so: ``timeout`` from now, or
        ``execution_timeout`` from the try's start (which Airflow does not apply while a task is deferred)."""
        limits: list[tuple[float, str]] = []
        if self.timeout is not None:
            limits.append((time.time() + self.timeout, f"timeout of {self.timeout:g} s"))
        if self.execution_timeout is not None:
            started = ti.start_date.timestamp() if getattr(ti, "start_date", None) else time.time()
            limits.append(
                (
                    started + self.execution_timeout.total_seconds(),
                    f"execution_timeout of {self.execution_timeout}",
                )
            )
        return min(limits) if limits else (None, "")

    def _wait(self, job: AlteryxJob, ti: Any) -> AlteryxJob:
        """The finished job: polled here, or (deferrable) handed to the trigger unless already finished."""
        deadline, limit = self._deadline(ti)
        if self.deferrable:
            from airflow_provider_alteryx.triggers.alteryx import (
                AlteryxJobTrigger,
            )  # only a deferring task needs it

            job = self.hook.get_job(job.id)
            if not job.is_terminal:
                self.defer(
                    trigger=AlteryxJobTrigger(
                        job_id=job.id,
                        alteryx_conn_id=self.alteryx_conn_id,
                        poll_interval=self.poll_interval,
                        deadline=deadline,
                        deadline_reason=limit or None,
                        fail_on_warning=self.fail_on_warning,
                        cancel_on_kill=self.cancel_on_kill,
                        hook_params=self.hook_params,
                    ),
                    method_name="execute_complete",
                )
            return job
        try:
            return self.hook.wait_for_job(
                job.id,
                poll_interval=self.poll_interval,
                timeout=None if deadline is None else max(deadline - time.time(), 0.001),
            )
        except AlteryxJobTimeoutError as timeout:
            raise AlteryxJobTimeoutError(
                f"{timeout} (the {limit} passed); the job was {self._cancel(job.id)}", timeout.job
            ) from None

    def _job_of_earlier_try(self, context: Context, request: JobRequest) -> AlteryxJob | None:
        """The job an earlier try of this task started, if it is still queued or running.

        An earlier try whose creation stayed ambiguous left its candidates: they are examined again,
        and one that no other caller accounts for is this task's job (raises while still ambiguous).
        """
        store = context.get("task_state_store")
        if store is None:
            return None
        candidates = store.get(StateKey.JOB_CANDIDATES)
        if isinstance(candidates, list) and candidates:
            job = self.hook.resume_creation(
                request.workflow_id, [str(c) for c in candidates], claims=self._claims(context)
            )
            store.set(StateKey.JOB_CANDIDATES, None)
            if job is not None:
                store.set(StateKey.JOB_ID, job.id)
            return job
        job_id = store.get(StateKey.JOB_ID)
        if not job_id:
            return None
        try:
            job = self.hook.get_job(str(job_id))
        except AlteryxError as error:
            self.log.warning("Cannot read job %s of an earlier try (%s); submitting a new one", job_id, error)
            return None
        if job.workflow_id not in (None, request.workflow_id):
            self.log.info(
                "The earlier try's job %s ran workflow %s, not %s; submitting a new one",
                job.id,
                job.workflow_id,
                request.workflow_id,
            )
            return None
        if job.is_terminal:
            self.log.info(
                "The earlier try's job %s has finished (%s); submitting a new one", job.id, job.outcome
            )
            return None
        self.log.info("Re-attaching to job %s of an earlier try, which is still %s", job.id, job.status)
        return job

    def _submit(self, context: Context, request: JobRequest) -> AlteryxJob:
        store = context.get("task_state_store")
        try:
            job = self.hook.create_job(request, claims=self._claims(context))
        except AlteryxAmbiguousJobError as ambiguous:
            if store is not None:  # the retry examines these again instead of creating another job
                store.set(StateKey.JOB_CANDIDATES, list(ambiguous.candidates))
            raise
        self.log.info("Created Alteryx job %s for workflow %s (%s)", job.id, request.workflow_id, job.status)
        if store is not None:
            store.set(StateKey.JOB_ID, job.id)
        return job

    def _claims(self, context: Context) -> Claims:
        """Other Alteryx tasks of this DAG run, whose jobs a lost creation must never be attributed to (Airflow 3)."""
        from airflow_provider_alteryx.hooks.creation import NO_CLAIMS
        from airflow_provider_alteryx.operators.claims import TaskInstanceClaims

        if context.get("task_state_store") is None or self.dag is None:
            return NO_CLAIMS
        task_ids = [task.task_id for task in self.dag.tasks if _creates_jobs(task)]
        return TaskInstanceClaims(context["ti"], task_ids or [self.task_id])

    def execute_complete(self, context: Context, event: dict[str, Any]) -> str:
        """Resume after :class:`AlteryxJobTrigger` fired: validate its event and judge the job."""
        from airflow_provider_alteryx.outcome import job_from_event

        return self._finish(context, job_from_event(event))

    def _finish(self, context: Context, job: AlteryxJob) -> str:
        from airflow_provider_alteryx.outcome import check_outcome

        ti = context["ti"]
        ti.xcom_push(key=XComKey.JOB, value=job.to_dict())
        check_outcome(self.log, job, fail_on_warning=self.fail_on_warning)
        saved = self._download_outputs(job) if self.output_dir else []
        if self.output_dir:
            ti.xcom_push(key=XComKey.OUTPUT_FILES, value=saved)
        self._emit_assets(context, job, saved)
        self._finished = (job, saved)
        return job.id

    def _emit_assets(self, context: Context, job: AlteryxJob, saved: list[str]) -> None:
        """Asset events of a successful run: the workflow, then every saved output, with the job id and disposition."""
        events = context.get("outlet_events")
        workflow_id = job.workflow_id or self.workflow_id  # legacy answers may carry no appId
        if not AIRFLOW_V_3_0_PLUS or events is None or workflow_id is None:
            return
        extra: dict[str, Any] = {"job_id": job.id, "disposition": job.disposition}
        alias = events[AssetAlias(name=ALIAS_NAME)]
        alias.add(workflow_asset(self.hook.config.base_url, workflow_id), extra=extra)
        for location in saved:
            alias.add(Asset(output_uri(location)), extra=extra)

    def get_openlineage_facets_on_complete(self, task_instance: Any) -> Any:
        """OpenLineage (with its provider installed): the Alteryx job as the ``alteryx`` run facet (Server, API,
        workflow id and name, job id, disposition) and the outputs as datasets: where the task saved them, else
        their names under the Server's namespace."""
        if self._finished is None:
            return None
        from airflow_provider_alteryx.operators.lineage import operator_lineage

        job, saved = self._finished
        return operator_lineage(
            server=self.hook.config.base_url,
            api=self.hook.api_in_use(),
            workflow_name=self._workflow_name(job),
            job=job,
            saved=saved,
        )

    def _workflow_name(self, job: AlteryxJob) -> str | None:
        if self.workflow_name is not None or job.workflow_id is None:
            return self.workflow_name
        try:
            return self.hook.get_workflow(job.workflow_id).name
        except AlteryxError as error:  # lineage must never fail the task
            self.log.warning("No workflow name for OpenLineage: %s", error)
            return None

    def _download_outputs(self, job: AlteryxJob) -> list[str]:
        """Save every output in ``<output_dir>/<job id>/`` (the names made safe first, so all or none are saved)."""
        from airflow_provider_alteryx.hooks.downloads import output_locations

        locations = output_locations(self.output_dir or ".", job)
        saved = [
            self.hook.download_job_output(job.id, output.id, output.formats[0], location)
            for output, location in locations
        ]
        self.log.info("Downloaded %d output(s) of job %s into %s", len(saved), job.id, self.output_dir)
        return saved

    def _cancel(self, job_id: str) -> str:
        from airflow_provider_alteryx.outcome import cancel_outcome

        try:
            job = self.hook.cancel_job(job_id)
        except AlteryxError as error:
            self.log.warning("Could not cancel Alteryx job %s: %s", job_id, error)
            return f"not cancelled ({error})"
        return cancel_outcome(job)

    def on_kill(self) -> None:
        """Cancel the job when the task is killed in the worker (marked failed or success, or cleared).

        Airflow calls this from a signal handler that interrupts the task's own work, and may signal
        again; so the cancel runs once, on its own thread, and this waits for it at most
        :data:`CANCEL_ON_KILL_SECONDS`.
        """
        if not (self.cancel_on_kill and self.job_id):
            return
        from airflow_provider_alteryx.hooks.transport import TRANSPORT

        job_id = self.job_id
        cancel = TRANSPORT.cancels.in_thread(job_id, lambda: self._cancel_on_kill(job_id))
        cancel.join(CANCEL_ON_KILL_SECONDS)
        if cancel.is_alive():
            self.log.error(
                "Cancelling Alteryx job %s did not finish within %s s (Airflow kills the task soon after); cancel it on the Server",
                job_id,
                CANCEL_ON_KILL_SECONDS,
            )

    def _cancel_on_kill(self, job_id: str) -> None:
        self.log.info("Task killed: cancelling Alteryx job %s", job_id)
        self.log.info("Alteryx job %s was %s", job_id, self._cancel(job_id))


def _creates_jobs(task: Any) -> bool:
    """Whether a DAG's task is an Alteryx run (a mapped one is a MappedOperator naming its operator class)."""
    operator_class = getattr(task, "operator_class", None)
    return isinstance(task, AlteryxRunWorkflowOperator) or (
        isinstance(operator_class, type) and issubclass(operator_class, AlteryxRunWorkflowOperator)
    )
