"""The Airflow hook for Alteryx Server: the one place operators, sensors and triggers talk to a Server through."""

from __future__ import annotations

import asyncio
import dataclasses
import os
import ssl
import time
import weakref
from collections.abc import Mapping, Sequence
from functools import cached_property
from typing import TYPE_CHECKING, Any, TypeVar

from airflow.providers.common.compat.connection import get_async_connection, get_async_extra_dejson
from airflow.providers.common.compat.sdk import BaseHook, mask_secret

from airflow_provider_alteryx import __version__
from airflow_provider_alteryx.constants import ApiFamily
from airflow_provider_alteryx.exceptions import AlteryxError, AlteryxInputError
from airflow_provider_alteryx.get_provider_info import CONNECTION_FIELDS, UI_FIELD_BEHAVIOUR
from airflow_provider_alteryx.hooks.answers import BodyReader, read_answer
from airflow_provider_alteryx.hooks.api import CAPABILITIES, AlteryxApi, JobProgress, PollSchedule
from airflow_provider_alteryx.hooks.auth import TOKENS, Token, oauth1_headers, token_cache_key, token_call
from airflow_provider_alteryx.hooks.config import ServerConfig, pool_size_of
from airflow_provider_alteryx.hooks.creation import NO_CLAIMS, Claims
from airflow_provider_alteryx.hooks.failures import connection_failure
from airflow_provider_alteryx.hooks.jobs import JobRequest, Questions
from airflow_provider_alteryx.hooks.retry import RetryPolicy
from airflow_provider_alteryx.hooks.steps import ApiCall, Operation, Sleep, drive
from airflow_provider_alteryx.hooks.watcher import job_watcher, stop_job_watchers
from airflow_provider_alteryx.models import AlteryxJob, AlteryxWorkflow, JobMessage
from airflow_provider_alteryx.utils.log import Log
from airflow_provider_alteryx.utils.scrub import register_secret, scrub
from airflow_provider_alteryx.utils.storage import whole_file
from airflow_provider_alteryx.utils.validation import MIN_POLL_INTERVAL, optional_seconds, seconds

if TYPE_CHECKING:
    # The HTTP stacks are imported where a request is made (see _http, _ahttp): DAG files that only build
    # operators, and DAG parsing with them, do not pay for aiohttp and requests.
    import aiohttp
    import requests

T = TypeVar("T")
# What hook_params may set: the hook's tuning arguments (the connection id is a parameter of its own).
HOOK_PARAMS = frozenset({"retry_limit", "retry_delay", "retry_budget", "request_timeout", "pool_size"})
USER_AGENT = f"airflow-provider-alteryx/{__version__}"

# One aiohttp session (one connection pool) per Server and event loop, shared by every trigger on that loop.
_SESSIONS: weakref.WeakKeyDictionary[
    asyncio.AbstractEventLoop, dict[tuple[object, ...], aiohttp.ClientSession]
] = weakref.WeakKeyDictionary()


async def close_async_sessions() -> None:
    """Stop the running event loop's job watchers and close its pooled aiohttp sessions (for tests and orderly shutdowns)."""
    stop_job_watchers()
    for session in _SESSIONS.pop(asyncio.get_running_loop(), {}).values():
        await session.close()


class AlteryxServerHook(BaseHook):
    """Talk to an Alteryx Server through an Airflow connection of type ``alteryx``.

    OAuth 1.0a (legacy API, Server up to 2021.4) or OAuth 2.0 client credentials (2021.4 and later),
    chosen by the connection extra ``auth_type``. Every operation exists in a sync form (``requests``)
    and, where triggers need it, an async one (``aiohttp``); both run the same code in
    :mod:`airflow_provider_alteryx.hooks.api`.

    Operators, sensors and triggers pass their ``hook_params`` (a dict of the tuning arguments below)
    through :func:`check_hook_params`, so a wrong one fails when the DAG is parsed.

    :param alteryx_conn_id: the Airflow connection to use.
    :param retry_limit: tries per request, the first included, before a transient failure
        (connection error, timeout, 408, 429, 500, 502, 503, 504) is raised.
    :param retry_delay: base of the exponential backoff between tries, in seconds.
    :param retry_budget: seconds after the first try of a request after which no other try starts.
    :param request_timeout: seconds for one whole answer; overrides the connection extra ``timeout``.
    :param pool_size: connections one event loop keeps to the Server; overrides the extra ``pool_size``.
    """

    conn_name_attr = "alteryx_conn_id"
    default_conn_name = "alteryx_default"
    conn_type = "alteryx"
    hook_name = "Alteryx Server"

    def __init__(
        self,
        alteryx_conn_id: str = default_conn_name,
        retry_limit: int = RetryPolicy.attempts,
        retry_delay: float = RetryPolicy.delay,
        retry_budget: float = RetryPolicy.budget,
        request_timeout: float | None = None,
        pool_size: int | None = None,
    ) -> None:
        super().__init__()
        self.alteryx_conn_id = alteryx_conn_id
        self.retry_policy = RetryPolicy.build(attempts=retry_limit, delay=retry_delay, budget=retry_budget)
        self.overrides: dict[str, Any] = {}
        if request_timeout is not None:
            self.overrides["timeout"] = seconds(request_timeout, "request_timeout")
        if pool_size is not None:
            self.overrides["pool_size"] = pool_size_of(pool_size, "pool_size")
        self._async_config: ServerConfig | None = None

    def __repr__(self) -> str:
        return f"{type(self).__name__}(alteryx_conn_id={self.alteryx_conn_id!r})"

    # ---- connection form (Airflow < 3.2 reads these; newer ones read get_provider_info) ------
    @classmethod
    def get_ui_field_behaviour(cls) -> dict[str, Any]:
        """The connection form's relabelled and hidden fields (Airflow before 3.2 asks the hook)."""
        return UI_FIELD_BEHAVIOUR

    @classmethod
    def get_connection_form_widgets(cls) -> dict[str, Any]:
        """The connection form's extra fields (Airflow before 3.2 asks the hook)."""
        from flask_appbuilder.fieldwidgets import BS3TextFieldWidget
        from flask_babel import lazy_gettext
        from wtforms import StringField

        return {
            name: StringField(
                lazy_gettext(spec["label"]), widget=BS3TextFieldWidget(), description=spec["description"]
            )
            for name, spec in CONNECTION_FIELDS.items()
        }

    # ---- configuration -----------------------------------------------------------------------
    @cached_property
    def config(self) -> ServerConfig:
        """The connection's settings, read once (synchronously) per hook."""
        conn = self.get_connection(self.alteryx_conn_id)
        return self._register(
            ServerConfig.from_connection(
                self.alteryx_conn_id,
                host=conn.host,
                port=conn.port,
                login=conn.login,
                password=conn.password,
                extra=conn.extra_dejson,
            )
        )

    async def aconfig(self) -> ServerConfig:
        """The connection's settings, read with the lookup that is safe on the triggerer's event loop."""
        if self._async_config is None:
            conn = await get_async_connection(self.alteryx_conn_id, self)
            extra = await get_async_extra_dejson(conn)
            config = ServerConfig.from_connection(
                self.alteryx_conn_id,
                host=conn.host,
                port=conn.port,
                login=conn.login,
                password=conn.password,
                extra=extra,
            )
            self._async_config = self._register(config)
        return self._async_config

    def _register(self, config: ServerConfig) -> ServerConfig:
        mask_secret(config.api_secret)
        register_secret(config.api_secret)
        return dataclasses.replace(config, **self.overrides) if self.overrides else config

    def _api(self, config: ServerConfig) -> AlteryxApi:
        return AlteryxApi(config, self.retry_policy, self.log)

    def workflow_url(self, workflow_id: str) -> str:
        """The workflow's page on the Server (connection extra ``workflow_url_template``)."""
        return self.config.workflow_url(workflow_id)

    def api_in_use(self) -> str:
        """The API generation this connection talks to (legacy, Web API v1 or v3), as far as this process knows."""
        config = self.config
        if config.legacy:
            return str(ApiFamily.LEGACY)
        return str(ApiFamily.V3 if CAPABILITIES.has_v3(config.capability_key) else ApiFamily.V1)

    def job_url(self, job_id: str) -> str:
        """The job's REST resource (the Server has no web page per job)."""
        return self._api(self.config).job_url(job_id)

    # ---- sync driver -------------------------------------------------------------------------
    @cached_property
    def _session(self) -> requests.Session:
        import requests

        session = requests.Session()
        session.headers.update({"User-Agent": USER_AGENT, "Accept": "application/json"})
        return session

    def _run(self, operation: Operation[T]) -> T:
        """Carry out an operation's steps with ``requests`` and ``time.sleep``."""
        config = self.config

        def perform(step: ApiCall | Sleep) -> Any:
            if isinstance(step, Sleep):
                return time.sleep(step.seconds)
            return self._send(config, step)

        return drive(operation, perform)

    def _send(self, config: ServerConfig, call: ApiCall) -> Any:
        token = self._token(config) if call.authenticated and not config.legacy else None
        status, headers, body = self._http(config, call, token)
        if status == 401 and token is not None:
            # The Server may forget tokens early (restart, revocation): fetch one more and try again once.
            TOKENS.discard(token_cache_key(config), token)
            token = self._token(config)
            status, headers, body = self._http(config, call, token)
        return read_answer(call, status, headers, body)

    def _token(self, config: ServerConfig) -> Token:
        def fetch() -> Token:
            call = token_call(config)
            return _remember(Token.from_answer(config, call, self._run(self._api(config).request(call))))

        return TOKENS.get(token_cache_key(config), fetch)

    def _http(
        self, config: ServerConfig, call: ApiCall, token: Token | None
    ) -> tuple[int, Mapping[str, str], bytes]:
        import requests
        import urllib3

        try:
            with self._session.request(
                call.method,
                call.full_url,
                json=call.json,
                data=call.form,
                headers=_auth_headers(config, call, token),
                timeout=config.timeout,
                verify=config.verify,
                allow_redirects=False,  # credentials must never follow a redirect to another address
                stream=True,
            ) as response:
                body = BodyReader(call, response.headers, config.timeout)
                # read1 returns what has arrived, so a trickled answer is caught by the reader's deadline.
                for chunk in iter(
                    lambda: response.raw.read1(BodyReader.CHUNK_BYTES, decode_content=True), b""
                ):
                    body.add(chunk)
                return response.status_code, response.headers, body.whole()
        except (requests.RequestException, OSError, urllib3.exceptions.HTTPError) as error:
            connecting = isinstance(error, (requests.ConnectTimeout, requests.exceptions.SSLError))
            raise connection_failure(call, config, error, connecting=connecting) from None

    # ---- async driver ------------------------------------------------------------------------
    async def _arun(self, operation: Operation[T]) -> T:
        """Carry out an operation's steps with ``aiohttp`` and ``asyncio.sleep``; never blocks the loop."""
        config = await self.aconfig()
        reply: Any = None
        error: AlteryxError | None = None
        while True:
            try:
                step = operation.throw(error) if error is not None else operation.send(reply)
            except StopIteration as done:
                return done.value
            reply, error = None, None
            if isinstance(step, Sleep):
                await asyncio.sleep(step.seconds)
                continue
            try:
                reply = await self._asend(config, step)
            except AlteryxError as failure:
                error = failure

    async def _asend(self, config: ServerConfig, call: ApiCall) -> Any:
        token = await self._atoken(config) if call.authenticated and not config.legacy else None
        status, headers, body = await self._ahttp(config, call, token)
        if status == 401 and token is not None:
            TOKENS.discard(token_cache_key(config), token)
            token = await self._atoken(config)
            status, headers, body = await self._ahttp(config, call, token)
        return read_answer(call, status, headers, body)

    async def _atoken(self, config: ServerConfig) -> Token:
        async def fetch() -> Token:
            call = token_call(config)
            return _remember(
                Token.from_answer(config, call, await self._arun(self._api(config).request(call)))
            )

        return await TOKENS.aget(token_cache_key(config), fetch)

    async def _ahttp(
        self, config: ServerConfig, call: ApiCall, token: Token | None
    ) -> tuple[int, Mapping[str, str], bytes]:
        import aiohttp
        import yarl

        try:
            async with _async_session(config).request(
                call.method,
                yarl.URL(call.full_url, encoded=True),  # exactly the URL that was signed
                json=call.json,
                data=call.form,
                headers=_auth_headers(config, call, token),
                allow_redirects=False,  # credentials must never follow a redirect to another address
            ) as response:
                body = BodyReader(call, response.headers, config.timeout)
                async for chunk in response.content.iter_any():
                    body.add(chunk)
                return response.status, response.headers, body.whole()
        except (TimeoutError, aiohttp.ClientError) as error:
            connecting = isinstance(error, (aiohttp.ClientConnectorError, aiohttp.ConnectionTimeoutError))
            raise connection_failure(call, config, error, connecting=connecting) from None

    # ---- operations --------------------------------------------------------------------------
    def list_workflows(self) -> list[AlteryxWorkflow]:
        """The workflows the API key can see.

        :return: every workflow of the key's subscription (legacy, V1) or visible to it (V3).
        :raises AlteryxError: the Server could not be reached or refused the request.
        """
        return self._run(self._api(self.config).list_workflows())

    def get_workflow(self, workflow_id: str) -> AlteryxWorkflow:
        """One workflow.

        :param workflow_id: the workflow's id (24 hexadecimal characters).
        :return: the workflow's id and name.
        :raises AlteryxNotFoundError: no such workflow, or the key cannot see it.
        """
        return self._run(self._api(self.config).get_workflow(workflow_id))

    def find_workflow(self, name: str) -> AlteryxWorkflow:
        """The one workflow named ``name`` the key can see.

        :return: its id, name, owner and version.
        :raises AlteryxNotFoundError: no workflow has that name (the error lists the names there are).
        :raises AlteryxInputError: several have it (the error lists their ids, owners and versions).
        """
        return self._run(self._api(self.config).find_workflow(name))

    def get_workflow_questions(self, workflow_id: str) -> list[dict[str, Any]]:
        """The workflow's questions as the Server describes them.

        :param workflow_id: the workflow's id.
        :return: one mapping per question (``name``, ``type`` or ``questionType``, ``description``...).
        :raises AlteryxNotFoundError: no such workflow.
        """
        return self._run(self._api(self.config).get_workflow_questions(workflow_id))

    def run_workflow(
        self,
        workflow_id: str,
        questions: Questions | None = None,
        priority: str | None = None,
        worker_tag: str | None = None,
        credential_id: str | None = None,
        *,
        claims: Claims = NO_CLAIMS,
    ) -> AlteryxJob:
        """Queue a job for the workflow and return it (``Queued``), never creating two for one call.

        :param questions: ``{name: value}`` or ``[{"name": ..., "value": ...}]``; names are checked
            against the workflow's questions before any job is created.
        :param priority: ``Default``, ``Low``, ``Medium``, ``High`` or ``Critical``.
        :param worker_tag: run on workers with this tag (V3 API, Server 2023.1+).
        :param credential_id: run as this stored credential (V3 API, Server 2023.1+).
        :param claims: jobs other callers hold, consulted if the creation's answer is lost (the operator
            passes other task instances' claims).
        :return: the created job.
        :raises AlteryxInputError: a bad argument; nothing was sent.
        :raises AlteryxAmbiguousJobError: the answer was lost and the job cannot be told apart from others.
        """
        request = JobRequest.build(workflow_id, questions, priority, worker_tag, credential_id)
        return self._run(self._api(self.config).run_workflow(request, claims))

    def resume_creation(
        self, workflow_id: str, candidates: Sequence[str], *, claims: Claims = NO_CLAIMS
    ) -> AlteryxJob | None:
        """Examine again the candidates of an earlier ambiguous creation.

        :return: the candidate no other caller accounts for, or None when the earlier creation did not happen.
        :raises AlteryxAmbiguousJobError: still ambiguous.
        """
        return self._run(self._api(self.config).resume_creation(workflow_id, candidates, claims))

    def get_job(self, job_id: str) -> AlteryxJob:
        """One job, with its outputs and engine messages.

        :return: the job as the Server reports it now.
        :raises AlteryxNotFoundError: no such job.
        :raises AlteryxProtocolError: the Server's answer is not a job.
        """
        return self._run(self._api(self.config).get_job(job_id))

    def list_workflow_jobs(self, workflow_id: str, limit: int = 100) -> list[AlteryxJob]:
        """The workflow's newest jobs, newest first (list items carry no outputs or messages).

        :param limit: how many jobs at most.
        :return: the jobs (id, status, creation time; the workflow filled in).
        :raises AlteryxNotFoundError: no such workflow.
        """
        return self._run(self._api(self.config).list_workflow_jobs(workflow_id, limit))

    def cancel_job(self, job_id: str) -> AlteryxJob:
        """Cancel a queued or running job (Server 2025.1+); a finished job is returned unchanged.

        :return: the job as read after the cancel.
        :raises AlteryxUnsupportedError: this Server cannot cancel jobs.
        """
        return self._run(self._api(self.config).cancel_job(job_id))

    def get_job_messages(self, job_id: str) -> tuple[JobMessage, ...]:
        """The job's engine messages.

        :return: every message, with its level and tool.
        :raises AlteryxNotFoundError: no such job.
        """
        return self.get_job(job_id).messages

    def download_job_output(
        self, job_id: str, output_id: str, output_format: str, path: str | os.PathLike[str]
    ) -> str:
        """Save one output of a finished job to ``path``: written whole or not at all.

        :param output_format: one of the output's formats, e.g. ``Csv``.
        :param path: a local path, or any Airflow object-storage URL (``file://``, ``s3://``, ``gs://``,
            ``memory://``...) so that tasks on other workers can read it.
        :return: where the output was written, as a URL for object storage or a local path.
        """
        with whole_file(path) as sink:
            self._run(self._api(self.config).download_job_output(job_id, output_id, output_format, sink))
        return str(path)

    def wait_for_job(
        self, job_id: str, poll_interval: float = 10.0, timeout: float | None = None
    ) -> AlteryxJob:
        """Poll until the job finishes and return it, whatever its disposition.

        :param timeout: seconds to wait at most.
        :return: the finished job, read in full.
        :raises AlteryxJobTimeoutError: the job was unfinished when ``timeout`` passed; it carries the job.
        :raises AlteryxInputError: a ``poll_interval`` or ``timeout`` that cannot work.
        """
        poll_interval = seconds(poll_interval, "poll_interval", minimum=MIN_POLL_INTERVAL)
        timeout = optional_seconds(timeout, "timeout")
        deadline = None if timeout is None else time.time() + timeout
        return self._run(
            self._api(self.config).wait_for_job(
                job_id, poll_interval=poll_interval, deadline=deadline, log=self.log
            )
        )

    async def aget_job(self, job_id: str) -> AlteryxJob:
        """Async :meth:`get_job`.

        :return: the job, with its outputs and engine messages.
        :raises AlteryxNotFoundError: no such job.
        """
        return await self._arun(self._api(await self.aconfig()).get_job(job_id))

    async def acancel_job(self, job_id: str) -> AlteryxJob:
        """Async :meth:`cancel_job`.

        :return: the job as read after the cancel.
        :raises AlteryxUnsupportedError: this Server cannot cancel jobs.
        """
        return await self._arun(self._api(await self.aconfig()).cancel_job(job_id))

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

        :param coalesce: share one list request per workflow and interval with every other wait for
            that workflow's jobs on this event loop (:mod:`~airflow_provider_alteryx.hooks.watcher`);
            False reads this job on its own every interval.
        :return: the finished job, read in full.
        :raises AlteryxJobTimeoutError: the job was still unfinished at ``deadline``.
        """
        poll_interval = seconds(poll_interval, "poll_interval", minimum=MIN_POLL_INTERVAL)
        log = log or self.log
        if coalesce:
            return await job_watcher(await self.aconfig()).wait(
                self, job_id, poll_interval=poll_interval, deadline=deadline, log=log
            )
        return await self.apoll_job(job_id, poll_interval=poll_interval, deadline=deadline, log=log)

    async def apoll_job(
        self,
        job_id: str,
        *,
        poll_interval: float,
        deadline: float | None,
        log: Log,
        schedule: PollSchedule | None = None,
        progress: JobProgress | None = None,
    ) -> AlteryxJob:
        """Read the job on its own every interval until it finishes (:meth:`AlteryxApi.wait_for_job`).

        :param schedule: poll times to continue on, for a wait that already read the job.
        :param progress: the job's progress log to continue.
        :return: the finished job, read in full.
        :raises AlteryxJobTimeoutError: the job was still unfinished at ``deadline``.
        """
        api = self._api(await self.aconfig())
        return await self._arun(
            api.wait_for_job(
                job_id,
                poll_interval=poll_interval,
                deadline=deadline,
                log=log,
                schedule=schedule,
                progress=progress,
            )
        )

    async def alist_workflow_jobs(self, workflow_id: str, limit: int = 100) -> list[AlteryxJob]:
        """Async :meth:`list_workflow_jobs`.

        :return: the workflow's newest jobs, newest first, without outputs or messages.
        """
        return await self._arun(self._api(await self.aconfig()).list_workflow_jobs(workflow_id, limit))

    def list_schedules(self) -> list[dict[str, Any]]:
        """The Server's schedules the key can see, as the V3 list shows them (Server 2023.1+).

        :return: one mapping per schedule (``id``, ``name``, ``workflowId``, ``ownerId``, ``runDateTime``).
        :raises AlteryxUnsupportedError: the Server or the connection's API has no V3 schedules.
        """
        return self._run(self._api(self.config).list_schedules())

    def get_schedule(self, schedule_id: str) -> dict[str, Any]:
        """One schedule in full, as the Server's ``ScheduleView`` (iteration, priority, workerTag, enabled...).

        :return: the schedule's fields as the Server names them.
        :raises AlteryxNotFoundError: no such schedule, or the key cannot see it.
        """
        return self._run(self._api(self.config).get_schedule(schedule_id))

    def test_connection(self) -> tuple[bool, str]:
        """Authenticate and list workflows: what the UI's Test button and ``airflow connections test`` report.

        :return: ``(True, what was found)`` or ``(False, the cause and its fix)``; never raises.
        """
        try:
            workflows = self.list_workflows()
        except Exception as error:  # the UI shows the text: never a traceback, never a secret
            return False, str(error) if isinstance(error, AlteryxError) else scrub(
                f"{type(error).__name__}: {error}"
            )
        return (
            True,
            f"Connected to Alteryx Server at {self.config.base_url} ({self.config.auth_type}); {len(workflows)} workflow(s) visible.",
        )


def check_hook_params(params: Mapping[str, Any] | None) -> dict[str, Any]:
    """``hook_params`` of an operator, sensor or trigger, checked now so a wrong one fails when the DAG is parsed.

    :raises AlteryxInputError: an unknown name, or a value the hook would refuse.
    """
    params = dict(params or {})
    unknown = sorted(set(params) - HOOK_PARAMS)
    if unknown:
        raise AlteryxInputError(
            f"hook_params has unknown name(s) {', '.join(unknown)}; the hook takes {', '.join(sorted(HOOK_PARAMS))}."
        )
    AlteryxServerHook(**params)  # the hook's own checks, with nothing sent
    return params


def _remember(token: Token) -> Token:
    mask_secret(token.value)
    return token


def _auth_headers(config: ServerConfig, call: ApiCall, token: Token | None) -> dict[str, str]:
    if not call.authenticated:
        return {}
    if config.legacy:
        return oauth1_headers(config, call)
    return {"Authorization": f"Bearer {token.value}"} if token is not None else {}


def _async_session(config: ServerConfig) -> aiohttp.ClientSession:
    import aiohttp

    sessions = _SESSIONS.setdefault(asyncio.get_running_loop(), {})
    key = (config.base_url, config.verify, config.timeout, config.pool_size)
    session = sessions.get(key)
    if session is None or session.closed:
        tls: bool | ssl.SSLContext = (
            config.verify
            if isinstance(config.verify, bool)
            else ssl.create_default_context(cafile=config.verify)
        )
        session = sessions[key] = aiohttp.ClientSession(
            # At most pool_size connections to the Server (config.DEFAULT_POOL_SIZE explains the number); more requests queue.
            connector=aiohttp.TCPConnector(ssl=tls, limit=config.pool_size, limit_per_host=config.pool_size),
            headers={"User-Agent": USER_AGENT, "Accept": "application/json"},
            # Only time on the socket counts: a total timeout would also count the wait for a pooled
            # connection, turning a queue into spurious timeouts and retries.
            timeout=aiohttp.ClientTimeout(total=None, sock_connect=config.timeout, sock_read=config.timeout),
        )
    return session
