"""The Airflow hook for Alteryx Server: the public face of the core and the transport under it.

Every method is one operation of :class:`~airflow_provider_alteryx.hooks.api.AlteryxApi` carried out by
the process's :data:`~airflow_provider_alteryx.hooks.transport.TRANSPORT`: synchronously with
``requests``, or, for the ``a``-prefixed methods triggers use, on the running event loop with ``aiohttp``.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from functools import cached_property
from typing import Any, TypeVar

from airflow.providers.common.compat.connection import get_async_connection, get_async_extra_dejson
from airflow.providers.common.compat.sdk import BaseHook

from airflow_provider_alteryx.constants import DEFAULT_CONN_ID
from airflow_provider_alteryx.exceptions import AlteryxError
from airflow_provider_alteryx.hooks import params
from airflow_provider_alteryx.hooks.api import AlteryxApi
from airflow_provider_alteryx.hooks.config import ServerConfig
from airflow_provider_alteryx.hooks.coordination import Creations
from airflow_provider_alteryx.hooks.creation import NO_CLAIMS, Claims
from airflow_provider_alteryx.hooks.downloads import whole_file
from airflow_provider_alteryx.hooks.form import ConnectionForm
from airflow_provider_alteryx.hooks.jobs import JobRequest, Questions
from airflow_provider_alteryx.hooks.params import DEFAULT_ATTEMPTS, HookSettings, RetryPolicy
from airflow_provider_alteryx.hooks.steps import Operation
from airflow_provider_alteryx.hooks.transport import TRANSPORT
from airflow_provider_alteryx.models import AlteryxJob, AlteryxWorkflow, JobMessage
from airflow_provider_alteryx.utils.log import Log
from airflow_provider_alteryx.utils.scrub import scrub
from airflow_provider_alteryx.validation import MIN_POLL_INTERVAL, optional_seconds, seconds

T = TypeVar("T")
Step = Callable[[AlteryxApi], Operation[T]]


class AlteryxServerHook(ConnectionForm, BaseHook):
    """Talk to an Alteryx Server through an Airflow connection of type ``alteryx``.

    OAuth 1.0a (legacy API, Server up to 2021.4) or OAuth 2.0 client credentials (2021.4 and later),
    chosen by the connection extra ``auth_type``. Every operation exists in a sync form and, where
    triggers need it, an async one; both run the same code.

    :param alteryx_conn_id: the Airflow connection to use.
    :param retry_limit: tries per request, the first included, before a transient failure
        (connection error, timeout, 408, 429, 500, 502, 503, 504) is raised.
    :param retry_delay: base of the exponential backoff between tries, in seconds.
    :param retry_budget: seconds from an operation's start after which no other try starts: every step of
        the operation (its token, its requests, their retries) spends from this one budget.
    :param request_timeout: seconds for one whole answer; overrides the connection extra ``timeout``.
    :param pool_size: connections one event loop keeps to the Server; overrides the extra ``pool_size``.
    :param wait_retry_budget: the budget of a wait for a job, started again whenever the Server answers, so a
        wait rides out any outage shorter than it; ``retry_budget`` by default.
    """

    conn_name_attr = "alteryx_conn_id"
    default_conn_name = DEFAULT_CONN_ID
    conn_type = "alteryx"
    hook_name = "Alteryx Server"

    def __init__(
        self,
        alteryx_conn_id: str = default_conn_name,
        retry_limit: int = DEFAULT_ATTEMPTS,
        retry_delay: float = RetryPolicy.delay,
        retry_budget: float = RetryPolicy.budget,
        request_timeout: float | None = None,
        pool_size: int | None = None,
        wait_retry_budget: float | None = None,
    ) -> None:
        super().__init__()
        self.alteryx_conn_id = alteryx_conn_id
        self.settings = HookSettings.parse(
            retry_limit, retry_delay, retry_budget, request_timeout, pool_size, wait_retry_budget
        )
        self._async_config: ServerConfig | None = None

    def __repr__(self) -> str:
        return f"{type(self).__name__}(alteryx_conn_id={self.alteryx_conn_id!r})"

    # ---- the connection ------------------------------------------------------------------------------
    @cached_property
    def config(self) -> ServerConfig:
        """The connection's settings, read once (synchronously) per hook."""
        conn = self.get_connection(self.alteryx_conn_id)
        return self.settings.apply(ServerConfig.from_airflow(self.alteryx_conn_id, conn, conn.extra_dejson))

    async def aconfig(self) -> ServerConfig:
        """The connection's settings, read once per event loop with the lookup that is safe on the triggerer's."""
        if self._async_config is None:

            async def read() -> ServerConfig:
                conn = await get_async_connection(self.alteryx_conn_id, self)
                extra = await get_async_extra_dejson(conn)
                return ServerConfig.from_airflow(self.alteryx_conn_id, conn, extra)

            self._async_config = self.settings.apply(await TRANSPORT.connection(self.alteryx_conn_id, read))
        return self._async_config

    def workflow_url(self, workflow_id: str) -> str:
        """The workflow's page on the Server (connection extra ``workflow_url_template``)."""
        return self.config.workflow_url(workflow_id)

    def job_url(self, job_id: str) -> str:
        """The job's REST resource (the Server has no web page per job)."""
        return self._api(self.config).job_url(job_id)

    def api_in_use(self) -> str:
        """The API generation this connection talks to (legacy, Web API v1 or v3), as far as this process knows."""
        return str(self._api(self.config).family_in_use)

    def _api(self, config: ServerConfig, policy: RetryPolicy | None = None) -> AlteryxApi:
        return TRANSPORT.api(config, policy or self.settings.retry_policy, self.log)

    def _run(self, step: Step[T], policy: RetryPolicy | None = None, config: ServerConfig | None = None) -> T:
        config = config or self.config
        return TRANSPORT.run(config, step(self._api(config, policy)))

    async def _arun(self, step: Step[T]) -> T:
        config = await self.aconfig()
        return await TRANSPORT.arun(config, step(self._api(config)))

    # ---- workflows -----------------------------------------------------------------------------------
    def list_workflows(self) -> list[AlteryxWorkflow]:
        """The workflows the API key can see: its subscription (legacy, V1) or every one visible (V3)."""
        return self._run(lambda api: api.list_workflows())

    def get_workflow(self, workflow_id: str) -> AlteryxWorkflow:
        """One workflow: its id, name, owner and version (AlteryxNotFoundError where the key sees none)."""
        return self._run(lambda api: api.get_workflow(workflow_id))

    def find_workflow(self, name: str) -> AlteryxWorkflow:
        """The one workflow named ``name`` the key can see.

        :raises AlteryxNotFoundError: no workflow has that name (the error lists the names there are).
        :raises AlteryxInputError: several have it (the error lists their ids, owners and versions).
        """
        return self._run(lambda api: api.find_workflow(name))

    def get_workflow_questions(self, workflow_id: str) -> list[dict[str, Any]]:
        """The workflow's questions as the Server describes them (``name``, ``type`` or ``questionType``...)."""
        return self._run(lambda api: api.get_workflow_questions(workflow_id))

    # ---- jobs ----------------------------------------------------------------------------------------
    def create_job(self, request: JobRequest, *, claims: Claims = NO_CLAIMS) -> AlteryxJob:
        """Queue the job ``request`` describes (``Queued``), never creating two for one call.

        :param claims: jobs other callers hold, consulted if the creation's answer is lost (the operator
            passes other task instances' claims).
        :raises AlteryxAmbiguousJobError: the answer was lost and the job cannot be told apart from others.
        :raises AlteryxCoordinationError: creations could not take turns (nothing was sent).
        """
        return self._run(lambda api: api.run_workflow(request, self._creations(), claims))

    def run_workflow(
        self,
        workflow_id: str,
        questions: Questions | None = None,
        priority: str | None = None,
        worker_tag: str | None = None,
        credential_id: str | None = None,
    ) -> AlteryxJob:
        """:meth:`create_job` for a request given as its parts (AlteryxInputError for a bad one, before anything is sent)."""
        return self.create_job(JobRequest.build(workflow_id, questions, priority, worker_tag, credential_id))

    def resume_creation(
        self, workflow_id: str, candidates: Sequence[str], *, claims: Claims = NO_CLAIMS
    ) -> AlteryxJob | None:
        """Examine again the candidates of an earlier ambiguous creation.

        :return: the candidate no other caller accounts for, or None when the earlier creation did not happen.
        :raises AlteryxAmbiguousJobError: still ambiguous.
        """
        return self._run(lambda api: api.resume_creation(workflow_id, candidates, self._creations(), claims))

    def _creations(self) -> Creations:
        return TRANSPORT.creations(self.config, self.get_connection, self.log)

    def get_job(self, job_id: str, *, waiting: bool = False) -> AlteryxJob:
        """One job as the Server reports it now, with outputs and engine messages (AlteryxNotFoundError if none);
        ``waiting``: read as a wait's poll (a sensor's poke) is, under the wait's retry policy."""
        return self._run(lambda api: api.get_job(job_id), self.settings.wait_policy if waiting else None)

    def get_job_messages(self, job_id: str) -> tuple[JobMessage, ...]:
        """The job's engine messages, with their levels and tools."""
        return self.get_job(job_id).messages

    def list_workflow_jobs(self, workflow_id: str, limit: int = 100) -> list[AlteryxJob]:
        """The workflow's newest jobs, newest first (list items carry no outputs or messages)."""
        return self._run(lambda api: api.list_workflow_jobs(workflow_id, limit))

    def queued_job_ids(self) -> list[str]:
        """The Server's queue, next to run first (Curator keys on Servers with ``GET /v3/jobs``)."""
        return self._run(lambda api: api.queued_job_ids())

    def cancel_job(self, job_id: str) -> AlteryxJob:
        """Cancel a queued or running job (Server 2025.1+); a finished job is returned unchanged.

        :raises AlteryxUnsupportedError: this Server cannot cancel jobs.
        """
        return self._run(lambda api: api.cancel_job(job_id))

    def download_job_output(
        self, job_id: str, output_id: str, output_format: str, path: str | os.PathLike[str]
    ) -> str:
        """Save one output of a finished job to ``path``, written whole or not at all.

        :param output_format: one of the output's formats, e.g. ``Csv``.
        :param path: a local path, or any Airflow object-storage URL (``file://``, ``s3://``, ``gs://``...).
        :return: where the output was written.
        """
        with whole_file(path) as sink:
            self._run(lambda api: api.download_job_output(job_id, output_id, output_format, sink))
        return str(path)

    def wait_for_job(
        self, job_id: str, poll_interval: float = 10.0, timeout: float | None = None
    ) -> AlteryxJob:
        """Poll until the job finishes and return it read in full, whatever its disposition.

        :raises AlteryxJobTimeoutError: the job was unfinished when ``timeout`` passed; it carries the job.
        """
        poll_interval = seconds(poll_interval, "poll_interval", minimum=MIN_POLL_INTERVAL)
        timeout = optional_seconds(timeout, "timeout")
        deadline = None if timeout is None else TRANSPORT.clock.time() + timeout
        return self._run(
            lambda api: api.wait_for_job(job_id, poll_interval=poll_interval, deadline=deadline),
            self.settings.wait_policy,
        )

    async def aget_job(self, job_id: str) -> AlteryxJob:
        """Async :meth:`get_job`."""
        return await self._arun(lambda api: api.get_job(job_id))

    async def acancel_job(self, job_id: str) -> AlteryxJob:
        """Async :meth:`cancel_job`."""
        return await self._arun(lambda api: api.cancel_job(job_id))

    async def alist_workflow_jobs(self, workflow_id: str, limit: int = 100) -> list[AlteryxJob]:
        """Async :meth:`list_workflow_jobs`."""
        return await self._arun(lambda api: api.list_workflow_jobs(workflow_id, limit))

    async def await_job(
        self,
        job_id: str,
        *,
        poll_interval: float,
        deadline: float | None,
        log: Log | None = None,
        coalesce: bool = True,
    ) -> AlteryxJob:
        """Async :meth:`wait_for_job`, with a wall-clock ``deadline`` (``time.time()``) as triggers carry it.

        :param log: where the wait logs (the trigger's log); the hook's own by default.
        :param coalesce: share one list request per workflow and interval with every other wait for that
            workflow's jobs on this event loop (:mod:`~airflow_provider_alteryx.hooks.watcher`); False reads
            this job on its own every interval.
        :raises AlteryxJobTimeoutError: the job was still unfinished at ``deadline``.
        """
        poll_interval = seconds(poll_interval, "poll_interval", minimum=MIN_POLL_INTERVAL)
        config = await self.aconfig()
        reads = TRANSPORT.reads(config, self.settings.wait_policy, log or self.log)
        return await TRANSPORT.await_job(
            config, reads, job_id, poll_interval=poll_interval, deadline=deadline, coalesce=coalesce
        )

    # ---- schedules -----------------------------------------------------------------------------------
    def list_schedules(self) -> list[dict[str, Any]]:
        """The Server's schedules the key can see, as the V3 list shows them (Server 2023.1+).

        :raises AlteryxUnsupportedError: the Server or the connection's API has no V3 schedules.
        """
        return self._run(lambda api: api.list_schedules())

    def get_schedule(self, schedule_id: str) -> dict[str, Any]:
        """One schedule in full, as the Server's ``ScheduleView`` (AlteryxNotFoundError where the key sees none)."""
        return self._run(lambda api: api.get_schedule(schedule_id))

    def test_connection(self) -> tuple[bool, str]:
        """Authenticate and list workflows: what the UI's Test button and ``airflow connections test`` report.

        It answers within about 15 s whatever is wrong: its own short budget and request timeout
        (:data:`~airflow_provider_alteryx.hooks.params.TEST_CONNECTION_POLICY`), not a task's.

        :return: ``(True, what was found)`` or ``(False, the cause and its fix)``; never raises.
        """
        try:
            config = params.connection_test_config(self.config)
            workflows = self._run(lambda api: api.list_workflows(), params.TEST_CONNECTION_POLICY, config)
        except Exception as error:  # the UI shows the text: never a traceback, never a secret
            return False, scrub(
                str(error) if isinstance(error, AlteryxError) else f"{type(error).__name__}: {error}"
            )
        return (
            True,
            f"Connected to Alteryx Server at {config.base_url} ({config.auth_type}); {len(workflows)} workflow(s) visible.",
        )
