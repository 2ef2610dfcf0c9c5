"""The emulator's HTTP API: the Alteryx Server REST endpoints of one Server version, plus control endpoints.

Paths, field names and casing follow ``alteryx-server-api.md``; where public sources are silent
(cancel, token response, error bodies, OAuth 1.0a windows, the removed legacy API) the emulator
answers as that document's section 8 decides.
"""

from __future__ import annotations

import asyncio
import base64
import html
import json
import random
import re
import secrets
import time
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from airflow_provider_alteryx.emulator.catalogue import Workflow
from airflow_provider_alteryx.emulator.engine import Job, JobEngine, iso, parse_priority
from airflow_provider_alteryx.emulator.faults import Faults
from airflow_provider_alteryx.emulator.oauth1 import OAuth1Verifier

SERVER_VERSIONS = ("2021.3", "2021.4", "2022.1", "2023.1", "2025.1")
DEFAULT_API_KEY = "emulator-key"
DEFAULT_API_SECRET = "emulator-secret"  # noqa: S105 - a documented default for a local emulator
DENIED = "Authorization has been denied for this request."
CONTROL_PREFIX = "/__emulator/"

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def _version(text: str) -> tuple[int, ...]:
    return tuple(int(part) for part in text.split("."))


@dataclass
class EmulatorConfig:
    """How one emulated Server behaves; see ``alteryx-server-emulator --help`` for each field."""

    workflows: tuple[Workflow, ...]
    server_version: str = "2025.1"
    api_key: str = DEFAULT_API_KEY
    api_secret: str = field(default=DEFAULT_API_SECRET, repr=False)
    workers: int = 2
    token_ttl: float = 3600.0
    time_scale: float = 1.0
    faults: Faults = field(default_factory=Faults)
    seed: int | None = None

    @property
    def has_legacy_api(self) -> bool:
        return _version(self.server_version) <= (2021, 4)

    @property
    def has_webapi(self) -> bool:
        return _version(self.server_version) >= (2021, 4)

    @property
    def has_v3_jobs(self) -> bool:
        return _version(self.server_version) >= (2023, 1)

    @property
    def has_cancel(self) -> bool:
        return _version(self.server_version) >= (2025, 1)


class _MergingSlashesRouter(web.UrlDispatcher):
    """Routes ``/webapi//v3/jobs`` like ``/webapi/v3/jobs``, as the Server's IIS does (clients that join a
    base URL ending in ``/`` with a path starting with ``/`` send such paths)."""

    async def resolve(self, request: web.Request) -> web.UrlMappingMatchInfo:
        if "//" in request.rel_url.raw_path:
            merged = re.sub("/{2,}", "/", request.rel_url.raw_path)
            request = request.clone(rel_url=request.rel_url.with_path(merged, encoded=True))
        return await super().resolve(request)


class ApiError(Exception):
    """An answer other than 2xx; rendered in the envelope of the API family the request went to."""

    def __init__(self, status: int, message: str, model_state: dict[str, list[str]] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.model_state = model_state


def bad_request(field_name: str, problem: str) -> ApiError:
    return ApiError(400, "The request is invalid.", {field_name: [problem]})


class Emulator:
    """The state behind one emulated Server: catalogue, jobs, tokens, nonces and faults."""

    def __init__(self, config: EmulatorConfig) -> None:
        self.config = config
        self.workflows = {w.id: w for w in config.workflows}
        self.engine = JobEngine(config.workers, config.time_scale)
        self.faults = config.faults
        self.tokens: dict[str, float] = {}
        self.tokens_issued = 0
        self.oauth1 = OAuth1Verifier(config.api_key, config.api_secret)
        self.rng = random.Random(config.seed)

    # ---- application -------------------------------------------------------------------------
    def app(self) -> web.Application:
        app = web.Application(router=_MergingSlashesRouter(), middlewares=[self._errors, self._inject_faults])
        self._add_control_routes(app)
        if self.config.has_legacy_api:
            self._add_legacy_routes(app)
        else:
            app.router.add_route("*", "/gallery/api/{tail:.*}", self._removed_legacy_api)
        if self.config.has_webapi:
            self._add_webapi_routes(app)
        app.router.add_get("/gallery/app/{slug}/{workflow_id}", self._workflow_page)
        return app

    @staticmethod
    def _both(app: web.Application, method: str, path: str, handler: Handler) -> None:
        """Serve a path with and without its trailing slash, as the Server's routing does."""
        app.router.add_route(method, path.rstrip("/"), handler)
        app.router.add_route(method, path.rstrip("/") + "/", handler)

    def _add_legacy_routes(self, app: web.Application) -> None:
        routes: Iterable[tuple[str, str, Handler]] = (
            ("GET", "/workflows/subscription", self._subscription_workflows),
            ("GET", "/workflows/{workflow_id}/questions", self._questions),
            ("POST", "/workflows/{workflow_id}/jobs", self._create_job),
            ("GET", "/workflows/{workflow_id}/jobs", self._list_jobs),
            ("GET", "/jobs/{job_id}", self._get_job),
            ("GET", "/jobs/{job_id}/output/{output_id}", self._download_output),
        )
        for method, path, handler in routes:
            self._both(app, method, "/gallery/api/v1" + path, self._oauth1(handler))

    def _add_webapi_routes(self, app: web.Application) -> None:
        app.router.add_post("/webapi/oauth2/token", self._issue_token)
        routes: list[tuple[str, str, Handler]] = [
            ("GET", "/v1/workflows/subscription", self._subscription_workflows),
            ("GET", "/v1/workflows/{workflow_id}/questions", self._questions),
            ("POST", "/v1/workflows/{workflow_id}/jobs", self._create_job),
            ("GET", "/v1/workflows/{workflow_id}/jobs", self._list_jobs),
            ("GET", "/v1/jobs/{job_id}", self._get_job),
            ("GET", "/v1/jobs/{job_id}/output/{output_id}", self._download_output),
        ]
        if self.config.has_v3_jobs:
            routes += [
                ("GET", "/v3/workflows", self._v3_workflows),
                ("GET", "/v3/workflows/{workflow_id}", self._v3_workflow),
                ("GET", "/v3/workflows/{workflow_id}/questions", self._questions),
                ("GET", "/v3/workflows/{workflow_id}/jobs", self._list_jobs),
                ("POST", "/v3/workflows/{workflow_id}/jobs", self._create_job),
                ("GET", "/v3/jobs/{job_id}", self._get_job),
            ]
        if self.config.has_cancel:
            routes += [
                ("DELETE", "/v3/jobs/{job_id}", self._cancel_job),
                ("GET", "/v3/jobs/{job_id}/messages", self._job_messages),
            ]
        for method, path, handler in routes:
            self._both(app, method, "/webapi" + path, self._bearer(handler))

    def _add_control_routes(self, app: web.Application) -> None:
        app.router.add_get(CONTROL_PREFIX + "info", self._control_info)
        app.router.add_get(CONTROL_PREFIX + "jobs", self._control_jobs)
        app.router.add_post(CONTROL_PREFIX + "reset", self._control_reset)
        app.router.add_get(CONTROL_PREFIX + "faults", self._control_faults)
        app.router.add_put(CONTROL_PREFIX + "faults", self._control_faults)

    # ---- middlewares -------------------------------------------------------------------------
    @web.middleware
    async def _errors(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        try:
            return await handler(request)
        except ApiError as error:
            return self._error_response(request, error)
        except (web.HTTPNotFound, web.HTTPMethodNotAllowed):
            # A route (or method) the Server version lacks: 404, as ASP.NET Web API answers (reference, section 8).
            return self._error_response(request, ApiError(404, f"No HTTP resource was found that matches the request URI '{request.url}'."))

    @staticmethod
    def _error_response(request: web.Request, error: ApiError) -> web.Response:
        if request.path.startswith("/gallery/api/"):
            body: dict[str, Any] = {
                "data": None,
                "exceptionName": {400: "BadRequestException", 401: "UnauthorizedException", 404: "NotFoundException"}.get(error.status, "Exception"),
                "innerExceptionMessage": "",
                "message": error.message if not error.model_state else f"{error.message} {_flatten(error.model_state)}",
            }
        else:
            body = {"message": error.message}
            if error.model_state:
                body["modelState"] = error.model_state
        return web.json_response(body, status=error.status)

    @web.middleware
    async def _inject_faults(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        if request.path.startswith(CONTROL_PREFIX):
            return await handler(request)
        faults = self.faults
        if faults.latency:
            await asyncio.sleep(faults.latency)
        fault = faults.draw(self.rng)
        if fault == "drop":
            return _drop_connection(request)
        if fault == 429:
            return web.json_response({"message": "Too many requests."}, status=429, headers={"Retry-After": f"{faults.retry_after:g}"})
        if isinstance(fault, int):
            return web.Response(
                status=fault, text=f"<html><head><title>{fault} Server Error</title></head><body>Injected fault</body></html>", content_type="text/html"
            )
        response = await handler(request)
        if request.method == "POST" and request.path.rstrip("/").endswith("/jobs") and response.status == 200 and faults.take_job_response_drop():
            return _drop_connection(request)
        return response

    # ---- authentication ----------------------------------------------------------------------
    def _oauth1(self, handler: Handler) -> Handler:
        async def verified(request: web.Request) -> web.StreamResponse:
            url = str(request.url.with_query(None))
            problem = self.oauth1.problem(request.method, url, request.rel_url.raw_query_string, request.headers.get("Authorization"))
            if problem:
                raise ApiError(401, problem)
            return await handler(request)

        return verified

    def _bearer(self, handler: Handler) -> Handler:
        async def authorised(request: web.Request) -> web.StreamResponse:
            scheme, _, token = request.headers.get("Authorization", "").partition(" ")
            expiry = self.tokens.get(token.strip()) if scheme.lower() == "bearer" else None
            if expiry is None or expiry <= time.monotonic():
                raise ApiError(401, DENIED)
            return await handler(request)

        return authorised

    async def _issue_token(self, request: web.Request) -> web.Response:
        form = await request.post()
        client_id, client_secret = form.get("client_id"), form.get("client_secret")
        scheme, _, encoded = request.headers.get("Authorization", "").partition(" ")
        if scheme.lower() == "basic":
            try:
                client_id, _, client_secret = base64.b64decode(encoded).decode().partition(":")
            except ValueError:
                client_id = client_secret = None
        if form.get("grant_type") != "client_credentials":
            return web.json_response({"error": "unsupported_grant_type"}, status=400)
        if client_id != self.config.api_key or client_secret != self.config.api_secret:
            return web.json_response({"error": "invalid_client"}, status=400)
        token = secrets.token_urlsafe(32)
        self.tokens[token] = time.monotonic() + self.config.token_ttl
        self.tokens_issued += 1
        return web.json_response({"access_token": token, "token_type": "bearer", "expires_in": int(self.config.token_ttl)})

    @staticmethod
    async def _removed_legacy_api(request: web.Request) -> web.Response:
        # What users of 2022.1 report for OAuth 1.0a calls to the removed legacy API (reference, section 8).
        return web.Response(
            status=405,
            text="<html><head><title>405 - Method Not Allowed</title></head><body><h1>Method Not Allowed</h1></body></html>",
            content_type="text/html",
            headers={"Access-Control-Allow-Methods": "GET, POST, PUT, DELETE, OPTIONS"},
        )

    # ---- workflows ---------------------------------------------------------------------------
    def _workflow(self, request: web.Request) -> Workflow:
        workflow = self.workflows.get(request.match_info["workflow_id"])
        if workflow is None:
            raise ApiError(404, "NotFound")
        return workflow

    async def _subscription_workflows(self, request: web.Request) -> web.Response:
        search = request.query.get("search", "").lower()
        found = [w for w in self.workflows.values() if search in w.name.lower()]
        offset, limit = _paging(request)
        return web.json_response([_subscription_view(w) for w in found[offset : offset + limit]])

    async def _v3_workflows(self, request: web.Request) -> web.Response:
        name = request.query.get("name", "").lower()
        full = request.query.get("view", "Default") == "Full"
        found = [w for w in self.workflows.values() if name in w.name.lower()]
        return web.json_response([_v3_workflow_view(w) if full else _v3_workflow_summary(w) for w in found])

    async def _v3_workflow(self, request: web.Request) -> web.Response:
        return web.json_response(_v3_workflow_view(self._workflow(request)))

    async def _questions(self, request: web.Request) -> web.Response:
        workflow = self._workflow(request)
        return web.json_response(
            [
                {"name": q.name, "questionType": q.type, "description": q.description, "value": q.default, "multiple": False, "items": []}
                for q in workflow.questions
            ]
        )

    async def _workflow_page(self, request: web.Request) -> web.Response:
        workflow = self._workflow(request)
        rows = "".join(
            f"<tr><td>{job.id}</td><td>{iso(job.created)}</td><td>{job.status}</td><td>{job.disposition}</td></tr>"
            for job in self.engine.jobs.values()
            if job.workflow is workflow
        )
        title = html.escape(workflow.name)
        return web.Response(
            text=f"<html><head><title>{title}</title></head><body><h1>{title}</h1><p>Alteryx Server emulator {self.config.server_version}</p>"
            f"<table><tr><th>Job</th><th>Created</th><th>Status</th><th>Disposition</th></tr>{rows}</table></body></html>",
            content_type="text/html",
        )

    # ---- jobs --------------------------------------------------------------------------------
    def _job(self, request: web.Request) -> Job:
        job = self.engine.jobs.get(request.match_info["job_id"])
        if job is None:
            raise ApiError(404, "NotFound")
        return job

    async def _create_job(self, request: web.Request) -> web.Response:
        workflow = self._workflow(request)
        body = await _json_body(request)
        answers = _answers(workflow, body.get("questions"))
        priority = parse_priority(body.get("priority"))
        if priority is None:
            raise bad_request("priority", f"'{body.get('priority')}' is not a priority; use Default, Low, Medium, High or Critical.")
        v3 = "/v3/" in request.path
        extras = {key: body.get(key) for key in ("workerTag", "credentialId")} if v3 else {}
        for key, value in extras.items():
            if value is not None and not isinstance(value, str):
                raise bad_request(key, f"{key} must be a string.")
        job = self.engine.submit(workflow, answers, priority, extras.get("workerTag") or "", extras.get("credentialId") or "")
        return web.json_response(self._job_view(request, job))

    async def _list_jobs(self, request: web.Request) -> web.Response:
        workflow = self._workflow(request)
        jobs = sorted((j for j in self.engine.jobs.values() if j.workflow is workflow), key=lambda j: j.sequence)
        if request.query.get("direction", "").lower() == "desc":
            jobs.reverse()
        offset, limit = _paging(request)
        view = _v3_list_item if "/v3/" in request.path else _v1_list_item
        return web.json_response([view(j) for j in jobs[offset : offset + limit]])

    async def _get_job(self, request: web.Request) -> web.Response:
        return web.json_response(self._job_view(request, self._job(request)))

    def _job_view(self, request: web.Request, job: Job) -> dict[str, Any]:
        if "/v3/" in request.path:
            return _v3_job_view(job, include_messages=request.query.get("includeMessages", "true").lower() != "false")
        return _v1_job_view(job, run_with_e2=request.path.startswith("/webapi/"))

    async def _cancel_job(self, request: web.Request) -> web.Response:
        job = self._job(request)
        if job.finished_or_cancelled:
            raise ApiError(400, f"Job {job.id} has already finished ({job.status}) and cannot be cancelled.")
        self.engine.cancel(job)
        return web.json_response(_v3_job_view(job, include_messages=True))

    async def _job_messages(self, request: web.Request) -> web.Response:
        return web.json_response(self._job(request).messages)

    async def _download_output(self, request: web.Request) -> web.Response:
        job = self._job(request)
        output = next((o for o in job.outputs if o.id == request.match_info["output_id"]), None)
        if output is None:
            raise ApiError(404, "NotFound")
        fmt = request.query.get("format")
        if fmt is None and request.path.startswith("/webapi/"):
            raise bad_request("format", f"The format query parameter is required; this output has {', '.join(output.formats)}.")
        fmt = fmt or output.formats[0]
        if fmt not in output.formats:
            raise bad_request("format", f"'{fmt}' is not available for this output; use one of {', '.join(output.formats)}.")
        return web.Response(
            body=output.content.encode(),
            content_type="text/csv" if fmt == "Csv" else "application/octet-stream",
            headers={"Content-Disposition": f'attachment; filename="{output.name}"'},
        )

    # ---- control -----------------------------------------------------------------------------
    async def _control_info(self, request: web.Request) -> web.Response:
        config = self.config
        return web.json_response(
            {
                "serverVersion": config.server_version,
                "workers": config.workers,
                "timeScale": config.time_scale,
                "tokensIssued": self.tokens_issued,
                "workflows": [{"id": w.id, "name": w.name} for w in self.workflows.values()],
            }
        )

    async def _control_jobs(self, request: web.Request) -> web.Response:
        jobs = sorted(self.engine.jobs.values(), key=lambda j: j.sequence)
        return web.json_response({"jobs": [j.control_view() for j in jobs]})

    async def _control_reset(self, request: web.Request) -> web.Response:
        self.engine.reset()
        self.tokens.clear()
        self.oauth1.reset()
        self.faults.update(vars(Faults()))
        return web.json_response({"reset": True})

    async def _control_faults(self, request: web.Request) -> web.Response:
        if request.method == "PUT":
            try:
                changes = await request.json()
                if not isinstance(changes, dict):
                    raise ValueError("expected a JSON object of fault names and values")
                self.faults.update(changes)
            except ValueError as error:
                return web.json_response({"message": str(error)}, status=400)
        return web.json_response(vars(self.faults))


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
            raise bad_request("questions", f"'{name}' is not a question of this workflow. Valid questions: {valid}.")
        if isinstance(value, (dict, list)):
            raise bad_request("questions", f"The value of '{name}' must be a string.")
        given[name] = "" if value is None else str(value).lower() if isinstance(value, bool) else str(value)
    missing = [q.name for q in workflow.questions if q.required and q.name not in given]
    if missing:
        raise bad_request("questions", f"Required question(s) missing: {', '.join(missing)}.")
    return {q.name: given.get(q.name, q.default) for q in workflow.questions}


def _paging(request: web.Request) -> tuple[int, int]:
    try:
        offset = int(request.query.get("offset", 0))
        limit = int(request.query.get("limit", 1_000_000))
    except ValueError:
        raise bad_request("limit", "offset and limit must be whole numbers.") from None
    return max(offset, 0), max(limit, 0)


def _flatten(model_state: dict[str, list[str]]) -> str:
    return " ".join(message for messages in model_state.values() for message in messages)


def _drop_connection(request: web.Request) -> web.Response:
    if request.transport is not None:
        request.transport.abort()
    # Nothing reaches the client: the transport is gone before aiohttp writes this.
    return web.Response(status=499)


# ---- response shapes ---------------------------------------------------------------------------
def _subscription_view(workflow: Workflow) -> dict[str, Any]:
    return {
        "id": workflow.id,
        "subscriptionId": "5b0d1a2b3c4d5e6f7a8b9c0d",
        "public": False,
        "runDisabled": False,
        "packageType": 0,
        "uploadDate": "2026-01-05T09:00:00.000Z",
        "fileName": f"{workflow.name}.yxzp",
        "metaInfo": {"name": workflow.name, "description": "", "author": "Emulator"},
        "isChained": False,
        "version": 1,
        "runCount": 0,
        "workerTag": "",
        "isE2": False,
    }


def _v3_workflow_summary(workflow: Workflow) -> dict[str, Any]:
    return {
        "id": workflow.id,
        "sourceAppId": workflow.id,
        "name": workflow.name,
        "ownerId": "5a0c1d2e3f4a5b6c7d8e9f00",
        "dateCreated": "2026-01-05T09:00:00.000Z",
        "runCount": 0,
        "versions": 1,
        "isAmp": True,
        "executionMode": "Standard",
    }


def _v3_workflow_view(workflow: Workflow) -> dict[str, Any]:
    return {
        **_v3_workflow_summary(workflow),
        "workerTag": "",
        "districtTags": [],
        "comments": "",
        "isPublic": False,
        "othersMayDownload": True,
        "othersCanExecute": True,
        "hasPrivateDataExemption": False,
        "workflowCredentialType": "Default",
        "credentialId": None,
        "publishedVersionId": workflow.id,
    }


def _v1_job_view(job: Job, *, run_with_e2: bool) -> dict[str, Any]:
    view: dict[str, Any] = {
        "id": job.id,
        "appId": job.workflow.id,
        "createDate": iso(job.created),
        "status": job.status,
        "disposition": job.disposition,
        "outputs": [{"id": o.id, "formats": list(o.formats), "name": o.name} for o in job.outputs],
        "messages": job.messages,
        "priority": job.priority,
        "workerTag": job.worker_tag,
    }
    if run_with_e2:
        view["runWithE2"] = False
    return view


def _v3_job_view(job: Job, *, include_messages: bool) -> dict[str, Any]:
    view: dict[str, Any] = {
        "id": job.id,
        "appId": job.workflow.id,
        "createDateTime": iso(job.created),
        "status": job.status,
        "disposition": job.disposition,
        "priority": job.priority,
        "workerTag": job.worker_tag,
        "runWithE2": False,
    }
    if include_messages:
        view["outputs"] = [{"id": o.id, "availableFormats": list(o.formats), "fileName": o.name} for o in job.outputs]
        view["messages"] = job.messages
    return view


def _v1_list_item(job: Job) -> dict[str, Any]:
    return {
        "id": job.id,
        "createDate": iso(job.created),
        "status": job.status,
        "disposition": job.disposition,
        "priority": job.priority,
        "workerTag": job.worker_tag,
        "runWithE2": False,
    }


def _v3_list_item(job: Job) -> dict[str, Any]:
    return {"id": job.id, "createDate": iso(job.created), "status": job.status, "priority": job.priority, "workerTag": job.worker_tag, "runWithE2": False}
