"""The Alteryx API's routes: one table, from which each Server version's routes are registered.

A route names its API family, the capability a version needs to serve it, and whether it is for
Curators only; the family is bound to the handler here, at registration, together with the caller's
authentication and the family's error envelope.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from aiohttp import web

from airflow_provider_alteryx.emulator.auth import Authenticator
from airflow_provider_alteryx.emulator.errors import ApiError, denied, error_response
from airflow_provider_alteryx.emulator.faults import RequestKind
from airflow_provider_alteryx.emulator.handlers import ApiHandlers, Call
from airflow_provider_alteryx.emulator.versions import Api, Capability, ServerVersion

ApiHandler = Callable[[web.Request, Call], Awaitable[web.StreamResponse]]
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

PREFIXES = {Api.LEGACY: "/gallery/api/v1", Api.V1: "/webapi/v1", Api.V3: "/webapi/v3"}
TOKEN_PATH = "/webapi/oauth2/token"  # noqa: S105 - a path, not a secret
_FAMILY_CAPABILITY = {Api.LEGACY: Capability.LEGACY_API, Api.V1: Capability.WEBAPI, Api.V3: Capability.WEBAPI}


@dataclass(frozen=True)
class Route:
    """One endpoint of one API family.

    :param handler: the name of the :class:`ApiHandlers` method serving it.
    :param needs: the capability a Server version must have to serve it.
    :param operation: the ``operationId`` of a V3 route in the Server's swagger, for the Swagger document.
    """

    api: Api
    method: str
    path: str
    handler: str
    needs: Capability
    curators_only: bool = False
    creates_job: bool = False
    operation: str = ""

    @property
    def full_path(self) -> str:
        return PREFIXES[self.api] + self.path

    def served_by(self, version: ServerVersion) -> bool:
        return version.has(self.needs) and version.has(_FAMILY_CAPABILITY[self.api])

    def for_curators_only(self, version: ServerVersion) -> bool:
        return self.curators_only or (self.api is Api.V3 and version.has(Capability.V3_CURATORS_ONLY))


def _v1_routes(api: Api, needs: Capability) -> tuple[Route, ...]:
    # The legacy API and /webapi/v1 serve the same operations (one controller, two authentications).
    return (
        Route(api, "GET", "/workflows/subscription", "subscription_workflows", needs),
        Route(api, "GET", "/workflows/{workflow_id}/questions", "questions", needs),
        Route(api, "POST", "/workflows/{workflow_id}/jobs", "create_job", needs, creates_job=True),
        Route(api, "GET", "/workflows/{workflow_id}/jobs", "list_jobs", needs),
        Route(api, "GET", "/jobs/{job_id}", "get_job", needs),
        Route(api, "GET", "/jobs/{job_id}/output/{output_id}", "download_output", needs),
    )


ROUTES: tuple[Route, ...] = (
    *_v1_routes(Api.LEGACY, Capability.LEGACY_API),
    *_v1_routes(Api.V1, Capability.WEBAPI),
    # operationIds as the Server's swagger names them (RyanMerlin/ayx-rs docs/swagger-v3.json).
    Route(
        Api.V3,
        "GET",
        "/workflows",
        "v3_workflows",
        Capability.V3_WORKFLOWS,
        operation="Workflows_GetWorkflows",
    ),
    Route(
        Api.V3,
        "GET",
        "/workflows/{workflow_id}",
        "v3_workflow",
        Capability.V3_WORKFLOWS,
        operation="Workflows_GetWorkflow",
    ),
    Route(
        Api.V3,
        "GET",
        "/workflows/{workflow_id}/questions",
        "questions",
        Capability.V3_WORKFLOWS,
        operation="Workflows_GetWorkflowQuestions",
    ),
    Route(
        Api.V3,
        "GET",
        "/workflows/{workflow_id}/jobs",
        "list_jobs",
        Capability.V3_JOBS,
        operation="Workflows_GetJobsForWorkflow",
    ),
    Route(
        Api.V3,
        "POST",
        "/workflows/{workflow_id}/jobs",
        "create_job",
        Capability.V3_JOBS,
        creates_job=True,
        operation="Workflows_Enqueue",
    ),
    Route(
        Api.V3,
        "GET",
        "/jobs",
        "all_jobs",
        Capability.V3_ALL_JOBS,
        curators_only=True,
        operation="Jobs_GetJobsInQueue",
    ),
    Route(Api.V3, "GET", "/jobs/{job_id}", "get_job", Capability.V3_JOBS, operation="Jobs_GetJobV3"),
    Route(Api.V3, "DELETE", "/jobs/{job_id}", "cancel_job", Capability.V3_CANCEL, operation="Jobs_CancelJob"),
    Route(
        Api.V3,
        "GET",
        "/jobs/{job_id}/messages",
        "job_messages",
        Capability.V3_MESSAGES,
        curators_only=True,
        operation="Jobs_GetJobMessages",
    ),
    # Schedules arrive with V3 jobs (Server 2023.1).
    Route(
        Api.V3, "GET", "/schedules", "v3_schedules", Capability.V3_JOBS, operation="Schedules_GetSchedules"
    ),
    Route(
        Api.V3,
        "GET",
        "/schedules/{schedule_id}",
        "v3_schedule",
        Capability.V3_JOBS,
        operation="Schedules_GetSchedule",
    ),
)


class RouteRegistrar:
    """Registers a Server version's routes on an application, each bound to its family and authentication."""

    def __init__(self, version: ServerVersion, handlers: ApiHandlers, authenticator: Authenticator) -> None:
        self.version = version
        self.handlers = handlers
        self.authenticator = authenticator
        # The kind of request each route serves, so faults can be scoped to token requests or job creations.
        self._kinds: dict[web.AbstractRoute, RequestKind] = {}

    def kind(self, route: web.AbstractRoute) -> RequestKind:
        """Token request, job creation, or (any other route, known or not) a read."""
        return self._kinds.get(route, RequestKind.READ)

    def register(self, app: web.Application) -> None:
        for route in ROUTES:
            if route.served_by(self.version):
                self._add(app, route)
        if self.version.has(Capability.WEBAPI):
            self._kinds[app.router.add_post(TOKEN_PATH, self.authenticator.issue_token)] = RequestKind.TOKEN
        # Last, so they only catch what no route above matched: unknown paths and methods, per family.
        if self.version.has(Capability.LEGACY_API):
            app.router.add_route("*", "/gallery/api/{tail:.*}", self._missing(Api.LEGACY))
        else:
            app.router.add_route("*", "/gallery/api/{tail:.*}", _removed_legacy_api)
        if self.version.has(Capability.WEBAPI):
            app.router.add_route("*", "/webapi/{tail:.*}", self._missing(Api.V3))
        app.router.add_get("/gallery/app/{slug}/{workflow_id}", self.handlers.workflow_page)

    def _add(self, app: web.Application, route: Route) -> None:
        handler = self._bind(route, getattr(self.handlers, route.handler))
        # The Server's routing serves a path with and without its trailing slash.
        for variant in (route.full_path, route.full_path + "/"):
            registered = app.router.add_route(route.method, variant, handler)
            if route.creates_job:
                self._kinds[registered] = RequestKind.CREATE

    def _bind(self, route: Route, handler: ApiHandler) -> Handler:
        curators_only = route.for_curators_only(self.version)

        async def bound(request: web.Request) -> web.StreamResponse:
            try:
                user = self.authenticator.user(request, route.api)
                if curators_only and not user.is_curator:
                    raise denied()
                return await handler(request, Call(route.api, user))
            except ApiError as error:
                return error_response(route.api, error)

        return bound

    @staticmethod
    def _missing(api: Api) -> Handler:
        async def missing(request: web.Request) -> web.StreamResponse:
            # A route (or method) this Server version lacks: 404, as ASP.NET Web API answers.
            return error_response(
                api,
                ApiError(404, f"No HTTP resource was found that matches the request URI '{request.url}'."),
            )

        return missing


async def _removed_legacy_api(request: web.Request) -> web.Response:
    # What users of 2022.1 report for OAuth 1.0a calls to the removed legacy API: 405 with an HTML body.
    return web.Response(
        status=405,
        text="<html><head><title>405 - Method Not Allowed</title></head><body><h1>Method Not Allowed</h1></body></html>",
        content_type="text/html",
        headers={"Access-Control-Allow-Methods": "GET, POST, PUT, DELETE, OPTIONS"},
    )
