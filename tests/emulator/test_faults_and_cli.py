"""Fault injection, the control endpoints, catalogue checking and the command line."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from airflow_provider_alteryx.emulator import CatalogueError, RunningEmulator, load_catalogue
from airflow_provider_alteryx.emulator.server import _parser
from tests.conftest import QUICK, SLOW, TEST_CATALOGUE, StartEmulator
from tests.emulator.test_app import WebApi


def test_error_rate_answers_5xx_with_html(emulator: RunningEmulator) -> None:
    call = WebApi(emulator)
    emulator.set_faults(error_rate=1.0)
    statuses = {call("GET", "/v3/workflows").status_code for _ in range(30)}
    assert statuses <= {500, 502, 503} and len(statuses) >= 2


def test_throttle_answers_429_with_retry_after(emulator: RunningEmulator) -> None:
    call = WebApi(emulator)
    emulator.set_faults(throttle_rate=1.0, retry_after=7)
    answer = call("GET", "/v3/workflows")
    assert (answer.status_code, answer.headers["Retry-After"]) == (429, "7")


def test_drop_rate_closes_the_connection_unanswered(emulator: RunningEmulator) -> None:
    call = WebApi(emulator)
    emulator.set_faults(drop_rate=1.0)
    with pytest.raises(requests.ConnectionError):
        call("GET", "/v3/workflows")


def test_latency_delays_every_answer(emulator: RunningEmulator) -> None:
    call = WebApi(emulator)
    emulator.set_faults(latency=0.3)
    started = time.monotonic()
    assert call("GET", "/v3/workflows").status_code == 200
    assert time.monotonic() - started >= 0.3


def test_dropped_job_responses_still_create_the_job(emulator: RunningEmulator) -> None:
    call = WebApi(emulator)
    emulator.set_faults(drop_job_responses=1)
    with pytest.raises(requests.ConnectionError):
        call("POST", f"/v3/workflows/{QUICK}/jobs", json={})
    assert len(emulator.jobs()) == 1
    assert call("POST", f"/v3/workflows/{QUICK}/jobs", json={}).status_code == 200  # only the next N
    assert len(emulator.jobs()) == 2


@pytest.mark.parametrize("fault", ["error_rate", "throttle_rate", "drop_rate"])
def test_faults_before_processing_create_nothing(emulator: RunningEmulator, fault: str) -> None:
    call = WebApi(emulator)
    emulator.set_faults(**{fault: 1.0})
    for _ in range(5):
        try:
            assert call("POST", f"/v3/workflows/{QUICK}/jobs", json={}).status_code in {429, 500, 502, 503}
        except requests.ConnectionError:
            assert fault == "drop_rate"
    assert emulator.jobs() == []
    assert emulator.info()["faultsInjected"][fault] == 5


def test_error_after_rate_creates_the_job_then_answers_5xx(emulator: RunningEmulator) -> None:
    call = WebApi(emulator)
    emulator.set_faults(error_after_rate=1.0)
    statuses = [call("POST", f"/v3/workflows/{QUICK}/jobs", json={}).status_code for _ in range(20)]
    assert set(statuses) <= {500, 502, 504} and len(set(statuses)) >= 2
    assert len(emulator.jobs()) == 20


def test_drop_after_rate_creates_the_job_then_drops_the_connection(emulator: RunningEmulator) -> None:
    call = WebApi(emulator)
    emulator.set_faults(drop_after_rate=1.0)
    with pytest.raises(requests.ConnectionError):
        call("POST", f"/v3/workflows/{QUICK}/jobs", json={})
    assert len(emulator.jobs()) == 1


def test_faults_can_be_scoped_to_job_creations_with_one_status(emulator: RunningEmulator) -> None:
    call = WebApi(emulator)
    emulator.set_faults(error_after_rate=1.0, error_status=504, scope="create")
    assert call("GET", "/v3/workflows").status_code == 200  # reads are left alone
    assert {call("POST", f"/v3/workflows/{QUICK}/jobs", json={}).status_code for _ in range(5)} == {504}
    assert len(emulator.jobs()) == 5
    emulator.set_faults(error_rate=1.0, error_after_rate=0, error_status=0, scope="token")
    refused = requests.post(
        f"{emulator.url}/webapi/oauth2/token", data={"grant_type": "client_credentials"}, timeout=10
    )
    assert refused.status_code in {500, 502, 503}
    assert call("POST", f"/v3/workflows/{QUICK}/jobs", json={}).status_code == 200


def test_info_counts_requests_tokens_jobs_and_faults_by_kind(emulator: RunningEmulator) -> None:
    call = WebApi(emulator)  # one token request
    call("POST", f"/v3/workflows/{QUICK}/jobs", json={})
    emulator.set_faults(throttle_rate=1.0)
    call("GET", "/v3/workflows")
    emulator.set_faults(throttle_rate=0, drop_job_responses=1)
    with pytest.raises(requests.ConnectionError):
        call("POST", f"/v3/workflows/{QUICK}/jobs", json={})
    info = emulator.info()
    assert (info["requestsServed"], info["tokensIssued"], info["jobsCreated"]) == (4, 1, 2)
    assert {name: count for name, count in info["faultsInjected"].items() if count} == {
        "throttle_rate": 1,
        "drop_job_responses": 1,
    }


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"error_after_rate": 1.5}, "fault error_after_rate must be a probability between 0 and 1"),
        ({"drop_job_responses": 1.5}, "fault drop_job_responses must be a whole number >= 0"),
        ({"latency": -1}, "fault latency must be a number of seconds >= 0"),
        ({"retry_after": "soon"}, "fault retry_after must be a number of seconds >= 0"),
        ({"error_status": 404}, "fault error_status must be 0 (pick at random) or one of 500, 502, 503, 504"),
        ({"scope": "writes"}, "fault scope must be one of all, token, create, read"),
    ],
)
def test_fault_updates_are_checked_against_their_declaration(
    emulator: RunningEmulator, changes: dict[str, object], message: str
) -> None:
    answer = requests.put(f"{emulator.url}/__emulator/faults", json={"drop_rate": 0.5, **changes}, timeout=10)
    assert answer.status_code == 400 and message in answer.json()["message"]
    assert (
        requests.get(f"{emulator.url}/__emulator/faults", timeout=10).json()["drop_rate"] == 0.0
    )  # nothing applied


def test_control_endpoints_need_no_auth_and_ignore_faults(emulator: RunningEmulator) -> None:
    emulator.set_faults(error_rate=1.0, drop_rate=1.0)
    assert requests.get(f"{emulator.url}/__emulator/info", timeout=10).json()["serverVersion"] == "2025.1"
    bad = requests.put(f"{emulator.url}/__emulator/faults", json={"eror_rate": 1}, timeout=10)
    assert bad.status_code == 400 and "unknown fault(s) eror_rate" in bad.json()["message"]
    assert (
        requests.put(f"{emulator.url}/__emulator/faults", json={"drop_rate": 2}, timeout=10).status_code
        == 400
    )
    emulator.reset()
    assert requests.get(f"{emulator.url}/__emulator/faults", timeout=10).json()["error_rate"] == 0.0


def test_jobs_listing_and_reset(start_emulator: StartEmulator) -> None:
    emulator = start_emulator(worker_tags=("eu",))
    call = WebApi(emulator)
    call("POST", f"/v3/workflows/{SLOW}/jobs", json={"priority": "High", "workerTag": "eu"})
    (job,) = emulator.jobs()
    assert (job["workflowName"], job["priority"], job["workerTag"], job["status"]) == (
        "Slow",
        "High",
        "eu",
        "Running",
    )
    assert job["createdAt"] and job["startedAt"] and job["finishedAt"] is None
    emulator.reset()
    assert emulator.jobs() == []
    assert call("GET", "/v3/workflows").status_code == 401  # tokens were forgotten too


@pytest.mark.parametrize(
    ("document", "message"),
    [
        ("workflows: []", "workflows: the catalogue lists no workflows"),
        ("workflows:\n  - {id: abc}", "workflows[0].name: expected a non-empty string"),
        ("workflows:\n  - {name: A, id: XYZ}", "workflows[0].id: 'XYZ' is not 24 lowercase hex characters"),
        (
            "workflows:\n  - {name: A, questions: [{name: q, type: slider}]}",
            "workflows[0].questions[0].type: 'slider' is not one of",
        ),
        (
            "workflows:\n  - {name: A, run: {seconds: -1}}",
            "workflows[0].run.seconds: expected a number of seconds >= 0",
        ),
        (
            "workflows:\n  - {name: A, run: {disposition: Meh}}",
            "workflows[0].run.disposition: 'Meh' is not one of Success, Warning, Error",
        ),
        (
            "workflows:\n  - {name: A, run: {error_when: {nope: x}}}",
            "workflows[0].run.error_when.nope: names no question of this workflow",
        ),
        (
            "workflows:\n  - {name: A, run: {outputs: [{name: o, formats: [Gif]}]}}",
            "workflows[0].run.outputs[0].formats: 'Gif' is not one of",
        ),
        ("workflows:\n  - {name: A}\n  - {name: A}", "workflows[1].id: duplicate workflow id"),
        ("workflows: {name: [", "not valid YAML"),
    ],
)
def test_bad_catalogues_name_the_file_the_field_and_the_problem(
    tmp_path: Path, document: str, message: str
) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(document)
    with pytest.raises(CatalogueError) as caught:
        load_catalogue(path)
    assert str(caught.value).startswith(f"{path}: ")
    assert message in str(caught.value)


def test_json_catalogue_and_derived_ids(tmp_path: Path) -> None:
    path = tmp_path / "c.json"
    path.write_text(
        json.dumps(
            {
                "workflows": [
                    {"name": "From JSON", "questions": [{"name": "flag", "type": "boolean", "default": True}]}
                ]
            }
        )
    )
    (workflow,) = load_catalogue(path)
    assert len(workflow.id) == 24 and workflow.questions[0].default == "true"
    assert load_catalogue(path)[0].id == workflow.id  # stable


def test_bundled_demo_catalogue_loads() -> None:
    names = {w.name for w in load_catalogue()}
    assert {"Extract orders", "Regional sales", "Fail on demand", "Publish report"} <= names


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "airflow_provider_alteryx.emulator", *args],
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_cli_rejects_a_bad_catalogue_and_bad_flags_with_exit_code_2(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text("workflows:\n  - {name: A, run: {seconds: soon}}")
    bad_catalogue = run_cli("--catalogue", str(path))
    assert bad_catalogue.returncode == 2
    assert f"{path}: workflows[0].run.seconds" in bad_catalogue.stderr
    bad_flag = run_cli("--error-rate", "1.5")
    assert bad_flag.returncode == 2 and "a probability between 0 and 1" in bad_flag.stderr
    assert run_cli("--server-version", "2019.1").returncode == 2


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        (["--drop-job-responses", "2.5"], "'2.5' is not a whole number >= 0"),
        (["--scope", "writes"], "'writes' is not one of all, token, create, read"),
    ],
)
def test_fault_flags_are_checked_as_declared(
    capsys: pytest.CaptureFixture[str], flags: list[str], message: str
) -> None:
    with pytest.raises(SystemExit) as exited:
        _parser().parse_args(flags)
    assert exited.value.code == 2 and message in capsys.readouterr().err


@pytest.mark.parametrize("stop_signal", [signal.SIGTERM, signal.SIGINT])
def test_cli_prints_its_address_serves_and_stops_cleanly(stop_signal: signal.Signals) -> None:
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "airflow_provider_alteryx.emulator",
            "--port",
            "0",
            "--server-version",
            "2022.1",
            "--catalogue",
            str(TEST_CATALOGUE),
            "--error-after-rate",
            "0.25",
            "--drop-job-responses",
            "3",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline().strip()
        assert line.startswith("Alteryx Server emulator 2022.1 listening on http://127.0.0.1:")
        url = line.rsplit(" ", 1)[1]
        assert requests.get(f"{url}/__emulator/info", timeout=10).json()["workers"] == 2
        faults = requests.get(f"{url}/__emulator/faults", timeout=10).json()
        assert (faults["error_after_rate"], faults["drop_job_responses"]) == (0.25, 3)
        process.send_signal(stop_signal)
        assert process.wait(timeout=20) == 0
    finally:
        process.kill()


def test_pytest_fixture_serves_the_demo_catalogue(alteryx_emulator: RunningEmulator) -> None:
    # Opted into by tests/conftest.py, as users' own DAG tests opt in.
    info = alteryx_emulator.info()
    assert info["serverVersion"] == "2025.1"
    assert {"Extract orders", "Regional sales"} <= {w["name"] for w in info["workflows"]}


def test_the_pytest_plugin_imports_nothing_until_its_fixture_is_used() -> None:
    # A session that opts in pays for the emulator only when a test uses the fixture.
    probe = (
        "import sys, pytest\n"
        "import airflow_provider_alteryx.emulator.pytest_plugin\n"
        "print(sorted(m for m in sys.modules if m in ('yaml', 'aiohttp.web') or m.startswith('airflow_provider_alteryx.emulator.')))\n"
    )
    loaded = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=120, check=True
    ).stdout.strip()
    assert loaded == "['airflow_provider_alteryx.emulator.pytest_plugin']"
