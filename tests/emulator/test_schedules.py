"""The emulator's V3 schedules, from the catalogue's ``schedules:`` list, over HTTP."""

from __future__ import annotations

from pathlib import Path

import pytest
import requests

from airflow_provider_alteryx.emulator import CatalogueError, RunningEmulator
from airflow_provider_alteryx.emulator.schedules import load_schedules
from airflow_provider_alteryx.emulator.server import _parser, config_from_args
from airflow_provider_alteryx.emulator.variants import (
    ScheduleIteration,
    ScheduleTimes,
    ScheduleZones,
    Variants,
)
from tests.conftest import QUICK, REGIONAL, StartEmulator
from tests.test_cli import SCHEDULES

# The newer V3 swagger's ReducedScheduleView (RyanMerlin/ayx-rs docs/swagger-v3.json), timeZone included.
REDUCED_KEYS = {"id", "name", "workflowId", "ownerId", "runDateTime", "timeZone"}


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


CRON_CATALOGUE = f"""
workflows: [{{name: Quick, id: {QUICK}}}]
schedules:
  - {{name: Weekday mornings, id: 6c0000000000000000000001, workflow: Quick, frequency: cron,
      cron: "30 6 * * 1-5", start: "2026-03-27T06:30:00", time_zone: Europe/Berlin}}
  - {{name: Working-day sales, id: 6c0000000000000000000002, workflow: Quick, frequency: daily,
      start: "2026-03-27T06:30:00", end: "2026-12-31T23:00:00", time_zone: Europe/Berlin, work_week_only: true}}
  - {{name: In UTC, id: 6c0000000000000000000003, workflow: Quick, frequency: once, start: "2026-01-05T06:00:00"}}
"""
CRON, DAILY, IN_UTC = (f"6c000000000000000000000{i}" for i in range(1, 4))


@pytest.fixture
def cron_catalogue(tmp_path: Path) -> Path:
    path = tmp_path / "catalogue.yaml"
    path.write_text(CRON_CATALOGUE)
    return path


def test_cron_schedules_are_served_from_2025_1(start_emulator: StartEmulator, cron_catalogue: Path) -> None:
    schedules = load_schedules(cron_catalogue)
    cron = v3(start_emulator(schedules=schedules), f"/schedules/{CRON}").json()
    assert cron["iteration"] == {
        "iterationType": "Cron",
        "startTime": "2026-03-27T05:30:00Z",
        "endTime": None,
        "cronContract": {"cronExpression": "30 6 * * 1-5"},
    }
    assert cron["frequency"] == "Cron"
    # Older Servers have no Cron iteration type, so they cannot hold such a schedule.
    older = start_emulator(schedules=schedules, server_version="2023.1")
    assert [s["id"] for s in v3(older, "/schedules").json()] == [DAILY, IN_UTC]
    assert v3(older, f"/schedules/{CRON}").status_code == 404


@pytest.mark.parametrize(
    "cron", ["30 6 * *", "30 6 * * MON", "", "30 6 * * 1-5 2026"], ids=["four", "names", "none", "six"]
)
def test_a_cron_schedule_needs_five_cron_fields(tmp_path: Path, cron: str) -> None:
    path = tmp_path / "catalogue.yaml"
    path.write_text(CRON_CATALOGUE.replace('cron: "30 6 * * 1-5"', f'cron: "{cron}"'))
    with pytest.raises(
        CatalogueError, match=r"schedules\[0\]\.cron: .* is not a cron expression of five fields"
    ):
        load_schedules(path)


def test_the_iteration_can_hold_only_what_the_swagger_declares(
    start_emulator: StartEmulator, cron_catalogue: Path
) -> None:
    emulator = start_emulator(
        schedules=load_schedules(cron_catalogue),
        variants=Variants(schedule_iteration=ScheduleIteration.SWAGGER),
    )
    for schedule_id, frequency in ((CRON, "Cron"), (DAILY, "Daily")):
        full = v3(emulator, f"/schedules/{schedule_id}").json()
        assert set(full["iteration"]) == {"startTime", "endTime"}
        assert full["frequency"] == frequency


def test_time_zones_can_be_windows_ids(start_emulator: StartEmulator, cron_catalogue: Path) -> None:
    emulator = start_emulator(
        schedules=load_schedules(cron_catalogue), variants=Variants(schedule_time_zones=ScheduleZones.WINDOWS)
    )
    zones = {s["id"]: s["timeZone"] for s in v3(emulator, "/schedules").json()}
    assert zones == {CRON: "W. Europe Standard Time", DAILY: "W. Europe Standard Time", IN_UTC: "UTC"}
    assert v3(emulator, f"/schedules/{DAILY}").json()["timeZone"] == "W. Europe Standard Time"


def test_a_zone_without_a_windows_id_is_refused_at_start(tmp_path: Path) -> None:
    path = tmp_path / "catalogue.yaml"
    path.write_text(CRON_CATALOGUE.replace("Europe/Berlin", "Antarctica/Troll"))
    args = _parser().parse_args(["--catalogue", str(path), "--schedule-time-zones", "windows"])
    with pytest.raises(
        CatalogueError,
        match=r"schedule 'Weekday mornings': the time zone 'Antarctica/Troll' has no Windows ID",
    ):
        config_from_args(args)
    assert config_from_args(_parser().parse_args(["--catalogue", str(path)])).schedules


def test_iteration_times_can_be_wall_times_in_the_schedules_zone(
    start_emulator: StartEmulator, cron_catalogue: Path
) -> None:
    emulator = start_emulator(
        schedules=load_schedules(cron_catalogue), variants=Variants(schedule_times=ScheduleTimes.LOCAL)
    )
    daily = v3(emulator, f"/schedules/{DAILY}").json()
    # 06:30 in Berlin (CET) and 23:00 (CET): wall times, no offset; runDateTime stays UTC, as the swagger says.
    assert (daily["iteration"]["startTime"], daily["iteration"]["endTime"]) == (
        "2026-03-27T06:30:00",
        "2026-12-31T23:00:00",
    )
    assert daily["runDateTime"] == "2026-03-27T05:30:00Z"
    assert v3(emulator, f"/schedules/{IN_UTC}").json()["iteration"]["startTime"] == "2026-01-05T06:00:00"
