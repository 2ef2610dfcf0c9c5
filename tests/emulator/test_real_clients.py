"""Clients written against the real Server run a workflow on the emulator unchanged."""

from __future__ import annotations

import json
import time

import pytest
import requests
from alteryx_gallery_py import Subscriptions

from tests.conftest import REGIONAL, StartEmulator
from tests.emulator.test_app import token


@pytest.mark.parametrize("version", ["2021.3", "2021.4"])
def test_alteryx_gallery_py_runs_a_workflow_on_the_legacy_api(
    start_emulator: StartEmulator, version: str
) -> None:
    emulator = start_emulator(server_version=version, time_scale=0.2)
    gallery = Subscriptions(emulator.api_key, emulator.api_secret, f"{emulator.url}/gallery/")
    assert REGIONAL in {w["id"] for w in gallery.get_workflows()}
    assert [q["name"] for q in gallery.get_questions(REGIONAL)] == ["region", "as_of"]
    job = gallery.create_job(REGIONAL, questions=[{"name": "region", "value": "North East"}], priority="0")
    for _ in range(100):
        job = gallery.get_job(job["id"])
        if job["status"] == "Completed":
            break
        time.sleep(0.05)
    assert (job["status"], job["disposition"]) == ("Completed", "Success")
    assert (
        gallery.get_job_output(job["id"], job["outputs"][0]["id"], format="Csv")
        == b"region,total\nNorth East,42\n"
    )
    assert [j["id"] for j in gallery.list_jobs(REGIONAL, sortField="createdate", direction="desc")] == [
        job["id"]
    ]


def test_paths_with_doubled_slashes_are_served_as_the_servers_iis_does(start_emulator: StartEmulator) -> None:
    emulator = start_emulator()
    headers = {"Authorization": f"Bearer {token(emulator)}"}
    created = requests.post(
        f"{emulator.url}/webapi//v3/workflows/{REGIONAL}/jobs",
        json={"questions": [{"name": "region", "value": "EMEA"}]},
        headers=headers,
        timeout=10,
    )
    assert created.status_code == 200
    answer = requests.get(
        f"{emulator.url}/webapi//v3/jobs/{created.json()['id']}", headers=headers, timeout=10
    )
    assert json.loads(answer.text)["appId"] == REGIONAL
