"""The ``alteryx-airflow`` command: ``alteryx-airflow schedules export --conn-id alteryx_default --out dags/``.

It reads the Server's schedules through an Airflow connection (V3, Server 2023.1 and later) and writes
one DAG file per schedule (see :mod:`airflow_provider_alteryx.cli.schedules` for the translation). A
schedule no timetable reproduces exactly is reported on stderr and written nowhere; the command then
exits with status 3, so a script notices.

``alteryx-airflow doctor --conn-id alteryx_default`` checks a Server through a connection, read-only (see
:mod:`airflow_provider_alteryx.cli.doctor`).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from airflow_provider_alteryx import __version__
from airflow_provider_alteryx.cli import doctor
from airflow_provider_alteryx.cli.schedules import TIMES_FLAG, TimesWithoutOffset

EXIT_OK = 0
EXIT_ERROR = 2  # nothing exported: bad arguments, or the Server could not be read
EXIT_UNSUPPORTED = 3  # some schedules were not exported; the others were


@dataclass
class ExportReport:
    """What an export did: files written, and schedules left out with the reason."""

    written: list[Path] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (schedule, reason)


def export_schedules(
    conn_id: str,
    out: Path,
    *,
    schedule_ids: Sequence[str] = (),
    overwrite: bool = False,
    times_without_offset: TimesWithoutOffset | None = None,
) -> ExportReport:
    """Write one DAG file per Server schedule into ``out``.

    :param schedule_ids: export only these schedules; all the connection's key can see when empty.
    :param overwrite: replace existing files (a reviewed file may carry edits, so by default it is kept and reported).
    :param times_without_offset: how to read iteration times the Server writes without a UTC offset; None
        leaves out each schedule whose readings differ.
    :return: the files written and the schedules left out, with why.
    :raises AlteryxError: the Server could not be read.
    """
    from airflow_provider_alteryx.cli.schedules import (
        ServerSchedule,
        UnsupportedSchedule,
        dag_id_for,
        render_dag,
        timing,
    )
    from airflow_provider_alteryx.exceptions import AlteryxError, AlteryxInputError, AlteryxNotFoundError
    from airflow_provider_alteryx.hooks.alteryx import AlteryxServerHook
    from airflow_provider_alteryx.utils.server_text import WORD_LIMIT, quoted

    hook = AlteryxServerHook(conn_id)
    ids = list(schedule_ids) or [str(item.get("id")) for item in hook.list_schedules()]
    out.mkdir(parents=True, exist_ok=True)
    report = ExportReport()
    names: dict[str, str | None] = {}
    exported: dict[str, str] = {}  # DAG id -> the schedule this export gave it to
    for schedule_id in ids:
        try:
            view = hook.get_schedule(schedule_id)
        except (AlteryxInputError, AlteryxNotFoundError) as reason:  # an id that is not a Server id, or gone
            report.skipped.append((quoted(schedule_id, WORD_LIMIT), f"not exported: {reason}"))
            continue
        label = f"{quoted(view.get('name'))} ({schedule_id})"
        try:
            schedule = ServerSchedule.from_api(view, times_without_offset)
            when = timing(schedule)
        except UnsupportedSchedule as reason:
            report.skipped.append((label, f"not exported: {reason}"))
            continue
        dag_id = dag_id_for(schedule)
        if dag_id in exported:  # same name and same last id characters: one file would replace the other
            report.skipped.append(
                (
                    label,
                    f"not exported: its DAG id {dag_id} is that of schedule {exported[dag_id]}, met before it; "
                    "rename one of the two on the Server, or export this one alone (--schedule-id) into another folder",
                )
            )
            continue
        exported[dag_id] = label
        if schedule.workflow_id not in names:
            try:
                names[schedule.workflow_id] = hook.get_workflow(schedule.workflow_id).name
            except AlteryxError:  # the name is only for the reader; the id is what runs
                names[schedule.workflow_id] = None
        path = out / f"{dag_id}.py"
        if path.exists() and not overwrite:
            report.skipped.append(
                (
                    label,
                    f"not exported: {path} exists (it may hold your edits); pass --overwrite to replace it",
                )
            )
            continue
        try:
            source = render_dag(
                schedule,
                when,
                server_url=hook.config.base_url,
                conn_id=conn_id,
                workflow_name=names[schedule.workflow_id],
            )
        except UnsupportedSchedule as reason:
            report.skipped.append((label, f"not exported: {reason}"))
            continue
        path.write_text(source, encoding="utf-8")
        report.written.append(path)
    return report


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="alteryx-airflow", description="Tools for moving Alteryx Server orchestration to Airflow."
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    commands = parser.add_subparsers(dest="command", required=True)
    schedules = commands.add_parser("schedules", help="work with the Server's schedules").add_subparsers(
        dest="action", required=True
    )
    export = schedules.add_parser(
        "export",
        help="write one DAG file per Server schedule",
        description="Read the Server's schedules (V3 API, Server 2023.1+) and write one DAG per schedule, paused, for review. "
        f"Schedules no timetable reproduces exactly are listed on stderr and the exit status is {EXIT_UNSUPPORTED}.",
    )
    export.add_argument(
        "--conn-id",
        default="alteryx_default",
        help="the Airflow connection to the Server (default: %(default)s)",
    )
    export.add_argument(
        "--out",
        type=Path,
        required=True,
        help="the folder to write the DAG files into (e.g. your dags/ folder)",
    )
    export.add_argument(
        "--schedule-id",
        action="append",
        default=[],
        metavar="ID",
        help="export only this schedule (repeatable)",
    )
    export.add_argument("--overwrite", action="store_true", help="replace DAG files that already exist")
    export.add_argument(
        TIMES_FLAG,
        choices=[reading.value for reading in TimesWithoutOffset],
        help="how to read schedule times the Server writes without a UTC offset: as UTC (the V3 swagger) or as "
        "wall times in the schedule's time zone (the Server's help). Without it, a schedule whose two readings "
        "differ is not exported",
    )
    doctor.add_parser(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``alteryx-airflow`` console script."""
    args = _parser().parse_args(argv)
    if args.command == "doctor":
        return doctor.command(args)
    from airflow_provider_alteryx.exceptions import AlteryxError
    from airflow_provider_alteryx.utils.server_text import display

    try:
        report = export_schedules(
            args.conn_id,
            args.out,
            schedule_ids=args.schedule_id,
            overwrite=args.overwrite,
            times_without_offset=TimesWithoutOffset(args.times_without_offset)
            if args.times_without_offset
            else None,
        )
    except AlteryxError as error:
        print(
            f"alteryx-airflow: error: cannot read the schedules through connection {args.conn_id!r}: {error}",
            file=sys.stderr,
        )
        return EXIT_ERROR
    for path in report.written:
        print(f"wrote {path}")
    for label, reason in report.skipped:
        # A reason quotes Server text (a zone, a day list): shown on one line, bounded, like every Server text.
        print(f"schedule {label} {display(reason)}", file=sys.stderr)
    print(
        f"{len(report.written)} DAG file(s) written to {args.out}, {len(report.skipped)} schedule(s) not exported."
    )
    return EXIT_UNSUPPORTED if report.skipped else EXIT_OK
