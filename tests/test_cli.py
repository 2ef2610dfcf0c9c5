"""``alteryx-airflow schedules export`` round trip: the emulator's Server schedules, exported, parsed by Airflow, run when the Server would."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from airflow_provider_alteryx.cli import EXIT_ERROR, EXIT_OK, EXIT_UNSUPPORTED, main
from airflow_provider_alteryx.cli.schedules import UnsupportedSchedule, _hourly
from airflow_provider_alteryx.emulator import RunningEmulator
from airflow_provider_alteryx.emulator.schedules import load_schedules
from tests.conftest import StartEmulator, UseConnection

SCHEDULES = Path(__file__).with_name("schedules_catalogue.yaml")

# What each schedule of schedules_catalogue.yaml does on a Server, worked out by hand from its definition
# (wall times in its time zone, daylight saving included), as UTC times of its first runs.
SERVER_RUNS = {
    "alteryx_one_off_backfill_0000b1": ["2026-12-24T18:00"],  # once, 18:00 London in winter
    "alteryx_every_6_hours_0000b3": [
        "2026-01-04T22:15",
        "2026-01-05T04:15",
        "2026-01-05T10:15",
        "2026-01-05T16:15",
    ],  # 03:45 Kolkata = 22:15 UTC
    # Monday to Friday 06:30 Berlin: CET on Friday 27 March, CEST from Sunday 29 March.
    "alteryx_working_day_sales_0000b4": [
        "2026-03-27T05:30",
        "2026-03-30T04:30",
        "2026-03-31T04:30",
        "2026-04-01T04:30",
    ],
    "alteryx_twice_weekly_0000b5": [
        "2026-01-05T03:00",
        "2026-01-08T03:00",
        "2026-01-12T03:00",
        "2026-01-15T03:00",
    ],  # Sun, Wed 22:00 New York
    "alteryx_month_end_close_0000b6": [
        "2026-01-15T05:00",
        "2026-02-15T05:00",
        "2026-03-15T05:00",
        "2026-04-15T05:00",
    ],
    "alteryx_third_monday_0000b7": [
        "2026-01-19T09:00",
        "2026-02-16T09:00",
        "2026-03-16T09:00",
        "2026-04-20T09:00",
    ],
    "alteryx_quarterly_0000b8": [
        "2026-01-01T12:00",
        "2026-01-15T12:00",
        "2026-04-01T12:00",
        "2026-04-15T12:00",
    ],
}
UNSUPPORTED = {
    "Every 90 minutes": "no cron expression keeps that period",
    "Last of the month": "February 31",
    "Fifth Friday": "occurrence 5",
}


@pytest.fixture
def schedules_server(start_emulator: StartEmulator, use_connection: UseConnection) -> RunningEmulator:
    emulator = start_emulator(schedules=load_schedules(SCHEDULES))
    use_connection(emulator)
    return emulator


def export(out: Path, capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(["schedules", "export", "--conn-id", "alteryx_default", "--out", str(out), *args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def parse(folder: Path) -> dict[str, Any]:
    """The folder's DAGs as Airflow's scheduler sees them (parsed by a DagBag, then serialized and read back)."""
    try:
        from airflow.dag_processing.dagbag import DagBag
        from airflow.serialization.serialized_objects import DagSerialization
    except ImportError:  # Airflow 2
        from airflow.models.dagbag import DagBag  # type: ignore[no-redef]
        from airflow.serialization.serialized_objects import SerializedDAG as DagSerialization  # type: ignore[assignment]

    bag = DagBag(dag_folder=str(folder))
    assert bag.import_errors == {}
    return {
        dag_id: (dag, DagSerialization.from_dict(DagSerialization.to_dict(dag)))
        for dag_id, dag in bag.dags.items()
    }


def first_runs(dag: Any, count: int = 4) -> list[str]:
    """When the DAG's timetable runs it, from its start date, as UTC minutes."""
    from airflow.timetables.base import TimeRestriction

    restriction = TimeRestriction(earliest=dag.start_date, latest=dag.end_date, catchup=True)
    runs: list[str] = []
    last = None
    while len(runs) < count:
        info = dag.timetable.next_dagrun_info(last_automated_data_interval=last, restriction=restriction)
        if info is None:
            break
        runs.append(info.run_after.strftime("%Y-%m-%dT%H:%M"))
        last = info.data_interval
    return runs


def test_exported_dags_run_when_the_server_schedules_would(
    schedules_server: RunningEmulator, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = export(tmp_path, capsys)

    assert code == EXIT_UNSUPPORTED
    assert "7 DAG file(s) written" in out and "3 schedule(s) not exported" in out
    for name, reason in UNSUPPORTED.items():
        assert f"schedule {name!r}" in err and reason in err
    dags = parse(tmp_path)
    assert sorted(dags) == sorted(SERVER_RUNS)
    for dag_id, (_, scheduled) in dags.items():
        assert first_runs(scheduled) == SERVER_RUNS[dag_id], dag_id


def test_exported_dags_carry_the_schedules_workflow_answers_priority_and_worker_tag(
    schedules_server: RunningEmulator, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    export(tmp_path, capsys)
    dags = parse(tmp_path)
    server = {s.id[-6:]: s for s in load_schedules(SCHEDULES)}
    for dag_id, (dag, _) in dags.items():
        schedule = server[dag_id[-6:]]
        task = dag.get_task("run_workflow")
        assert (task.workflow_id, dict(task.questions or {}), str(task.priority), task.worker_tag) == (
            schedule.workflow_id,
            schedule.questions,
            schedule.priority,
            schedule.worker_tag or None,
        )
        assert dag.is_paused_upon_creation is True
        source = (tmp_path / f"{dag_id}.py").read_text()
        assert f"GET /webapi/v3/schedules/{schedule.id}" in source and schedule.name in source
    assert dags["alteryx_twice_weekly_0000b5"][0].end_date == datetime.fromisoformat(
        "2027-01-01T05:00:00+00:00"
    )
    assert "The Server schedule is disabled." in (tmp_path / "alteryx_twice_weekly_0000b5.py").read_text()


def test_existing_files_are_kept_unless_overwrite(
    schedules_server: RunningEmulator, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    only = ["--schedule-id", "6b00000000000000000000b4"]
    assert export(tmp_path, capsys, *only)[0] == EXIT_OK
    edited = tmp_path / "alteryx_working_day_sales_0000b4.py"
    edited.write_text(edited.read_text() + "# reviewed\n")

    code, _, err = export(tmp_path, capsys, *only)
    assert code == EXIT_UNSUPPORTED and "--overwrite" in err and edited.read_text().endswith("# reviewed\n")

    assert export(tmp_path, capsys, *only, "--overwrite")[0] == EXIT_OK
    assert not edited.read_text().endswith("# reviewed\n")


@pytest.mark.parametrize(
    ("version", "auth_type", "why"),
    [("2022.1", "oauth2", "answered 404 to GET /v3/schedules"), ("2021.3", "oauth1", "legacy API")],
)
def test_servers_without_v3_schedules_fail_with_the_reason(
    start_emulator: StartEmulator,
    use_connection: UseConnection,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    version: str,
    auth_type: str,
    why: str,
) -> None:
    use_connection(
        start_emulator(server_version=version, schedules=load_schedules(SCHEDULES)), auth_type=auth_type
    )

    code, _, err = export(tmp_path, capsys)

    assert code == EXIT_ERROR
    assert "2023.1" in err and why in err
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    ("hours", "minutes", "cron"),
    [
        (0, 30, "20-59/30 * * * *"),
        (1, 0, "20 * * * *"),
        (0, 15, "5-59/15 * * * *"),
        (8, 0, "20 1-23/8 * * *"),
        (24, 0, "20 1 * * *"),
    ],
)
def test_hourly_periods_that_fit_a_cron_keep_the_anchor(hours: int, minutes: int, cron: str) -> None:
    assert _hourly(datetime.fromisoformat("2026-01-05T01:20:00+00:00"), hours, minutes)[0] == cron


@pytest.mark.parametrize(("hours", "minutes"), [(1, 30), (5, 0), (0, 7), (0, 0)])
def test_hourly_periods_no_cron_keeps_are_refused(hours: int, minutes: int) -> None:
    with pytest.raises(UnsupportedSchedule):
        _hourly(datetime.fromisoformat("2026-01-05T01:20:00+00:00"), hours, minutes)
