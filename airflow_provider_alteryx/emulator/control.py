"""The emulator's own endpoints under ``/__emulator/``: no authentication, never faulty.

``GET info`` (version, workers, variants, workflows, counters), ``GET jobs`` (every job with its
questions and timestamps, deleted ones included), ``POST reset`` (forget jobs, tokens, nonces and faults), ``GET``/``PUT faults``.
"""

from __future__ import annotations

from aiohttp import web

from airflow_provider_alteryx.emulator import views
from airflow_provider_alteryx.emulator.faults import Faults
from airflow_provider_alteryx.emulator.state import ServerState

CONTROL_PREFIX = "/__emulator/"


class ControlHandlers:
    def __init__(self, state: ServerState) -> None:
        self.state = state

    def register(self, app: web.Application) -> set[web.AbstractRoute]:
        """Add the control endpoints; return their routes, which faults leave alone."""
        return {
            app.router.add_get(CONTROL_PREFIX + "info", self.info),
            app.router.add_get(CONTROL_PREFIX + "jobs", self.jobs),
            app.router.add_post(CONTROL_PREFIX + "reset", self.reset),
            app.router.add_get(CONTROL_PREFIX + "faults", self.faults),
            app.router.add_put(CONTROL_PREFIX + "faults", self.faults),
        }

    async def info(self, request: web.Request) -> web.Response:
        config = self.state.config
        return web.json_response(
            {
                "serverVersion": config.server_version,
                "capabilities": sorted(capability.name for capability in self.state.version.capabilities),
                "workers": config.workers,
                "workerTags": list(config.worker_tags),
                "timeScale": config.time_scale,
                "variants": config.variants.view(),
                **self.state.counters.view(),
                "workflows": [{"id": w.id, "name": w.name} for w in self.state.workflows.values()],
            }
        )

    async def jobs(self, request: web.Request) -> web.Response:
        jobs = sorted(self.state.engine.jobs.values(), key=lambda j: j.sequence)
        return web.json_response({"jobs": [views.control_view(j) for j in jobs]})

    async def reset(self, request: web.Request) -> web.Response:
        self.state.tokens.expiry.clear()
        self.state.oauth1.reset()
        self.state.faults.update(vars(Faults()))
        self.state.engine.reset()
        return web.json_response({"reset": True})

    async def faults(self, request: web.Request) -> web.Response:
        if request.method == "PUT":
            try:
                changes = await request.json()
                if not isinstance(changes, dict):
                    raise ValueError("expected a JSON object of fault names and values")
                self.state.faults.update(changes)
            except ValueError as error:
                return web.json_response({"message": str(error)}, status=400)
        return web.json_response(vars(self.state.faults))
