"""The emulator's answers have the shapes of real Servers' answers: keys, value types and date formats, per endpoint and version.

Each file in ``real_answers/`` holds one answer a real Server gave (or, where no answer was saved, the
shape its swagger and clients' models declare), the route that gave it, and its source. The test asks
every emulated Server version that serves the route (generated from the capability table) for the same
answer and compares shapes: a key missing, a type changed or a date written with other precision fails.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import pytest
import requests

from airflow_provider_alteryx.emulator import EmulatorConfig, RunningEmulator, load_catalogue, run_emulator
from airflow_provider_alteryx.emulator.routes import PREFIXES, ROUTES, TOKEN_PATH
from airflow_provider_alteryx.emulator.versions import SERVER_VERSIONS, Api, Capability, server_version
from tests.emulator.signing import signed_url_by_hand
from tests.emulator.test_app import Legacy, WebApi, wait_until_finished

REAL_ANSWERS = Path(__file__).with_name("real_answers")
CATALOGUE = Path(__file__).with_name("fidelity_catalogue.yaml")
REGIONAL, CHOICES = "0000000000000000000000b1", "0000000000000000000000b2"
_DATES = (
    ("date with 7 fraction digits", re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{7}Z$")),
    ("date with milliseconds", re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")),
    ("date in whole seconds", re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")),
)


def shape(value: Any) -> Any:
    """What the fidelity test compares: keys, JSON types, and the precision of dates."""
    if isinstance(value, dict):
        return {key: shape(item) for key, item in value.items()}
    if isinstance(value, list):
        return [shape(value[0])] if value else []
    if isinstance(value, str):
        return next((name for name, pattern in _DATES if pattern.match(value)), "string")
    return "null" if value is None else type(value).__name__


def differences(real: Any, emulated: Any, where: str = "$", *, partial: bool = False) -> Iterator[str]:
    """Where the emulated shape departs from the real one (an empty real list matches any list)."""
    if isinstance(real, dict) and isinstance(emulated, dict):
        missing = sorted(set(real) - set(emulated))
        extra = [] if partial else sorted(set(emulated) - set(real))
        if missing or extra:
            yield f"{where}: missing keys {missing}, extra keys {extra}"
        for key in set(real) & set(emulated):
            # A real null can stand for a value the emulator fills (a credential id, a worker tag).
            if real[key] != "null":
                yield from differences(real[key], emulated[key], f"{where}.{key}", partial=partial)
    elif isinstance(real, list) and isinstance(emulated, list):
        if real and emulated:
            yield from differences(real[0], emulated[0], f"{where}[0]", partial=partial)
    elif real != emulated:
        yield f"{where}: real {real}, emulated {emulated}"


def _cases() -> Iterator[Any]:
    for path in sorted(REAL_ANSWERS.glob("*.json")):
        saved = json.loads(path.read_text())
        family, method, route_path = saved["route"]
        for api in [Api(family), *(Api(a) for a in saved.get("also", []))]:
            for version in SERVER_VERSIONS:
                if _served(api, method, route_path, version):
                    yield pytest.param(
                        saved, api, method, route_path, version, id=f"{path.stem}-{api}-{version}"
                    )


def _served(api: Api, method: str, path: str, version: str) -> bool:
    if path == "/oauth2/token":
        return server_version(version).has(Capability.WEBAPI)
    route = next(r for r in ROUTES if (r.api, r.method, r.path) == (api, method, path))
    return route.served_by(server_version(version))


@pytest.fixture(scope="module")
def emulators() -> Iterator[dict[str, RunningEmulator]]:
    """One emulator per Server version, running jobs fast and writing engine lines as real jobs do."""
    workflows = load_catalogue(CATALOGUE)
    with ExitStack() as stack:
        yield {
            version: stack.enter_context(
                run_emulator(
                    EmulatorConfig(
                        workflows=workflows, server_version=version, time_scale=0.05, engine_messages=True
                    )
                )
            )
            for version in SERVER_VERSIONS
        }


def _client(emulator: RunningEmulator, api: Api) -> Any:
    if api is Api.LEGACY:
        legacy = Legacy(emulator)
        return lambda method, path, **kwargs: legacy(method, path + "/", **kwargs)
    web_api = WebApi(emulator)
    return lambda method, path, **kwargs: web_api(
        method, PREFIXES[api].removeprefix("/webapi") + path, **kwargs
    )


def _finished_job(call: Any, api: Api) -> str:
    created = call("POST", f"/workflows/{REGIONAL}/jobs", json={})
    assert created.status_code == 200, created.text
    return wait_until_finished(lambda i: call("GET", f"/jobs/{i}").json(), created.json()["id"])["id"]


def emulated_answer(
    emulator: RunningEmulator, api: Api, method: str, path: str, saved: dict[str, Any]
) -> requests.Response:
    """Ask the emulator what the real Server was asked."""
    if path == "/oauth2/token":
        form = {
            "grant_type": "client_credentials",
            "client_id": emulator.api_key,
            "client_secret": emulator.api_secret,
        }
        return requests.post(emulator.url + TOKEN_PATH, data=form, timeout=10)
    if saved.get("status") == 401:
        return requests.get(
            signed_url_by_hand(
                "GET", f"{emulator.url}/gallery/api/v1/jobs/{'0' * 24}/", emulator.api_key, "wrong"
            ),
            timeout=10,
        )
    call = _client(emulator, api)
    workflow = CHOICES if saved.get("workflow") == "Choices" else REGIONAL
    if method == "POST":
        return call("POST", f"/workflows/{workflow}/jobs", json={})
    job = _finished_job(call, api) if "{job_id}" in path or path.endswith("/jobs") else ""
    return call(method, path.format(workflow_id=workflow, job_id=job))


@pytest.mark.parametrize(("saved", "api", "method", "path", "version"), list(_cases()))
def test_emulated_answers_have_the_shapes_of_real_answers(
    emulators: dict[str, RunningEmulator],
    saved: dict[str, Any],
    api: Api,
    method: str,
    path: str,
    version: str,
) -> None:
    answer = emulated_answer(emulators[version], api, method, path, saved)
    assert answer.status_code == saved.get("status", 200), answer.text
    emulated = answer.json()
    problems = list(differences(shape(saved["answer"]), shape(emulated), partial=saved.get("partial", False)))
    assert not problems, f"{saved['source']}:\n" + "\n".join(problems)
    for key in saved.get("absent", []):
        assert key not in emulated, f"{key} belongs elsewhere than the top level ({saved['source']})"
