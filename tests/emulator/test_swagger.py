"""``GET /webapi/swagger/docs/3``: the Swagger document, as a client reads it to learn what a Server serves."""

from __future__ import annotations

from typing import Any

import pytest
import requests

from airflow_provider_alteryx.emulator import RunningEmulator
from airflow_provider_alteryx.emulator.routes import ROUTES
from airflow_provider_alteryx.emulator.versions import SERVER_VERSIONS, Api, Capability, server_version
from tests.conftest import QUICK, SLOW, StartEmulator
from tests.emulator.test_app import WebApi

NO_ROUTE = "No HTTP resource was found"


def document(emulator: RunningEmulator, path: str = "/webapi/swagger/docs/3") -> requests.Response:
    return requests.get(emulator.url + path, timeout=10)  # no credentials: the Server asks for none


def operations(swagger: dict[str, Any]) -> set[tuple[str, str]]:
    return {(path, method) for path, methods in swagger["paths"].items() for method in methods}


@pytest.mark.parametrize("version", [v for v in SERVER_VERSIONS if server_version(v).has(Capability.WEBAPI)])
def test_the_document_lists_exactly_the_v3_operations_served(
    start_emulator: StartEmulator, version: str
) -> None:
    emulator = start_emulator(server_version=version)
    answer = document(emulator)
    assert answer.status_code == 200, answer.text
    swagger = answer.json()
    assert (swagger["swagger"], swagger["info"]["version"], swagger["basePath"]) == ("2.0", "3", "/webapi/")
    listed = operations(swagger)
    assert len(listed) == sum(1 for r in ROUTES if r.api is Api.V3 and r.served_by(server_version(version)))
    assert all(method == method.lower() for _, method in listed)
    # Each operation it lists is served: asked for, it is not answered "no such route".
    call = WebApi(emulator)
    running = call("POST", f"/v1/workflows/{SLOW}/jobs", json={}).json()["id"]
    ids = {"{workflowId}": QUICK, "{jobId}": running, "{scheduleId}": "0" * 24}
    for path, method in sorted(listed):
        for name, value in ids.items():
            path = path.replace(name, value)
        served = call(method.upper(), path, json={} if method == "post" else None)
        assert NO_ROUTE not in served.text, (method, path)
    # What a client wants to know before it relies on cancel.
    assert (("/v3/jobs/{jobId}", "delete") in listed) is server_version(version).has(Capability.V3_CANCEL)


def test_operations_carry_their_ids_tags_and_path_parameters(emulator: RunningEmulator) -> None:
    swagger = document(emulator).json()
    cancel = swagger["paths"]["/v3/jobs/{jobId}"]["delete"]
    assert (cancel["operationId"], cancel["tags"]) == ("Jobs_CancelJob", ["Jobs"])
    assert cancel["parameters"] == [{"name": "jobId", "in": "path", "required": True, "type": "string"}]
    assert set(cancel["responses"]) == {"200", "401", "404"}
    assert swagger["paths"]["/v3/workflows/{workflowId}/jobs"]["post"]["operationId"] == "Workflows_Enqueue"
    assert swagger["securityDefinitions"]["oauth2"]["tokenUrl"] == f"{emulator.url}/webapi/oauth2/token"


def test_the_doubled_slash_form_is_served_too(emulator: RunningEmulator) -> None:
    assert document(emulator, "/webapi//swagger/docs/3").json() == document(emulator).json()


def test_servers_without_the_web_api_have_no_document(start_emulator: StartEmulator) -> None:
    assert document(start_emulator(server_version="2021.3")).status_code == 404
