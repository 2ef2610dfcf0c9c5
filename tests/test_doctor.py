"""``alteryx-airflow doctor`` against the emulator of every Server version, over real HTTP: what it tells of each
version and key, the differences it names when an answer changes shape, ``--run`` and ``--cancel``, and a
report without secrets or ids."""

from __future__ import annotations

import json
import re
import socket
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from email.utils import formatdate, parsedate_to_datetime
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web

from airflow_provider_alteryx import emulator as emulator_package
from airflow_provider_alteryx.cli import doctor, main
from airflow_provider_alteryx.cli.doctor import Diagnosis, Level, diagnose
from airflow_provider_alteryx.emulator import MISSING_EXTRA, Role, RunningEmulator, Variants
from airflow_provider_alteryx.emulator.server import serving
from airflow_provider_alteryx.emulator.variants import PackageTypeForm
from airflow_provider_alteryx.utils.scrub import scrub
from tests.conftest import QUICK, SLOW, VERSION_AUTH, StartEmulator
from tests.hooks.http_proxy import http_proxy

# What the doctor must tell of each version: the API jobs go through, whether cancel exists, and the role of a
# Curator's and an Artisan's key (only some versions have a call that tells).
EXPECTED = {
    "2021.3": ("legacy", "no", "unknown", "unknown"),
    "2021.4": ("v1", "no", "Curator", "not a Curator"),
    "2022.1": ("v1", "no", "Curator", "not a Curator"),
    "2023.1": ("v3", "no", "unknown", "unknown"),
    "2025.1": ("v3", "yes", "Curator", "not a Curator"),
}


def point_at(
    monkeypatch: pytest.MonkeyPatch, emulator: RunningEmulator, auth: str | None = None, **kwargs: Any
) -> None:
    connection = json.loads(emulator.connection(auth, role=kwargs.pop("role", None)))
    connection["host"] = kwargs.pop("host", connection["host"])
    monkeypatch.setenv("AIRFLOW_CONN_ALTERYX_DEFAULT", json.dumps(connection))


def findings(diagnosis: Diagnosis, topic: str) -> list[doctor.Finding]:
    return [finding for finding in diagnosis.findings if finding.topic == topic]


def timed(diagnosis: Diagnosis, what: str) -> Diagnosis:
    print(f"doctor against {what}: {diagnosis.seconds:.1f} s")
    return diagnosis


@pytest.mark.parametrize("role", [Role.CURATOR, Role.ARTISAN])
@pytest.mark.parametrize(("version", "auth"), VERSION_AUTH)
def test_each_version_and_key_is_told_apart(
    start_emulator: StartEmulator, monkeypatch: pytest.MonkeyPatch, version: str, auth: str, role: Role
) -> None:
    point_at(monkeypatch, start_emulator(server_version=version), auth, role=role)
    diagnosis = timed(diagnose("alteryx_default"), f"{version} ({auth}, {role})")
    server = diagnosis.report()["server"]
    jobs_api, cancel, curator, artisan = EXPECTED[version]
    assert (server["version"], server["cancel"], server["role"]) == (
        version,
        cancel,
        curator if role is Role.CURATOR else artisan,
    )
    assert server["jobs_api"] == ("legacy" if auth == "oauth1" else jobs_api)
    assert findings(diagnosis, "auth")[0].level is Level.OK
    # The emulator compared with itself: nothing to name.
    assert (diagnosis.provider_differences, diagnosis.emulator_differences) == ([], [])
    assert diagnosis.healthy


def test_the_key_that_also_works_the_other_way_is_named(
    start_emulator: StartEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    point_at(monkeypatch, start_emulator(server_version="2021.4"), "oauth1")
    advice = [f for f in findings(diagnose("alteryx_default"), "auth") if f.level is Level.WARNING]
    assert [f.found for f in advice] == ["this key also gets OAuth 2.0 tokens"]
    assert '"oauth2"' in advice[0].fix


# ---- a Server that answers otherwise --------------------------------------------------------------------
Rewrite = Callable[[str, str, bytes, dict[str, str]], bytes]


@contextmanager
def rewriting_proxy(target: str, rewrite: Rewrite) -> Iterator[str]:
    """A proxy to ``target`` on a free loopback port that passes every answer through ``rewrite(method, path,
    body, headers)`` (which may change the headers in place). It forwards the Host header, so OAuth 1.0a
    signatures made for the proxy's address verify."""

    async def forward(request: web.Request) -> web.StreamResponse:
        headers = {
            k: v
            for k, v in request.headers.items()
            if k.lower() not in ("content-length", "transfer-encoding")
        }
        async with (
            aiohttp.ClientSession(auto_decompress=False) as session,
            session.request(
                request.method,
                target + request.rel_url.raw_path_qs,
                headers=headers,
                data=await request.read(),
                allow_redirects=False,
            ) as answer,
        ):
            answer_headers = {
                k: v
                for k, v in answer.headers.items()
                if k.lower() not in ("content-length", "transfer-encoding", "connection")
            }
            body = rewrite(request.method, request.path, await answer.read(), answer_headers)
            return web.Response(status=answer.status, body=body, headers=answer_headers)

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", forward)
    with serving(lambda: app, "rewriting-proxy") as url:
        yield url


def renaming(path_pattern: str, old: str, new: str) -> Rewrite:
    """A rewrite renaming the top-level key ``old`` to ``new`` in JSON answers to paths matching ``path_pattern``."""

    def rewrite(method: str, path: str, body: bytes, headers: dict[str, str]) -> bytes:
        if method != "GET" or not re.fullmatch(path_pattern, path) or not body:
            return body
        answer = json.loads(body)
        answer[new] = answer.pop(old)
        return json.dumps(answer).encode()

    return rewrite


def test_a_renamed_key_is_named_against_the_provider_and_the_emulator(
    start_emulator: StartEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    emulator = start_emulator(server_version="2025.1", time_scale=0.1)
    with rewriting_proxy(emulator.url, renaming(r"/webapi/v3/jobs/[0-9a-f]{24}", "status", "state")) as proxy:
        point_at(monkeypatch, emulator, host=proxy)
        diagnosis = timed(diagnose("alteryx_default", run=QUICK), "2025.1 with a renamed key")
    assert "v3 GET /jobs/{id}: status: missing" in diagnosis.provider_differences
    assert {
        "v3 GET /jobs/{id}: state: only the Server sends it",
        "v3 GET /jobs/{id}: status: only the emulator sends it",
    } <= set(diagnosis.emulator_differences)
    # The provider's own reading refuses such a job: a problem, and the doctor says DAGs will fail.
    assert [f.level for f in findings(diagnosis, "shapes")] == [Level.PROBLEM, Level.PROBLEM]
    assert not diagnosis.healthy


def test_a_value_of_another_type_is_named(
    start_emulator: StartEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The Server writes /webapi/v1's packageType as the legacy API's integer; the emulator's default is the name.
    emulator = start_emulator(
        server_version="2023.1", variants=Variants(v1_package_type=PackageTypeForm.INTEGER)
    )
    point_at(monkeypatch, emulator)
    diagnosis = diagnose("alteryx_default")
    assert diagnosis.emulator_differences == [
        "v1 GET /workflows/subscription: [].packageType: number from the Server, str from the emulator"
    ]
    assert diagnosis.provider_differences == []  # the provider does not read it
    assert diagnosis.healthy


def shifted_date(seconds: float) -> Rewrite:
    def rewrite(method: str, path: str, body: bytes, headers: dict[str, str]) -> bytes:
        headers["Date"] = formatdate(
            parsedate_to_datetime(headers["Date"]).timestamp() + seconds, usegmt=True
        )
        return body

    return rewrite


@pytest.mark.parametrize(
    ("version", "auth", "level"), [("2021.3", "oauth1", Level.PROBLEM), ("2025.1", "oauth2", Level.NOTE)]
)
def test_a_clock_ten_minutes_ahead_is_a_problem_for_signatures_only(
    start_emulator: StartEmulator, monkeypatch: pytest.MonkeyPatch, version: str, auth: str, level: Level
) -> None:
    emulator = start_emulator(server_version=version)
    with rewriting_proxy(emulator.url, shifted_date(600)) as proxy:
        point_at(monkeypatch, emulator, auth, host=proxy)
        diagnosis = diagnose("alteryx_default")
    [clock] = findings(diagnosis, "clock")
    assert re.fullmatch(r"the Server's clock is 60[01] s ahead of this machine's", clock.found)
    assert clock.level is level
    assert [f.level for f in findings(diagnosis, "auth")] == [Level.OK]  # the emulator's own clock is right


def test_a_server_that_does_not_answer_is_named_at_once(monkeypatch: pytest.MonkeyPatch) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    monkeypatch.setenv(
        "AIRFLOW_CONN_ALTERYX_DEFAULT",
        json.dumps(
            {
                "conn_type": "alteryx",
                "host": f"http://127.0.0.1:{port}",
                "login": "key",
                "password": "a-secret-of-some-length",
            }
        ),
    )
    diagnosis = timed(diagnose("alteryx_default"), "a closed port")
    [reach] = findings(diagnosis, "reach")
    assert reach.level is Level.PROBLEM and "Nothing answered at that address" in reach.detail
    assert diagnosis.emulator_differences == "the Server did not answer"


def test_without_the_emulator_extra_the_comparison_is_skipped_and_said(
    start_emulator: StartEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    point_at(monkeypatch, start_emulator(server_version="2025.1"))

    def missing(name: str) -> Any:
        raise ModuleNotFoundError(MISSING_EXTRA, name="yaml")

    monkeypatch.setattr(emulator_package, "_submodule", missing)  # what the package does without PyYAML
    diagnosis = diagnose("alteryx_default")
    [compared] = findings(diagnosis, "emulator")
    assert compared.found == f"not compared with the emulator: {MISSING_EXTRA}"
    assert diagnosis.report()["server"]["version"] == "2025.1"


# ---- proxies ----------------------------------------------------------------------------------------------
PROXY_USER = ("proxy-user", "Px7qZk3-proxy-password")


def test_every_request_goes_through_the_proxy_the_connection_names(
    start_emulator: StartEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    emulator = start_emulator(server_version="2025.1")
    with http_proxy(PROXY_USER) as proxy:
        connection = json.loads(emulator.connection())
        connection["extra"]["proxy"] = proxy.url
        monkeypatch.setenv("AIRFLOW_CONN_ALTERYX_DEFAULT", json.dumps(connection))
        diagnosis = diagnose("alteryx_default")
    [named] = findings(diagnosis, "proxy")
    assert (
        named.found
        == "the connection names a proxy (extra proxy): every request to the Server goes through it"
    )
    assert named.detail == f"proxy {proxy.address.replace('//', '//***@')}"  # without its user and password
    # The doctor's own requests too: the Date header's and the Swagger document's.
    assert proxy.forwarded("HEAD") == 1 and proxy.forwarded("GET", "/swagger/docs/3") == 1
    assert proxy.forwarded("POST", "/oauth2/token") >= 1 and not [e for e in proxy.log if not e.forwarded]
    assert diagnosis.report()["server"]["version"] == "2025.1" and diagnosis.emulator_differences == []
    assert PROXY_USER[1] not in diagnosis.text() + json.dumps(diagnosis.report())


@pytest.mark.parametrize("exempt", [False, True])
def test_a_proxy_the_environment_names_is_said_and_no_proxy_honoured(
    start_emulator: StartEmulator, monkeypatch: pytest.MonkeyPatch, exempt: bool
) -> None:
    point_at(monkeypatch, start_emulator(server_version="2025.1"))
    with http_proxy() as proxy:
        monkeypatch.setenv("HTTP_PROXY", proxy.url)
        if exempt:
            monkeypatch.setenv("NO_PROXY", "127.0.0.1")
        diagnosis = diagnose("alteryx_default")
    [named] = findings(diagnosis, "proxy")
    if exempt:
        assert named.found.startswith("proxy variables are set (HTTP_PROXY, NO_PROXY), but NO_PROXY exempts")
        assert proxy.forwarded() == 0 and diagnosis.emulator_differences == []
    else:
        assert named.found == "the environment routes requests to the Server through a proxy (HTTP_PROXY)"
        assert proxy.forwarded("HEAD") == 1 and proxy.forwarded("GET", "/v3/workflows") >= 1
        # The emulator the Server is compared with listens on 127.0.0.1: not through a corporate proxy.
        assert diagnosis.emulator_differences == (
            "the environment's proxy variables send requests for 127.0.0.1 through the proxy; add 127.0.0.1 to NO_PROXY"
        )
    assert diagnosis.report()["server"]["version"] == "2025.1"


# ---- --run and --cancel ---------------------------------------------------------------------------------
def test_run_creates_waits_for_and_reads_a_job(
    start_emulator: StartEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    emulator = start_emulator(server_version="2025.1", time_scale=0.1)
    point_at(monkeypatch, emulator)
    diagnosis = timed(diagnose("alteryx_default", run=QUICK), "2025.1 with --run")
    [run] = findings(diagnosis, "run")
    assert run.level is Level.OK
    assert re.fullmatch(
        r"job #[0-9a-f]{8} of workflow #[0-9a-f]{8}: Completed, Success; 1 message\(s\) \(0 error\(s\), 0 "
        r"warning\(s\)\); 0 output\(s\) listed",
        run.found,
    )
    [job] = emulator.jobs()
    assert run.detail == f"job {job['id']}: Completed, Success" and job["status"] == "Completed"
    answered = diagnosis.report()["answers"]
    assert answered["v3 POST /workflows/{id}/jobs"]["statuses"] == [200]
    assert answered["v3 GET /jobs/{id}/messages"]["shape"] == [
        {"status": "number", "text": "str", "toolId": "number"}
    ]
    assert diagnosis.emulator_differences == [] and diagnosis.healthy


@pytest.mark.parametrize(
    ("deletes", "found"),
    [
        (False, r"job #[0-9a-f]{8} cancelled right after its creation: Cancelled, Cancelled"),
        (True, r"job #[0-9a-f]{8} was deleted by its cancel: the Server answers 404 for it since"),
    ],
)
def test_cancel_right_after_creating(
    start_emulator: StartEmulator, monkeypatch: pytest.MonkeyPatch, deletes: bool, found: str
) -> None:
    emulator = start_emulator(
        server_version="2025.1", workers=1, variants=Variants(cancel_queued_deletes=deletes)
    )
    point_at(monkeypatch, emulator)
    from airflow_provider_alteryx.hooks.alteryx import AlteryxServerHook

    AlteryxServerHook().run_workflow(SLOW)  # holds the one worker: the doctor's job stays queued
    diagnosis = timed(
        diagnose("alteryx_default", run=QUICK, cancel=True), f"2025.1 with --cancel (deletes: {deletes})"
    )
    cancelled = findings(diagnosis, "run")[0]
    assert re.fullmatch(found, cancelled.found)
    assert diagnosis.report()["server"]["cancel"] == "yes"


# ---- the report ------------------------------------------------------------------------------------------
def keys_and_values(shape: Any) -> Iterator[tuple[str, str]]:
    """Every ``("key", name)`` and ``("value", type)`` of a shape."""
    if isinstance(shape, dict):
        for key, value in shape.items():
            yield "key", key
            yield from keys_and_values(value)
    elif isinstance(shape, list):
        for item in shape:
            yield from keys_and_values(item)
    elif shape is not None:
        yield "value", shape


def test_the_report_holds_shapes_and_no_secret_or_id(
    start_emulator: StartEmulator,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    emulator = start_emulator(server_version="2025.1", time_scale=0.1)
    point_at(monkeypatch, emulator)
    report = tmp_path / "doctor.json"
    status = main(["doctor", "--run", QUICK, "--report", str(report)])
    printed, text = capsys.readouterr().out, report.read_text()
    assert status == doctor.EXIT_HEALTHY and f"Report written to {report}" in printed
    for secret in (emulator.api_secret, emulator.api_key):
        assert secret not in text and secret not in printed
    # Every secret the provider registered (the API secret, each token fetched) is absent from both; scrub()
    # also blanks whatever follows a field named access_token, here the token answer's shape.
    assert scrub(text) == text.replace('"access_token": "str"', '"access_token": "***"')
    assert scrub(printed) == printed
    ids = {QUICK} | {job["id"] for job in emulator.jobs()}
    assert not re.search(r"[0-9a-f]{24}", text) and not ids & set(re.findall(r"\w+", text))
    assert "127.0.0.1" not in text
    shapes = [answer["shape"] for answer in json.loads(text)["answers"].values()]
    for kind, text in keys_and_values(shapes):
        if kind == "key":
            assert re.fullmatch(r"([A-Za-z_]\w*|<key #[0-9a-f]{8}>)\??", text)
        else:
            assert set(text.split("|")) <= {"str", "number", "bool", "null", "object", "list"}, text


def test_the_command_refuses_what_it_cannot_examine(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("AIRFLOW_CONN_ALTERYX_DEFAULT", raising=False)
    assert main(["doctor", "--cancel"]) == doctor.EXIT_ERROR
    assert "--cancel needs --run WORKFLOW_ID" in capsys.readouterr().err
    assert main(["doctor", "--conn-id", "alteryx_default"]) == doctor.EXIT_ERROR
    assert "alteryx_default" in capsys.readouterr().err  # the connection is not defined


def test_the_clock_request_carries_no_credentials_not_even_netrcs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The HEAD that reads the Server's Date goes out bare: ~/.netrc credentials for the host stay home."""
    from airflow_provider_alteryx.cli.server_probe import clock_skew
    from airflow_provider_alteryx.hooks.config import ServerConfig

    seen: list[str | None] = []

    async def head(request: web.Request) -> web.Response:
        seen.append(request.headers.get("Authorization"))
        return web.Response(headers={"Date": formatdate(usegmt=True)})

    app = web.Application()
    app.router.add_route("HEAD", "/", head)
    (tmp_path / ".netrc").write_text("machine 127.0.0.1 login netrc-user password netrc-password\n")
    (tmp_path / ".netrc").chmod(0o600)
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("NETRC", str(tmp_path / ".netrc"))
    with serving(lambda: app, "date-server") as url:
        skew, _ = clock_skew(ServerConfig(base_url=url, api_key="k", api_secret="s"))
    assert skew is not None and abs(skew) < 5
    assert seen == [None]
