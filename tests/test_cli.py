"""``alteryx-airflow schedules export`` round trip: the emulator's Server schedules, exported, parsed by Airflow, run when the Server would."""

from __future__ import annotations

import copy
import re
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from airflow_provider_alteryx.cli import EXIT_ERROR, EXIT_OK, EXIT_UNSUPPORTED, main
from airflow_provider_alteryx.cli.schedules import (
    ServerSchedule,
    TimesWithoutOffset,
    UnsupportedSchedule,
    _hourly,
    render_dag,
    timing,
)
from airflow_provider_alteryx.emulator import RunningEmulator
from airflow_provider_alteryx.emulator.schedules import load_schedules
from airflow_provider_alteryx.emulator.variants import (
    ScheduleIteration,
    ScheduleTimes,
    ScheduleZones,
    Variants,
)
from tests.conftest import QUICK, StartEmulator, UseConnection

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


# ---- what the sources leave open: each reading exports exactly or is refused with its reason ----------------
ONCE = "alteryx_one_off_backfill_0000b1"
# What each schedule's iteration lacks when it holds only what the swagger declares (startTime, endTime).
MISSING_CONTRACTS = {
    "Every 90 minutes": "no hourlyContract",
    "Every 6 hours": "no hourlyContract",
    "Working-day sales": "no dailyContract in its iteration, so whether it runs every day or Monday to Friday",
    "Twice weekly": "no weeklyContract",
    "Month end close": "no monthlyContract",
    "Third Monday": "no monthlyContract",
    "Quarterly": "no customContract",
    "Last of the month": "no monthlyContract",
    "Fifth Friday": "no monthlyContract",
}


def header(folder: Path, dag_id: str) -> str:
    return (folder / f"{dag_id}.py").read_text(encoding="utf-8").split('"""')[1]


@pytest.mark.parametrize("iteration", list(ScheduleIteration))
@pytest.mark.parametrize("zones", list(ScheduleZones))
@pytest.mark.parametrize("times", list(ScheduleTimes))
def test_every_reading_of_the_schedule_sources_exports_exactly_or_is_refused_with_its_reason(
    start_emulator: StartEmulator,
    use_connection: UseConnection,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    iteration: ScheduleIteration,
    zones: ScheduleZones,
    times: ScheduleTimes,
) -> None:
    variants = Variants(schedule_iteration=iteration, schedule_time_zones=zones, schedule_times=times)
    use_connection(start_emulator(schedules=load_schedules(SCHEDULES), variants=variants))
    # Wall times need the flag that says so; times with a Z need none.
    flag = ["--times-without-offset", "schedule-zone"] if times is ScheduleTimes.LOCAL else []

    code, _, err = export(tmp_path, capsys, *flag)

    assert code == EXIT_UNSUPPORTED
    dags = parse(tmp_path)
    if iteration is ScheduleIteration.FULL:
        expected, refused = SERVER_RUNS, UNSUPPORTED
    else:  # only the start: a one-off schedule needs no more, every other one is refused, never defaulted
        expected, refused = {ONCE: SERVER_RUNS[ONCE]}, MISSING_CONTRACTS
    assert {dag_id: first_runs(scheduled) for dag_id, (_, scheduled) in dags.items()} == expected
    for name, reason in refused.items():
        assert f"schedule {name!r}" in err and reason in err, name
    reading = (
        "have no UTC offset and were read as wall times in Europe/London, as the Server's help says "
        "(--times-without-offset schedule-zone)"
        if times is ScheduleTimes.LOCAL
        else "carry a UTC offset and were read as written"
    )
    assert f"Its iteration times {reading}." in header(tmp_path, ONCE)
    if zones is ScheduleZones.WINDOWS:
        assert "(GMT Standard Time, read as Europe/London through CLDR's table" in header(tmp_path, ONCE)


def test_times_without_an_offset_are_refused_where_the_readings_differ_unless_the_flag_says_which(
    start_emulator: StartEmulator,
    use_connection: UseConnection,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    variants = Variants(schedule_times=ScheduleTimes.LOCAL)
    use_connection(start_emulator(schedules=load_schedules(SCHEDULES), variants=variants))

    _, _, err = export(tmp_path / "unsaid", capsys)

    # Outside UTC the swagger's reading and the help's are hours apart: refused, naming the flag.
    for name in ("Every 6 hours", "Working-day sales", "Twice weekly"):
        assert f"schedule {name!r}" in err and "the two differ" in err and "--times-without-offset utc" in err
    # In UTC, or in London in winter, both readings give the same times.
    unsaid = parse(tmp_path / "unsaid")
    assert sorted(unsaid) == [
        "alteryx_month_end_close_0000b6",
        "alteryx_one_off_backfill_0000b1",
        "alteryx_quarterly_0000b8",
        "alteryx_third_monday_0000b7",
    ]
    assert "both readings (UTC, or wall time in UTC) give the same times" in header(
        tmp_path / "unsaid", "alteryx_quarterly_0000b8"
    )

    # Told they are UTC (they are not, on this Server), the export follows the flag and says so.
    export(tmp_path / "utc", capsys, "--times-without-offset", "utc")
    working_days = parse(tmp_path / "utc")["alteryx_working_day_sales_0000b4"][1]
    assert first_runs(working_days, 1) == ["2026-03-27T06:30"]
    assert "were read as UTC, as the V3 swagger says (--times-without-offset utc)" in header(
        tmp_path / "utc", "alteryx_working_day_sales_0000b4"
    )


CRON_CATALOGUE = f"""
workflows: [{{name: Quick, id: {QUICK}}}]
schedules:
  - {{name: Weekday mornings, id: 6c0000000000000000000001, workflow: Quick, frequency: cron,
      cron: "30 6 * * 1-5", start: "2026-03-27T06:30:00", time_zone: Europe/Berlin}}
  - {{name: Sundays, id: 6c0000000000000000000002, workflow: Quick, frequency: cron,
      cron: "0 22 * * 7", start: "2026-01-01T00:00:00", time_zone: America/New_York}}
"""
CRON_RUNS = {
    # 06:30 Berlin, Monday to Friday: CET on Friday 27 March, CEST from Sunday 29 March.
    "alteryx_weekday_mornings_000001": [
        "2026-03-27T05:30",
        "2026-03-30T04:30",
        "2026-03-31T04:30",
        "2026-04-01T04:30",
    ],
    # 22:00 New York on Sundays (7 is Sunday, as 0 is).
    "alteryx_sundays_000002": [
        "2026-01-05T03:00",
        "2026-01-12T03:00",
        "2026-01-19T03:00",
        "2026-01-26T03:00",
    ],
}


@pytest.mark.parametrize(
    "variants",
    [
        Variants(),
        Variants(schedule_time_zones=ScheduleZones.WINDOWS, schedule_times=ScheduleTimes.LOCAL),
        Variants(schedule_iteration=ScheduleIteration.SWAGGER),
    ],
    ids=["iana-utc", "windows-local", "swagger"],
)
def test_cron_schedules_export_as_they_are_from_2025_1(
    start_emulator: StartEmulator,
    use_connection: UseConnection,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    variants: Variants,
) -> None:
    from airflow.timetables.trigger import CronTriggerTimetable

    catalogue = tmp_path / "cron.yaml"
    catalogue.write_text(CRON_CATALOGUE)
    use_connection(start_emulator(schedules=load_schedules(catalogue), variants=variants))

    code, _, err = export(tmp_path / "dags", capsys, "--times-without-offset", "schedule-zone")

    if variants.schedule_iteration is ScheduleIteration.SWAGGER:
        assert (
            code == EXIT_UNSUPPORTED
            and err.count("no cronContract in its iteration, so its cron expression") == 2
        )
        assert list((tmp_path / "dags").iterdir()) == []
        return
    assert code == EXIT_OK, err
    dags = parse(tmp_path / "dags")
    assert {dag_id: first_runs(scheduled) for dag_id, (_, scheduled) in dags.items()} == CRON_RUNS
    weekdays = dags["alteryx_weekday_mornings_000001"][0].timetable
    assert weekdays == CronTriggerTimetable("30 6 * * 1-5", timezone="Europe/Berlin")


def test_a_server_before_2025_1_holds_no_cron_schedule(
    start_emulator: StartEmulator,
    use_connection: UseConnection,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    catalogue = tmp_path / "cron.yaml"
    catalogue.write_text(CRON_CATALOGUE)
    schedules = load_schedules(catalogue)
    use_connection(start_emulator(schedules=schedules, server_version="2023.1"))

    code, out, err = export(tmp_path / "dags", capsys, "--schedule-id", schedules[0].id)
    # One the Server lists exports; a cron one cannot be there to export.
    assert code == EXIT_UNSUPPORTED and "0 DAG file(s) written" in out
    assert f"schedule {schedules[0].id!r} not exported:" in err and "answered 404" in err

    use_connection(start_emulator(schedules=schedules, server_version="2025.1"))
    assert export(tmp_path / "dags", capsys, "--schedule-id", schedules[0].id)[0] == EXIT_OK


def view(kind: str, contract: dict[str, Any] | None = None, **fields: Any) -> dict[str, Any]:
    """A ScheduleView as the emulator answers it (full iteration, times with a Z), with ``fields`` replaced."""
    iteration: dict[str, Any] = {"iterationType": kind, "startTime": "2026-01-05T06:30:00Z", "endTime": None}
    if contract is not None:
        iteration[f"{kind.lower()}Contract"] = contract
    return {
        "id": "6b0000000000000000000001",
        "name": "Nightly",
        "workflowId": QUICK,
        "timeZone": "Europe/Berlin",
        "frequency": kind,
        "iteration": iteration,
        "priority": "Default",
        "questions": [],
        **fields,
    }


def cron(expression: object) -> str:
    return timing(ServerSchedule.from_api(view("Cron", {"cronExpression": expression}))).cron


@pytest.mark.parametrize(
    "expression",
    ["30 6 * * 1-5", "*/15 9-17 * * 1-5", "0 22 * * 0,7", "0 0 31 * *", "5 4 1,15 */3 *", "0 12 * * 5-7"],
)
def test_cron_expressions_in_the_servers_syntax_run_as_airflow_reads_them(expression: str) -> None:
    from airflow.timetables.trigger import CronTriggerTimetable

    assert cron(expression) == expression
    CronTriggerTimetable(expression, timezone="Europe/Berlin").validate()


@pytest.mark.parametrize(
    ("expression", "reason"),
    [
        ("30 6 * *", "does not have the five fields"),
        ("0 30 6 * * 1-5", "does not have the five fields"),
        (None, "does not have the five fields"),
        ("30 6 * * MON-FRI", "not in the syntax the Server documents"),
        ("0 6 L * *", "not in the syntax the Server documents"),
        ("0 6 * * 5#3", "not in the syntax the Server documents"),
        ("0 6 ? * 1", "not in the syntax the Server documents"),
        ("5/10 * * * *", "not in the syntax the Server documents"),
        ("60 * * * *", "out of range"),
        ("0 6 * * 5-1", "out of range"),
        ("*/0 * * * *", "out of range"),
        ("0 6 1,15 * 1", "restricts both the day of the month and the day of the week"),
        ("0 6 30,31 2 *", "names no day that any of its months has"),
        ("0 6 * * 7-7", "Airflow's cron reads the day of week field"),
    ],
)
def test_cron_expressions_airflow_would_run_otherwise_are_refused_with_the_reason(
    expression: object, reason: str
) -> None:
    with pytest.raises(UnsupportedSchedule, match=re.escape(reason)):
        cron(expression)


@pytest.mark.parametrize(
    ("frequency", "contract", "fields", "reason"),
    [
        ("Hourly", {"hours": "x", "minutes": 0}, {}, "its hours is 'x', not a whole number"),
        ("Hourly", {"hours": None, "minutes": 0}, {}, "its hours is None"),
        ("Hourly", {"hours": 1, "minutes": True}, {}, "its minutes is True"),
        ("Daily", {}, {}, "its runOnlyWorkWeek is None, not true or false"),
        ("Daily", {"runOnlyWorkWeek": "false"}, {}, "its runOnlyWorkWeek is 'false'"),
        ("Monthly", {"simpleDayOfMonth": True, "dayOfMonth": True}, {}, "its dayOfMonth [True]"),
        ("Monthly", {"dayOfMonth": 15}, {}, "its simpleDayOfMonth is None"),
        ("Once", None, {"questions": 5}, "its questions are 5, not a list"),
        ("Once", None, {"questions": [{"name": "region", "value": None}]}, "its question value"),
        ("Once", None, {"questions": [{"value": "EMEA"}]}, "its question value"),
        ("Once", None, {"priority": "Urgent"}, "'Urgent'"),
        ("Once", None, {"priority": 3}, "its priority is 3, not a text"),
        ("Once", None, {"workflowId": 5}, "workflowId is 5 (int), which is not an Alteryx Server id"),
        ("Once", None, {"timeZone": "x" * 10_000}, "is neither an IANA time zone name nor a Windows zone ID"),
        ("Once", None, {"enabled": "false"}, "its enabled is 'false', not true or false"),
        ("Once", None, {"name": ["Nightly"]}, "its name is ['Nightly'], not a text"),
        ("Once", None, {"comment": {"text": "x"}}, "its comment is {'text': 'x'}, not a text"),
        (
            "Once",
            None,
            {"frequency": "Weekly"},
            "its iterationType 'Once' and its frequency 'Weekly' disagree",
        ),
    ],
)
def test_a_field_of_the_wrong_type_refuses_the_schedule_with_the_reason(
    frequency: str, contract: dict[str, Any] | None, fields: dict[str, Any], reason: str
) -> None:
    """Never a bare ValueError or TypeError: the export skips the schedule, says why, and goes on with the others."""
    with pytest.raises(UnsupportedSchedule, match=re.escape(reason)):
        timing(ServerSchedule.from_api(view(frequency, contract, **fields)))


@pytest.mark.parametrize(
    ("start", "end", "reason"),
    [
        ("0001-01-01T00:00:00+05:00", None, "not an ISO-8601 time of the years 2 to 9998"),
        ("2026-01-05T06:30:00Z", "2025-01-05T06:30:00Z", "it ends (2025-01-05T06:30Z) before it starts"),
    ],
)
def test_times_no_dag_can_start_or_end_at_are_refused(start: str, end: str | None, reason: str) -> None:
    daily = view("Daily", {"runOnlyWorkWeek": False})
    daily["iteration"].update(startTime=start, endTime=end)
    with pytest.raises(UnsupportedSchedule, match=re.escape(reason)):
        ServerSchedule.from_api(daily)


def test_a_wall_time_a_daylight_saving_change_skips_or_repeats_is_refused() -> None:
    daily = view("Daily", {"runOnlyWorkWeek": False})
    daily["iteration"]["startTime"] = "2026-03-29T02:30:00"  # Berlin goes from 02:00 to 03:00
    with pytest.raises(UnsupportedSchedule, match="occurs twice, or never, in Europe/Berlin"):
        ServerSchedule.from_api(daily, TimesWithoutOffset.SCHEDULE_ZONE)
    assert ServerSchedule.from_api(daily, TimesWithoutOffset.UTC).start == datetime.fromisoformat(
        "2026-03-29T02:30:00+00:00"
    )


# Any JSON value, as a Server answer (or a proxy in front of it) could put in any field.
JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=30),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=10), inner, max_size=3),
    max_leaves=6,
)
VIEWS = [
    view("Once"),
    view("Hourly", {"hours": 2, "minutes": 0}),
    view("Daily", {"runOnlyWorkWeek": True}),
    view("Weekly", {"daysOfWeek": ["Monday", "Thursday"]}),
    view("Monthly", {"simpleDayOfMonth": False, "occurrence": 3, "dayOfWeek": "Monday"}),
    view("Custom", {"daysOfMonth": [1, 15], "months": [1, 4]}),
    view("Cron", {"cronExpression": "30 6 * * 1-5"}),
]


def paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every place in a JSON document a value sits: keys of mappings, indexes of lists."""
    found = [prefix] if prefix else []
    items = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else []
    for key, inner in items:
        found += paths(inner, (*prefix, key))
    return found


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(VIEWS), st.data(), JSON)
def test_any_value_in_any_field_exports_or_is_refused_never_an_error(
    answer: dict[str, Any], data: st.DataObject, value: Any
) -> None:
    answer = copy.deepcopy(answer)
    *parents, last = data.draw(st.sampled_from(paths(answer)))
    holder = answer
    for key in parents:
        holder = holder[key]
    holder[last] = value
    try:
        schedule = ServerSchedule.from_api(answer)
        render_dag(
            schedule, timing(schedule), server_url="http://x", conn_id="alteryx_default", workflow_name=None
        )
    except UnsupportedSchedule:
        pass


def test_schedules_whose_dag_ids_collide_do_not_replace_each_other(
    start_emulator: StartEmulator,
    use_connection: UseConnection,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Same name, same last six id characters: one DAG id. The second is refused, even with --overwrite."""
    catalogue = tmp_path / "twins.yaml"
    catalogue.write_text(
        f"""
workflows: [{{name: Quick, id: {QUICK}}}, {{name: Regional, id: 0000000000000000000000a2}}]
schedules:
  - {{name: Nightly, id: 6b00000000000000000000c1, workflow: Quick, frequency: daily, start: "2026-01-05T02:00:00"}}
  - {{name: Nightly, id: 6c00000000000000000000c1, workflow: Regional, frequency: daily, start: "2026-01-05T03:00:00"}}
"""
    )
    use_connection(start_emulator(schedules=load_schedules(catalogue)))

    code, out, err = export(tmp_path / "dags", capsys, "--overwrite")

    assert code == EXIT_UNSUPPORTED and "1 DAG file(s) written" in out
    assert (
        "schedule 'Nightly' (6c00000000000000000000c1) not exported: its DAG id alteryx_nightly_0000c1 is that of "
        "schedule 'Nightly' (6b00000000000000000000c1)" in err
    )
    (dag, _), *_ = parse(tmp_path / "dags").values()
    assert dag.get_task("run_workflow").workflow_id == QUICK
