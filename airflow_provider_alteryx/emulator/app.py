"""The emulator's HTTP application: one Server version's Alteryx API, fault injection, and control endpoints.

The parts: ``versions`` (what each Server version serves), ``catalogue`` and ``schedules`` (the
workflows and schedules a catalogue file declares), ``routes`` (the API's routes, registered per
version with their family bound), ``handlers`` (the operations), ``views`` (response shapes),
``auth`` (OAuth 1.0a and 2.0), ``engine`` (the job queue), ``state`` (what the Server holds, kept
across restarts), ``faults`` (misbehaviour on purpose), ``variants`` (behaviour the sources leave
open), ``swagger`` (the Swagger document) and ``control`` (``/__emulator/``). Which of
them may import which is declared, and checked, in ``tests/emulator/test_layers.py``.
"""

from __future__ import annotations

import asyncio
import re
import warnings

from aiohttp import web

from airflow_provider_alteryx.emulator import swagger
from airflow_provider_alteryx.emulator.auth import Authenticator
from airflow_provider_alteryx.emulator.config import DEFAULT_API_KEY, DEFAULT_API_SECRET, EmulatorConfig
from airflow_provider_alteryx.emulator.control import ControlHandlers
from airflow_provider_alteryx.emulator.faults import ERRORS_AFTER, ERRORS_BEFORE, Action, Phase, RequestKind
from airflow_provider_alteryx.emulator.handlers import ApiHandlers
from airflow_provider_alteryx.emulator.routes import Handler, RouteRegistrar
from airflow_provider_alteryx.emulator.state import ServerState
from airflow_provider_alteryx.emulator.versions import SERVER_VERSIONS

__all__ = ["DEFAULT_API_KEY", "DEFAULT_API_SECRET", "SERVER_VERSIONS", "Emulator", "EmulatorConfig"]


class _MergingSlashesRouter(web.UrlDispatcher):
    """Routes ``/webapi//v3/jobs`` like ``/webapi/v3/jobs``, as the Server's IIS does (clients that join a
    base URL ending in ``/`` with a path starting with ``/`` send such paths)."""

    async def resolve(self, request: web.Request) -> web.UrlMappingMatchInfo:
        if "//" in request.rel_url.raw_path:
            merged = re.sub("/{2,}", "/", request.rel_url.raw_path)
            request = request.clone(rel_url=request.rel_url.with_path(merged, encoded=True))
        return await super().resolve(request)


class Emulator:
    """One emulated Server: its state, its routes and the faults it injects."""

    def __init__(self, config: EmulatorConfig) -> None:
        self.state = ServerState(config)
        self.routes = RouteRegistrar(self.state.version, ApiHandlers(self.state), Authenticator(self.state))
        self.control_routes: set[web.AbstractRoute] = set()

    def app(self) -> web.Application:
        with warnings.catch_warnings():
            # aiohttp deprecates routers of one's own but offers no other way to serve a doubled slash without a
            # redirect (its normalize_path_middleware answers 301), and the Server serves it.
            warnings.filterwarnings("ignore", "router argument is deprecated", DeprecationWarning)
            app = web.Application(router=_MergingSlashesRouter(), middlewares=[self._inject_faults])
        self.control_routes = ControlHandlers(self.state).register(app)
        swagger.register(app, self.state.version)
        self.routes.register(app)
        app.on_startup.append(self._start)
        app.on_cleanup.append(self._stop)
        return app

    async def _start(self, app: web.Application) -> None:
        self.state.start()

    async def _stop(self, app: web.Application) -> None:
        self.state.engine.stop()

    @web.middleware
    async def _inject_faults(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        if request.match_info.route in self.control_routes:
            return await handler(request)
        state = self.state
        state.counters.requests += 1
        if state.faults.latency:
            await asyncio.sleep(state.faults.latency)
        kind = self.routes.kind(request.match_info.route)
        hit = state.faults.draw(Phase.BEFORE, state.rng, kind)
        if hit:
            return self._inflict(request, *hit, ERRORS_BEFORE)
        response = await handler(request)
        if kind is RequestKind.CREATE and response.status == 200 and state.faults.take_job_response_drop():
            return self._inflict(request, "drop_job_responses", Action.DROP, ())
        hit = state.faults.draw(Phase.AFTER, state.rng, kind)
        if hit:
            return self._inflict(request, *hit, ERRORS_AFTER)
        return response

    def _inflict(
        self, request: web.Request, name: str, action: Action, errors: tuple[int, ...]
    ) -> web.Response:
        self.state.counters.faults[name] += 1
        if action is Action.DROP:
            if request.transport is not None:
                request.transport.abort()
            # Nothing reaches the client: the transport is gone before aiohttp writes this.
            return web.Response(status=499)
        if action is Action.THROTTLE:
            return web.json_response(
                {"message": "Too many requests."},
                status=429,
                headers={"Retry-After": f"{self.state.faults.retry_after:g}"},
            )
        status = self.state.faults.error_status or self.state.rng.choice(errors)
        return web.Response(
            status=status,
            text=f"<html><head><title>{status} Server Error</title></head><body>Injected fault</body></html>",
            content_type="text/html",
        )
