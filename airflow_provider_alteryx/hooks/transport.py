"""How requests reach the Server, and the one owner of everything the provider keeps per process.

The core (:mod:`~airflow_provider_alteryx.hooks.api`) writes every operation once, as a generator of
steps (:mod:`~airflow_provider_alteryx.hooks.steps`). The transport carries the steps out:
:meth:`Transport.run` with ``requests`` and ``time.sleep`` (tasks in a worker), :meth:`Transport.arun`
with ``aiohttp`` and ``asyncio.sleep`` (triggers), both adding the authentication (an OAuth 1.0a
signature, or an OAuth 2.0 token) and reading the answer through
:func:`~airflow_provider_alteryx.hooks.answers.read_answer`.

Everything that outlives one hook is kept by :data:`TRANSPORT`, the process's one transport, and
nowhere else:

- ``tokens``: OAuth 2.0 tokens, one fetch per lifetime per Server and key;
- ``capabilities``: what each Server is known to lack (the V3 jobs API);
- the coordination of job creations (:mod:`~airflow_provider_alteryx.hooks.coordination`): one per store,
  this machine's or a Redis named by a connection, with the leases this process holds in it;
- ``cancels``: cancels started on kill, kept running until they end;
- ``event_marks``: the marks of event triggers that Airflow gives no state store;
- per event loop: aiohttp sessions (one pool per Server), job watchers and connection reads;
- per thread: ``requests`` sessions;
- the proxy the environment names for each Server (:meth:`Transport.proxy`);
- what layers above the hooks keep per process (:meth:`Transport.keep`: the UI views' recent answers);
- and, through :func:`~airflow_provider_alteryx.utils.scrub.forget_secrets`, the secrets scrubbed from errors.

:meth:`Transport.reset` forgets all of it (tests do, between scenarios); :meth:`Transport.aclose`
closes the running loop's part. A loop's sessions also close by themselves when the last operation
using them ends, so no wait leaves an open pool behind.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import ssl
import threading
import time
import weakref
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar
from urllib.parse import urlsplit

from airflow_provider_alteryx import __version__
from airflow_provider_alteryx.exceptions import AlteryxError
from airflow_provider_alteryx.hooks.answers import BodyReader, read_answer
from airflow_provider_alteryx.hooks.api import AlteryxApi, Capabilities
from airflow_provider_alteryx.hooks.auth import Token, TokenCache, oauth1_headers, token_cache_key, token_call
from airflow_provider_alteryx.hooks.config import ServerConfig
from airflow_provider_alteryx.hooks.coordination import Creations, LocalStore
from airflow_provider_alteryx.hooks.failures import connection_failure
from airflow_provider_alteryx.hooks.params import RetryPolicy
from airflow_provider_alteryx.hooks.polling import JobProgress, PollSchedule
from airflow_provider_alteryx.hooks.steps import ApiCall, Operation, Sleep, drive
from airflow_provider_alteryx.hooks.watcher import JobWatcher, WaitReads
from airflow_provider_alteryx.models import AlteryxJob
from airflow_provider_alteryx.utils.clock import SYSTEM_CLOCK, Clock
from airflow_provider_alteryx.utils.log import Log
from airflow_provider_alteryx.utils.scrub import forget_secrets, register_secret

if TYPE_CHECKING:
    # The HTTP stacks are imported where a request is made: DAG parsing never pays for them.
    import aiohttp
    import requests

T = TypeVar("T")
USER_AGENT = f"airflow-provider-alteryx/{__version__}"
# A connection read is reused by the operations on one event loop for this long (5,000 triggers starting
# together read it once, not 5,000 times); after that, new operations read it again, so edits reach them.
CONNECTION_READ_SECONDS = 300.0
# What the shared parts of the transport (a workflow's job feed) log through: the triggerer's own log, never a task's.
LOG = logging.getLogger(__name__)

# The environment variables a proxy is read from, in lower or upper case (requests reads no others for http(s)).
PROXY_VARIABLES = ("http_proxy", "https_proxy", "all_proxy", "no_proxy")

Answer = tuple[int, Mapping[str, str], bytes]
SessionKey = tuple[str, bool | str, float, int]


@dataclass
class _LoopShare:
    """What one event loop keeps: its sessions, watchers and connection reads, and how many operations use them."""

    sessions: dict[SessionKey, aiohttp.ClientSession] = field(default_factory=dict)
    watchers: dict[ServerConfig, JobWatcher] = field(default_factory=dict)
    connections: dict[str, tuple[float, asyncio.Future[ServerConfig]]] = field(default_factory=dict)
    users: int = 0


class Cancels:
    """Cancels started on kill: each kept referenced until it ends, and at most one running per job."""

    def __init__(self) -> None:
        self._threads: dict[str, threading.Thread] = {}
        self._tasks: set[asyncio.Task[None]] = set()
        self._guard = threading.Lock()

    def in_thread(self, job_id: str, cancel: Callable[[], None]) -> threading.Thread:
        """The thread cancelling ``job_id``: the one already running, or a new one running ``cancel``.

        A worker's ``on_kill`` runs in a signal handler that Airflow may invoke again; the second call
        then waits for the first cancel instead of sending another.
        """

        def run() -> None:
            try:
                cancel()
            finally:
                with self._guard:  # done: a later kill (a retry's) cancels afresh, which is harmless
                    self._threads.pop(job_id, None)

        with self._guard:
            thread = self._threads.get(job_id)
            if thread is None:
                thread = self._threads[job_id] = threading.Thread(
                    target=run, name=f"cancel-alteryx-job-{job_id}", daemon=True
                )
                thread.start()
        return thread

    def in_task(self, cancel: Coroutine[Any, Any, None]) -> asyncio.Task[None]:
        """``cancel`` as a task of the running loop, kept alive after the trigger that started it has ended."""
        task = asyncio.ensure_future(cancel)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    def forget(self) -> None:
        with self._guard:
            self._threads.clear()
        self._tasks.clear()


class _Reads:
    """How one wait reads the Server (:class:`~airflow_provider_alteryx.hooks.watcher.WaitReads`): with the
    wait's own retry policy, logging to the wait's own log, so the watcher never needs a hook."""

    def __init__(self, transport: Transport, config: ServerConfig, policy: RetryPolicy, log: Log) -> None:
        self.transport = transport
        self.config = config
        self.policy = policy
        self.log = log

    def _api(self) -> AlteryxApi:
        return self.transport.api(self.config, self.policy, self.log)

    async def get_job(self, job_id: str) -> AlteryxJob:
        return await self.transport.arun(self.config, self._api().get_job(job_id))

    async def poll_job(
        self,
        job_id: str,
        *,
        poll_interval: float,
        deadline: float | None,
        schedule: PollSchedule,
        progress: JobProgress,
    ) -> AlteryxJob:
        operation = self._api().wait_for_job(
            job_id,
            poll_interval=poll_interval,
            deadline=deadline,
            schedule=schedule,
            progress=progress,
        )
        return await self.transport.arun(self.config, operation)


class Transport:
    """The drivers and the process's state; see the module docstring.

    :param clock: where every deadline, schedule and token lifetime reads time; a fake one in tests.
    """

    def __init__(self, clock: Clock = SYSTEM_CLOCK) -> None:
        self.clock = clock
        self.tokens = TokenCache(clock.monotonic)
        self.capabilities = Capabilities()
        self._creations: dict[str | None, Creations] = {}  # by coordination connection id
        self._warned_single_host = False
        self.cancels = Cancels()
        self.event_marks: dict[str, dict[str, Any]] = {}
        self._loops: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _LoopShare] = (
            weakref.WeakKeyDictionary()
        )
        self._sessions: dict[int, requests.Session] = {}  # by thread
        self._kept: dict[str, Any] = {}
        self._proxies: dict[tuple[str | None, ...], str | None] = {}  # by Server and proxy variables
        self._guard = threading.Lock()

    def api(self, config: ServerConfig, policy: RetryPolicy, log: Log) -> AlteryxApi:
        """The core's operations on ``config``'s Server, under ``policy`` and logging to ``log``, with what this
        process knows of the Server."""
        return AlteryxApi(config, policy, log, clock=self.clock, capabilities=self.capabilities)

    def creations(self, config: ServerConfig, connection: Callable[[str], Any], log: Log) -> Creations:
        """Who ``config``'s job creations take turns with: this machine's creators, or every host's that
        shares the Redis of the extra ``coordination_conn_id`` (``connection`` reads that connection).

        :raises AlteryxInputError: the Redis connection cannot work, or the ``redis`` extra is missing.
        """
        name = config.coordination_conn_id
        with self._guard:
            found = self._creations.get(name)
        if found is None:
            if name is None:
                store: Any = LocalStore()
            else:
                from airflow_provider_alteryx.hooks.redis_store import redis_store

                store = redis_store(name, connection(name))
            with self._guard:
                found = self._creations.setdefault(name, Creations(store))
        if name is None and not self._warned_single_host:
            self._warned_single_host = True
            _warn_if_tasks_may_run_elsewhere(log)
        return found

    def keep(self, name: str, make: Callable[[Clock], T]) -> T:
        """The process's one ``name``, made by ``make`` with this transport's clock on first use and forgotten by
        :meth:`reset`: how a layer above the hooks keeps process-wide state without owning it."""
        with self._guard:
            kept = self._kept.get(name)
        if kept is None:  # made outside the lock, which make() may need (two first callers make one each)
            made = make(self.clock)
            with self._guard:
                kept = self._kept.setdefault(name, made)
        return kept

    def proxy(self, config: ServerConfig) -> str | None:
        """The proxy requests to ``config``'s Server go through, one decision for both drivers: the connection extra
        ``proxy``; else the environment's, read as ``requests`` reads it (``HTTPS_PROXY``, ``HTTP_PROXY`` or
        ``ALL_PROXY``, unless ``NO_PROXY`` names the host); else None, for none.

        aiohttp's own reading of the environment (``trust_env``) is not used: it applies ~/.netrc as well, whose
        credentials for the Server's host make aiohttp refuse every request that carries a token, and it reads
        both on a thread for every request. The environment's answer is kept per Server and value of the
        variables (reading it costs about 0.1 ms), so a changed variable is seen at once.
        """
        if config.proxy is not None:
            return config.proxy
        key = (config.base_url, *(os.environ.get(n) or os.environ.get(n.upper()) for n in PROXY_VARIABLES))
        if key not in self._proxies:
            from requests.utils import get_environ_proxies, select_proxy

            found = select_proxy(config.base_url, get_environ_proxies(config.base_url))
            if found is not None:
                _mask(urlsplit(found).password)
            self._proxies[key] = found
        return self._proxies[key]

    def reads(self, config: ServerConfig, policy: RetryPolicy, log: Log) -> WaitReads:
        """How a wait reads ``config``'s Server, under its own ``policy`` and logging to its own ``log``."""
        return _Reads(self, config, policy, log)

    def reset(self) -> None:
        """Forget every token, capability, coordination, cancel, mark, secret, session, loop share and kept state.

        The records of a coordination store outlive the process by design (other processes share them);
        the places this process held in its queues are given up, lapsing within a lease.

        Sessions of running loops are dropped, not closed (closing needs their loop): call :meth:`aclose`
        on a loop first where its sessions must close cleanly.
        """
        self.tokens.clear()
        self.capabilities.clear()
        with self._guard:
            creations, self._creations = list(self._creations.values()), {}
        for coordination in creations:
            coordination.close()
        self._warned_single_host = False
        self.cancels.forget()
        self.event_marks.clear()
        forget_secrets()
        with self._guard:
            sessions, self._sessions = list(self._sessions.values()), {}
        for session in sessions:
            session.close()
        self._loops = weakref.WeakKeyDictionary()
        with self._guard:
            self._kept = {}
        self._proxies = {}

    async def aclose(self) -> None:
        """Stop the running loop's watchers and close its sessions (an orderly shutdown, or the end of a test)."""
        share = self._loops.pop(asyncio.get_running_loop(), None)
        if share is not None:
            for watcher in share.watchers.values():
                watcher.stop()
            await _close(share)

    # ---- the sync driver -----------------------------------------------------------------------------
    def run(self, config: ServerConfig, operation: Operation[T]) -> T:
        """Carry out an operation's steps with ``requests`` and ``time.sleep``."""

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
            self.tokens.discard(token_cache_key(config), token)
            token = self._token(config)
            status, headers, body = self._http(config, call, token)
        return read_answer(call, status, headers, body)

    def _token(self, config: ServerConfig) -> Token:
        """The key's token. Fetching it is one request, a part of the try of the request that needs it: a
        failure is that try's failure (the request itself was not sent), and that request's retries retry it."""

        def fetch() -> Token:
            call = token_call(config)
            answer = read_answer(call, *self._http(config, call, None))
            return _remember(Token.from_answer(config, call, answer, now=self.clock.monotonic()))

        return self.tokens.get(token_cache_key(config), fetch)

    def _session(self) -> requests.Session:
        import requests

        with self._guard:
            session = self._sessions.get(threading.get_ident())
            if session is None:
                session = self._sessions[threading.get_ident()] = requests.Session()
                session.headers.update({"User-Agent": USER_AGENT, "Accept": "application/json"})
                session.auth = _as_built  # so that requests never applies ~/.netrc (see _as_built)
        return session

    def _http(self, config: ServerConfig, call: ApiCall, token: Token | None) -> Answer:
        import requests
        import urllib3

        proxy = self.proxy(config)
        # Decided for both drivers; None stops requests from applying an environment's proxy of its own reading.
        proxies: dict[str, Any] = {"http": proxy, "https": proxy}
        try:
            with self._session().request(
                call.method,
                call.full_url,
                json=call.json,
                data=call.form,
                headers=_auth_headers(config, call, token),
                timeout=config.timeout,
                verify=config.verify,
                proxies=proxies,
                allow_redirects=False,  # credentials must never follow a redirect to another address
                stream=True,
            ) as response:
                body = BodyReader(call, response.headers, config.timeout, self.clock.monotonic)
                # read1 returns what has arrived, so a trickled answer is caught by the reader's deadline.
                for chunk in iter(
                    lambda: response.raw.read1(BodyReader.CHUNK_BYTES, decode_content=True), b""
                ):
                    body.add(chunk)
                return response.status_code, response.headers, body.whole()
        except (requests.RequestException, OSError, urllib3.exceptions.HTTPError) as error:
            connecting = isinstance(error, (requests.ConnectTimeout, requests.exceptions.SSLError))
            through = proxy if isinstance(error, requests.exceptions.ProxyError) else None
            raise connection_failure(call, config, error, connecting=connecting, proxy=through) from None

    # ---- the async driver ----------------------------------------------------------------------------
    async def arun(self, config: ServerConfig, operation: Operation[T]) -> T:
        """Carry out an operation's steps with ``aiohttp`` and ``asyncio.sleep``; never blocks the loop."""
        async with self.in_use():
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

    @contextlib.asynccontextmanager
    async def in_use(self) -> AsyncIterator[None]:
        """Hold the running loop's sessions open; the last holder to leave closes them."""
        share = self._share()
        share.users += 1
        try:
            yield
        finally:
            share.users -= 1
            if share.users == 0:
                await _close(share)

    def _share(self) -> _LoopShare:
        loop = asyncio.get_running_loop()
        share = self._loops.get(loop)
        if share is None:
            share = self._loops[loop] = _LoopShare()
        return share

    async def _asend(self, config: ServerConfig, call: ApiCall) -> Any:
        token = await self._atoken(config) if call.authenticated and not config.legacy else None
        status, headers, body = await self._ahttp(config, call, token)
        if status == 401 and token is not None:
            self.tokens.discard(token_cache_key(config), token)
            token = await self._atoken(config)
            status, headers, body = await self._ahttp(config, call, token)
        return read_answer(call, status, headers, body)

    async def _atoken(self, config: ServerConfig) -> Token:
        async def fetch() -> Token:
            call = token_call(config)
            answer = read_answer(call, *await self._ahttp(config, call, None))
            return _remember(Token.from_answer(config, call, answer, now=self.clock.monotonic()))

        return await self.tokens.aget(token_cache_key(config), fetch)

    async def _ahttp(self, config: ServerConfig, call: ApiCall, token: Token | None) -> Answer:
        import aiohttp
        import yarl

        proxy = self.proxy(config)
        try:
            async with self._async_session(config).request(
                call.method,
                yarl.URL(call.full_url, encoded=True),  # exactly the URL that was signed
                json=call.json,
                data=call.form,
                headers=_auth_headers(config, call, token),
                proxy=proxy,
                allow_redirects=False,  # credentials must never follow a redirect to another address
            ) as response:
                body = BodyReader(call, response.headers, config.timeout, self.clock.monotonic)
                async for chunk in response.content.iter_any():
                    body.add(chunk)
                return response.status, response.headers, body.whole()
        except (TimeoutError, aiohttp.ClientError) as error:
            connecting = isinstance(error, (aiohttp.ClientConnectorError, aiohttp.ConnectionTimeoutError))
            proxy_error = (aiohttp.ClientProxyConnectionError, aiohttp.ClientHttpProxyError)
            through = proxy if isinstance(error, proxy_error) else None
            raise connection_failure(call, config, error, connecting=connecting, proxy=through) from None

    def _async_session(self, config: ServerConfig) -> aiohttp.ClientSession:
        import aiohttp

        sessions = self._share().sessions
        key = (config.base_url, config.verify, config.timeout, config.pool_size)
        session = sessions.get(key)
        if session is None or session.closed:
            tls: bool | ssl.SSLContext = (
                config.verify
                if isinstance(config.verify, bool)
                else ssl.create_default_context(cafile=config.verify)
            )
            session = sessions[key] = aiohttp.ClientSession(
                # At most pool_size connections to the Server (config.DEFAULT_POOL_SIZE explains the number).
                connector=aiohttp.TCPConnector(
                    ssl=tls, limit=config.pool_size, limit_per_host=config.pool_size
                ),
                headers={"User-Agent": USER_AGENT, "Accept": "application/json"},
                # Only time on the socket counts: a total timeout would also count the wait for a pooled
                # connection, turning a queue into spurious timeouts and retries.
                timeout=aiohttp.ClientTimeout(
                    total=None, sock_connect=config.timeout, sock_read=config.timeout
                ),
            )
        return session

    # ---- what the operations of one loop share ---------------------------------------------------------
    async def connection(self, conn_id: str, read: Callable[[], Awaitable[ServerConfig]]) -> ServerConfig:
        """The connection ``conn_id`` as ``read`` builds it, read once for every operation on this loop that asks
        within :data:`CONNECTION_READ_SECONDS` (the others wait for that one read)."""
        connections = self._share().connections
        cached = connections.get(conn_id)
        if (
            cached is None
            or self.clock.monotonic() - cached[0] > CONNECTION_READ_SECONDS
            or (cached[1].done() and cached[1].exception() is not None)
        ):
            cached = connections[conn_id] = (self.clock.monotonic(), asyncio.ensure_future(read()))
        return await asyncio.shield(cached[1])

    async def await_job(
        self,
        config: ServerConfig,
        reads: WaitReads,
        job_id: str,
        *,
        poll_interval: float,
        deadline: float | None,
        coalesce: bool,
    ) -> AlteryxJob:
        """Wait for the job: through its workflow's feed on this loop (:mod:`~airflow_provider_alteryx.hooks.watcher`),
        or, without ``coalesce``, reading it alone every interval."""
        async with self.in_use():
            if coalesce:
                return await self._watcher(config).wait(
                    reads, job_id, poll_interval=poll_interval, deadline=deadline
                )
            schedule = PollSchedule(poll_interval, job_id, self.clock)
            progress = JobProgress(job_id, reads.log, self.clock)
            return await reads.poll_job(
                job_id, poll_interval=poll_interval, deadline=deadline, schedule=schedule, progress=progress
            )

    def _watcher(self, config: ServerConfig) -> JobWatcher:
        watchers = self._share().watchers
        watcher = watchers.get(config)
        if watcher is None:

            async def list_jobs(policy: RetryPolicy, workflow_id: str, limit: int) -> list[AlteryxJob]:
                return await self.arun(
                    config, self.api(config, policy, LOG).list_workflow_jobs(workflow_id, limit)
                )

            watcher = watchers[config] = JobWatcher(list_jobs, self.clock)
        return watcher


async def _close(share: _LoopShare) -> None:
    sessions, share.sessions = list(share.sessions.values()), {}
    for session in sessions:
        await session.close()


def _remember(token: Token) -> Token:
    from airflow.providers.common.compat.sdk import mask_secret

    mask_secret(token.value)  # Token.from_answer registered it for scrub(); this is Airflow's log masker
    return token


def _as_built(request: requests.PreparedRequest) -> requests.PreparedRequest:
    """The sync driver's authentication: what each call's headers carry, nothing more. A session without one
    applies ~/.netrc's credentials for the Server's host, replacing the token and spoiling the token request."""
    return request


def _mask(secret: str | None) -> None:
    """Keep ``secret`` out of errors (scrub) and out of Airflow's logs (its masker)."""
    if secret:
        from airflow.providers.common.compat.sdk import mask_secret

        register_secret(secret)
        mask_secret(secret)


def _auth_headers(config: ServerConfig, call: ApiCall, token: Token | None) -> dict[str, str]:
    if not call.authenticated:
        return {}
    if config.legacy:
        return oauth1_headers(config, call)
    return {"Authorization": f"Bearer {token.value}"} if token is not None else {}


TRANSPORT = Transport()


# Executors whose tasks may run on another host than this one (Celery workers may all share one host, too).
MULTI_HOST_EXECUTORS = ("CeleryExecutor", "KubernetesExecutor", "EdgeExecutor", "CeleryKubernetesExecutor")


def _warn_if_tasks_may_run_elsewhere(log: Log) -> None:
    """Say once, where the executor may run tasks on several hosts, what taking turns on one machine cannot cover."""
    from airflow.providers.common.compat.sdk import conf

    executor = str(conf.get("core", "executor", fallback=""))
    found = [name for name in MULTI_HOST_EXECUTORS if name in executor]
    if found:
        log.warning(
            "Job creations take turns on this machine only: the Alteryx connection has no extra "
            "coordination_conn_id, and %s may run tasks on other hosts. A creation whose answer is lost while "
            "another host creates a job of the same workflow can then fail as ambiguous (never a duplicate), "
            "and between different DAG runs be given that host's job. Set coordination_conn_id to a Redis "
            "connection every worker reaches; see the deployment page of the provider's documentation.",
            found[0],
        )
