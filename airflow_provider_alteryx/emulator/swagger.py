"""The Server's Swagger document, ``GET /webapi/swagger/docs/3``, in the form Swashbuckle serves it.

It is generated from the route table, so it lists exactly the V3 operations this Server version serves
and cannot disagree with them: a client may read it to learn, without changing anything, whether for
instance ``DELETE /v3/jobs/{jobId}`` exists. Like the Server's, it needs no authentication and exists
only on versions with the Web API; ``basePath`` is ``/webapi/`` and paths start with ``/v3/``, which is
why clients that join the two ask for ``/webapi//v3/...``. Each operation has its tag, ``operationId``,
path parameters (named as the Server's swagger names them), responses and the OAuth 2.0 requirement;
the real document's summaries, bodies and models are not reproduced.
"""

from __future__ import annotations

import re
from typing import Any

from aiohttp import web

from airflow_provider_alteryx.emulator.routes import PREFIXES, ROUTES, TOKEN_PATH, Route
from airflow_provider_alteryx.emulator.versions import Api, Capability, ServerVersion

SWAGGER_PATH = "/webapi/swagger/docs/3"
BASE_PATH = "/webapi/"
_PARAMETER = re.compile(r"\{(\w+)\}")
_CONTENT_TYPES = ["application/json", "text/json", "application/xml", "text/xml"]


def register(app: web.Application, version: ServerVersion) -> None:
    """Serve the document, if the version has the Web API; before the ``/webapi`` catch-all, which answers 404."""
    if not version.has(Capability.WEBAPI):
        return

    async def document(request: web.Request) -> web.Response:
        return web.json_response(swagger_document(version, request.host, request.scheme))

    app.router.add_get(SWAGGER_PATH, document)


def swagger_document(version: ServerVersion, host: str, scheme: str) -> dict[str, Any]:
    """The Swagger 2.0 document of the V3 API a Server version serves."""
    paths: dict[str, dict[str, Any]] = {}
    for route in ROUTES:
        if route.api is Api.V3 and route.served_by(version):
            paths.setdefault(swagger_path(route), {})[route.method.lower()] = _operation(route)
    return {
        "swagger": "2.0",
        "info": {"version": "3", "title": "Alteryx Server API V3"},
        "host": host,
        "basePath": BASE_PATH,
        "schemes": [scheme],
        "paths": paths,
        "securityDefinitions": {
            "oauth2": {
                "type": "oauth2",
                "description": "OAuth2 Client Credentials Grant",
                "flow": "application",
                "tokenUrl": f"{scheme}://{host}{TOKEN_PATH}",
                "scopes": {},
            }
        },
    }


def swagger_path(route: Route) -> str:
    """``/v3/jobs/{jobId}``: a route's path below ``basePath``, its parameters named as the swagger names them."""
    path = PREFIXES[route.api].removeprefix(BASE_PATH.rstrip("/")) + route.path
    return _PARAMETER.sub(lambda match: "{" + _camel(match[1]) + "}", path)


def _operation(route: Route) -> dict[str, Any]:
    parameters = _PARAMETER.findall(swagger_path(route))
    responses = {"200": {"description": "OK"}, "401": {"description": "Unauthorized"}}
    if parameters:
        responses["404"] = {"description": "NotFound"}
    return {
        "tags": [route.operation.partition("_")[0]],
        "operationId": route.operation,
        "consumes": _CONTENT_TYPES if route.method == "POST" else [],
        "produces": _CONTENT_TYPES,
        "parameters": [
            {"name": name, "in": "path", "required": True, "type": "string"} for name in parameters
        ],
        "responses": responses,
        "security": [{"oauth2": []}],
    }


def _camel(name: str) -> str:
    first, *rest = name.split("_")
    return first + "".join(part.capitalize() for part in rest)
