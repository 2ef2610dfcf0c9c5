"""The I/O-free core of the Alteryx client, shared by the hook's sync and async paths.

Every operation (get a job, run a workflow, wait for a job...) is written once, as a generator that
yields what it needs done: an :class:`~airflow_provider_alteryx.hooks.steps.ApiCall` to send, or a
:class:`~airflow_provider_alteryx.hooks.steps.Sleep`. The hook's drivers perform those steps with
``requests`` or ``aiohttp`` and send back the decoded answer, or throw the mapped error into the
generator. URL building, request bodies, retries, API-generation fallback, question checks, job
parsing and the attribution of lost creations therefore live here once and behave the same on both paths.

The one I/O an operation does itself is a job creation's turn-taking with its coordination store
(:mod:`~airflow_provider_alteryx.hooks.coordination`): short calls to a local file or to Redis, made in
place, as creations run on the sync path only.
"""

from __future__ import annotations

import dataclasses
import threading
import uuid
from collections.abc import Callable, Sequence
from typing import IO, Any, TypeVar
from urllib.parse import quote

from airflow_provider_alteryx.constants import ApiFamily, CallKind
from airflow_provider_alteryx.exceptions import (
    AlteryxAmbiguousJobError,
    AlteryxApiError,
    AlteryxBadRequestError,
    AlteryxConnectionError,
    AlteryxCoordinationError,
    AlteryxError,
    AlteryxInputError,
    AlteryxJobTimeoutError,
    AlteryxNotFoundError,
    AlteryxUnsupportedError,
)
from airflow_provider_alteryx.hooks.answers import unusable
from airflow_provider_alteryx.hooks.config import ServerConfig
from airflow_provider_alteryx.hooks.coordination import LEASE_SECONDS, Creations, Record, Turn
from airflow_provider_alteryx.hooks.creation import (
    CLAIM_POLL_SECONDS,
    CLAIM_WAIT_SECONDS,
    NO_CLAIMS,
    Claims,
    attribute,
    turn_poll_seconds,
)
from airflow_provider_alteryx.hooks.jobs import JobRequest
from airflow_provider_alteryx.hooks.params import RetryPolicy
from airflow_provider_alteryx.hooks.polling import JobProgress, PollSchedule, deleted
from airflow_provider_alteryx.hooks.retry import Budget, Retry, sent, should_retry, with_retries
from airflow_provider_alteryx.hooks.steps import ApiCall, Operation, Sleep
from airflow_provider_alteryx.models import AlteryxJob, AlteryxWorkflow
from airflow_provider_alteryx.utils.clock import Clock
from airflow_provider_alteryx.utils.log import Log
from airflow_provider_alteryx.utils.server_text import WORD_LIMIT, quoted
from airflow_provider_alteryx.validation import server_id

T = TypeVar("T")

# How many of a workflow's newest jobs to compare when checking whether a lost job creation went through.
RECENT_JOBS = 100
# The longest queue the UI asks for at once; a job further back is shown as beyond it.
QUEUE_LIMIT = 1000


class Capabilities:
    """What each Server is known to lack, learnt once per process (asking again on every call costs a 404)."""

    def __init__(self) -> None:
        self._without_v3: set[str] = set()
        self._guard = threading.Lock()

    def has_v3(self, server_key: str) -> bool:
        """False once the Server answered that it has no V3 jobs API (2022.1 and older)."""
        return server_key not in self._without_v3

    def lacks_v3(self, server_key: str) -> None:
        with self._guard:
            self._without_v3.add(server_key)

    def clear(self) -> None:
        with self._guard:
            self._without_v3.clear()


class AlteryxApi:
    """The Server's operations as I/O-free generators, for the API generation ``config`` selects.

    OAuth 1.0a uses the legacy ``/gallery/api/v1`` API. OAuth 2.0 uses V3 and falls back to
    ``/webapi/v1`` on Servers without V3 jobs (2022.1 and older), remembering that per process.

    The transport builds it (:meth:`~airflow_provider_alteryx.hooks.transport.Transport.api`) with what the
    process knows; stepped tests build it with fakes.

    :param clock: where time is read (deadlines, retry budgets, poll schedules).
    :param capabilities: what Servers are known to lack.
    """

    def __init__(
        self,
        config: ServerConfig,
        retry_policy: RetryPolicy,
        log: Log,
        *,
        clock: Clock,
        capabilities: Capabilities,
    ) -> None:
        self.config = config
        self.retry_policy = retry_policy
        # One budget for the whole operation: every step and every retry inside it spends from it.
        self.budget = Budget(retry_policy, clock.monotonic)
        self.log = log
        self.clock = clock
        self.capabilities = capabilities

    # ---- plumbing ----------------------------------------------------------------------------
    @property
    def legacy(self) -> bool:
        return self.config.legacy

    def _legacy_call(self, method: str, path: str, **kwargs: Any) -> ApiCall:
        # Every known legacy client keeps the trailing slash, and OAuth 1.0a signs the exact path.
        return ApiCall(method, f"{self.config.gallery_url}/api/v1{path}/", ApiFamily.LEGACY, **kwargs)

    def _webapi_call(self, family: ApiFamily, method: str, path: str, **kwargs: Any) -> ApiCall:
        version = "/v3" if family is ApiFamily.V3 else "/v1"
        return ApiCall(
            method, f"{self.config.base_url}{self.config.webapi_path}{version}{path}", family, **kwargs
        )

    def _v1_call(self, method: str, path: str, **kwargs: Any) -> ApiCall:
        """A V1 endpoint on the API this auth type uses: legacy, or ``/webapi/v1`` (on every OAuth 2.0 Server)."""
        return (
            self._legacy_call(method, path, **kwargs)
            if self.legacy
            else self._webapi_call(ApiFamily.V1, method, path, **kwargs)
        )

    @property
    def family_in_use(self) -> ApiFamily:
        """The API generation jobs go to on this connection (legacy, Web API v1 or v3), as far as this process knows."""
        if self.legacy:
            return ApiFamily.LEGACY
        return ApiFamily.V3 if self.capabilities.has_v3(self.config.capability_key) else ApiFamily.V1

    def job_url(self, job_id: str) -> str:
        """The job's REST resource."""
        return self._v1_call("GET", f"/jobs/{quote(server_id(job_id, 'job_id'))}").url

    def request(self, call: ApiCall) -> Operation[Any]:
        """Send one call, retrying transient failures within the operation's budget (a creation only when surely
        not received)."""
        return (yield from with_retries(call, lambda: sent(call), self.budget, self.log))

    def _newest_api(self, method: str, path: str, **kwargs: Any) -> Operation[Any]:
        """Call ``path`` on the newest API this connection can use: legacy for OAuth 1.0a, else V3 or ``/webapi/v1``."""
        if self.legacy:
            return (yield from self.request(self._legacy_call(method, path, **kwargs)))
        v3, v1 = (
            self._webapi_call(family, method, path, **kwargs) for family in (ApiFamily.V3, ApiFamily.V1)
        )
        return (yield from self._v3_else_v1(v3, v1))

    def _v3_else_v1(self, v3: ApiCall, v1: ApiCall) -> Operation[Any]:
        """Send ``v3`` where it may work, else ``v1``; remember a key for which V3 is unavailable.

        V3 is unavailable when it answers 404 (Servers before 2023.1 have no V3 jobs API) or 401 (on
        2021.4 and 2022.1 it takes only a Curator's key). A 404 or 401 from ``v1`` as well is the real answer.
        """
        if self.capabilities.has_v3(self.config.capability_key):
            try:
                return (yield from self.request(v3))
            except AlteryxApiError as error:
                if not _v3_unavailable(error):
                    raise
        answer = yield from self.request(v1)
        if self.capabilities.has_v3(self.config.capability_key):
            self.log.info(
                "Alteryx Server %s offers no V3 API to this key; using /webapi/v1", self.config.base_url
            )
            self.capabilities.lacks_v3(self.config.capability_key)
        return answer

    def _parse(self, what: str, parse: Callable[[Any], T], data: Any, where: str) -> T:
        """Parse an answer, turning a shape the provider cannot use into one clear error."""
        try:
            return parse(data)
        except (KeyError, TypeError, ValueError, AttributeError) as problem:
            raise unusable(
                f"{where} on {self.config.base_url}", what, f"{type(data).__name__} ({problem})"
            ) from None

    # ---- workflows ---------------------------------------------------------------------------
    def list_workflows(self) -> Operation[list[AlteryxWorkflow]]:
        # V3 lists workflows at /workflows; older APIs list the key's subscription instead.
        subscription = self._v1_call("GET", "/workflows/subscription")
        if self.legacy:
            data = yield from self.request(subscription)
        else:
            data = yield from self._v3_else_v1(
                self._webapi_call(ApiFamily.V3, "GET", "/workflows"), subscription
            )
        return self._parse("a list of workflows", _workflows, data, "GET workflows")

    def get_workflow(self, workflow_id: str) -> Operation[AlteryxWorkflow]:
        workflow_id = server_id(workflow_id, "workflow_id")
        if not self.legacy and self.capabilities.has_v3(self.config.capability_key):
            try:
                data = yield from self.request(
                    self._webapi_call(ApiFamily.V3, "GET", f"/workflows/{workflow_id}")
                )
                return self._parse(
                    "a workflow", AlteryxWorkflow.from_api, data, f"GET /workflows/{workflow_id}"
                )
            except AlteryxApiError as error:
                if not _v3_unavailable(error):
                    raise
        # Older APIs have no single-workflow endpoint: look it up among the subscription's workflows.
        for workflow in (yield from self.list_workflows()):
            if workflow.id == workflow_id:
                return workflow
        raise AlteryxNotFoundError(
            f"Workflow {workflow_id} was not found on {self.config.base_url} (or the API key cannot see it)",
            status=404,
        )

    def find_workflow(self, name: str) -> Operation[AlteryxWorkflow]:
        """The one workflow the key can see whose name is ``name`` (exactly; else ignoring case and spaces).

        :raises AlteryxNotFoundError: none has that name; the error lists the names there are.
        :raises AlteryxInputError: several have it; the error lists them (name, id, owner, version).
        """
        if not isinstance(name, str) or not name.strip():
            raise AlteryxInputError(
                f"workflow_name is {name!r}; give the workflow's name as shown on the Server."
            )
        workflows = yield from self.list_workflows()
        matches = [w for w in workflows if w.name == name] or [
            w for w in workflows if w.name.strip().casefold() == name.strip().casefold()
        ]
        if len(matches) == 1:
            return matches[0]
        if matches:
            listed = "; ".join(str(w) for w in matches)
            raise AlteryxInputError(
                f"{len(matches)} workflows are named {name!r}: {listed}. Pass the one you mean as workflow_id instead."
            )
        known = ", ".join(sorted(quoted(w.name, WORD_LIMIT) for w in workflows)[:20]) or "none"
        raise AlteryxNotFoundError(
            f"No workflow named {name!r} is visible to this API key on {self.config.base_url}; visible: {known}.",
            status=404,
        )

    def get_workflow_questions(self, workflow_id: str) -> Operation[list[dict[str, Any]]]:
        workflow_id = server_id(workflow_id, "workflow_id")
        data = yield from self._newest_api("GET", f"/workflows/{workflow_id}/questions")
        return self._parse(
            "a list of questions",
            lambda d: [dict(q) for q in _items(d)],
            data,
            f"GET /workflows/{workflow_id}/questions",
        )

    # ---- jobs --------------------------------------------------------------------------------
    def get_job(self, job_id: str) -> Operation[AlteryxJob]:
        job_id = server_id(job_id, "job_id")
        data = yield from self._newest_api("GET", f"/jobs/{job_id}")
        return self._parse("a job", AlteryxJob.from_api, data, f"GET /jobs/{job_id}")

    def list_workflow_jobs(self, workflow_id: str, limit: int = RECENT_JOBS) -> Operation[list[AlteryxJob]]:
        """The workflow's jobs, newest first (list items carry no outputs or messages)."""
        workflow_id = server_id(workflow_id, "workflow_id")
        params = {"sortField": "createdate", "direction": "desc", "offset": "0", "limit": str(limit)}
        data = yield from self._newest_api("GET", f"/workflows/{workflow_id}/jobs", params=params)
        return self._parse(
            "a list of jobs",
            lambda d: [_of_workflow(AlteryxJob.from_api(item), workflow_id) for item in _items(d)],
            data,
            f"GET /workflows/{workflow_id}/jobs",
        )

    def run_workflow(
        self, request: JobRequest, creations: Creations, claims: Claims = NO_CLAIMS
    ) -> Operation[AlteryxJob]:
        """Queue a job, never creating two for one call and never taking another caller's job.

        Question names are checked against the workflow's questions first. The creation then takes its
        turn among the creators that share ``creations``; one whose answer is lost is attributed as
        :mod:`~airflow_provider_alteryx.hooks.creation` explains.

        :raises AlteryxAmbiguousJobError: a lost answer that cannot be attributed; ``candidates`` lists the jobs.
        :raises AlteryxCoordinationError: the creators' store is unreachable, or no turn came within the budget
            (nothing was sent).
        """
        yield from self._check_question_names(request)
        owner = claims.owner or f"anonymous/{uuid.uuid4().hex}"
        creation = self._create_call(request)  # which call it is (a creation), for the retry decisions
        return (
            yield from with_retries(
                creation,
                lambda: self._create_in_turn(request, creations, claims, owner),
                self.budget,
                self.log,
            )
        )

    def _check_question_names(self, request: JobRequest) -> Operation[None]:
        if not request.answers:
            return
        valid = [
            str(q.get("name", "")) for q in (yield from self.get_workflow_questions(request.workflow_id))
        ]
        unknown = [a["name"] for a in request.answers if a["name"] not in valid]
        if unknown:
            raise AlteryxInputError(
                f"Workflow {request.workflow_id} has no question(s) {', '.join(unknown)}; its questions are: {', '.join(valid) or 'none'}. "
                "Correct the names in `questions`."
            )

    def _create_call(self, request: JobRequest) -> ApiCall:
        """The creation request on the newest API this connection can use (checked for fields that API lacks)."""
        path = f"/workflows/{request.workflow_id}/jobs"
        if self.legacy:
            return self._legacy_call("POST", path, kind=CallKind.CREATE, json=request.body(ApiFamily.LEGACY))
        family = ApiFamily.V3 if self.capabilities.has_v3(self.config.capability_key) else ApiFamily.V1
        return self._webapi_call(family, "POST", path, kind=CallKind.CREATE, json=request.body(family))

    def _create_in_turn(
        self, request: JobRequest, creations: Creations, claims: Claims, owner: str
    ) -> Operation[AlteryxJob | Retry]:
        """One try at creating the job: a place in the workflow's queue, the snapshot of its jobs while the
        creation ahead is sent, then this one's creation, reconciled before the turn passes if its answer is lost.

        :return: the job, or :class:`~airflow_provider_alteryx.hooks.retry.Retry` when the creation surely
            created nothing (refused before acting, or reconciled), so that it may be sent again.
        :raises AlteryxAmbiguousJobError: a job may exist but cannot be attributed.
        """
        key = f"{self.config.server_key} {request.workflow_id}"
        turn = creations.join(key)
        try:
            yield from self._wait_for_turn(turn, request.workflow_id, ahead=1)
            epoch = turn.epoch
            known = yield from self._job_ids(request.workflow_id)
            yield from self._wait_for_turn(turn, request.workflow_id, ahead=0)
            if turn.epoch != epoch:
                # A creator died while sending; its job may have appeared after the snapshot: take it again.
                known = yield from self._job_ids(request.workflow_id)
            if not turn.send():
                raise AlteryxCoordinationError(
                    f"This creation of a job of workflow {request.workflow_id} lost its turn before sending it (its "
                    f"process was held up for longer than the {LEASE_SECONDS:.0f} s lease); nothing was sent. "
                    "Retry the task."
                )
            outcome = yield from self._send_creation(request, known, key, creations, claims, owner)
            if isinstance(outcome, AlteryxJob):
                self._record(creations, key, Record.TAKEN, [outcome.id], owner)
            return outcome
        finally:
            self._leave(turn)

    def _wait_for_turn(self, turn: Turn, workflow_id: str, ahead: int) -> Operation[None]:
        """Until at most ``ahead`` creations of the workflow are before this one: about one Server round trip per
        creation ahead, and never longer than what is left of the operation's budget."""
        started = self.clock.monotonic()
        while (position := turn.position()) > ahead:
            if self.clock.monotonic() >= self.budget.deadline:
                raise AlteryxCoordinationError(
                    f"No turn to create a job of workflow {workflow_id} came within the retry budget: after "
                    f"{self.clock.monotonic() - started:.0f} s, {turn.ahead} creation(s) of it were still ahead "
                    f"among the creators sharing {turn.creations.store.where}. Nothing was sent. Run fewer "
                    "creations of one workflow at once (max_active_tis_per_dagrun, or a pool), or give the task a "
                    "larger hook_params retry_budget."
                )
            yield Sleep(turn_poll_seconds(position - ahead))

    def _job_ids(self, workflow_id: str) -> Operation[set[str]]:
        return {job.id for job in (yield from self.list_workflow_jobs(workflow_id))}

    def _send_creation(
        self, request: JobRequest, known: set[str], key: str, creations: Creations, claims: Claims, owner: str
    ) -> Operation[AlteryxJob | Retry]:
        """Send the creation; a failure that may hide a job is reconciled against ``known``, the snapshot."""
        call = self._create_call(request)
        try:
            data = yield call
        except AlteryxBadRequestError as refused:
            raise (yield from self._explain_refusal(request, refused)) from None
        except (AlteryxApiError, AlteryxConnectionError) as error:
            if isinstance(error, AlteryxApiError) and _v3_unavailable(error):
                # Nothing was created: V3 is unavailable to this key (see _v3_else_v1); send it on /webapi/v1.
                self.capabilities.lacks_v3(self.config.capability_key)
                return (yield from self._send_creation(request, known, key, creations, claims, owner))
            if should_retry(call, error):  # surely never acted on: send it again
                return Retry(error)
            if not error.retryable:
                raise
            job = yield from self._reconcile(request.workflow_id, known, key, creations, claims, owner, error)
            # Reconciled: a job it created, or none at all, and then it may be sent again.
            return job if job is not None else Retry(error)
        return _of_workflow(
            self._parse("the created job", AlteryxJob.from_api, data, f"{call.method} {call.url}"),
            request.workflow_id,
        )

    def _explain_refusal(
        self, request: JobRequest, refused: AlteryxBadRequestError
    ) -> Operation[AlteryxBadRequestError]:
        """A 400 to a creation, with the workflow's questions listed: the usual cause is a missing or wrong answer."""
        names = [
            str(q.get("name", "")) for q in (yield from self.get_workflow_questions(request.workflow_id))
        ]
        hint = f" The workflow's questions are: {', '.join(names)}." if names else ""
        return AlteryxBadRequestError(
            f"{refused}{hint}",
            status=refused.status,
            server_message=refused.server_message,
            model_state=refused.model_state,
        )

    def _reconcile(
        self,
        workflow_id: str,
        known: set[str],
        key: str,
        creations: Creations,
        claims: Claims,
        owner: str,
        error: AlteryxError,
    ) -> Operation[AlteryxJob | None]:
        """After a creation that may have reached the Server: the job it created, or None when it surely created none.

        :param known: the workflow's jobs listed before the creation was sent.
        :raises AlteryxAmbiguousJobError: jobs appeared that cannot be told apart, even after waiting for claims.
        """
        # Claims of callers that do not share the store settle within seconds; those that share it are recorded.
        wait = CLAIM_WAIT_SECONDS if claims.shared and not creations.shared_across_hosts else 0.0
        give_up = self.clock.monotonic() + wait
        # A cut or timed-out answer may come from a Server still creating the job: look twice before concluding none exists.
        looks_needed = 2 if isinstance(error, AlteryxConnectionError) else 1
        looks, announced = 0, False
        while True:
            appeared = [job_id for job_id in (yield from self._job_ids(workflow_id)) if job_id not in known]
            looks += 1
            mine, unaccounted = attribute(appeared, *self._held_by_others(key, creations, claims, owner))
            settled = looks >= looks_needed
            if claims.shared and not announced and (mine or unaccounted):
                # Say what this caller holds before deciding, so that two callers never both take one job.
                claims.announce(unaccounted or [str(mine)])
                announced = True
            elif mine is not None:
                self.log.warning(
                    "The Server's answer to creating a job was lost (%s); adopting job %s, which that request created",
                    error,
                    mine,
                )
                return _of_workflow((yield from self.get_job(mine)), workflow_id)
            elif not unaccounted and settled:
                self.log.warning(
                    "Creating a job for workflow %s failed before the Server acted on it (%s); sending it again",
                    workflow_id,
                    error,
                )
                return None
            elif settled and self.clock.monotonic() >= give_up:
                # Recorded before the turn passes, so that the creation after this one never adopts a candidate.
                self._record(creations, key, Record.CONTESTED, unaccounted, owner)
                raise _ambiguous(workflow_id, unaccounted, error)
            yield Sleep(CLAIM_POLL_SECONDS)

    def _held_by_others(
        self, key: str, creations: Creations, claims: Claims, owner: str | None
    ) -> tuple[set[str], set[str]]:
        """The jobs others created or adopted, and those they hold as candidates (``owner``'s own excepted)."""
        taken = creations.held(key, Record.TAKEN) | claims.taken()
        contested = creations.held(key, Record.CONTESTED, besides=owner) | claims.contested()
        return taken, contested

    def _record(
        self, creations: Creations, key: str, record: Record, jobs: Sequence[str], owner: str
    ) -> None:
        """Record what this creation holds; a store that fails here costs the creations after it, never this job."""
        try:
            creations.record(key, record, jobs, owner)
        except AlteryxCoordinationError as error:
            self.log.warning(
                "Could not record job(s) %s as %s (%s): a lost answer of the next creation of this workflow may "
                "stay ambiguous",
                ", ".join(jobs),
                record,
                error,
            )

    def _leave(self, turn: Turn) -> None:
        try:
            turn.leave()
        except AlteryxCoordinationError as error:
            self.log.warning("Could not give up a creation's turn (%s); it lapses within its lease", error)

    def resume_creation(
        self, workflow_id: str, candidates: Sequence[str], creations: Creations, claims: Claims = NO_CLAIMS
    ) -> Operation[AlteryxJob | None]:
        """Examine again the candidates of an earlier ambiguous creation (a retry's first step).

        :return: the one candidate nobody else accounts for; None when all belong to others (the earlier
            creation did not happen, so a new one may be sent).
        :raises AlteryxAmbiguousJobError: it is still ambiguous.
        """
        workflow_id = server_id(workflow_id, "workflow_id")
        key = f"{self.config.server_key} {workflow_id}"
        mine, unaccounted = attribute(
            list(candidates), *self._held_by_others(key, creations, claims, claims.owner)
        )
        if mine is not None:
            self.log.info(
                "Job %s, a candidate of the earlier try's lost creation, belongs to no other caller: adopting it",
                mine,
            )
            if claims.owner is not None:
                self._record(creations, key, Record.TAKEN, [mine], claims.owner)
            return _of_workflow((yield from self.get_job(mine)), workflow_id)
        if unaccounted:
            raise _ambiguous(workflow_id, unaccounted, None)
        return None

    def cancel_job(self, job_id: str) -> Operation[AlteryxJob]:
        """Cancel a queued or running job; a job that already finished is returned as it is.

        The cancel request goes first and the job is read once after, so the cancel is sent even when
        little time is left (a killed task); calling it twice is harmless. A queued job that the Server
        deletes when it is cancelled (it then reads 404) is returned cancelled; cancelling it again then
        raises :class:`AlteryxNotFoundError`, as for any job the Server does not know.

        :raises AlteryxUnsupportedError: the Server (legacy API, or before 2025.1) cannot cancel jobs.
        """
        job_id = server_id(job_id, "job_id")
        if self.legacy:
            job = yield from self.get_job(job_id)
            if job.is_terminal:
                return job
            raise AlteryxUnsupportedError(
                f"Cannot cancel job {job_id}: the legacy API (OAuth 1.0a) has no cancel endpoint. Cancel it in the Gallery's Jobs page."
            )
        delete = self._webapi_call(ApiFamily.V3, "DELETE", f"/jobs/{job_id}", kind=CallKind.REPEATABLE)
        tries = 0

        def one_try() -> Operation[Any]:
            nonlocal tries
            tries += 1
            return (yield from sent(delete))

        try:
            yield from with_retries(delete, one_try, self.budget, self.log)
        except AlteryxApiError as error:
            if error.status not in (400, 404, 405):
                raise
            try:
                job = yield from self.get_job(job_id)  # raises if the job itself is unknown
            except AlteryxNotFoundError:
                if error.status == 404 and tries > 1:
                    # An earlier try whose answer was lost may have deleted the queued job this one finds gone.
                    return self._deleted_by_cancel(job_id)
                raise
            if job.is_terminal:
                return job
            if error.status == 400:
                raise
            raise AlteryxUnsupportedError(
                f"Cannot cancel job {job_id}: this Alteryx Server version has no cancel endpoint (DELETE /v3/jobs/{{id}}, Server 2025.1 and later). The job keeps running."
            ) from None
        # Any 2xx means accepted; the job's state is read back rather than trusted from the answer's shape.
        try:
            return (yield from self.get_job(job_id))
        except AlteryxNotFoundError:
            return self._deleted_by_cancel(job_id)

    def _deleted_by_cancel(self, job_id: str) -> AlteryxJob:
        self.log.info(
            "Alteryx job %s was deleted from the Server's queue by this cancel (a queued job is deleted when "
            "cancelled): it counts as cancelled",
            job_id,
        )
        return deleted(AlteryxJob(id=job_id))

    def download_job_output(
        self, job_id: str, output_id: str, output_format: str, sink: IO[bytes]
    ) -> Operation[None]:
        """Stream one output of a job into ``sink`` (started again from its beginning if a try fails)."""
        job_id, output_id = server_id(job_id, "job_id"), server_id(output_id, "output_id")
        yield from self.request(
            self._v1_call(
                "GET",
                f"/jobs/{job_id}/output/{output_id}",
                params={"format": output_format},
                expect="bytes",
                sink=sink,
            )
        )

    def wait_for_job(
        self,
        job_id: str,
        *,
        poll_interval: float,
        deadline: float | None,
        schedule: PollSchedule | None = None,
        progress: JobProgress | None = None,
    ) -> Operation[AlteryxJob]:
        """Poll until the job is ``Completed`` or ``Cancelled``, logging each status change with its duration.

        Polls follow ``schedule`` (by default a fixed grid of ``poll_interval`` with an offset drawn from
        the job id), so the period does not drift with answer times and jobs waited for together are
        polled at spread-out moments.

        :param deadline: a wall-clock time (``time.time()``) after which :class:`AlteryxJobTimeoutError` is raised.
        :param schedule: the poll times to follow, for a caller that already polled the job on it.
        :param progress: the job's progress log, for a caller that already reported some of it.
        :return: the finished job, read in full (disposition, messages, outputs); a job that the Server no
            longer knows after the wait saw it ends cancelled (the Server deletes a queued job when it is cancelled).
        :raises AlteryxNotFoundError: the Server does not know the job at the first read.
        :raises AlteryxJobTimeoutError: the job was still unfinished at ``deadline``; it carries the job.
        """
        schedule = schedule or PollSchedule(poll_interval, job_id, self.clock)
        progress = progress or JobProgress(job_id, self.log, self.clock)
        ends = schedule.deadline(deadline)
        while True:
            pause = schedule.pause(until=ends)
            if pause > 0:
                yield Sleep(pause)
            try:
                job = yield from self.get_job(job_id)
            # Deleted (a queued job that was cancelled), or never there.
            except AlteryxNotFoundError as missing:
                job = progress.gone(missing)
            self.budget.renew()  # the Server answered: an outage after this gets a whole budget again
            progress.saw(job)
            if job.is_terminal:
                return job
            if ends is not None and schedule.clock() >= ends:
                raise AlteryxJobTimeoutError(
                    f"Job {job_id} was still {job.status} when its time ran out ({progress.elapsed()} waited)",
                    job,
                )

    def queued_job_ids(self) -> Operation[list[str]]:
        """The ids of every job waiting in the Server's queue, next to run first (``GET /v3/jobs``, Curators only).

        The order is the Server's dispatch order: higher priority first, then the longest waiting.

        :raises AlteryxUnsupportedError: the legacy API, or a Server without ``GET /v3/jobs``.
        :raises AlteryxApiError: 401 for a key that is not a Curator's.
        """
        if self.legacy:
            raise AlteryxUnsupportedError(
                "The legacy API has no list of queued jobs; it needs the V3 API and a Curator's key."
            )
        try:
            data = yield from self.request(
                self._webapi_call(
                    ApiFamily.V3, "GET", "/jobs", params={"statuses": "Queued", "limit": str(QUEUE_LIMIT)}
                )
            )
        except AlteryxNotFoundError:
            raise AlteryxUnsupportedError(
                f"{self.config.base_url} answered 404 to GET /v3/jobs: this Server version does not list its queue."
            ) from None
        return self._parse("a list of queued jobs", _queue_order, data, "GET /jobs")

    # ---- schedules ---------------------------------------------------------------------------
    def list_schedules(self) -> Operation[list[dict[str, Any]]]:
        """The schedules the key can see, as the V3 list shows them (``id, name, workflowId, ownerId, runDateTime``).

        :raises AlteryxUnsupportedError: the connection uses the legacy API, or the Server has no V3 schedules (before 2023.1).
        """
        data = yield from self._schedules("")
        return self._parse(
            "a list of schedules", lambda d: [dict(item) for item in _items(d)], data, "GET /schedules"
        )

    def get_schedule(self, schedule_id: str) -> Operation[dict[str, Any]]:
        """One schedule in full (``ScheduleView``: iteration, priority, workerTag, enabled...).

        :raises AlteryxNotFoundError: no such schedule, or the key cannot see it.
        :raises AlteryxUnsupportedError: the Server has no V3 schedules (before 2023.1), or the legacy API.
        """
        schedule_id = server_id(schedule_id, "schedule_id")
        data = yield from self._schedules(f"/{schedule_id}")
        return self._parse("a schedule", _mapping, data, f"GET /schedules/{schedule_id}")

    def _schedules(self, path: str) -> Operation[Any]:
        unsupported = "Reading schedules needs the V3 API (Alteryx Server 2023.1 and later, OAuth 2.0)"
        if self.legacy:
            raise AlteryxUnsupportedError(
                f"{unsupported}; this connection uses the legacy API (auth_type oauth1). Use an OAuth 2.0 API key."
            )
        try:
            return (yield from self.request(self._webapi_call(ApiFamily.V3, "GET", f"/schedules{path}")))
        except AlteryxNotFoundError:
            if path:
                raise
            raise AlteryxUnsupportedError(
                f"{unsupported}; {self.config.base_url} answered 404 to GET /v3/schedules."
            ) from None


def _items(data: Any) -> list[Any]:
    """A list answer's items; an empty body counts as an empty list."""
    if data is None:
        return []
    if not isinstance(data, list):
        raise TypeError("not a list")
    return data


def _mapping(data: Any) -> dict[str, Any]:
    """An object answer's fields."""
    if not isinstance(data, dict):
        raise TypeError("not a JSON object")
    return dict(data)


def _v3_unavailable(error: AlteryxApiError) -> bool:
    """Whether a V3 call's failure means "use /webapi/v1": 404 (no V3 jobs API before 2023.1) or 401 (on 2021.4
    and 2022.1 V3 takes only a Curator's key). A refused token request is not: it fails V1 just the same."""
    return error.family is ApiFamily.V3 and error.status in (401, 404)


def _of_workflow(job: AlteryxJob, workflow_id: str) -> AlteryxJob:
    """``job`` with its workflow filled in where the answer left it out (legacy answers give ``appId: null``)."""
    return job if job.workflow_id is not None else dataclasses.replace(job, workflow_id=workflow_id)


def _workflows(data: Any) -> list[AlteryxWorkflow]:
    return [AlteryxWorkflow.from_api(item) for item in _items(data)]


def _ambiguous(
    workflow_id: str, candidates: Sequence[str], error: AlteryxError | None
) -> AlteryxAmbiguousJobError:
    cause = f" after {error}" if error is not None else ""
    return AlteryxAmbiguousJobError(
        f"Creating a job for workflow {workflow_id} may have succeeded{cause}, but its answer was lost and the job cannot be told apart from "
        f"{', '.join(candidates)}, which other callers may have created at the same moment. No other job was created. Check these jobs on "
        "the Server (their questions' values show whose they are); a retry of this task examines them again before creating one.",
        candidates=tuple(candidates),
    )


def _queue_order(data: Any) -> list[str]:
    """Queued job ids in dispatch order: priority (highest first), then queue time (oldest first)."""
    items = [item for item in _mapping(data).get("data") or [] if item.get("status") == "Queued"]
    rank = {"Critical": 3, "High": 2, "Medium": 1}
    items.sort(key=lambda item: (-rank.get(str(item.get("priority")), 0), str(item.get("queueTime") or "")))
    return [server_id(str(item["jobId"]), "a queued job's id") for item in items]
