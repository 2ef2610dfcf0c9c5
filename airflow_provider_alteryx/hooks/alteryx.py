"""The Airflow hook for Alteryx Server: the one place operators, sensors and triggers talk to a Server through."""

from __future__ import annotations

import asyncio
import os
import ssl
import tempfile
import time
import weakref
from collections.abc import Mapping, Sequence
from functools import cached_property
from pathlib import Path
from typing import Any, TypeVar

import aiohttp
import requests
import yarl
from airflow.providers.common.compat.connection import get_async_connection, get_async_extra_dejson
from airflow.providers.common.compat.sdk import BaseHook, mask_secret

from airflow_provider_alteryx import __version__
from airflow_provider_alteryx.exceptions import AlteryxConnectionError, AlteryxError
from airflow_provider_alteryx.get_provider_info import CONNECTION_FIELDS, UI_FIELD_BEHAVIOUR
from airflow_provider_alteryx.hooks.api import AlteryxApi, ApiCall, Log, Operation, RetryPolicy, ServerConfig, Sleep, read_answer
from airflow_provider_alteryx.hooks.auth import TOKENS, Token, oauth1_headers, token_cache_key, token_call
from airflow_provider_alteryx.models import AlteryxJob, AlteryxWorkflow, JobMessage

T = TypeVar("T")
USER_AGENT = f"airflow-provider-alteryx/{__version__}"

# One aiohttp session (one connection pool) per Server and event loop, shared by every trigger on that loop.
_SESSIONS: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, dict[tuple[str, str], aiohttp.ClientSession]] = weakref.WeakKeyDictionary()


async def close_async_sessions() -> None:
    """Close the pooled aiohttp sessions of the running event loop (for tests and orderly shutdowns)."""
    for session in _SESSIONS.pop(asyncio.get_running_loop(), {}).values():
        await session.close()


class AlteryxServerHook(BaseHook):
    """Talk to an Alteryx Server through an Airflow connection of type ``alteryx``.

    OAuth 1.0a (legacy API, Server up to 2021.4) or OAuth 2.0 client credentials (2021.4 and later),
    chosen by the connection extra ``auth_type``. Every operation exists in a sync form (``requests``)
    and, where triggers need it, an async one (``aiohttp``); both run the same code in
    :mod:`airflow_provider_alteryx.hooks.api`.

    :param alteryx_conn_id: the Airflow connection to use.
    :param retry_limit: tries per request, the first included, before a transient failure
        (connection error, timeout, 429, 500, 502, 503, 504) is raised.
    :param retry_delay: base of the exponential backoff between tries, in seconds.
    """

    conn_name_attr = "alteryx_conn_id"
    default_conn_name = "alteryx_default"
    conn_type = "alteryx"
    hook_name = "Alteryx Server"

    def __init__(self, alteryx_conn_id: str = default_conn_name, retry_limit: int = 5, retry_delay: float = 1.0) -> None:
        super().__init__()
        if retry_limit < 1:
            raise ValueError(f"retry_limit must be at least 1 (the first try), got {retry_limit}")
        self.alteryx_conn_id = alteryx_conn_id
        self.retry_policy = RetryPolicy(attempts=retry_limit, delay=retry_delay)
        self._async_config: ServerConfig | None = None

    def __repr__(self) -> str:
        return f"{type(self).__name__}(alteryx_conn_id={self.alteryx_conn_id!r})"

    # ---- connection form (Airflow < 3.2 reads these; newer ones read get_provider_info) ------
    @classmethod
    def get_ui_field_behaviour(cls) -> dict[str, Any]:
        return UI_FIELD_BEHAVIOUR

    @classmethod
    def get_connection_form_widgets(cls) -> dict[str, Any]:
        from flask_appbuilder.fieldwidgets import BS3TextFieldWidget
        from flask_babel import lazy_gettext
        from wtforms import StringField

        return {
            name: StringField(lazy_gettext(spec["label"]), widget=BS3TextFieldWidget(), description=spec["description"])
            for name, spec in CONNECTION_FIELDS.items()
        }

    # ---- configuration -----------------------------------------------------------------------
    @cached_property
    def config(self) -> ServerConfig:
        """The connection's settings, read once (synchronously) per hook."""
        conn = self.get_connection(self.alteryx_conn_id)
        return self._register(
            ServerConfig.from_connection(
                self.alteryx_conn_id, host=conn.host, port=conn.port, login=conn.login, password=conn.password, extra=conn.extra_dejson
            )
        )

    async def aconfig(self) -> ServerConfig:
        """The connection's settings, read with the lookup that is safe on the triggerer's event loop."""
        if self._async_config is None:
            conn = await get_async_connection(self.alteryx_conn_id, self)
            extra = await get_async_extra_dejson(conn)
            config = ServerConfig.from_connection(self.alteryx_conn_id, host=conn.host, port=conn.port, login=conn.login, password=conn.password, extra=extra)
            self._async_config = self._register(config)
        return self._async_config

    @staticmethod
    def _register(config: ServerConfig) -> ServerConfig:
        mask_secret(config.api_secret)
        return config

    def _api(self, config: ServerConfig) -> AlteryxApi:
        return AlteryxApi(config, self.retry_policy, self.log)

    def workflow_url(self, workflow_id: str) -> str:
        """The workflow's page on the Server (connection extra ``workflow_url_template``)."""
        return self.config.workflow_url(workflow_id)

    def job_url(self, job_id: str) -> str:
        """The job's REST resource (the Server has no web page per job)."""
        return self._api(self.config).job_url(job_id)

    # ---- sync driver -------------------------------------------------------------------------
    @cached_property
    def _session(self) -> requests.Session:
        session = requests.Session()
        session.headers.update({"User-Agent": USER_AGENT, "Accept": "application/json"})
        return session

    def _run(self, operation: Operation[T]) -> T:
        """Carry out an operation's steps with ``requests`` and ``time.sleep``."""
        config = self.config
        reply: Any = None
        error: AlteryxError | None = None
        while True:
            try:
                step = operation.throw(error) if error is not None else operation.send(reply)
            except StopIteration as done:
                return done.value
            reply, error = None, None
            if isinstance(step, Sleep):
                time.sleep(step.seconds)
                continue
            try:
                reply = self._send(config, step)
            except AlteryxError as failure:
                error = failure

    def _send(self, config: ServerConfig, call: ApiCall) -> Any:
        token = self._token(config) if call.authenticated and config.auth_type == "oauth2" else None
        status, headers, body = self._http(config, call, token)
        if status == 401 and token is not None:
            # The Server may forget tokens early (restart, revocation): fetch one more and try again once.
            TOKENS.discard(token_cache_key(config), token)
            token = self._token(config)
            status, headers, body = self._http(config, call, token)
        return read_answer(call, status, headers, body)

    def _token(self, config: ServerConfig) -> Token:
        def fetch() -> Token:
            body = self._run(self._api(config).request(token_call(config)))
            return _remember(Token.from_answer(config, body))

        return TOKENS.get(token_cache_key(config), fetch)

    def _http(self, config: ServerConfig, call: ApiCall, token: Token | None) -> tuple[int, Mapping[str, str], bytes]:
        try:
            response = self._session.request(
                call.method,
                call.full_url,
                json=call.json,
                data=call.form,
                headers=_auth_headers(config, call, token),
                timeout=config.timeout,
                verify=config.verify,
            )
        except requests.RequestException as error:
            raise _connection_error(call, error) from None
        return response.status_code, response.headers, response.content

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
        token = await self._atoken(config) if call.authenticated and config.auth_type == "oauth2" else None
        status, headers, body = await self._ahttp(config, call, token)
        if status == 401 and token is not None:
            TOKENS.discard(token_cache_key(config), token)
            token = await self._atoken(config)
            status, headers, body = await self._ahttp(config, call, token)
        return read_answer(call, status, headers, body)

    async def _atoken(self, config: ServerConfig) -> Token:
        async def fetch() -> Token:
            body = await self._arun(self._api(config).request(token_call(config)))
            return _remember(Token.from_answer(config, body))

        return await TOKENS.aget(token_cache_key(config), fetch)

    async def _ahttp(self, config: ServerConfig, call: ApiCall, token: Token | None) -> tuple[int, Mapping[str, str], bytes]:
        try:
            async with _async_session(config).request(
                call.method,
                yarl.URL(call.full_url, encoded=True),  # exactly the URL that was signed
                json=call.json,
                data=call.form,
                headers=_auth_headers(config, call, token),
                timeout=aiohttp.ClientTimeout(total=config.timeout),
            ) as response:
                return response.status, response.headers, await response.read()
        except (aiohttp.ClientError, asyncio.TimeoutError) as error:
            raise _connection_error(call, error) from None

    # ---- operations --------------------------------------------------------------------------
    def list_workflows(self) -> list[AlteryxWorkflow]:
        """The workflows the API key can see."""
        return self._run(self._api(self.config).list_workflows())

    def get_workflow(self, workflow_id: str) -> AlteryxWorkflow:
        return self._run(self._api(self.config).get_workflow(workflow_id))

    def get_workflow_questions(self, workflow_id: str) -> list[dict[str, Any]]:
        """The workflow's questions as the Server describes them (``name``, ``questionType``, ``value``...)."""
        return self._run(self._api(self.config).get_workflow_questions(workflow_id))

    def run_workflow(
        self,
        workflow_id: str,
        questions: Mapping[str, Any] | Sequence[Mapping[str, Any]] | None = None,
        priority: str | None = None,
        worker_tag: str | None = None,
        credential_id: str | None = None,
    ) -> AlteryxJob:
        """Queue a job for the workflow and return it (usually ``Queued``).

        :param questions: ``{name: value}`` or ``[{"name": ..., "value": ...}]``; names are checked
            against the workflow's questions before any job is created.
        :param priority: ``Default``, ``Low``, ``Medium``, ``High`` or ``Critical``.
        :param worker_tag: run on workers with this tag (V3 API, Server 2023.1+).
        :param credential_id: run as this stored credential (V3 API, Server 2023.1+).
        """
        return self._run(self._api(self.config).run_workflow(workflow_id, questions, priority, worker_tag, credential_id))

    def get_job(self, job_id: str) -> AlteryxJob:
        return self._run(self._api(self.config).get_job(job_id))

    def list_workflow_jobs(self, workflow_id: str, limit: int = 100) -> list[AlteryxJob]:
        """The workflow's newest jobs, newest first (list items carry no outputs or messages)."""
        return self._run(self._api(self.config).list_workflow_jobs(workflow_id, limit))

    def cancel_job(self, job_id: str) -> AlteryxJob:
        """Cancel a queued or running job (Server 2025.1+); a finished job is returned unchanged."""
        return self._run(self._api(self.config).cancel_job(job_id))

    def get_job_messages(self, job_id: str) -> tuple[JobMessage, ...]:
        """The job's engine messages."""
        return self.get_job(job_id).messages

    def download_job_output(self, job_id: str, output_id: str, output_format: str, path: str | os.PathLike[str]) -> Path:
        """Save one output of a finished job to ``path`` (written whole or not at all).

        :param output_format: one of the output's formats, e.g. ``Csv``.
        """
        content = self._run(self._api(self.config).download_job_output(job_id, output_id, output_format))
        target = Path(path)
        target.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=target.parent, prefix=f".{target.name}.", delete=False) as partial:
            partial.write(content)
        os.replace(partial.name, target)
        return target

    def wait_for_job(self, job_id: str, poll_interval: float = 10.0, timeout: float | None = None) -> AlteryxJob:
        """Poll until the job finishes and return it, whatever its disposition.

        :param timeout: seconds to wait at most; then :class:`~airflow_provider_alteryx.exceptions.AlteryxJobTimeoutError`.
        """
        deadline = None if timeout is None else time.time() + timeout
        return self._run(self._api(self.config).wait_for_job(job_id, poll_interval=poll_interval, deadline=deadline, log=self.log))

    async def aget_job(self, job_id: str) -> AlteryxJob:
        return await self._arun(self._api(await self.aconfig()).get_job(job_id))

    async def acancel_job(self, job_id: str) -> AlteryxJob:
        return await self._arun(self._api(await self.aconfig()).cancel_job(job_id))

    async def await_job(self, job_id: str, *, poll_interval: float, deadline: float | None, log: Log | None = None) -> AlteryxJob:
        """Async :meth:`wait_for_job`, with a wall-clock ``deadline`` (``time.time()``) as triggers carry it."""
        api = self._api(await self.aconfig())
        return await self._arun(api.wait_for_job(job_id, poll_interval=poll_interval, deadline=deadline, log=log or self.log))

    def test_connection(self) -> tuple[bool, str]:
        """Authenticate and list workflows: what the UI's Test button and ``airflow connections test`` report."""
        try:
            workflows = self.list_workflows()
        except AlteryxError as error:
            return False, str(error)
        return True, f"Connected to Alteryx Server at {self.config.base_url} ({self.config.auth_type}); {len(workflows)} workflow(s) visible."


def _remember(token: Token) -> Token:
    mask_secret(token.value)
    return token


def _auth_headers(config: ServerConfig, call: ApiCall, token: Token | None) -> dict[str, str]:
    if not call.authenticated:
        return {}
    if config.auth_type == "oauth1":
        return oauth1_headers(config, call)
    return {"Authorization": f"Bearer {token.value}"} if token is not None else {}


def _connection_error(call: ApiCall, error: BaseException) -> AlteryxConnectionError:
    reason = str(error).splitlines()[0][:200] if str(error) else "no answer"
    return AlteryxConnectionError(f"Could not get an answer from Alteryx Server for {call.method} {call.url}: {type(error).__name__}: {reason}")


def _async_session(config: ServerConfig) -> aiohttp.ClientSession:
    sessions = _SESSIONS.setdefault(asyncio.get_running_loop(), {})
    key = (config.base_url, str(config.verify))
    session = sessions.get(key)
    if session is None or session.closed:
        tls: bool | ssl.SSLContext = config.verify if isinstance(config.verify, bool) else ssl.create_default_context(cafile=config.verify)
        session = sessions[key] = aiohttp.ClientSession(
            connector=aiohttp.TCPConnector(ssl=tls, limit=100), headers={"User-Agent": USER_AGENT, "Accept": "application/json"}
        )
    return session
