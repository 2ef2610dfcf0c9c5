"""The emulator's V3 schedules, from the catalogue's ``schedules:`` list, over HTTP."""

from __future__ import annotations

from pathlib import Path

import pytest
import requests

from airflow_provider_alteryx.emulator import CatalogueError, RunningEmulator
from airflow_provider_alteryx.emulator.schedules import load_schedules
from tests.conftest import QUICK, REGIONAL, StartEmulator
from tests.test_cli import SCHEDULES

REDUCED_KEYS = {"id", "name", "workflowId", "ownerId", "runDateTime"}


def v3(emulator: RunningEmulator, path: str, **params: str) -> requests.Response:
    token = requests.post(
        f"{emulator.url}/webapi/oauth2/token",
        data={
            "grant_type": "client_credentials",
            "client_id": emulator.api_key,
            "client_secret": emulator.api_secret,
        },
        timeout=10,
    ).json()["access_token"]
    return requests.get(
        f"{emulator.url}/webapi/v3{path}",
        params=params,
        headers={"Authorization": f"Bearer {token}"},
        timeout=10,
    )


def test_schedules_list_filter_and_read_as_the_v3_swagger_shapes_them(start_emulator: StartEmulator) -> None:
    emulator = start_emulator(schedules=load_schedules(SCHEDULES))

    listed = v3(emulator, "/schedules").json()
    assert len(listed) == 10 and all(set(item) == REDUCED_KEYS for item in listed)
    assert {item["workflowId"] for item in v3(emulator, "/schedules", workflowId=REGIONAL).json()} == {
        REGIONAL
    }
    full = v3(emulator, "/schedules", view="Full").json()
    assert [item["id"] for item in full] == [item["id"] for item in listed]

    daily = v3(emulator, "/schedules/6b00000000000000000000b4").json()
    assert daily["iteration"] == {
        "iterationType": "Daily",
        "startTime": "2026-03-27T05:30:00Z",
        "endTime": None,
        "dailyContract": {"runOnlyWorkWeek": True},
    }
    assert (daily["priority"], daily["workerTag"], daily["enabled"], daily["timeZone"]) == (
        "High",
        "sales",
        True,
        "Europe/Berlin",
    )
    assert daily["questions"] == [{"name": "region", "value": "EMEA"}]
    assert v3(emulator, "/schedules/6b00000000000000000000ff").status_code == 404


def test_a_schedule_naming_no_workflow_is_a_catalogue_error(tmp_path: Path) -> None:
    catalogue = tmp_path / "catalogue.yaml"
    catalogue.write_text(
        f"workflows: [{{name: Quick, id: {QUICK}}}]\nschedules: [{{name: Lost, workflow: Missing, frequency: daily, start: '2026-01-05T06:00:00'}}]\n"
    )
    with pytest.raises(CatalogueError, match=r"schedules\[0\]\.workflow: 'Missing' names no workflow"):
        load_schedules(catalogue)
