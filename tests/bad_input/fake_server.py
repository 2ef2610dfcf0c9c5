"""A small misbehaving Alteryx Server for the answers the emulator cannot give.

It serves a valid OAuth 2.0 token endpoint and the V3 endpoints the hook calls; any route's answer
can be replaced per test by a :data:`Handler` built with the factories below (HTML login page,
truncated JSON, a redirect to another host, an echo of the posted form, a trickle...). Every
request is recorded, so tests can prove what was (not) sent, and where.
"""

from __future__ import annotations

import asyncio
import json
import secrets
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from aiohttp import web

from airflow_provider_alteryx.emulator.server import serving

FAKE_API_KEY = "fake-key"
WORKFLOW_ID = "0123456789abcdef01234567"
JOB_ID = "89abcdef0123456789abcdef"
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


class Route(StrEnum):
    """The endpoints whose answers a test may replace."""

    TOKEN = "token"
    JOB = "job"
    WORKFLOWS = "workflows"
    WORKFLOW = "workflow"
    WORKFLOW_JOBS = "workflow_jobs"
    QUESTIONS = "questions"


@dataclass(frozen=True)
class Received:
    """One request as it reached the fake: enough to prove a secret was (not) sent."""

    method: str
    path_qs: str
    headers: dict[str, str]
    body: str

    def text(self) -> str:
        return f"{self.method} {self.path_qs}\n{json.dumps(self.headers)}\n{self.body}"


def job_json(job_id: str = JOB_ID, **fields: Any) -> dict[str, Any]:
    """A V3 job as the Server answers it; ``fields`` override (``None`` removes the field)."""
    job: dict[str, Any] = {
        "id": job_id,
        "appId": WORKFLOW_ID,
        "createDateTime": "2026-11-29T03:00:00Z",
        "status": "Completed",
        "disposition": "Success",
        "priority": "Default",
        "outputs": [],
        "messages": [],
    }
    job.update(fields)
    return {key: value for key, value in job.items() if value is not None}


# ---- answer factories ------------------------------------------------------------------------
def answer(
    body: bytes | str,
    *,
    status: int = 200,
    content_type: str = "application/json",
    headers: dict[str, str] | None = None,
) -> Handler:
    """Always the same raw answer (a body that need not be valid for its content type)."""
    raw = body.encode() if isinstance(body, str) else body

    async def handle(request: web.Request) -> web.StreamResponse:
        return web.Response(
            body=raw, status=status, headers={"Content-Type": content_type, **(headers or {})}
        )

    return handle


def json_answer(payload: Any, *, status: int = 200) -> Handler:
    return answer(json.dumps(payload), status=status)


def redirect(location: str, *, status: int = 307) -> Handler:
    return answer(b"", status=status, content_type="text/plain", headers={"Location": location})


def echo_request(*, status: int = 400) -> Handler:
    """An error answer quoting the request back, headers and form included, as careless Servers do."""

    async def handle(request: web.Request) -> web.StreamResponse:
        body = (await request.read()).decode(errors="replace")
        quoted = f"could not process {request.method} {request.path_qs} with headers {dict(request.headers)} and body {body!r}"
        return web.json_response(
            {"error": "invalid_request", "error_description": quoted, "message": quoted}, status=status
        )

    return handle


def trickle(payload: Any, *, seconds: float, pieces: int = 20) -> Handler:
    """A valid JSON answer sent in ``pieces`` small writes spread over ``seconds``."""
    raw = json.dumps(payload).encode()
    size = max(1, -(-len(raw) // pieces))

    async def handle(request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse(
            headers={"Content-Type": "application/json", "Content-Length": str(len(raw))}
        )
        await response.prepare(request)
        try:
            for start in range(0, len(raw), size):
                await response.write(raw[start : start + size])
                await asyncio.sleep(seconds / pieces)
        except (ConnectionError, RuntimeError):
            pass  # the client gave up, as it should
        return response

    return handle


# ---- the server ------------------------------------------------------------------------------
@dataclass
class FakeServer:
    """A running fake: its URL, the requests it received, the tokens it issued, and the per-route overrides."""

    api_secret: str
    url: str = ""
    received: list[Received] = field(default_factory=list)
    tokens: list[str] = field(default_factory=list)
    overrides: dict[Route, Handler] = field(default_factory=dict)
    fallback: Handler | None = None  # answers every request when set (a host that should never be asked)

    def behave(self, route: Route, handler: Handler) -> None:
        """Answer ``route`` with ``handler`` from now on."""
        self.overrides[route] = handler

    def requests_to(self, route_suffix: str) -> list[Received]:
        """Requests whose path (without query) ends with ``route_suffix``."""
        return [r for r in self.received if r.path_qs.split("?")[0].endswith(route_suffix)]

    def connection(self, **extra: Any) -> str:
        """An Airflow connection (JSON) to this fake with OAuth 2.0 and the given extras."""
        return json.dumps(
            {
                "conn_type": "alteryx",
                "host": self.url,
                "login": FAKE_API_KEY,
                "password": self.api_secret,
                "extra": {"auth_type": "oauth2", **extra},
            }
        )

    def app(self) -> web.Application:
        app = web.Application(middlewares=[self._record])
        routes = [
            ("POST", "/webapi/oauth2/token", Route.TOKEN, self._token),
            ("GET", "/webapi/v3/jobs/{job_id}", Route.JOB, self._job),
            ("DELETE", "/webapi/v3/jobs/{job_id}", Route.JOB, self._job),
            ("GET", "/webapi/v3/workflows", Route.WORKFLOWS, self._workflows),
            ("GET", "/webapi/v3/workflows/{workflow_id}", Route.WORKFLOW, self._workflow),
            ("GET", "/webapi/v3/workflows/{workflow_id}/jobs", Route.WORKFLOW_JOBS, self._workflow_jobs),
            ("POST", "/webapi/v3/workflows/{workflow_id}/jobs", Route.WORKFLOW_JOBS, self._create_job),
            ("GET", "/webapi/v1/workflows/{workflow_id}/questions", Route.QUESTIONS, self._questions),
        ]
        for method, path, route, handler in routes:
            app.router.add_route(method, path, self._dispatch(route, handler))
        app.router.add_route("*", "/{tail:.*}", self._unknown)
        return app

    @web.middleware
    async def _record(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        body = (await request.read()).decode(errors="replace")
        self.received.append(Received(request.method, request.path_qs, dict(request.headers), body))
        if self.fallback is not None:
            return await self.fallback(request)
        return await handler(request)

    def _dispatch(self, route: Route, default: Handler) -> Handler:
        async def handle(request: web.Request) -> web.StreamResponse:
            override = self.overrides.get(route)
            if override is not None:
                return await override(request)
            if route is not Route.TOKEN and not self._authorised(request):
                return web.json_response(
                    {"message": "Authorization has been denied for this request."}, status=401
                )
            return await default(request)

        return handle

    def _authorised(self, request: web.Request) -> bool:
        scheme, _, token = request.headers.get("Authorization", "").partition(" ")
        return scheme == "Bearer" and token in self.tokens

    async def _token(self, request: web.Request) -> web.StreamResponse:
        form = await request.post()
        if (form.get("client_id"), form.get("client_secret"), form.get("grant_type")) != (
            FAKE_API_KEY,
            self.api_secret,
            "client_credentials",
        ):
            return web.json_response({"error": "invalid_client"}, status=400)
        token = f"fake-token-{secrets.token_hex(12)}"
        self.tokens.append(token)
        return web.json_response({"access_token": token, "token_type": "bearer", "expires_in": 3600})

    async def _job(self, request: web.Request) -> web.StreamResponse:
        return web.json_response(job_json(request.match_info["job_id"]))

    async def _workflows(self, request: web.Request) -> web.StreamResponse:
        return web.json_response([{"id": WORKFLOW_ID, "name": "Fake"}])

    async def _workflow(self, request: web.Request) -> web.StreamResponse:
        return web.json_response({"id": request.match_info["workflow_id"], "name": "Fake"})

    async def _workflow_jobs(self, request: web.Request) -> web.StreamResponse:
        return web.json_response([])

    async def _create_job(self, request: web.Request) -> web.StreamResponse:
        return web.json_response(job_json(status="Queued", disposition="None"), status=201)

    async def _questions(self, request: web.Request) -> web.StreamResponse:
        return web.json_response([])

    async def _unknown(self, request: web.Request) -> web.StreamResponse:
        return web.json_response({"message": f"No route {request.method} {request.path}"}, status=404)


@contextmanager
def run_fake_server(api_secret: str, *, fallback: Handler | None = None) -> Iterator[FakeServer]:
    """Serve a :class:`FakeServer` on 127.0.0.1 (a free port) on its own thread for the ``with`` block."""
    fake = FakeServer(api_secret=api_secret, fallback=fallback)
    # A short shutdown timeout: a trickling answer must not delay the test's end.
    with serving(fake.app, "alteryx-fake-server", shutdown_timeout=0.5) as url:
        fake.url = url
        yield fake
