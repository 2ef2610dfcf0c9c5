"""What ``alteryx-airflow doctor`` asks a Server, through the provider's own operations and transport.

Every call is one the provider makes in a DAG (list workflows, read questions, list a workflow's jobs,
read a job, create, wait for and cancel one), run by :data:`~airflow_provider_alteryx.hooks.transport.TRANSPORT`
with the retries, timeouts and authentication a task uses, under the connection Test button's short
budget. The answers are recorded on their way back to the operation: their HTTP status and their
:mod:`shape <airflow_provider_alteryx.cli.answer_shapes>`, by call (method and path, ids left out). Three
requests are the doctor's own: the Swagger document (whether cancel exists), the V3 job messages (a
Curator's right) and a bare ``HEAD`` for the Server's ``Date`` header (the clock skew).
"""

from __future__ import annotations

import dataclasses
import json
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime
from typing import Any, TypeVar
from urllib.parse import urlsplit

from airflow_provider_alteryx.cli.answer_shapes import Shape, merge, shape_of
from airflow_provider_alteryx.constants import ApiFamily, AuthType
from airflow_provider_alteryx.exceptions import (
    AlteryxApiError,
    AlteryxConnectionError,
    AlteryxError,
    AlteryxProtocolError,
)
from airflow_provider_alteryx.hooks.api import AlteryxApi, Capabilities
from airflow_provider_alteryx.hooks.auth import Token, token_call
from airflow_provider_alteryx.hooks.config import ServerConfig
from airflow_provider_alteryx.hooks.jobs import JobRequest
from airflow_provider_alteryx.hooks.params import TEST_CONNECTION_POLICY, connection_test_config
from airflow_provider_alteryx.hooks.steps import ApiCall, Operation
from airflow_provider_alteryx.hooks.transport import TRANSPORT, USER_AGENT
from airflow_provider_alteryx.models import AlteryxJob, AlteryxWorkflow
from airflow_provider_alteryx.validation import server_id

T = TypeVar("T")
# How long --run waits for its job before leaving it running: a check, not a task.
RUN_WAIT_SECONDS = 120.0
# What a Swagger path may look like to be reported (Server text: anything else is left out).
_SWAGGER_PATH = re.compile(r"/[A-Za-z0-9/{}_.-]{1,200}")
_HTTP_METHODS = frozenset({"get", "put", "post", "delete", "patch", "head", "options"})
_FAMILY_NAMES = {ApiFamily.LEGACY: "legacy", ApiFamily.V1: "v1", ApiFamily.V3: "v3", ApiFamily.TOKEN: "token"}


class _Quiet:
    """The operations' log: silent. The doctor reports what they found; their progress lines (a job finished, a
    fallback to /webapi/v1, a retry) would only interleave with its findings."""

    def info(self, msg: str, /, *args: Any) -> None:
        pass

    warning = error = info


LOG = _Quiet()


@dataclass
class Answer:
    """Every answer to one call (method and path, ids written ``{id}``), summed up.

    :param statuses: the HTTP statuses seen; 200 for any success (the transport does not say which),
        None for no answer at all.
    :param items: how many items the last list answer held.
    :param error: the last error, for the doctor's printout (never for its report).
    """

    call: str
    statuses: set[int | None] = field(default_factory=set)
    shape: Shape | None = None
    items: int | None = None
    error: AlteryxError | None = None

    def add(self, outcome: Any) -> None:
        if isinstance(outcome, AlteryxError):
            self.statuses.add(outcome.status if isinstance(outcome, AlteryxApiError) else None)
            self.error = outcome
            return
        self.statuses.add(200)
        decoded = _decoded(outcome)
        self.shape = merge(self.shape, shape_of(decoded))
        listed = decoded.get("data") if isinstance(decoded, dict) else decoded
        self.items = len(listed) if isinstance(listed, list) else self.items


def _decoded(outcome: Any) -> Any:
    """A JSON answer as decoded; a byte answer (the token's) decoded here, or described by its type."""
    if not isinstance(outcome, bytes):
        return outcome
    try:
        return json.loads(outcome.decode("utf-8-sig"))
    except ValueError:
        return "bytes"


@dataclass(frozen=True)
class Plan:
    """What to ask.

    :param workflow_id: run one job of this workflow end to end (``--run``).
    :param cancel: cancel that job right after creating it (``--cancel``).
    :param schemes: the authentications to try with the connection's key.
    :param poll_interval: seconds between reads of the job while waiting for it.
    """

    workflow_id: str | None = None
    cancel: bool = False
    schemes: frozenset[AuthType] = frozenset(AuthType)
    poll_interval: float = 1.0


@dataclass
class RunOutcome:
    """What became of ``--run``'s job: each stage's job, or the error that ended the run there."""

    created: AlteryxJob | None = None
    cancelled: AlteryxJob | None = None
    finished: AlteryxJob | None = None
    error: AlteryxError | None = None
    cancel_error: AlteryxError | None = None


@dataclass
class Examination:
    """What one Server answered.

    :param auth: per authentication tried, None where it worked, else the error.
    :param expires_in: the token answer's ``expires_in``, as the Server wrote it.
    :param swagger: the operations the Swagger document lists (``DELETE /v3/jobs/{jobId}``); None without one.
    :param skew: the Server's clock minus this machine's, in seconds; None when unknown (``skew_error`` says why).
    :param unreadable: answers the provider's own reading refused.
    :param unreachable: the failure that ended the examination: nothing answered.
    """

    config: ServerConfig
    answers: dict[str, Answer] = field(default_factory=dict)
    auth: dict[AuthType, AlteryxError | None] = field(default_factory=dict)
    expires_in: Any = None
    swagger: frozenset[str] | None = None
    swagger_error: AlteryxError | None = None
    skew: float | None = None
    skew_error: str = ""
    run: RunOutcome | None = None
    unreadable: list[AlteryxProtocolError] = field(default_factory=list)
    unreachable: AlteryxConnectionError | None = None

    def statuses(self, call: str) -> set[int | None]:
        """The statuses ``call`` was answered with; empty when it was not asked."""
        answer = self.answers.get(call)
        return answer.statuses if answer is not None else set()

    def record(self, config: ServerConfig, call: ApiCall, outcome: Any) -> None:
        name = call_name(config, call)
        self.answers.setdefault(name, Answer(name)).add(outcome)

    def operation(
        self,
        config: ServerConfig,
        capabilities: Capabilities,
        make: Callable[[AlteryxApi], Operation[T]],
        *,
        record: bool = True,
    ) -> T | AlteryxError:
        """Run one of the provider's operations, recording every answer unless told not to; its result, or the
        error it ended with."""
        if self.unreachable is not None:
            return self.unreachable
        api = AlteryxApi(
            config, TEST_CONNECTION_POLICY, LOG, clock=TRANSPORT.clock, capabilities=capabilities
        )
        operation = make(api)
        if record:
            operation = recorded(operation, lambda call, got: self.record(config, call, got))
        try:
            return TRANSPORT.run(config, operation)
        except AlteryxConnectionError as error:
            self.unreachable = error
            return error
        except AlteryxProtocolError as error:
            self.unreadable.append(error)
            return error
        except AlteryxError as error:
            return error


def recorded(operation: Operation[T], record: Callable[[ApiCall, Any], None]) -> Operation[T]:
    """``operation`` unchanged, but every call's answer (or the error it mapped to) is passed to ``record`` first."""
    reply: Any = None
    error: AlteryxError | None = None
    while True:
        try:
            step = operation.throw(error) if error is not None else operation.send(reply)
        except StopIteration as done:
            return done.value
        try:
            reply, error = (yield step), None
        except AlteryxError as failure:
            reply, error = None, failure
        if isinstance(step, ApiCall):
            record(step, error if error is not None else reply)


def call_name(config: ServerConfig, call: ApiCall) -> str:
    """``v3 GET /jobs/{id}``: a call's API, method and path below that API, ids written ``{id}``."""
    path = urlsplit(call.url).path
    prefixes = {
        ApiFamily.LEGACY: urlsplit(config.gallery_url).path + "/api/v1",
        ApiFamily.V1: config.webapi_path + "/v1",
        ApiFamily.V3: config.webapi_path + "/v3",
        ApiFamily.TOKEN: config.webapi_path,
    }
    path = path.removeprefix(prefixes[call.family]).rstrip("/")
    segments = ("{id}" if _is_id(segment) else segment for segment in path.split("/"))
    return f"{_FAMILY_NAMES[call.family]} {call.method} {'/'.join(segments) or '/'}"


def _is_id(segment: str) -> bool:
    try:
        server_id(segment, "a path segment")
    except AlteryxError:
        return False
    return True


# ---- the examination ----------------------------------------------------------------------------------
def examine(config: ServerConfig, plan: Plan) -> Examination:
    """Ask the Server everything the doctor reports on, the connection's authentication first."""
    config = connection_test_config(config)  # each request answers within seconds, whatever is wrong
    found = Examination(config)
    found.skew, found.skew_error = clock_skew(config)
    read_swagger(found, config)
    for scheme in sorted(plan.schemes, key=lambda scheme: scheme is not config.auth_type):
        check_scheme(found, dataclasses.replace(config, auth_type=scheme), plan)
    return found


def check_scheme(found: Examination, config: ServerConfig, plan: Plan) -> None:
    """Authenticate one way; where that works, read as a DAG would (and run ``plan``'s job on the connection's way)."""
    if not config.legacy and not fetch_token(found, config):
        return
    run = plan if plan.workflow_id and config.auth_type is found.config.auth_type else None
    capabilities = Capabilities()
    job_id = survey(found, config, capabilities, plan.workflow_id, run)
    if config.legacy:
        return
    if capabilities.has_v3(config.capability_key):
        read_curator_calls(found, config, capabilities, job_id)
    # /webapi/v1 too, which the provider falls back to where V3 does not answer the key.
    without_v3 = Capabilities()
    without_v3.lacks_v3(config.capability_key)
    survey(found, config, without_v3, plan.workflow_id)


def fetch_token(found: Examination, config: ServerConfig) -> bool:
    """Fetch an OAuth 2.0 token as the transport does, and read it as the transport would."""
    call = token_call(config)
    body = found.operation(config, Capabilities(), lambda api: api.request(call))
    if isinstance(body, AlteryxError):
        found.auth[config.auth_type] = body
        return False
    found.auth[config.auth_type] = None
    answer = _decoded(body)
    if isinstance(answer, dict):
        found.expires_in = answer.get("expires_in")
    try:
        Token.from_answer(config, call, body)  # also registers the token as a secret to scrub
    except AlteryxProtocolError as error:
        found.unreadable.append(error)
    return True


def survey(
    found: Examination,
    config: ServerConfig,
    capabilities: Capabilities,
    workflow_id: str | None,
    run: Plan | None = None,
) -> str | None:
    """List workflows, run ``run``'s job if given, then read ``workflow_id`` (else the first one listed).

    :return: the id of the job read, if one was.
    """
    workflows = found.operation(config, capabilities, lambda api: api.list_workflows())
    if config.legacy:  # OAuth 1.0a has no token: its first signed call tells whether it works
        found.auth[config.auth_type] = workflows if isinstance(workflows, AlteryxError) else None
    if isinstance(workflows, AlteryxError):
        return None
    chosen = workflow_id or _first(workflows)
    if chosen is None:
        return None
    if run is not None:
        found.run = run_job(found, config, capabilities, run)
    return read_workflow(found, config, capabilities, chosen)


def read_workflow(
    found: Examination, config: ServerConfig, capabilities: Capabilities, workflow_id: str
) -> str | None:
    """Read a workflow, its questions and its newest job, as the operator does before and after a run.

    :return: the id of the job read, if the workflow has one the key can see.
    """

    def read(make: Callable[[AlteryxApi], Operation[T]]) -> T | AlteryxError:
        return found.operation(config, capabilities, make)

    if not config.legacy and capabilities.has_v3(config.capability_key):
        read(lambda api: api.get_workflow(workflow_id))
    read(lambda api: api.get_workflow_questions(workflow_id))
    jobs = read(lambda api: api.list_workflow_jobs(workflow_id, 1))
    if isinstance(jobs, AlteryxError) or not jobs:
        return None
    newest = jobs[0].id
    job = read(lambda api: api.get_job(newest))
    return None if isinstance(job, AlteryxError) else job.id


def _first(workflows: list[AlteryxWorkflow]) -> str | None:
    return workflows[0].id if workflows else None


def read_curator_calls(
    found: Examination, config: ServerConfig, capabilities: Capabilities, job_id: str | None
) -> None:
    """The V3 calls only a Curator may make: the Server's queue (``GET /v3/jobs``) and a job's messages."""
    found.operation(config, capabilities, lambda api: api.queued_job_ids())
    if job_id is None:
        return
    messages = ApiCall(
        "GET", f"{config.base_url}{config.webapi_path}/v3/jobs/{job_id}/messages", ApiFamily.V3
    )
    found.operation(config, capabilities, lambda api: api.request(messages))


def run_job(found: Examination, config: ServerConfig, capabilities: Capabilities, plan: Plan) -> RunOutcome:
    """Create one job of ``plan``'s workflow as the operator does, cancel it if asked, wait for it, read it whole."""
    from airflow.providers.common.compat.sdk import BaseHook

    assert plan.workflow_id is not None
    request = JobRequest.build(plan.workflow_id)
    creations = TRANSPORT.creations(config, BaseHook.get_connection, LOG)
    outcome = RunOutcome()
    created = found.operation(config, capabilities, lambda api: api.run_workflow(request, creations))
    if isinstance(created, AlteryxError):
        outcome.error = created
        return outcome
    outcome.created = created
    if plan.cancel:
        cancelled = found.operation(config, capabilities, lambda api: api.cancel_job(created.id))
        if isinstance(cancelled, AlteryxError):
            outcome.cancel_error = cancelled
        else:
            outcome.cancelled = cancelled
            if cancelled.is_terminal:  # nothing left to wait for
                return outcome
    deadline = TRANSPORT.clock.time() + RUN_WAIT_SECONDS
    finished = found.operation(
        config,
        capabilities,
        lambda api: api.wait_for_job(created.id, poll_interval=plan.poll_interval, deadline=deadline),
    )
    if isinstance(finished, AlteryxError):
        outcome.error = finished
    else:
        outcome.finished = finished
    return outcome


# ---- the doctor's own requests --------------------------------------------------------------------------
def read_swagger(found: Examination, config: ServerConfig) -> None:
    """The operations the Server's Swagger document lists (it needs no authentication), or why there are none."""
    call = ApiCall(
        "GET", f"{config.base_url}{config.webapi_path}/swagger/docs/3", ApiFamily.V3, authenticated=False
    )
    # Not recorded: its keys are paths, and what it says is kept as the operations it lists.
    document = found.operation(config, Capabilities(), lambda api: api.request(call), record=False)
    if isinstance(document, AlteryxError):
        found.swagger_error = document
        return
    paths = document.get("paths") if isinstance(document, dict) else None
    found.swagger = frozenset(
        f"{method.upper()} {path}"
        for path, methods in (paths.items() if isinstance(paths, dict) else ())
        if isinstance(path, str) and _SWAGGER_PATH.fullmatch(path) and isinstance(methods, dict)
        for method in methods
        if isinstance(method, str) and method.lower() in _HTTP_METHODS
    )


def clock_skew(config: ServerConfig) -> tuple[float | None, str]:
    """The Server's clock minus this machine's, from the ``Date`` header of an unauthenticated ``HEAD``.

    The transport hands operations decoded answers, never headers: this one request is sent here, with the
    connection's TLS settings and the transport's proxy, and carries no credentials.

    :return: the skew in seconds (``Date`` has whole seconds: about one second of uncertainty), or None and why.
    """
    import requests

    proxy = TRANSPORT.proxy(config)
    sent = time.time()
    try:
        with requests.Session() as session:
            # The transport's proxy, and nothing else of the environment: no ~/.netrc credentials either.
            session.trust_env = False
            response = session.head(
                config.base_url + "/",
                headers={"User-Agent": USER_AGENT},
                timeout=config.timeout,
                verify=config.verify,
                allow_redirects=False,
                proxies={"http": proxy, "https": proxy} if proxy else {},
            )
            date = response.headers.get("Date")
    except requests.RequestException as error:
        return None, f"no answer to HEAD / ({type(error).__name__})"
    received = time.time()
    if date is None:
        return None, "the Server's answer carries no Date header"
    try:
        # Date truncates to the second: the Server's moment is half a second later on average.
        server = parsedate_to_datetime(date).timestamp() + 0.5
    except (TypeError, ValueError):
        return None, "the Server's Date header is not a date"
    return server - (sent + received) / 2, ""
