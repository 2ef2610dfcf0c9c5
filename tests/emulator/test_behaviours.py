"""What a real Server does that makes DAGs wait, fail or lose sight of a job: statuses, worker tags, roles,
the worker's run-time limit, other users' load, restarts, and the Server's own question types."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest
import requests

from airflow_provider_alteryx.emulator import (
    CatalogueError,
    EmulatorConfig,
    RunningEmulator,
    load_catalogue,
    run_emulator,
)
from airflow_provider_alteryx.emulator.catalogue import Workflow
from airflow_provider_alteryx.emulator.server import _parser, config_from_args
from tests.conftest import QUICK, REGIONAL, SLOW, StartEmulator
from tests.emulator.test_app import Legacy, WebApi, token, wait_until_finished


class ArtisanApi(WebApi):
    """A bare OAuth 2.0 client holding the Artisan's key."""

    def __init__(self, emulator: RunningEmulator) -> None:
        self.base = f"{emulator.url}/webapi"
        form = {
            "grant_type": "client_credentials",
            "client_id": emulator.artisan_key,
            "client_secret": emulator.artisan_secret,
        }
        answer = requests.post(f"{self.base}/oauth2/token", data=form, timeout=10)
        self.headers = {"Authorization": f"Bearer {answer.json()['access_token']}"}


def statuses_seen(call: WebApi, job_id: str) -> list[str]:
    """Every status the job reported, in order, polling until it finished."""
    seen: list[str] = []
    for _ in range(400):
        status = call("GET", f"/v3/jobs/{job_id}").json()["status"]
        if not seen or seen[-1] != status:
            seen.append(status)
        if status in ("Completed", "Cancelled"):
            return seen
        time.sleep(0.02)
    raise AssertionError(f"job {job_id} did not finish; seen {seen}")


def control_job(emulator: RunningEmulator, job_id: str) -> dict[str, Any]:
    return next(job for job in emulator.jobs() if job["id"] == job_id)


def test_a_job_is_created_and_initializing_before_it_runs(start_emulator: StartEmulator) -> None:
    call = WebApi(start_emulator(created_seconds=1.0, initializing_seconds=1.0))
    created = call("POST", f"/v3/workflows/{QUICK}/jobs", json={}).json()
    assert created["status"] == "Queued"  # what the Server answers, whatever the job's state
    # A free slot takes the job the moment it is queued, so Queued lasts no time here.
    assert statuses_seen(call, created["id"]) == ["Created", "Initializing", "Running", "Completed"]


@pytest.mark.parametrize("version", ["2021.3", "2021.4", "2025.1"])
def test_the_answer_to_creating_a_job_is_always_queued(start_emulator: StartEmulator, version: str) -> None:
    emulator = start_emulator(server_version=version)
    legacy = Legacy(emulator) if version != "2025.1" else None
    answers = [legacy("POST", f"/workflows/{SLOW}/jobs/", json={}).json()] if legacy else []
    if version != "2021.3":
        call = WebApi(emulator)
        answers.append(call("POST", f"/v1/workflows/{SLOW}/jobs", json={}).json())
    if version == "2025.1":
        answers.append(call("POST", f"/v3/workflows/{SLOW}/jobs", json={}).json())
    assert [a["status"] for a in answers] == ["Queued"] * len(answers)
    assert {j["status"] for j in emulator.jobs()} == {
        "Running"
    }  # a free slot took each at once; each runs 30 s


def test_a_job_tagged_for_no_worker_stays_queued(start_emulator: StartEmulator) -> None:
    emulator = start_emulator(worker_tags=("eu",), time_scale=0.1)
    call = WebApi(emulator)
    stranded = call("POST", f"/v3/workflows/{QUICK}/jobs", json={"workerTag": "gpu"}).json()["id"]
    tagged = call("POST", f"/v3/workflows/{QUICK}/jobs", json={"workerTag": "eu"}).json()["id"]
    untagged = call("POST", f"/v3/workflows/{QUICK}/jobs", json={}).json()["id"]
    for job_id in (tagged, untagged):
        assert (
            wait_until_finished(lambda i: call("GET", f"/v3/jobs/{i}").json(), job_id)["disposition"]
            == "Success"
        )
    assert call("GET", f"/v3/jobs/{stranded}").json()["status"] == "Queued"
    assert emulator.info()["workerTags"] == ["eu"]


class TestRoles:
    def test_an_artisan_sees_only_their_own_jobs_and_no_messages(self, start_emulator: StartEmulator) -> None:
        emulator = start_emulator(worker_tags=("eu",))
        curator, artisan = WebApi(emulator), ArtisanApi(emulator)
        theirs = curator("POST", f"/v3/workflows/{SLOW}/jobs", json={}).json()["id"]
        mine = artisan(
            "POST", f"/v3/workflows/{SLOW}/jobs", json={"priority": "Critical", "workerTag": "eu"}
        ).json()
        # Without the permissions, the Server silently ignores priority and worker tag.
        assert (mine["priority"], mine["workerTag"]) == ("Default", "")
        assert artisan("GET", f"/v3/jobs/{theirs}").status_code == 404
        assert artisan("GET", f"/v1/jobs/{mine['id']}").status_code == 200
        assert [j["id"] for j in artisan("GET", f"/v3/workflows/{SLOW}/jobs").json()] == [mine["id"]]
        assert {j["id"] for j in curator("GET", f"/v3/workflows/{SLOW}/jobs").json()} == {theirs, mine["id"]}
        denied = artisan("GET", f"/v3/jobs/{mine['id']}/messages")
        assert (denied.status_code, denied.json()) == (
            401,
            {"message": "Authorization has been denied for this request."},
        )
        assert artisan("GET", "/v3/jobs").status_code == 401
        assert curator("GET", f"/v3/jobs/{mine['id']}/messages").status_code == 200
        assert {j["jobId"] for j in curator("GET", "/v3/jobs").json()["data"]} == {theirs, mine["id"]}

    @pytest.mark.parametrize("version", ["2021.4", "2022.1"])
    def test_v3_needs_a_curator_before_2023_1(self, start_emulator: StartEmulator, version: str) -> None:
        emulator = start_emulator(server_version=version)
        assert ArtisanApi(emulator)("GET", f"/v3/workflows/{QUICK}").status_code == 401
        assert WebApi(emulator)("GET", f"/v3/workflows/{QUICK}").json()["id"] == QUICK
        assert ArtisanApi(emulator)("GET", "/v1/workflows/subscription").status_code == 200

    def test_the_main_key_can_be_an_artisan(self, start_emulator: StartEmulator) -> None:
        from airflow_provider_alteryx.emulator import Role

        emulator = start_emulator(role=Role.ARTISAN)
        job = WebApi(emulator)("POST", f"/v3/workflows/{QUICK}/jobs", json={}).json()["id"]
        assert WebApi(emulator)("GET", f"/v3/jobs/{job}/messages").status_code == 401


def test_jobs_running_longer_than_the_limit_are_cancelled(start_emulator: StartEmulator) -> None:
    call = WebApi(start_emulator(cancel_after=0.3))
    slow = call("POST", f"/v3/workflows/{SLOW}/jobs", json={}).json()["id"]
    quick = call("POST", f"/v3/workflows/{QUICK}/jobs", json={}).json()["id"]
    cancelled = wait_until_finished(lambda i: call("GET", f"/v3/jobs/{i}").json(), slow)
    assert (cancelled["status"], cancelled["disposition"]) == ("Cancelled", "Cancelled")
    assert (
        cancelled["messages"][-1]["status"] == 3
        and "ran longer than 0.3 seconds" in cancelled["messages"][-1]["text"]
    )
    assert (
        wait_until_finished(lambda i: call("GET", f"/v3/jobs/{i}").json(), quick)["disposition"] == "Success"
    )


def test_background_load_keeps_jobs_waiting_for_a_slot(start_emulator: StartEmulator) -> None:
    emulator = start_emulator(workers=1, background_load=1, background_seconds=1.5)
    call = WebApi(emulator)
    job_id = call("POST", f"/v3/workflows/{QUICK}/jobs", json={}).json()["id"]
    assert call("GET", f"/v3/jobs/{job_id}").json()["status"] == "Queued"
    wait_until_finished(lambda i: call("GET", f"/v3/jobs/{i}").json(), job_id)
    jobs = emulator.jobs()
    first_background = next(j for j in jobs if j["owner"] == "other users")
    mine = control_job(emulator, job_id)
    assert mine["startedAt"] >= first_background["finishedAt"]
    # The finished one was replaced: there is always one other user's job waiting or running.
    assert sum(1 for j in jobs if j["owner"] == "other users" and j["finishedAt"] is None) == 1
    assert any(j["workflowName"] == "Another user's schedule" for j in call("GET", "/v3/jobs").json()["data"])


def test_state_survives_a_restart(
    workflows: tuple[Workflow, ...], start_emulator: StartEmulator, tmp_path: Path
) -> None:
    state = tmp_path / "state.json"
    with run_emulator(EmulatorConfig(workflows=workflows, state_file=state)) as before:
        call = WebApi(before)
        done = call(
            "POST",
            f"/v3/workflows/{REGIONAL}/jobs",
            json={"questions": [{"name": "region", "value": "EMEA"}]},
        ).json()["id"]
        finished = wait_until_finished(lambda i: call("GET", f"/v3/jobs/{i}").json(), done)
        running = call("POST", f"/v3/workflows/{SLOW}/jobs", json={}).json()["id"]
        assert control_job(before, running)["status"] == "Running"
    after = start_emulator(state_file=state, time_scale=0.01)
    again = WebApi(after)
    again.headers = call.headers  # the token issued before the restart still works
    assert again("GET", f"/v3/jobs/{done}").json() == finished
    # The job that was running when the Server stopped runs again from the queue.
    assert (
        wait_until_finished(lambda i: again("GET", f"/v3/jobs/{i}").json(), running)["disposition"]
        == "Success"
    )
    assert (
        again(
            "GET",
            f"/v1/jobs/{finished['id']}/output/{finished['outputs'][0]['id']}",
            params={"format": "Csv"},
        ).text
        == "region,total\nEMEA,42\n"
    )


def test_job_lists_filter_by_status_and_result_and_sort(emulator: RunningEmulator) -> None:
    call = WebApi(emulator)
    ok = call(
        "POST", f"/v3/workflows/{REGIONAL}/jobs", json={"questions": [{"name": "region", "value": "EMEA"}]}
    ).json()["id"]
    bad = call(
        "POST",
        f"/v3/workflows/{REGIONAL}/jobs",
        json={"questions": [{"name": "region", "value": "Atlantis"}]},
    ).json()["id"]
    for job_id in (ok, bad):
        wait_until_finished(lambda i: call("GET", f"/v3/jobs/{i}").json(), job_id)
    path = f"/v3/workflows/{REGIONAL}/jobs"
    assert [j["id"] for j in call("GET", path, params={"resultCode": "Error"}).json()] == [bad]
    assert [
        j["id"]
        for j in call(
            "GET", path, params={"status": "Completed", "sortField": "createdate", "direction": "desc"}
        ).json()
    ] == [bad, ok]
    assert call("GET", path, params={"status": "Queued"}).json() == []
    assert call("GET", path, params={"sortField": "colour"}).status_code == 400
    assert [
        j["jobId"]
        for j in call(
            "GET", "/v3/jobs", params={"statuses": "Complete", "sortField": "CreateDate", "direction": "desc"}
        ).json()["data"]
    ] == [
        bad,
        ok,
    ]


def test_legacy_and_v1_jobs_have_the_real_servers_formats(start_emulator: StartEmulator) -> None:
    emulator = start_emulator(server_version="2021.4", engine_messages=True, time_scale=0.1)
    call = Legacy(emulator)
    created = call(
        "POST",
        f"/workflows/{REGIONAL}/jobs/",
        json={"questions": [{"name": "region", "value": "EMEA"}], "priority": "3"},
    ).json()
    assert len(created["createDate"].split(".")[1]) == len("6528576Z") and created["workerTag"] == ""
    job = wait_until_finished(lambda i: call("GET", f"/jobs/{i}/").json(), created["id"])
    assert (job["priority"], job["appId"], job["workerTag"], job["runWithE2"]) == (3, None, None, True)
    assert "." not in job["createDate"] and job["createDate"].endswith("Z")
    engine = [m for m in job["messages"] if m["toolId"] == -1]
    assert engine[0]["text"].startswith("This is AMP Engine") and len(engine) == 2
    assert WebApi(emulator)("GET", f"/v1/jobs/{job['id']}").json()["priority"] == 3


def test_the_catalogue_takes_the_servers_question_types_and_items(tmp_path: Path) -> None:
    path = tmp_path / "c.yaml"
    path.write_text(
        "workflows:\n  - name: A\n    questions:\n"
        "      - {name: pick, type: QuestionListBox, multiple: true, items: [{key: a, value: Apple}, b]}\n"
        "      - {name: when, type: QuestionDate}\n      - {name: flag, type: checkbox}\n"
    )
    pick, when, flag = load_catalogue(path)[0].questions
    assert (pick.type, pick.multiple, [(i.key, i.value) for i in pick.items]) == (
        "QuestionListBox",
        True,
        [("a", "Apple"), ("b", "b")],
    )
    assert (when.type, flag.type) == ("QuestionDate", "QuestionCheckBox")


@pytest.mark.parametrize(
    ("question", "message"),
    [
        ("{name: q, type: QuestionSlider}", "'QuestionSlider' is not one of text, number"),
        (
            "{name: q, type: text, items: [a]}",
            "only QuestionDropDown and QuestionListBox questions have items, not QuestionTextBox",
        ),
        ("{name: q, type: dropdown, multiple: true}", "true only for a QuestionListBox"),
    ],
)
def test_bad_questions_name_the_problem(tmp_path: Path, question: str, message: str) -> None:
    path = tmp_path / "c.yaml"
    path.write_text(f"workflows:\n  - name: A\n    questions:\n      - {question}\n")
    with pytest.raises(CatalogueError, match=message):
        load_catalogue(path)


def test_every_behaviour_is_a_command_line_setting() -> None:
    args = _parser().parse_args(
        [
            "--worker-tags",
            "eu, gpu",
            "--role",
            "Artisan",
            "--created-seconds",
            "1",
            "--initializing-seconds",
            "2",
            "--cancel-after",
            "30",
            "--background-load",
            "3",
            "--background-seconds",
            "20",
            "--no-engine-messages",
            "--state",
            "/tmp/state.json",
        ]
    )
    config = config_from_args(args)
    assert (config.worker_tags, config.role, config.created_seconds, config.initializing_seconds) == (
        ("eu", "gpu"),
        "Artisan",
        1.0,
        2.0,
    )
    assert (
        config.cancel_after,
        config.background_load,
        config.background_seconds,
        config.engine_messages,
    ) == (30.0, 3, 20.0, False)
    assert config.state_file == Path("/tmp/state.json")
    assert config_from_args(_parser().parse_args([])).engine_messages is True


def test_bad_tokens_of_either_user_are_refused(emulator: RunningEmulator) -> None:
    assert token(emulator)
    form = {
        "grant_type": "client_credentials",
        "client_id": emulator.artisan_key,
        "client_secret": emulator.api_secret,
    }
    refused = requests.post(f"{emulator.url}/webapi/oauth2/token", data=form, timeout=10).json()
    assert set(refused) == {"error", "error_description"} and refused["error"] == "invalid_client"
