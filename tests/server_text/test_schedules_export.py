"""Exported DAG files take Server text only as data: importing them runs nothing of it, and they run the right workflow.

The emulator serves workflows and schedules whose names, comment and question values are written to break out
of the generated code (a newline then an expression that runs a command, triple quotes, comment marks) or to
pose as something else (NUL, backslashes, drive letters, "..", 10,000 characters, confusable and bidi characters,
ANSI escapes); the export must write files that import cleanly, execute none of it, and carry every value intact.
"""

from __future__ import annotations

import ast
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from airflow_provider_alteryx.cli import EXIT_OK, main
from airflow_provider_alteryx.cli.schedules import ServerSchedule, UnsupportedSchedule, render_dag, timing
from airflow_provider_alteryx.emulator import RunningEmulator, load_catalogue
from airflow_provider_alteryx.emulator.schedules import load_schedules
from airflow_provider_alteryx.emulator.variants import ScheduleTimes, ScheduleZones, Variants
from airflow_provider_alteryx.utils.server_text import DISPLAY_LIMIT
from tests.conftest import StartEmulator, UseConnection

# The schedules' worker tag; the emulated workers carry it, so the exported DAG's job runs.
WORKER_TAG = "#tag'\""
# Texts that pose as something else: a path (NUL, backslashes, a drive, ".."), a flood, other letters (Cyrillic
# look-alikes, a right-to-left override, a full-width solidus) or terminal commands (ANSI colour, a hyperlink).
POSING = [
    "Nul\x00led ..\\..\\C:\\Windows\\system32",
    "Flood " + "x" * 10_000,
    "\u0405\u0430l\u0435\u0455 \u202egnp.exe\uff0fetc",
    "\x1b[31mRed\x1b[0m \x1b]8;;http://evil.example\x07link\x1b]8;;\x07\x1b[2J",
]


def catalogue(tmp_path: Path, marker: Path) -> Path:
    """Workflows and their schedules, every text a workflow or schedule author could type, aimed at the file."""
    run_command = f"**(__import__('os').system('touch {marker}') and {{}} or {{}}),"
    names = [f"Sales\n{run_command}", 'Ends """ early', "It's '''fine''' # really", *POSING]
    document: dict[str, Any] = {
        "workflows": [
            {
                "name": name,
                "questions": [{"name": "region", "type": "text", "default": "EMEA"}],
                "run": {"seconds": 0.2},
            }
            for name in names
        ],
        "schedules": [
            {
                "name": f'{name} """ nightly\n# {run_command}',
                "workflow": name,
                "frequency": "daily",
                "start": "2026-01-05T06:30:00",
                "time_zone": "Europe/Berlin",
                "questions": {"region": f'"""\n{run_command}\n"""{name}'},
                "worker_tag": WORKER_TAG,
                "comment": f'Ends here """\nimport os; os.system("touch {marker}")\n\x1b[2J{name}',
            }
            for name in names
        ],
    }
    path = tmp_path / "hostile.yaml"
    path.write_text(yaml.safe_dump(document, allow_unicode=True), encoding="utf-8")
    return path


@pytest.fixture
def hostile_server(
    request: pytest.FixtureRequest,
    tmp_path: Path,
    start_emulator: StartEmulator,
    use_connection: UseConnection,
) -> tuple[RunningEmulator, Path]:
    """The hostile catalogue on an emulator; a test may name the emulator's variants (indirect parametrization)."""
    marker = tmp_path / "executed"
    source = catalogue(tmp_path, marker)
    # start_emulator serves the test catalogue by default; this one serves the hostile workflows instead.
    emulator = start_emulator(
        workflows=load_catalogue(source),
        schedules=load_schedules(source),
        worker_tags=(WORKER_TAG,),
        time_scale=0.5,
        variants=getattr(request, "param", Variants()),
    )
    use_connection(emulator)
    return emulator, marker


@pytest.mark.parametrize(
    "hostile_server",
    [Variants(), Variants(schedule_time_zones=ScheduleZones.WINDOWS, schedule_times=ScheduleTimes.LOCAL)],
    ids=["iana-utc", "windows-local"],
    indirect=True,
)
def test_exported_files_import_without_running_server_text_and_carry_it_as_data(
    hostile_server: tuple[RunningEmulator, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from tests.test_cli import parse

    _, marker = hostile_server
    out = tmp_path / "dags"
    export = ["schedules", "export", "--conn-id", "alteryx_default", "--out", str(out)]
    # Wall times in the schedules' zone, on the Server that writes them so.
    assert main([*export, "--times-without-offset", "schedule-zone"]) == EXIT_OK, capsys.readouterr()
    assert len(list(out.glob("*.py"))) == 7

    dags = parse(out)  # a DagBag imports every file, as the DAG processor would

    assert not marker.exists(), "importing an exported DAG ran a command from Server text"
    schedules = {s.workflow_id: s for s in load_schedules(tmp_path / "hostile.yaml")}
    for dag, _ in dags.values():
        task = dag.get_task("run_workflow")
        schedule = schedules[task.workflow_id]
        assert (dict(task.questions), task.worker_tag) == (schedule.questions, schedule.worker_tag)
    assert not marker.exists()
    for path in out.glob("*.py"):
        source = path.read_text(encoding="utf-8")
        # Shown with cat or in an editor, a file can neither drive the terminal nor reorder what is read.
        assert not {"\x00", "\x07", "\x1b", "\u202e"} & set(source), path.name
        # What the reader sees (the docstring, the comments) is bounded; the values themselves stay whole.
        docstring = ast.get_docstring(ast.parse(source), clean=False) or ""
        shown = [*docstring.splitlines(), *COMMENT.findall(source)]
        assert max(map(len, shown)) < 3 * DISPLAY_LIMIT, path.name


# A comment line of a generated file (a "#" after the indentation, outside any literal).
COMMENT = re.compile(r"^ *#.*$", re.MULTILINE)


@pytest.mark.parametrize(
    "zone",
    [
        "Europe/Berlin\x00",
        "../../etc/passwd",
        "C:\\Windows\\Zone",
        "..",
        "x" * 10_000,
        "\x1b[2JEurope/Berlin",
    ],
)
def test_a_time_zone_that_is_no_zone_is_refused_with_a_reason_shown_safely(zone: str) -> None:
    from tests.test_cli import view

    with pytest.raises(UnsupportedSchedule) as refused:
        ServerSchedule.from_api(view("Daily", {"runOnlyWorkWeek": True}, timeZone=zone))
    reason = str(refused.value)
    assert "is neither an IANA time zone name nor a Windows zone ID" in reason
    assert reason.isprintable() and len(reason) < DISPLAY_LIMIT


@pytest.mark.slow
@pytest.mark.parametrize("name", ["Sales\n", POSING[0], POSING[1]], ids=["code", "path", "flood"])
def test_an_exported_dag_runs_the_right_workflow_with_its_answers_intact(
    hostile_server: tuple[RunningEmulator, Path], tmp_path: Path, airflow_db: None, name: str
) -> None:
    """As a user would: the exported folder as the DAG folder, and ``airflow dags test`` on a hostile one."""
    emulator, marker = hostile_server
    out = tmp_path / "dags"
    main(["schedules", "export", "--conn-id", "alteryx_default", "--out", str(out)])
    sales = next(s for s in load_schedules(tmp_path / "hostile.yaml") if s.name.startswith(name))
    (dag_file,) = (path for path in out.glob("*.py") if sales.workflow_id in path.read_text(encoding="utf-8"))

    airflow = Path(sys.executable).with_name("airflow")
    env = {**os.environ, "AIRFLOW__CORE__DAGS_FOLDER": str(out)}
    done = subprocess.run(
        [str(airflow), "dags", "test", dag_file.stem],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )

    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    (job,) = emulator.jobs()
    assert (job["workflowId"], job["questions"]["region"]) == (sales.workflow_id, sales.questions["region"])
    assert not marker.exists()


def test_a_file_that_would_not_parse_to_the_expected_dag_is_refused(
    hostile_server: tuple[RunningEmulator, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The renderer is checked by parsing what it wrote: were a value ever pasted raw, nothing would be written."""
    from airflow_provider_alteryx.cli import schedules as module

    schedule = ServerSchedule.from_api(load_schedules_view(hostile_server[0]))
    monkeypatch.setattr(
        module, "python_literal", lambda value: str(value) if isinstance(value, str) else repr(value)
    )
    with pytest.raises(UnsupportedSchedule, match="did not parse to the expected DAG"):
        render_dag(
            schedule, timing(schedule), server_url="http://x", conn_id="alteryx_default", workflow_name="w"
        )


def load_schedules_view(emulator: RunningEmulator) -> dict[str, Any]:
    from airflow_provider_alteryx.hooks.alteryx import AlteryxServerHook

    hook = AlteryxServerHook()
    return hook.get_schedule(str(hook.list_schedules()[0]["id"]))
