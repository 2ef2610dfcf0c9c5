"""The emulator's Alteryx API over real HTTP, for every Server version, with clients written against the real Server."""

from __future__ import annotations

import base64
import itertools
import time
from typing import Any

import pytest
import requests

from airflow_provider_alteryx.emulator import RunningEmulator
from airflow_provider_alteryx.emulator.routes import ROUTES, TOKEN_PATH, Route
from airflow_provider_alteryx.emulator.schedules import load_schedules
from airflow_provider_alteryx.emulator.versions import SERVER_VERSIONS, Api, Capability, server_version
from tests.conftest import QUICK, REGIONAL, SLOW, WARNS, WORKFLOW_NAMES, StartEmulator
from tests.emulator.signing import signed_url_by_hand, signed_url_by_oauthlib
from tests.test_cli import SCHEDULES

TEST_SCHEDULES = load_schedules(SCHEDULES)

LEGACY_JOB_KEYS = {
    "id",
    "appId",
    "createDate",
    "status",
    "disposition",
    "outputs",
    "messages",
    "priority",
    "workerTag",
    "runWithE2",
}
V3_JOB_KEYS = {
    "id",
    "appId",
    "createDateTime",
    "status",
    "disposition",
    "outputs",
    "messages",
    "priority",
    "workerTag",
    "runWithE2",
}


def token(emulator: RunningEmulator) -> str:
    answer = requests.post(
        f"{emulator.url}/webapi/oauth2/token",
        data={
            "grant_type": "client_credentials",
            "client_id": emulator.api_key,
            "client_secret": emulator.api_secret,
        },
        timeout=10,
    )
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["token_type"] == "bearer"
    return body["access_token"]


class WebApi:
    """A bare OAuth 2.0 client, as users write them against the documented API."""

    def __init__(self, emulator: RunningEmulator) -> None:
        self.base = f"{emulator.url}/webapi"
        self.headers = {"Authorization": f"Bearer {token(emulator)}"}

    def __call__(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        headers = {**self.headers, **kwargs.pop("headers", {})}
        return requests.request(method, self.base + path, headers=headers, timeout=10, **kwargs)


class Legacy:
    """A bare OAuth 1.0a client of the legacy subscription API, signing in the query string as every known client does."""

    def __init__(self, emulator: RunningEmulator) -> None:
        self.emulator = emulator
        self.base = f"{emulator.url}/gallery/api/v1"

    def __call__(
        self, method: str, path: str, params: dict[str, str] | None = None, **kwargs: Any
    ) -> requests.Response:
        url = signed_url_by_hand(
            method, self.base + path, self.emulator.api_key, self.emulator.api_secret, params
        )
        return requests.request(method, url, timeout=10, **kwargs)


def wait_until_finished(get_job: Any, job_id: str) -> dict[str, Any]:
    for _ in range(200):
        job = get_job(job_id)
        if job["status"] in ("Completed", "Cancelled"):
            return job
        time.sleep(0.05)
    raise AssertionError(f"job {job_id} did not finish")


@pytest.mark.parametrize("version", ["2021.3", "2021.4"])
def test_legacy_client_runs_a_workflow_and_reads_its_job(start_emulator: StartEmulator, version: str) -> None:
    call = Legacy(start_emulator(server_version=version))
    workflows = call("GET", "/workflows/subscription/").json()
    assert {w["metaInfo"]["name"] for w in workflows} == WORKFLOW_NAMES
    questions = call("GET", f"/workflows/{REGIONAL}/questions/").json()
    assert [q["name"] for q in questions] == ["region", "as_of"]
    created = call(
        "POST",
        f"/workflows/{REGIONAL}/jobs/",
        json={"questions": [{"name": "region", "value": "EMEA"}], "priority": "0"},
    )
    assert created.status_code == 200
    assert set(created.json()) == LEGACY_JOB_KEYS
    job = wait_until_finished(lambda i: call("GET", f"/jobs/{i}/").json(), created.json()["id"])
    assert (job["status"], job["disposition"], job["priority"], job["appId"]) == (
        "Completed",
        "Success",
        0,
        None,
    )
    assert job["outputs"][0]["formats"] == ["Csv", "Raw"] and job["outputs"][0]["name"] == "sales_EMEA.csv"
    # Legacy output downloads do not need a format.
    output = call("GET", f"/jobs/{job['id']}/output/{job['outputs'][0]['id']}/")
    assert output.content == b"region,total\nEMEA,42\n"
    listed = call(
        "GET", f"/workflows/{REGIONAL}/jobs/", params={"sortField": "createdate", "direction": "desc"}
    ).json()
    assert [j["id"] for j in listed] == [job["id"]] and "disposition" in listed[0]


@pytest.mark.parametrize("version", ["2023.1", "2025.1"])
def test_v3_client_runs_a_workflow_and_reads_its_job(start_emulator: StartEmulator, version: str) -> None:
    call = WebApi(start_emulator(server_version=version, worker_tags=("gpu",)))
    assert {w["name"] for w in call("GET", "/v3/workflows").json()} == WORKFLOW_NAMES
    assert call("GET", f"/v3/workflows/{REGIONAL}").json()["name"] == "Regional"
    created = call(
        "POST",
        f"/v3/workflows/{REGIONAL}/jobs",
        json={
            "questions": [{"name": "region", "value": "EMEA"}],
            "priority": "High",
            "workerTag": "gpu",
            "credentialId": "c1",
        },
    )
    assert created.status_code == 200, created.text
    assert set(created.json()) == V3_JOB_KEYS
    job = wait_until_finished(lambda i: call("GET", f"/v3/jobs/{i}").json(), created.json()["id"])
    assert (job["status"], job["disposition"], job["priority"], job["workerTag"]) == (
        "Completed",
        "Success",
        "High",
        "gpu",
    )
    assert (
        job["outputs"][0]["availableFormats"] == ["Csv", "Raw"]
        and job["outputs"][0]["fileName"] == "sales_EMEA.csv"
    )
    reduced = call("GET", f"/v3/jobs/{job['id']}", params={"includeMessages": "false"}).json()
    assert "messages" not in reduced
    listed = call("GET", f"/v3/workflows/{REGIONAL}/jobs").json()
    assert [j["id"] for j in listed] == [job["id"]] and "disposition" not in listed[0]
    # V3 has no output endpoint: /v1 serves it, and there the format is required.
    output_path = f"/v1/jobs/{job['id']}/output/{job['outputs'][0]['id']}"
    assert call("GET", output_path).status_code == 400
    assert call("GET", output_path, params={"format": "Csv"}).content == b"region,total\nEMEA,42\n"


@pytest.mark.parametrize("version", ["2021.4", "2022.1"])
def test_webapi_v1_client_runs_a_workflow(start_emulator: StartEmulator, version: str) -> None:
    call = WebApi(start_emulator(server_version=version))
    assert len(call("GET", "/v1/workflows/subscription").json()) == len(WORKFLOW_NAMES)
    created = call("POST", f"/v1/workflows/{QUICK}/jobs", json={})
    job = wait_until_finished(lambda i: call("GET", f"/v1/jobs/{i}").json(), created.json()["id"])
    assert set(job) == LEGACY_JOB_KEYS
    assert job["disposition"] == "Success"
    assert call("GET", f"/v3/jobs/{job['id']}").status_code == 404  # no V3 jobs before 2023.1


def _request_route(
    emulator: RunningEmulator, route: Route, headers: dict[str, str], job: str, output: str
) -> int:
    path = route.full_path.format(
        workflow_id=QUICK, job_id=job, output_id=output, schedule_id=TEST_SCHEDULES[0].id
    )
    url = emulator.url + path
    if route.api is Api.LEGACY:
        url = signed_url_by_hand(
            route.method,
            url,
            emulator.api_key,
            emulator.api_secret,
            {"format": "Csv"} if "output" in path else None,
        )
    params = {"format": "Csv"} if route.api is not Api.LEGACY and "output" in path else None
    return requests.request(
        route.method,
        url,
        headers=headers,
        params=params,
        json={} if route.method == "POST" else None,
        timeout=10,
    ).status_code


@pytest.mark.parametrize("version", SERVER_VERSIONS)
def test_each_version_serves_exactly_the_routes_its_capabilities_name(
    start_emulator: StartEmulator, version: str
) -> None:
    # Generated from the capability table: a route is served (200) where the version has its capability,
    # else 404 (405 for the removed legacy API, as 2022.1 users report it).
    emulator = start_emulator(server_version=version, time_scale=0.01, schedules=TEST_SCHEDULES)
    capabilities = server_version(version)
    headers = {} if version == "2021.3" else {"Authorization": f"Bearer {token(emulator)}"}
    legacy = Legacy(emulator) if capabilities.has(Capability.LEGACY_API) else None
    create = legacy or WebApi(emulator)
    created = create(
        "POST", f"/workflows/{QUICK}/jobs/" if legacy else f"/v1/workflows/{QUICK}/jobs", json={}
    ).json()["id"]
    finished = wait_until_finished(
        lambda i: create("GET", f"/jobs/{i}/" if legacy else f"/v1/jobs/{i}").json(), created
    )
    running = create(
        "POST", f"/workflows/{SLOW}/jobs/" if legacy else f"/v1/workflows/{SLOW}/jobs", json={}
    ).json()["id"]
    for route in ROUTES:
        job = running if route.method == "DELETE" else created
        status = _request_route(
            emulator, route, headers, job, finished["outputs"][0]["id"] if finished["outputs"] else "x"
        )
        if route.served_by(capabilities):
            assert status in (200, 404 if "output" in route.path else 200), (route, status)
        elif route.api is Api.LEGACY:
            assert status == 405, route
        else:
            assert status == 404, route
    assert (requests.post(emulator.url + TOKEN_PATH, timeout=10).status_code == 404) is not capabilities.has(
        Capability.WEBAPI
    )


def test_removed_legacy_api_answers_405_with_html(start_emulator: StartEmulator) -> None:
    emulator = start_emulator(server_version="2022.1")
    answer = requests.post(f"{emulator.url}/gallery/api/v1/workflows/{QUICK}/jobs/", json={}, timeout=10)
    assert answer.status_code == 405
    assert answer.headers["Access-Control-Allow-Methods"] == "GET, POST, PUT, DELETE, OPTIONS"
    assert answer.headers["Content-Type"].startswith("text/html")


def test_cancel_and_messages_on_2025_1(emulator: RunningEmulator) -> None:
    call = WebApi(emulator)
    job_id = call("POST", f"/v3/workflows/{SLOW}/jobs", json={}).json()["id"]
    cancelled = call("DELETE", f"/v3/jobs/{job_id}")
    assert (cancelled.status_code, cancelled.json()["status"], cancelled.json()["disposition"]) == (
        200,
        "Cancelled",
        "Cancelled",
    )
    again = call("DELETE", f"/v3/jobs/{job_id}")
    assert again.status_code == 400 and "already finished" in again.json()["message"]
    warned = call("POST", f"/v3/workflows/{WARNS}/jobs", json={}).json()["id"]
    wait_until_finished(lambda i: call("GET", f"/v3/jobs/{i}").json(), warned)
    assert call("GET", f"/v3/jobs/{warned}/messages").json() == [
        {"status": 2, "text": "3 rows had no id", "toolId": 1}
    ]


def test_error_disposition_depends_on_question_values(emulator: RunningEmulator) -> None:
    call = WebApi(emulator)
    ok = call(
        "POST", f"/v3/workflows/{REGIONAL}/jobs", json={"questions": [{"name": "region", "value": "EMEA"}]}
    ).json()["id"]
    bad = call(
        "POST",
        f"/v3/workflows/{REGIONAL}/jobs",
        json={"questions": [{"name": "region", "value": "Atlantis"}]},
    ).json()["id"]
    failed = wait_until_finished(lambda i: call("GET", f"/v3/jobs/{i}").json(), bad)
    assert (failed["status"], failed["disposition"], failed["outputs"]) == ("Completed", "Error", [])
    assert {"status": 3, "text": "No sales table for Atlantis", "toolId": 2} in failed["messages"]
    assert wait_until_finished(lambda i: call("GET", f"/v3/jobs/{i}").json(), ok)["disposition"] == "Success"


@pytest.mark.parametrize(
    ("body", "field", "fragment"),
    [
        ({"questions": [{"name": "regoin", "value": "x"}]}, "questions", "Valid questions: region, as_of"),
        ({"questions": []}, "questions", "Required question(s) missing: region"),
        (
            {"questions": [{"name": "region", "value": "x"}], "priority": "Urgent"},
            "priority",
            "'Urgent' is not a priority",
        ),
        ({"questions": "region=x"}, "questions", "must be a list"),
    ],
)
def test_bad_job_requests_are_400_with_model_state(
    emulator: RunningEmulator, body: dict[str, Any], field: str, fragment: str
) -> None:
    answer = WebApi(emulator)("POST", f"/v3/workflows/{REGIONAL}/jobs", json=body)
    assert answer.status_code == 400
    assert answer.json()["message"] == "The request is invalid."
    assert fragment in answer.json()["modelState"][field][0]
    assert emulator.jobs() == []


def test_malformed_body_unknown_workflow_and_job(emulator: RunningEmulator) -> None:
    call = WebApi(emulator)
    malformed = call(
        "POST", f"/v3/workflows/{QUICK}/jobs", data=b"{not json", headers={"Content-Type": "application/json"}
    )
    assert malformed.status_code == 400 and "contract" in malformed.json()["modelState"]
    assert call("POST", f"/v3/workflows/{'f' * 24}/jobs", json={}).status_code == 404
    assert call("GET", f"/v3/jobs/{'f' * 24}").json() == {"message": "NotFound"}


def test_legacy_errors_use_the_gallery_envelope(start_emulator: StartEmulator) -> None:
    call = Legacy(start_emulator(server_version="2021.3"))
    answer = call("GET", f"/jobs/{'f' * 24}/")
    assert answer.status_code == 404
    assert set(answer.json()) == {"data", "exceptionName", "innerExceptionMessage", "message"}


class TestOAuth1:
    @pytest.fixture
    def legacy(self, start_emulator: StartEmulator) -> RunningEmulator:
        return start_emulator(server_version="2021.3")

    def url(self, emulator: RunningEmulator) -> str:
        return f"{emulator.url}/gallery/api/v1/workflows/subscription/"

    def test_signatures_by_oauthlib_and_by_hand_are_accepted(self, legacy: RunningEmulator) -> None:
        for signed in (
            signed_url_by_oauthlib("GET", self.url(legacy), legacy.api_key, legacy.api_secret),
            signed_url_by_hand(
                "GET",
                self.url(legacy),
                legacy.api_key,
                legacy.api_secret,
                {"search": "Regional Sales & more"},
            ),
        ):
            answer = requests.get(signed, timeout=10)
            assert answer.status_code == 200, answer.text

    def test_signature_in_the_authorization_header_is_accepted(self, legacy: RunningEmulator) -> None:
        from oauthlib.oauth1 import Client

        uri, headers, _ = Client(legacy.api_key, client_secret=legacy.api_secret).sign(
            self.url(legacy) + "?limit=2", http_method="GET"
        )
        answer = requests.get(uri, headers=headers, timeout=10)
        assert answer.status_code == 200 and len(answer.json()) == 2

    @pytest.mark.parametrize(
        ("change", "message"),
        [
            ({"secret": "wrong"}, "The provided signature(oauth_signature) is invalid."),
            ({"key": "stranger"}, "The provided API Key (oauth_consumer_key) is invalid."),
            (
                {"oauth_timestamp": str(int(time.time()) - 301)},
                "The provided timestamp(oauth_timestamp) is outside the accepted window.",
            ),
            (
                {"oauth_signature_method": "PLAINTEXT"},
                "The signature method(oauth_signature_method) must be HMAC-SHA1.",
            ),
            ({"oauth_version": "2.0"}, "The OAuth version(oauth_version) must be 1.0."),
        ],
    )
    def test_each_rejection_is_401_with_the_gallery_envelope(
        self, legacy: RunningEmulator, change: dict[str, str], message: str
    ) -> None:
        key, secret = change.pop("key", legacy.api_key), change.pop("secret", legacy.api_secret)
        answer = requests.get(
            signed_url_by_hand("GET", self.url(legacy), key, secret, None, **change), timeout=10
        )
        assert answer.status_code == 401
        assert answer.json() == {
            "data": None,
            "exceptionName": "UnauthorizedException",
            "innerExceptionMessage": "",
            "message": message,
        }

    def test_a_replayed_nonce_is_rejected(self, legacy: RunningEmulator) -> None:
        signed = signed_url_by_hand("GET", self.url(legacy), legacy.api_key, legacy.api_secret)
        assert requests.get(signed, timeout=10).status_code == 200
        replay = requests.get(signed, timeout=10)
        assert replay.status_code == 401 and "nonce" in replay.json()["message"]

    def test_a_tampered_query_or_unsigned_request_is_rejected(self, legacy: RunningEmulator) -> None:
        signed = signed_url_by_hand(
            "GET", self.url(legacy), legacy.api_key, legacy.api_secret, {"limit": "1"}
        )
        assert requests.get(signed.replace("limit=1", "limit=2"), timeout=10).status_code == 401
        unsigned = requests.get(self.url(legacy), timeout=10)
        assert unsigned.status_code == 401 and "Missing OAuth parameters" in unsigned.json()["message"]


class TestOAuth2:
    def test_basic_credentials_are_accepted(self, emulator: RunningEmulator) -> None:
        basic = base64.b64encode(f"{emulator.api_key}:{emulator.api_secret}".encode()).decode()
        answer = requests.post(
            f"{emulator.url}/webapi/oauth2/token",
            data={"grant_type": "client_credentials"},
            headers={"Authorization": f"Basic {basic}"},
            timeout=10,
        )
        assert answer.status_code == 200 and answer.json()["expires_in"] == 3600

    def test_bad_credentials_and_grant_are_refused(self, emulator: RunningEmulator) -> None:
        url = f"{emulator.url}/webapi/oauth2/token"
        wrong = requests.post(
            url,
            data={"grant_type": "client_credentials", "client_id": emulator.api_key, "client_secret": "nope"},
            timeout=10,
        )
        assert (wrong.status_code, wrong.json()["error"]) == (400, "invalid_client")
        assert "API access key and secret" in wrong.json()["error_description"]
        grant = requests.post(
            url,
            data={
                "grant_type": "password",
                "client_id": emulator.api_key,
                "client_secret": emulator.api_secret,
            },
            timeout=10,
        )
        assert (grant.status_code, grant.json()) == (
            400,
            {
                "error": "unsupported_grant_type",
                "error_description": "The grant type 'password' is not supported; send grant_type=client_credentials.",
            },
        )

    def test_missing_unknown_and_expired_tokens_are_401(self, start_emulator: StartEmulator) -> None:
        emulator = start_emulator(token_ttl=0.5)
        url = f"{emulator.url}/webapi/v3/workflows"
        assert requests.get(url, timeout=10).status_code == 401
        assert requests.get(url, headers={"Authorization": "Bearer made-up"}, timeout=10).json() == {
            "message": "Authorization has been denied for this request."
        }
        headers = {"Authorization": f"Bearer {token(emulator)}"}
        assert requests.get(url, headers=headers, timeout=10).status_code == 200
        time.sleep(0.6)
        assert requests.get(url, headers=headers, timeout=10).status_code == 401


def test_queue_runs_highest_priority_first_then_oldest_within_worker_slots(
    start_emulator: StartEmulator,
) -> None:
    emulator = start_emulator(workers=1, time_scale=0.01)
    call = WebApi(emulator)
    blocker = call("POST", f"/v3/workflows/{SLOW}/jobs", json={}).json()[
        "id"
    ]  # takes the only slot for 0.3 s
    submitted = [
        call("POST", f"/v3/workflows/{QUICK}/jobs", json={"priority": p}).json()["id"]
        for p in ("Low", "Critical", "Default", "High", "Critical")
    ]
    assert [j["status"] for j in emulator.jobs()] == ["Running"] + ["Queued"] * 5
    for job_id in submitted:
        wait_until_finished(lambda i: call("GET", f"/v3/jobs/{i}").json(), job_id)
    jobs = {j["id"]: j for j in emulator.jobs()}
    started = sorted(submitted, key=lambda i: jobs[i]["startedAt"])
    assert started == [submitted[1], submitted[4], submitted[3], submitted[0], submitted[2]]
    # One slot: no two runs overlap.
    spans = sorted((jobs[i]["startedAt"], jobs[i]["finishedAt"]) for i in [blocker, *submitted])
    assert all(previous[1] <= following[0] for previous, following in itertools.pairwise(spans))


def test_two_workers_run_two_jobs_at_once(start_emulator: StartEmulator) -> None:
    emulator = start_emulator(workers=2)
    call = WebApi(emulator)
    for _ in range(3):
        call("POST", f"/v3/workflows/{SLOW}/jobs", json={})
    assert [j["status"] for j in emulator.jobs()] == ["Running", "Running", "Queued"]
