"""The I/O-free core of the Alteryx client, shared by the hook's sync and async paths.

Every operation (get a job, run a workflow, wait for a job...) is written once, as a generator that
yields what it needs done: an :class:`ApiCall` to send, or a :class:`Sleep`. The hook's drivers
perform those steps with ``requests`` or ``aiohttp`` and send back the decoded answer, or throw the
mapped error into the generator. URL building, request bodies, retries, API-generation fallback,
question checks and job parsing therefore live here once and behave the same on both paths.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Generator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol, TypeVar
from urllib.parse import quote, urlencode, urlsplit

from tenacity import Retrying, retry_if_exception, stop_after_attempt, wait_random_exponential
from tenacity.wait import wait_base

from airflow_provider_alteryx.exceptions import (
    AlteryxAmbiguousJobError,
    AlteryxApiError,
    AlteryxBadRequestError,
    AlteryxInputError,
    AlteryxJobTimeoutError,
    AlteryxNotFoundError,
    AlteryxUnsupportedError,
    error_from_response,
)
from airflow_provider_alteryx.models import AlteryxJob, AlteryxWorkflow

T = TypeVar("T")


class Log(Protocol):
    """What the core logs through: a stdlib logger, or Airflow's structlog one."""

    def info(self, msg: str, /, *args: Any) -> Any: ...
    def warning(self, msg: str, /, *args: Any) -> Any: ...
    def error(self, msg: str, /, *args: Any) -> Any: ...


AUTH_TYPES = ("oauth2", "oauth1")
PRIORITIES = ("Default", "Low", "Medium", "High", "Critical")
_LEGACY_PRIORITIES = {"Low": "0", "Medium": "1", "High": "2", "Critical": "3"}
# How many of a workflow's newest jobs to compare when checking whether a lost job creation went through.
RECENT_JOBS = 100
PROGRESS_EVERY_SECONDS = 60.0

# Servers (base URL and Web API path) found to lack the V3 jobs API (2022.1 and older): asked once per process.
_SERVERS_WITHOUT_V3: set[str] = set()


@dataclass(frozen=True)
class ServerConfig:
    """How to reach and authenticate to one Alteryx Server, read from an Airflow connection.

    :param base_url: scheme, host and port, e.g. ``https://alteryx.example.com``.
    :param api_key: the API key (connection login).
    :param api_secret: the API secret (connection password); never shown in reprs.
    :param auth_type: ``oauth2`` (Server 2021.4 and later) or ``oauth1`` (up to 2021.4).
    :param workflow_url_template: the workflow page, with ``{gallery_url}`` and ``{workflow_id}``.
    """

    base_url: str
    api_key: str
    api_secret: str = field(repr=False)
    auth_type: str = "oauth2"
    webapi_path: str = "/webapi"
    gallery_path: str = "/gallery"
    verify: bool | str = True
    timeout: float = 60.0
    workflow_url_template: str = "{gallery_url}/app/workflow/{workflow_id}"

    @classmethod
    def from_connection(
        cls, conn_id: str, *, host: str | None, port: int | None, login: str | None, password: str | None, extra: Mapping[str, Any]
    ) -> ServerConfig:
        """Check a connection's fields and build the config, naming the field and the fix on any problem."""

        def bad(problem: str) -> AlteryxInputError:
            return AlteryxInputError(f"Alteryx connection '{conn_id}': {problem}")

        if not host or not host.strip():
            raise bad("the host is empty; set it to the Server's base URL, e.g. https://alteryx.example.com")
        base_url = host.strip().rstrip("/")
        if "://" not in base_url:
            base_url = "https://" + base_url
        parts = urlsplit(base_url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise bad(f"the host {host!r} is not a URL like https://alteryx.example.com")
        if parts.path not in ("", "/"):
            raise bad(f"the host {host!r} has a path; put only scheme, host and port there and use the webapi_path and gallery_path extras")
        if port and parts.port is None:
            base_url = f"{base_url}:{port}"
        if not login or not password:
            raise bad("the API key (login) and API secret (password) are both required")
        auth_type = str(extra.get("auth_type") or "oauth2").lower()
        if auth_type not in AUTH_TYPES:
            raise bad(f'extra auth_type is {extra.get("auth_type")!r}; use "oauth2" (Server 2021.4 and later) or "oauth1" (up to 2021.4)')
        try:
            timeout = float(extra.get("timeout") or 60.0)
        except (TypeError, ValueError):
            timeout = -1.0
        if timeout <= 0:
            raise bad(f"extra timeout is {extra.get('timeout')!r}; use a number of seconds > 0")
        return cls(
            base_url=base_url,
            api_key=login.strip(),
            api_secret=password.strip(),
            auth_type=auth_type,
            webapi_path=_path(extra.get("webapi_path") or "/webapi"),
            gallery_path=_path(extra.get("gallery_path") or "/gallery"),
            verify=_verify(extra.get("verify", True), bad),
            timeout=timeout,
            workflow_url_template=str(extra.get("workflow_url_template") or cls.workflow_url_template),
        )

    @property
    def gallery_url(self) -> str:
        return self.base_url + self.gallery_path

    @property
    def token_url(self) -> str:
        return f"{self.base_url}{self.webapi_path}/oauth2/token"

    def workflow_url(self, workflow_id: str) -> str:
        return self.workflow_url_template.format(gallery_url=self.gallery_url, base_url=self.base_url, workflow_id=workflow_id)


def _path(value: Any) -> str:
    return "/" + str(value).strip().strip("/")


def _verify(value: Any, bad: Callable[[str], AlteryxInputError]) -> bool | str:
    if isinstance(value, bool):
        return value
    text = str(value).strip()
    if text.lower() in ("true", "1", "yes", ""):
        return True
    if text.lower() in ("false", "0", "no"):
        return False
    if "/" in text or "\\" in text:
        return text  # a CA bundle path
    raise bad(f"extra verify is {value!r}; use true, false, or the path of a CA bundle")


@dataclass(frozen=True)
class ApiCall:
    """One HTTP request to the Server, before authentication is added."""

    method: str
    url: str
    params: Mapping[str, str] = field(default_factory=dict)
    json: Any = None
    form: Mapping[str, str] | None = None
    expect: Literal["json", "bytes"] = "json"
    authenticated: bool = True

    @property
    def full_url(self) -> str:
        # RFC 3986 encoding (%20, not +), the form OAuth 1.0a signs, so the URL sent is the URL signed.
        return f"{self.url}?{urlencode(self.params, quote_via=quote)}" if self.params else self.url


@dataclass(frozen=True)
class Sleep:
    """Ask the driver to wait (``time.sleep`` or ``asyncio.sleep``) before the operation goes on."""

    seconds: float


Operation = Generator["ApiCall | Sleep", Any, T]


def read_answer(call: ApiCall, status: int, headers: Mapping[str, str], body: bytes) -> Any:
    """Decode a 2xx answer as the call expects, or raise the error a non-2xx answer maps to."""
    if not 200 <= status < 300:
        raise error_from_response(status, headers, body, method=call.method, url=call.url)
    if call.expect == "bytes":
        return body
    text = body.decode("utf-8-sig")  # some Servers start JSON with a byte order mark
    try:
        return json.loads(text) if text.strip() else None
    except ValueError:
        raise error_from_response(502, headers, body, method=call.method, url=call.url) from None


class _WaitRetryAfterOrBackoff(wait_base):
    """Wait as long as the Server's ``Retry-After`` asks, else exponential backoff with full jitter."""

    def __init__(self, delay: float, max_delay: float) -> None:
        self.backoff = wait_random_exponential(multiplier=delay, max=max_delay)
        self.max_delay = max_delay

    def __call__(self, retry_state: Any) -> float:
        error = retry_state.outcome.exception() if retry_state.outcome else None
        retry_after = getattr(error, "retry_after", None)
        return min(retry_after, self.max_delay) if retry_after is not None else float(self.backoff(retry_state))


@dataclass(frozen=True)
class RetryPolicy:
    """How transient failures (connection errors, timeouts, 429, 500, 502, 503, 504) are retried.

    :param attempts: tries per request, the first included.
    :param delay: base of the exponential backoff, in seconds.
    :param max_delay: longest single wait, in seconds.
    """

    attempts: int = 5
    delay: float = 1.0
    max_delay: float = 60.0

    def retrying(self, sleeps: list[float], log: Log) -> Retrying:
        """A tenacity iterator that records its waits in ``sleeps`` so the operation can yield them as :class:`Sleep`."""

        def before_sleep(state: Any) -> None:
            log.warning("Alteryx request failed (attempt %d of %d), retrying: %s", state.attempt_number, self.attempts, state.outcome.exception())

        return Retrying(
            stop=stop_after_attempt(self.attempts),
            wait=_WaitRetryAfterOrBackoff(self.delay, self.max_delay),
            retry=retry_if_exception(is_retryable),
            sleep=sleeps.append,
            before_sleep=before_sleep,
            reraise=True,
        )


def is_retryable(error: BaseException) -> bool:
    return bool(getattr(error, "retryable", False))


def _may_have_created_a_job(error: BaseException) -> bool:
    """Whether a failed job creation may still have created the job (everything but a 429 refusal)."""
    return is_retryable(error) and getattr(error, "status", None) != 429


def normalize_questions(questions: Mapping[str, Any] | Sequence[Mapping[str, Any]] | None) -> list[dict[str, str]]:
    """Questions as the Server takes them, ``[{"name", "value"}]`` with string values.

    :param questions: ``{name: value}`` or ``[{"name": ..., "value": ...}]``; booleans become ``"true"``/``"false"``.
    """
    if questions is None:
        return []
    if isinstance(questions, Mapping):
        pairs = list(questions.items())
    elif isinstance(questions, Sequence) and not isinstance(questions, str):
        pairs = []
        for item in questions:
            if not isinstance(item, Mapping) or "name" not in item:
                raise AlteryxInputError(
                    f"questions: {item!r} is not a {{'name': ..., 'value': ...}} mapping; pass a dict {{name: value}} or a list of such mappings"
                )
            pairs.append((item["name"], item.get("value")))
    else:
        raise AlteryxInputError(f"questions must be a dict {{name: value}} or a list of {{'name': ..., 'value': ...}}, not {type(questions).__name__}")
    answers: dict[str, str] = {}
    for name, value in pairs:
        if not isinstance(name, str) or not name:
            raise AlteryxInputError(f"questions: question names must be non-empty strings, got {name!r}")
        if name in answers:
            raise AlteryxInputError(f"questions: {name!r} is given twice; give each question once")
        if isinstance(value, (Mapping, list, tuple, set)):
            raise AlteryxInputError(f"questions: the value of {name!r} is a {type(value).__name__}; the Server takes a string, number or boolean")
        answers[name] = "" if value is None else str(value).lower() if isinstance(value, bool) else str(value)
    return [{"name": name, "value": value} for name, value in answers.items()]


def normalize_priority(priority: str | None) -> str:
    if priority is None:
        return "Default"
    for name in PRIORITIES:
        if str(priority).lower() == name.lower():
            return name
    raise AlteryxInputError(f"priority {priority!r} is not one of {', '.join(PRIORITIES)}")


class AlteryxApi:
    """The Server's operations as I/O-free generators, for the API generation ``config`` selects.

    OAuth 1.0a uses the legacy ``/gallery/api/v1`` API. OAuth 2.0 uses V3 and falls back to
    ``/webapi/v1`` on Servers without V3 jobs (2022.1 and older), remembering that per process.
    """

    def __init__(self, config: ServerConfig, retry_policy: RetryPolicy, log: Log) -> None:
        self.config = config
        self.retry_policy = retry_policy
        self.log = log

    # ---- plumbing ----------------------------------------------------------------------------
    @property
    def legacy(self) -> bool:
        return self.config.auth_type == "oauth1"

    @property
    def _server_key(self) -> str:
        return self.config.base_url + self.config.webapi_path

    def _legacy_url(self, path: str) -> str:
        # Every known legacy client keeps the trailing slash, and OAuth 1.0a signs the exact path.
        return f"{self.config.gallery_url}/api/v1{path}/"

    def _webapi_url(self, path: str) -> str:
        return f"{self.config.base_url}{self.config.webapi_path}{path}"

    def _v1_url(self, path: str) -> str:
        """A V1 endpoint on the API this auth type uses: legacy, or ``/webapi/v1`` (on every OAuth 2.0 Server)."""
        return self._legacy_url(path) if self.legacy else self._webapi_url("/v1" + path)

    def job_url(self, job_id: str) -> str:
        """The job's REST resource."""
        return self._v1_url(f"/jobs/{quote(job_id)}")

    def request(self, call: ApiCall) -> Operation[Any]:
        """Send one call, retrying transient failures with the retry policy."""
        sleeps: list[float] = []
        for attempt in self.retry_policy.retrying(sleeps, self.log):
            if sleeps:
                yield Sleep(sleeps.pop())
            with attempt:
                return (yield call)
        raise AssertionError("unreachable: tenacity either returns or re-raises")

    def _v3_or_v1(self, v3_call: ApiCall, v1_call: Callable[[], ApiCall]) -> Operation[Any]:
        """Try the V3 endpoint, falling back to ``/webapi/v1`` where the Server has no V3 (a 404 on both is a real 404)."""
        if self._server_key not in _SERVERS_WITHOUT_V3:
            try:
                return (yield from self.request(v3_call))
            except AlteryxNotFoundError:
                pass
        answer = yield from self.request(v1_call())
        if self._server_key not in _SERVERS_WITHOUT_V3:
            self.log.info("Alteryx Server %s has no V3 jobs API; using /webapi/v1", self.config.base_url)
            _SERVERS_WITHOUT_V3.add(self._server_key)
        return answer

    # ---- workflows ---------------------------------------------------------------------------
    def list_workflows(self) -> Operation[list[AlteryxWorkflow]]:
        if self.legacy:
            data = yield from self.request(ApiCall("GET", self._legacy_url("/workflows/subscription")))
        else:
            data = yield from self._v3_or_v1(
                ApiCall("GET", self._webapi_url("/v3/workflows")), lambda: ApiCall("GET", self._webapi_url("/v1/workflows/subscription"))
            )
        return [AlteryxWorkflow.from_api(item) for item in data or ()]

    def get_workflow(self, workflow_id: str) -> Operation[AlteryxWorkflow]:
        if not self.legacy and self._server_key not in _SERVERS_WITHOUT_V3:
            try:
                data = yield from self.request(ApiCall("GET", self._webapi_url(f"/v3/workflows/{quote(workflow_id)}")))
                return AlteryxWorkflow.from_api(data)
            except AlteryxNotFoundError:
                pass
        # Older APIs have no single-workflow endpoint: look it up among the subscription's workflows.
        for workflow in (yield from self.list_workflows()):
            if workflow.id == workflow_id:
                return workflow
        raise AlteryxNotFoundError(f"Workflow {workflow_id} was not found on {self.config.base_url} (or the API key cannot see it)", status=404)

    def get_workflow_questions(self, workflow_id: str) -> Operation[list[dict[str, Any]]]:
        path = f"/workflows/{quote(workflow_id)}/questions"
        if self.legacy:
            data = yield from self.request(ApiCall("GET", self._legacy_url(path)))
        else:
            data = yield from self._v3_or_v1(ApiCall("GET", self._webapi_url("/v3" + path)), lambda: ApiCall("GET", self._webapi_url("/v1" + path)))
        return list(data or ())

    # ---- jobs --------------------------------------------------------------------------------
    def get_job(self, job_id: str) -> Operation[AlteryxJob]:
        path = f"/jobs/{quote(job_id)}"
        if self.legacy:
            data = yield from self.request(ApiCall("GET", self._legacy_url(path)))
        else:
            data = yield from self._v3_or_v1(ApiCall("GET", self._webapi_url("/v3" + path)), lambda: ApiCall("GET", self._webapi_url("/v1" + path)))
        return AlteryxJob.from_api(data)

    def list_workflow_jobs(self, workflow_id: str, limit: int = RECENT_JOBS) -> Operation[list[AlteryxJob]]:
        """The workflow's jobs, newest first (list items carry no outputs or messages)."""
        path = f"/workflows/{quote(workflow_id)}/jobs"
        params = {"sortField": "createdate", "direction": "desc", "offset": "0", "limit": str(limit)}
        if self.legacy:
            data = yield from self.request(ApiCall("GET", self._legacy_url(path), params=params))
        else:
            data = yield from self._v3_or_v1(
                ApiCall("GET", self._webapi_url("/v3" + path), params=params), lambda: ApiCall("GET", self._webapi_url("/v1" + path), params=params)
            )
        return [AlteryxJob.from_api({"appId": workflow_id, **item}) for item in data or ()]

    def run_workflow(
        self,
        workflow_id: str,
        questions: Mapping[str, Any] | Sequence[Mapping[str, Any]] | None = None,
        priority: str | None = None,
        worker_tag: str | None = None,
        credential_id: str | None = None,
    ) -> Operation[AlteryxJob]:
        """Queue a job, never creating two for one call.

        Question names are checked against the workflow's questions first. A creation that fails in a
        way that may have reached the Server is not blindly resent: the workflow's newest jobs are
        compared with those listed before, and a job that appeared since is adopted.
        """
        answers = normalize_questions(questions)
        priority_name = normalize_priority(priority)
        valid_names: list[str] = []
        if answers:
            valid_names = [q.get("name", "") for q in (yield from self.get_workflow_questions(workflow_id))]
            unknown = [a["name"] for a in answers if a["name"] not in valid_names]
            if unknown:
                raise AlteryxInputError(
                    f"Workflow {workflow_id} has no question(s) {', '.join(unknown)}; its questions are: {', '.join(valid_names) or 'none'}. Correct the names in `questions`."
                )
        known_jobs = {job.id for job in (yield from self.list_workflow_jobs(workflow_id))}
        may_exist = False
        sleeps: list[float] = []
        for attempt in self.retry_policy.retrying(sleeps, self.log):
            if sleeps:
                yield Sleep(sleeps.pop())
            with attempt:
                if may_exist:
                    adopted = yield from self._job_created_since(workflow_id, known_jobs)
                    if adopted is not None:
                        self.log.warning("The Server's answer to creating a job was lost; adopting job %s, which that request created", adopted.id)
                        return adopted
                try:
                    data = yield from self._create_job(workflow_id, answers, priority_name, worker_tag, credential_id)
                except AlteryxBadRequestError as error:
                    hint = f" The workflow's questions are: {', '.join(valid_names)}." if valid_names else ""
                    raise AlteryxBadRequestError(f"{error}{hint}", status=400, server_message=error.server_message, model_state=error.model_state) from None
                except Exception as error:
                    may_exist = may_exist or _may_have_created_a_job(error)
                    raise
                return AlteryxJob.from_api(data)
        raise AssertionError("unreachable: tenacity either returns or re-raises")

    def _create_job(self, workflow_id: str, answers: list[dict[str, str]], priority: str, worker_tag: str | None, credential_id: str | None) -> Operation[Any]:
        path = f"/workflows/{quote(workflow_id)}/jobs"
        body: dict[str, Any] = {"questions": answers}
        if self.legacy:
            self._refuse_v3_only_fields(worker_tag, credential_id, "the legacy API (OAuth 1.0a)")
            if priority in _LEGACY_PRIORITIES:
                body["priority"] = _LEGACY_PRIORITIES[priority]
            return (yield ApiCall("POST", self._legacy_url(path), json=body))
        body["priority"] = priority

        def v1_call() -> ApiCall:
            self._refuse_v3_only_fields(worker_tag, credential_id, "this Server version (no V3 jobs API; 2022.1 or older)")
            return ApiCall("POST", self._webapi_url("/v1" + path), json=body)

        if self._server_key in _SERVERS_WITHOUT_V3:
            return (yield v1_call())
        v3_body = {**body, **({"workerTag": worker_tag} if worker_tag else {}), **({"credentialId": credential_id} if credential_id else {})}
        try:
            return (yield ApiCall("POST", self._webapi_url("/v3" + path), json=v3_body))
        except AlteryxNotFoundError:
            # A 404 means nothing was created: safe to try the /webapi/v1 route (a real 404 repeats there).
            data = yield v1_call()
            _SERVERS_WITHOUT_V3.add(self._server_key)
            return data

    @staticmethod
    def _refuse_v3_only_fields(worker_tag: str | None, credential_id: str | None, where: str) -> None:
        given = [name for name, value in (("worker_tag", worker_tag), ("credential_id", credential_id)) if value]
        if given:
            raise AlteryxUnsupportedError(
                f"{' and '.join(given)} cannot be set through {where}: only the V3 jobs API (Server 2023.1 and later, OAuth 2.0) takes them. Remove them or upgrade the Server."
            )

    def _job_created_since(self, workflow_id: str, known_jobs: set[str]) -> Operation[AlteryxJob | None]:
        new = [job for job in (yield from self.list_workflow_jobs(workflow_id)) if job.id not in known_jobs]
        if len(new) > 1:
            raise AlteryxAmbiguousJobError(
                f"Creating a job for workflow {workflow_id} may have succeeded, but its answer was lost and {len(new)} jobs "
                f"({', '.join(j.id for j in new)}) appeared meanwhile, so this call's job cannot be told apart. Not creating "
                "another; check these jobs on the Server before retrying."
            )
        return (yield from self.get_job(new[0].id)) if new else None

    def cancel_job(self, job_id: str) -> Operation[AlteryxJob]:
        """Cancel a queued or running job; a job that already finished is returned as it is.

        The status is read first, so calling it twice (Airflow may kill a task more than once) is harmless.
        """
        job = yield from self.get_job(job_id)
        if job.is_terminal:
            return job
        if self.legacy:
            raise AlteryxUnsupportedError(
                f"Cannot cancel job {job_id}: the legacy API (OAuth 1.0a) has no cancel endpoint. Cancel it in the Gallery's Jobs page."
            )
        try:
            yield from self.request(ApiCall("DELETE", self._webapi_url(f"/v3/jobs/{quote(job_id)}")))
        except AlteryxApiError as error:
            if error.status not in (404, 405, 400):
                raise
            job = yield from self.get_job(job_id)  # raises if the job itself is unknown
            if job.is_terminal:
                return job
            if error.status == 400:
                raise
            raise AlteryxUnsupportedError(
                f"Cannot cancel job {job_id}: this Alteryx Server version has no cancel endpoint (DELETE /v3/jobs/{{id}}, Server 2025.1 and later). The job keeps running."
            ) from None
        # Any 2xx means accepted; the job's state is read back rather than trusted from the answer's shape.
        return (yield from self.get_job(job_id))

    def download_job_output(self, job_id: str, output_id: str, output_format: str) -> Operation[bytes]:
        url = self._v1_url(f"/jobs/{quote(job_id)}/output/{quote(output_id)}")
        data = yield from self.request(ApiCall("GET", url, params={"format": output_format}, expect="bytes"))
        return bytes(data)

    def wait_for_job(self, job_id: str, *, poll_interval: float, deadline: float | None, log: Log) -> Operation[AlteryxJob]:
        """Poll until the job is ``Completed`` or ``Cancelled``, logging each status change with its duration.

        :param deadline: a wall-clock time (``time.time()``) after which :class:`AlteryxJobTimeoutError` is raised.
        """
        progress = _Progress(job_id, log)
        while True:
            job = yield from self.get_job(job_id)
            progress.saw(job)
            if job.is_terminal:
                return job
            if deadline is not None and time.time() >= deadline:
                raise AlteryxJobTimeoutError(f"Job {job_id} was still {job.status} when its time ran out ({progress.elapsed()} waited)", job)
            pause = poll_interval if deadline is None else max(0.0, min(poll_interval, deadline - time.time()))
            yield Sleep(pause)


class _Progress:
    """Logs what a person watching a job wants to know: each status, how long it lasted, and a heartbeat."""

    def __init__(self, job_id: str, log: Log) -> None:
        self.job_id = job_id
        self.log = log
        self.started = self.since = self.last_log = time.monotonic()
        self.status: str | None = None

    def elapsed(self, since: float | None = None) -> str:
        return _duration(time.monotonic() - (self.started if since is None else since))

    def saw(self, job: AlteryxJob) -> None:
        moment = time.monotonic()
        if job.status != self.status:
            if self.status is None:
                self.log.info("Alteryx job %s is %s", self.job_id, job.status)
            else:
                self.log.info("Alteryx job %s was %s for %s, now %s", self.job_id, self.status, self.elapsed(self.since), job.status)
            self.status, self.since, self.last_log = job.status, moment, moment
        elif moment - self.last_log >= PROGRESS_EVERY_SECONDS:
            self.log.info("Alteryx job %s still %s after %s", self.job_id, job.status, self.elapsed(self.since))
            self.last_log = moment
        if job.is_terminal:
            self.log.info("Alteryx job %s finished: %s, after %s", self.job_id, job.outcome, self.elapsed())


def _duration(seconds: float) -> str:
    minutes, secs = divmod(round(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h {minutes}m {secs}s" if hours else f"{minutes}m {secs}s" if minutes else f"{secs}s"
