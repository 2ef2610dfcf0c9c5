"""The Alteryx API's operations on workflows and jobs, for whichever API family the route was registered for.

Each handler receives a :class:`Call`: the API family bound when its route was registered, and the
user the request authenticated as. Handlers never look at the request path.
"""

from __future__ import annotations

import html
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

from aiohttp import web

from airflow_provider_alteryx.emulator import views
from airflow_provider_alteryx.emulator.catalogue import Workflow
from airflow_provider_alteryx.emulator.config import ApiUser
from airflow_provider_alteryx.emulator.engine import PRIORITY_RANK, Job, Status, parse_priority
from airflow_provider_alteryx.emulator.errors import ApiError, bad_request, forbidden, not_found
from airflow_provider_alteryx.emulator.schedules import Frequency, Schedule
from airflow_provider_alteryx.emulator.state import ServerState
from airflow_provider_alteryx.emulator.variants import CancelAnswer
from airflow_provider_alteryx.emulator.versions import Api, Capability

# Values of the all-jobs list's ``statuses`` filter that name a status differently from the jobs themselves.
_STATUS_ALIASES = {"complete": Status.COMPLETED.lower()}
_SORT_KEYS = {
    "createdate": lambda job: job.sequence,
    "status": lambda job: job.status,
    "priority": lambda job: PRIORITY_RANK[job.priority],
    "appname": lambda job: job.workflow.name,
    "completiondatetime": lambda job: job.finished.timestamp() if job.finished else float("inf"),
}


@dataclass(frozen=True)
class Call:
    """Who called which API family."""

    api: Api
    user: ApiUser


class ApiHandlers:
    """The Server's workflow, job and schedule endpoints over one :class:`ServerState`."""

    def __init__(self, state: ServerState) -> None:
        self.state = state

    # ---- workflows ---------------------------------------------------------------------------
    def _workflow(self, request: web.Request) -> Workflow:
        workflow = self.state.workflows.get(request.match_info["workflow_id"])
        if workflow is None:
            raise not_found()
        return workflow

    async def subscription_workflows(self, request: web.Request, call: Call) -> web.Response:
        search = request.query.get("search", "").lower()
        found = [w for w in self.state.workflows.values() if search in w.name.lower()]
        form = self.state.config.variants.v1_package_type
        return web.json_response([views.subscription_view(w, call.api, form) for w in _page(request, found)])

    async def v3_workflows(self, request: web.Request, call: Call) -> web.Response:
        name = request.query.get("name", "").lower()
        view = (
            views.v3_workflow_view
            if request.query.get("view", "Default") == "Full"
            else views.v3_workflow_summary
        )
        return web.json_response([view(w) for w in self.state.workflows.values() if name in w.name.lower()])

    async def v3_workflow(self, request: web.Request, call: Call) -> web.Response:
        return web.json_response(views.v3_workflow_view(self._workflow(request)))

    async def questions(self, request: web.Request, call: Call) -> web.Response:
        workflow = self._workflow(request)
        _check_execute(
            workflow, call, "The authenticated user does not have access to the workflow or questions."
        )
        return web.json_response([views.question_view(q, call.api) for q in workflow.questions])

    async def workflow_page(self, request: web.Request) -> web.Response:
        """The Gallery's workflow page (what the operator's link opens): the workflow's jobs."""
        workflow = self._workflow(request)
        rows = "".join(
            f"<tr><td>{job.id}</td><td>{views.iso_millis(job.created)}</td><td>{job.status}</td><td>{job.disposition}</td></tr>"
            for job in self.state.engine.listed()
            if job.workflow is workflow
        )
        title = html.escape(workflow.name)
        return web.Response(
            text=f"<html><head><title>{title}</title></head><body><h1>{title}</h1><p>Alteryx Server emulator {self.state.version.name}</p>"
            f"<table><tr><th>Job</th><th>Created</th><th>Status</th><th>Disposition</th></tr>{rows}</table></body></html>",
            content_type="text/html",
        )

    # ---- jobs --------------------------------------------------------------------------------
    def _visible(self, job: Job, user: ApiUser) -> bool:
        # An Artisan sees only their own jobs; another user's job is as good as missing.
        return user.is_curator or job.owner == user.key

    def _job(self, request: web.Request, call: Call) -> Job:
        job = self.state.engine.jobs.get(request.match_info["job_id"])
        if job is None or job.deleted or not self._visible(job, call.user):
            raise not_found()
        return job

    async def create_job(self, request: web.Request, call: Call) -> web.Response:
        workflow = self._workflow(request)
        _check_execute(workflow, call, "The authenticated user does not have access to execute the workflow.")
        body = await _json_body(request)
        answers = _answers(workflow, body.get("questions"))
        priority = parse_priority(body.get("priority"))
        if priority is None:
            raise bad_request(
                "priority",
                f"'{body.get('priority')}' is not a priority; use Default, Low, Medium, High or Critical.",
            )
        extras = {key: body.get(key) for key in ("workerTag", "credentialId")} if call.api is Api.V3 else {}
        for key, value in extras.items():
            if value is not None and not isinstance(value, str):
                raise bad_request(key, f"{key} must be a string.")
        worker_tag = extras.get("workerTag") or ""
        if not call.user.is_curator:
            # Without canPrioritizeJobs / canAssignJobs the Server ignores both, silently.
            priority, worker_tag = "Default", ""
        job = self.state.engine.submit(
            workflow, answers, priority, worker_tag, extras.get("credentialId") or "", call.user.key
        )
        self.state.counters.jobs_created += 1
        return web.json_response(views.job_view(job, call.api, created=True))

    async def list_jobs(self, request: web.Request, call: Call) -> web.Response:
        workflow = self._workflow(request)
        jobs = [
            j for j in self.state.engine.listed() if j.workflow is workflow and self._visible(j, call.user)
        ]
        status, result = request.query.get("status"), request.query.get("resultCode")
        jobs = [
            j
            for j in jobs
            if (not status or j.status.lower() == status.lower())
            and (not result or j.disposition.lower() == result.lower())
        ]
        return web.json_response(
            [views.job_list_item(j, call.api) for j in _page(request, _sorted(request, jobs))]
        )

    async def all_jobs(self, request: web.Request, call: Call) -> web.Response:
        """``GET /v3/jobs`` (Curators only; "Get status of queued jobs"), as the newer V3 swagger declares it.

        Filtered as :class:`_JobQuery` says, sorted by ``sortField`` and ``direction``, and paged by
        ``offset`` and ``limit`` into ``{data, pagination}``. Assumption where the swagger is silent: without
        ``limit`` a page holds ``Variants.jobs_page_size`` jobs.
        """
        query = _JobQuery.parse(request, call.user)
        jobs = _sorted(request, [job for job in self.state.engine.listed() if query.matches(job)])
        offset, limit = _paging(request)
        size = self.state.config.variants.jobs_page_size if limit is None else limit
        if size < 1:
            raise bad_request("limit", f"limit is the page size, a whole number of at least 1, not {size}.")
        page = [views.all_jobs_item(job) for job in jobs[offset : offset + size]]
        return web.json_response(views.paged(page, offset, size, len(jobs)))

    async def get_job(self, request: web.Request, call: Call) -> web.Response:
        include = request.query.get("includeMessages", "true").lower() != "false"
        return web.json_response(views.job_view(self._job(request, call), call.api, include_messages=include))

    async def cancel_job(self, request: web.Request, call: Call) -> web.Response:
        """``DELETE /v3/jobs/{id}``: "cancel the running job or delete a queued job", as the newer swagger says.

        A job that has a worker slot ends ``Cancelled``/``Cancelled``; the answer is 200 with the job or with
        no body (``Variants.cancel_answer``; the swagger declares no body schema). A job still waiting is
        cancelled the same way, or deleted (``Variants.cancel_queued_deletes``): 200 with no body, then 404.
        Assumption where no source says: cancelling a finished job is 400 ``{message}``.
        """
        job = self._job(request, call)
        if job.finished_or_cancelled:
            raise ApiError(400, f"Job {job.id} has already finished ({job.status}) and cannot be cancelled.")
        variants = self.state.config.variants
        if job.waiting and variants.cancel_queued_deletes:
            self.state.engine.delete(job)
            return web.Response()
        self.state.engine.cancel(job)
        if variants.cancel_answer is CancelAnswer.EMPTY:
            return web.Response()
        return web.json_response(views.job_view(job, call.api))

    async def job_messages(self, request: web.Request, call: Call) -> web.Response:
        return web.json_response(self._job(request, call).messages)

    async def download_output(self, request: web.Request, call: Call) -> web.Response:
        job = self._job(request, call)
        output = next((o for o in job.outputs if o.id == request.match_info["output_id"]), None)
        if output is None:
            raise not_found()
        fmt = request.query.get("format")
        if fmt is None and call.api is not Api.LEGACY:
            # Optional on the OAuth 1.0a API, required on /webapi/v1.
            raise bad_request(
                "format",
                f"The format query parameter is required; this output has {', '.join(output.formats)}.",
            )
        fmt = fmt or output.formats[0]
        if fmt not in output.formats:
            raise bad_request(
                "format", f"'{fmt}' is not available for this output; use one of {', '.join(output.formats)}."
            )
        return web.Response(
            body=output.content.encode(),
            content_type="text/csv" if fmt == "Csv" else "application/octet-stream",
            # RFC 6266's encoded form: an output name may hold quotes or line breaks, which a header must not.
            headers={"Content-Disposition": f"attachment; filename*=UTF-8''{quote(output.name, safe='')}"},
        )

    # ---- schedules ---------------------------------------------------------------------------
    def _schedules(self) -> list[Schedule]:
        """The catalogue's schedules this Server version can hold: cron ones only from 2025.1."""
        cron = self.state.version.has(Capability.CRON_SCHEDULES)
        return [s for s in self.state.config.schedules if cron or s.frequency is not Frequency.CRON]

    def _schedule(self, request: web.Request) -> Schedule:
        found = next((s for s in self._schedules() if s.id == request.match_info["schedule_id"]), None)
        if found is None:
            raise not_found()
        return found

    async def v3_schedules(self, request: web.Request, call: Call) -> web.Response:
        """``GET /v3/schedules``: filtered by ``workflowId`` and ``ownerId``; ``view=Full`` answers whole schedules."""
        view = request.query.get("view", "Default")
        if view not in ("Default", "Full"):
            raise bad_request("view", f"'{view}' is not a view; use Default or Full.")
        render = views.schedule_view if view == "Full" else views.reduced_schedule_view
        workflow, owner = request.query.get("workflowId"), request.query.get("ownerId")
        found = [
            s
            for s in self._schedules()
            if (not workflow or s.workflow_id == workflow) and (not owner or owner == views.OWNER_ID)
        ]
        return web.json_response([render(s, self.state.config.variants) for s in found])

    async def v3_schedule(self, request: web.Request, call: Call) -> web.Response:
        return web.json_response(views.schedule_view(self._schedule(request), self.state.config.variants))


def _check_execute(workflow: Workflow, call: Call, message: str) -> None:
    """Refuse a user other than a Curator a workflow not shared for execution (``othersCanExecute`` false)."""
    if not workflow.others_can_execute and not call.user.is_curator:
        raise forbidden(call.api, message)


# ---- request parsing ---------------------------------------------------------------------------
async def _json_body(request: web.Request) -> dict[str, Any]:
    raw = await request.text()
    if not raw.strip():
        return {}
    try:
        body = json.loads(raw)
    except ValueError:
        raise bad_request("contract", "The request body is not valid JSON.") from None
    if not isinstance(body, dict):
        raise bad_request("contract", "The request body must be a JSON object.")
    return body


def _answers(workflow: Workflow, questions: Any) -> dict[str, str]:
    """The run's question values: defaults overlaid with the request's ``[{name, value}]`` list."""
    if questions is None:
        questions = []
    if not isinstance(questions, list):
        raise bad_request("questions", "questions must be a list of {name, value} objects.")
    declared = {q.name: q for q in workflow.questions}
    valid = ", ".join(declared) or "none"
    given: dict[str, str] = {}
    for item in questions:
        if not isinstance(item, dict) or not isinstance(item.get("name"), str):
            raise bad_request("questions", "Each question must be an object with a string name and a value.")
        name, value = item["name"], item.get("value")
        if name not in declared:
            raise bad_request(
                "questions", f"'{name}' is not a question of this workflow. Valid questions: {valid}."
            )
        if isinstance(value, (dict, list)):
            raise bad_request("questions", f"The value of '{name}' must be a string.")
        given[name] = "" if value is None else str(value).lower() if isinstance(value, bool) else str(value)
    missing = [q.name for q in workflow.questions if q.required and q.name not in given]
    if missing:
        raise bad_request("questions", f"Required question(s) missing: {', '.join(missing)}.")
    return {q.name: given.get(q.name, q.default) for q in workflow.questions}


def _listed(request: web.Request, name: str) -> list[str]:
    """A list filter, given repeated (``statuses=a&statuses=b``) or comma-separated."""
    return [
        value.strip()
        for given in request.query.getall(name, [])
        for value in given.split(",")
        if value.strip()
    ]


def _sorted(request: web.Request, jobs: list[Job]) -> list[Job]:
    field_name = request.query.get("sortField", "createdate").lower()
    key = _SORT_KEYS.get(field_name)
    if key is None:
        raise bad_request(
            "sortField", f"'{field_name}' is not a sort field; use one of {', '.join(_SORT_KEYS)}."
        )
    return sorted(jobs, key=key, reverse=request.query.get("direction", "asc").lower() == "desc")


def _paging(request: web.Request) -> tuple[int, int | None]:
    """A list request's ``offset`` (0 or more) and ``limit`` (None when not given)."""
    offset, limit = request.query.get("offset", "0"), request.query.get("limit")
    try:
        return max(int(offset), 0), None if limit is None else int(limit)
    except ValueError:
        raise bad_request("limit", "offset and limit must be whole numbers.") from None


def _page(request: web.Request, items: list[Any]) -> list[Any]:
    offset, limit = _paging(request)
    return items[offset:] if limit is None else items[offset : offset + max(limit, 0)]


@dataclass(frozen=True)
class _JobQuery:
    """The filters of ``GET /v3/jobs``, as the newer V3 swagger declares them.

    ``statuses`` (``Complete`` stands for ``Completed``), ``workflowNames``, ``priorities`` (names or the legacy
    numbers), ``completedBefore`` and ``completedAfter`` (``yyyy-MM-dd``, UTC; before is exclusive, after
    inclusive), ``allUsers`` and ``users`` (user ids, as ``submittedBy`` gives them), which "filters only if
    allUsers = true". Assumptions where the swagger is silent: without ``allUsers`` every user's jobs are
    listed (the help pages call it the list of all jobs); ``allUsers=false`` lists the caller's own.
    """

    statuses: frozenset[str]
    names: frozenset[str]
    ranks: frozenset[int]
    completed_before: datetime | None
    completed_after: datetime | None
    # User ids whose jobs are listed; None for every user's.
    owners: frozenset[str] | None

    @classmethod
    def parse(cls, request: web.Request, user: ApiUser) -> _JobQuery:
        return cls(
            statuses=frozenset(
                _STATUS_ALIASES.get(s.lower(), s.lower()) for s in _listed(request, "statuses")
            ),
            names=frozenset(n.lower() for n in _listed(request, "workflowNames")),
            ranks=frozenset(PRIORITY_RANK[_priority(p)] for p in _listed(request, "priorities")),
            completed_before=_day(request, "completedBefore"),
            completed_after=_day(request, "completedAfter"),
            owners=_owners(request, user),
        )

    def matches(self, job: Job) -> bool:
        return (
            (not self.statuses or job.status.lower() in self.statuses)
            and (not self.names or job.workflow.name.lower() in self.names)
            and (not self.ranks or PRIORITY_RANK[job.priority] in self.ranks)
            and (self.owners is None or views.user_id(job.owner) in self.owners)
            and self._completed_in_range(job)
        )

    def _completed_in_range(self, job: Job) -> bool:
        if self.completed_before is None and self.completed_after is None:
            return True
        finished = job.finished
        return (
            finished is not None
            and (self.completed_before is None or finished < self.completed_before)
            and (self.completed_after is None or finished >= self.completed_after)
        )


def _priority(value: str) -> str:
    priority = parse_priority(value)
    if priority is None:
        raise bad_request(
            "priorities", f"'{value}' is not a priority; use Low, Medium, High, Critical or 0 to 3."
        )
    return priority


def _day(request: web.Request, name: str) -> datetime | None:
    value = request.query.get(name)
    if value is None:
        return None
    try:
        return datetime.strptime(value, "%Y-%m-%d").replace(tzinfo=UTC)
    except ValueError:
        raise bad_request(name, f"'{value}' is not a date; use yyyy-MM-dd, e.g. 2025-06-30.") from None


def _owners(request: web.Request, user: ApiUser) -> frozenset[str] | None:
    """The user ids ``allUsers`` and ``users`` ask for; None for every user's jobs."""
    everyone = request.query.get("allUsers")
    if everyone is None:
        return None
    if everyone.lower() not in ("true", "false"):
        raise bad_request("allUsers", f"'{everyone}' is not a boolean; use true or false.")
    if everyone.lower() == "false":
        return frozenset({views.user_id(user.key)})
    return frozenset(_listed(request, "users")) or None
