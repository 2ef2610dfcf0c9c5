"""Moving schedules off the Server: a Server schedule (V3 ``ScheduleView``) as an Airflow timetable and a DAG file.

The translation is exact or refused. Each frequency becomes:

- ``Once``: ``@once`` at the schedule's start.
- ``Hourly`` (every H hours M minutes from the start): a cron in UTC, so the period stays exact across
  daylight-saving changes; only periods that divide an hour, or whole hours that divide a day, fit a cron.
- ``Daily`` (``runOnlyWorkWeek``: Monday to Friday), ``Weekly`` (its days), ``Monthly`` (a day of the
  month, or the Nth weekday) and ``Custom`` (days of chosen months): a cron at the start's wall time
  in the schedule's time zone, so a 06:30 run stays at 06:30 local time across daylight-saving changes.

Refused, with the reason: periods no cron expresses (every 90 minutes, every 5 hours), days of the
month that some chosen month lacks (the 31st, February 29th: whether the Server then skips the month
or runs on its last day is not documented), an Nth weekday beyond the 4th, and any other frequency.

Assumptions where the swagger is silent: the Server's times (``iteration.startTime``, ``endTime``) are
UTC, as the swagger says; the schedule's time zone is the field ``timeZone`` (an IANA name; UTC when
absent); question values are the field ``questions`` (``[{name, value}]``).
"""

from __future__ import annotations

import ast
import calendar
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from airflow_provider_alteryx.utils.server_text import (
    WORD_LIMIT,
    code_comment,
    display,
    docstring_literal,
    python_literal,
    quoted,
)
from airflow_provider_alteryx.validation import server_id

WEEKDAYS = ("Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday")
CRON_DAYS = ("sun", "mon", "tue", "wed", "thu", "fri", "sat")
MINUTES_PER_DAY = 24 * 60
# The Nth weekday of a month that a cron's "#" can express for every month.
MAX_OCCURRENCE = 4
# February in a common year: a day of the month beyond a month's length here is missing in some year.
DAYS_IN_MONTH = {month: calendar.monthrange(2026, month)[1] for month in range(1, 13)}


class UnsupportedSchedule(ValueError):
    """A schedule no Airflow timetable reproduces exactly; the message says why."""


@dataclass(frozen=True)
class Timing:
    """When a DAG runs: ``cron`` (or ``@once``) in ``timezone``, from ``start`` until ``end``.

    :param summary: the schedule in words, for the DAG file's header.
    """

    cron: str
    timezone: str
    start: datetime
    end: datetime | None
    summary: str


@dataclass(frozen=True)
class ServerSchedule:
    """The fields of a Server schedule the export uses, read from a ``ScheduleView``."""

    id: str
    name: str
    workflow_id: str
    frequency: str
    start: datetime  # UTC
    end: datetime | None
    time_zone: str
    contract: Mapping[str, Any]
    questions: dict[str, str] = field(default_factory=dict)
    priority: str | None = None
    worker_tag: str | None = None
    enabled: bool = True
    owner_id: str | None = None
    comment: str = ""
    credential_id: str | None = None

    @classmethod
    def from_api(cls, data: Mapping[str, Any]) -> ServerSchedule:
        """Read a ``ScheduleView``.

        :raises UnsupportedSchedule: a field the export needs is missing or unreadable.
        """
        iteration = data.get("iteration")
        if not isinstance(iteration, Mapping):
            raise UnsupportedSchedule("the Server's answer has no iteration (its timing)")
        frequency = str(iteration.get("iterationType") or data.get("frequency") or "")
        contract = next(
            (
                value
                for key, value in iteration.items()
                if key.endswith("Contract") and isinstance(value, Mapping)
            ),
            {},
        )
        questions = data.get("questions") or []
        return cls(
            id=server_id(data.get("id"), "schedule id"),
            name=str(data.get("name") or data.get("id")),
            workflow_id=server_id(data.get("workflowId"), "workflowId"),
            frequency=frequency,
            start=_utc(iteration.get("startTime"), "iteration.startTime"),
            end=_utc(iteration.get("endTime"), "iteration.endTime") if iteration.get("endTime") else None,
            time_zone=str(data.get("timeZone") or "UTC"),
            contract=contract,
            questions={
                str(q["name"]): str(q.get("value", ""))
                for q in questions
                if isinstance(q, Mapping) and "name" in q
            },
            priority=_text(data.get("priority")),
            worker_tag=_text(data.get("workerTag")),
            enabled=data.get("enabled") is not False,
            owner_id=_text(data.get("ownerId")),
            comment=str(data.get("comment") or ""),
            credential_id=_text(data.get("credentialId")),
        )


def _text(value: Any) -> str | None:
    return str(value) if value not in (None, "") else None


def _utc(value: Any, name: str) -> datetime:
    try:
        moment = datetime.fromisoformat(str(value))
    except ValueError:
        raise UnsupportedSchedule(f"{name} is {value!r}, not an ISO-8601 time") from None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def timing(schedule: ServerSchedule) -> Timing:
    """The timetable that runs when the Server schedule does.

    :raises UnsupportedSchedule: no cron reproduces it exactly; the message says why.
    """
    try:
        zone = ZoneInfo(schedule.time_zone)
    except (ZoneInfoNotFoundError, ValueError):
        raise UnsupportedSchedule(
            f"its time zone {schedule.time_zone!r} is not an IANA time zone name"
        ) from None
    local = schedule.start.astimezone(zone)
    end = schedule.end.astimezone(zone) if schedule.end else None
    contract = schedule.contract
    at = f"{local:%H:%M}"
    match schedule.frequency:
        case "Once":
            return Timing("@once", schedule.time_zone, local, None, f"once, on {local:%Y-%m-%d} at {at}")
        case "Hourly":
            cron, words = _hourly(
                schedule.start, int(contract.get("hours", 0)), int(contract.get("minutes", 0))
            )
            return Timing(cron, "UTC", schedule.start, schedule.end, words)
        case "Daily":
            work_week = bool(contract.get("runOnlyWorkWeek"))
            days, words = ("mon-fri", "Monday to Friday") if work_week else ("*", "every day")
            return Timing(
                f"{local.minute} {local.hour} * * {days}", schedule.time_zone, local, end, f"{words} at {at}"
            )
        case "Weekly":
            names = _weekdays(contract.get("daysOfWeek"))
            cron_days = ",".join(CRON_DAYS[WEEKDAYS.index(day)] for day in names)
            return Timing(
                f"{local.minute} {local.hour} * * {cron_days}",
                schedule.time_zone,
                local,
                end,
                f"every {', '.join(names)} at {at}",
            )
        case "Monthly":
            day_field, words = _monthly(contract)
            return Timing(
                f"{local.minute} {local.hour} {day_field}", schedule.time_zone, local, end, f"{words} at {at}"
            )
        case "Custom":
            month_days, months = (
                _numbers(contract.get("daysOfMonth"), 1, 31, "daysOfMonth"),
                _numbers(contract.get("months"), 1, 12, "months"),
            )
            _check_days_exist(month_days, months)
            words = f"on days {', '.join(map(str, month_days))} of {', '.join(calendar.month_abbr[m] for m in months)} at {at}"
            return Timing(
                f"{local.minute} {local.hour} {','.join(map(str, month_days))} {','.join(map(str, months))} *",
                schedule.time_zone,
                local,
                end,
                words,
            )
    raise UnsupportedSchedule(
        f"its frequency {schedule.frequency or '(none)'!r} is not one of Once, Hourly, Daily, Weekly, Monthly, Custom"
    )


def _hourly(anchor: datetime, hours: int, minutes: int) -> tuple[str, str]:
    """A UTC cron running every ``hours``:``minutes`` from ``anchor``, where one exists."""
    period = hours * 60 + minutes
    words = f"every {hours} h {minutes} min from {anchor:%H:%M} UTC"
    if period <= 0:
        raise UnsupportedSchedule(f"its hourly period is {hours} h {minutes} min")
    if 60 % period == 0:
        minute_field = f"{anchor.minute % period}-59/{period}" if period < 60 else str(anchor.minute)
        return f"{minute_field} * * * *", words
    if period % 60 == 0 and MINUTES_PER_DAY % period == 0:
        step = period // 60
        hour_field = (
            "*" if step == 1 else str(anchor.hour) if step == 24 else f"{anchor.hour % step}-23/{step}"
        )
        return f"{anchor.minute} {hour_field} * * *", words
    raise UnsupportedSchedule(
        f"it runs {words}: no cron expression keeps that period (only periods dividing an hour, or whole hours dividing a day, do). "
        "Choose a period that does, or schedule the DAG with your own timetable"
    )


def _weekdays(value: Any) -> list[str]:
    if (
        not isinstance(value, Sequence)
        or isinstance(value, str)
        or not value
        or any(day not in WEEKDAYS for day in value)
    ):
        raise UnsupportedSchedule(f"its weekly days {value!r} are not a list of {', '.join(WEEKDAYS)}")
    return sorted(set(value), key=WEEKDAYS.index)


def _monthly(contract: Mapping[str, Any]) -> tuple[str, str]:
    """The cron's day-of-month, month and day-of-week fields of a monthly schedule, and their words."""
    if contract.get("simpleDayOfMonth"):
        (day,) = _numbers([contract.get("dayOfMonth")], 1, 31, "dayOfMonth")
        _check_days_exist([day], list(range(1, 13)))
        return f"{day} * *", f"on day {day} of every month"
    occurrence, weekday = contract.get("occurrence"), contract.get("dayOfWeek")
    if weekday not in WEEKDAYS:
        raise UnsupportedSchedule(f"its monthly dayOfWeek {weekday!r} is not one of {', '.join(WEEKDAYS)}")
    if not isinstance(occurrence, int) or not 1 <= occurrence <= MAX_OCCURRENCE:
        raise UnsupportedSchedule(
            f"it runs on occurrence {occurrence!r} of {weekday} each month: a cron names only the 1st to {MAX_OCCURRENCE}th weekday of a month "
            "(a 5th one is missing from most months, and what the Server then does is not documented)"
        )
    ordinal = {1: "1st", 2: "2nd", 3: "3rd"}.get(occurrence, f"{occurrence}th")
    return (
        f"* * {CRON_DAYS[WEEKDAYS.index(weekday)]}#{occurrence}",
        f"on the {ordinal} {weekday} of every month",
    )


def _numbers(value: Any, low: int, high: int, name: str) -> list[int]:
    if (
        not isinstance(value, Sequence)
        or isinstance(value, str)
        or not value
        or not all(isinstance(v, int) and low <= v <= high for v in value)
    ):
        raise UnsupportedSchedule(f"its {name} {value!r} is not a list of whole numbers from {low} to {high}")
    return sorted(set(value))


def _check_days_exist(days: list[int], months: list[int]) -> None:
    missing = [f"{calendar.month_name[m]} {d}" for m in months for d in days if d > DAYS_IN_MONTH[m]]
    if missing:
        raise UnsupportedSchedule(
            f"it runs on days some chosen months lack ({', '.join(missing[:3])}{'...' if len(missing) > 3 else ''}): a cron skips those months, "
            "and whether the Server skips them or runs on the month's last day is not documented. Pick days up to 28, or write the timetable yourself"
        )


# ---- the DAG file --------------------------------------------------------------------------------
def dag_id_for(schedule: ServerSchedule) -> str:
    """A readable, unique DAG id: the schedule's name, and the end of its id."""
    slug = re.sub(r"[^a-z0-9]+", "_", schedule.name.lower()).strip("_")[:60] or "schedule"
    return f"alteryx_{slug}_{schedule.id[-6:]}"


def render_dag(
    schedule: ServerSchedule, when: Timing, *, server_url: str, conn_id: str, workflow_name: str | None
) -> str:
    """The DAG file's source: a header naming the Server schedule it replaces, then one task running the workflow.

    Server text (names, the comment, question values) enters the file only as literals and as one-line,
    escaped comment and docstring text; the file is then parsed and checked against what it must say.

    :raises UnsupportedSchedule: the file did not parse to exactly the expected DAG (a bug: nothing is written).
    """
    dag_file = _dag_file(schedule, when, server_url=server_url, conn_id=conn_id, workflow_name=workflow_name)
    source = _render(dag_file)
    _check(source, dag_file)
    return source


@dataclass(frozen=True)
class DagFile:
    """A generated DAG file as the values its literals hold: both what is written and what the file is checked to say.

    :param cron: the timetable's cron in ``timezone``; None for ``@once``.
    :param start: ``pendulum.datetime``'s positional arguments (year, month, day, hour, minute) in ``timezone``.
    :param dag: the other literal keyword arguments of ``DAG(...)``.
    :param operator: the literal keyword arguments of ``AlteryxRunWorkflowOperator(...)``.
    :param workflow: the workflow as the comment above ``workflow_id`` names it.
    """

    docstring: str
    cron: str | None
    timezone: str
    start: tuple[int, ...]
    end: tuple[int, ...] | None
    dag: dict[str, Any]
    operator: dict[str, Any]
    workflow: str


def _dag_file(
    schedule: ServerSchedule, when: Timing, *, server_url: str, conn_id: str, workflow_name: str | None
) -> DagFile:
    workflow = f"{display(workflow_name)} ({schedule.workflow_id})" if workflow_name else schedule.workflow_id
    until = f", ends {schedule.end:%Y-%m-%dT%H:%M}Z" if schedule.end else ""
    notes = [
        f"Replaces the Alteryx Server schedule {quoted(schedule.name)} (id {schedule.id}, "
        f"owner {display(schedule.owner_id or 'unknown', WORD_LIMIT)})",
        f"on {display(server_url)} (GET /webapi/v3/schedules/{schedule.id}).",
        f"Server iteration {display(schedule.frequency, WORD_LIMIT)}: {display(when.summary)} "
        f"({display(schedule.time_zone, WORD_LIMIT)}); starts {schedule.start:%Y-%m-%dT%H:%M}Z{until}.",
    ]
    if not schedule.enabled:
        notes.append("The Server schedule is disabled.")
    if schedule.comment:
        notes.append(f"Its comment: {display(schedule.comment)}")
    options = {
        "questions": schedule.questions or None,
        "priority": schedule.priority,
        "worker_tag": schedule.worker_tag,
        "credential_id": schedule.credential_id,
    }
    return DagFile(
        docstring=(
            f"Run {workflow} as the Alteryx Server schedule {quoted(schedule.name)} did.\n\n"
            + "\n".join(notes)
            + "\n\nGenerated by `alteryx-airflow schedules export`. Review it, unpause the DAG, then disable the Server\n"
            "schedule: while both are on, the workflow runs twice.\n"
        ),
        cron=None if when.cron == "@once" else when.cron,
        timezone=when.timezone,
        start=_wall_time(when.start, when.timezone),
        end=_wall_time(when.end, when.timezone) if when.end else None,
        dag={
            "dag_id": dag_id_for(schedule),
            "catchup": False,
            "is_paused_upon_creation": True,
            "tags": ["alteryx", "from-server-schedule"],
        },
        operator={
            "task_id": "run_workflow",
            "workflow_id": schedule.workflow_id,
            **{name: value for name, value in options.items() if value},
            "alteryx_conn_id": conn_id,
            "deferrable": True,
        },
        workflow=workflow,
    )


def _wall_time(moment: datetime, zone: str) -> tuple[int, ...]:
    local = moment.astimezone(ZoneInfo(zone))
    return (local.year, local.month, local.day, local.hour, local.minute)


def _pendulum(wall_time: tuple[int, ...], zone: str) -> str:
    return f"pendulum.datetime({', '.join(map(str, wall_time))}, tz={python_literal(zone)})"


_IMPORTS = (
    "from __future__ import annotations",
    "import pendulum",
    "from airflow.providers.common.compat.sdk import DAG",
    "from airflow_provider_alteryx.operators.alteryx import AlteryxRunWorkflowOperator",
)
_TIMETABLE_IMPORT = "from airflow.timetables.trigger import CronTriggerTimetable"


def _render(dag_file: DagFile) -> str:
    end = f"    end_date={_pendulum(dag_file.end, dag_file.timezone)},\n" if dag_file.end else ""
    operator = "".join(
        (f"        {code_comment(dag_file.workflow)}\n" if name == "workflow_id" else "")
        + f"        {name}={python_literal(value)},\n"
        for name, value in dag_file.operator.items()
    )
    dag = dag_file.dag
    timetable_import = "" if dag_file.cron is None else f"{_TIMETABLE_IMPORT}\n"
    return f"""{docstring_literal(dag_file.docstring)}

{_IMPORTS[0]}

{_IMPORTS[1]}
{_IMPORTS[2]}
{timetable_import}
{_IMPORTS[3]}

with DAG(
    dag_id={python_literal(dag["dag_id"])},
    schedule={_schedule(dag_file)},
    start_date={_pendulum(dag_file.start, dag_file.timezone)},
{end}    catchup={python_literal(dag["catchup"])},
    # Paused until reviewed: the Server schedule it replaces may still be running the workflow.
    is_paused_upon_creation={python_literal(dag["is_paused_upon_creation"])},
    tags={python_literal(dag["tags"])},
):
    AlteryxRunWorkflowOperator(
{operator}    )
"""


def _schedule(dag_file: DagFile) -> str:
    if dag_file.cron is None:
        return python_literal("@once")
    return (
        f"CronTriggerTimetable({python_literal(dag_file.cron)}, timezone={python_literal(dag_file.timezone)})"
    )


class _UnexpectedShape(Exception):
    """The generated file says something other than its :class:`DagFile`."""


def _expect(condition: bool, what: str) -> None:
    if not condition:
        raise _UnexpectedShape(what)


def _check(source: str, dag_file: DagFile) -> None:
    """Parse the generated file and check that it says exactly ``dag_file``: its docstring, its imports, one
    ``with DAG(...)`` holding one ``AlteryxRunWorkflowOperator(...)``, and no value that is not a literal.

    :raises UnsupportedSchedule: anything else (the file is not written).
    """
    try:
        tree = ast.parse(source)
        _expect(ast.get_docstring(tree, clean=False) == dag_file.docstring, "the docstring")
        _, *imports, with_dag = tree.body
        expected_imports = [*_IMPORTS, *([] if dag_file.cron is None else [_TIMETABLE_IMPORT])]
        _expect(sorted(map(ast.unparse, imports)) == sorted(expected_imports), "the imports")
        _expect(
            isinstance(with_dag, ast.With) and len(with_dag.items) == len(with_dag.body) == 1, "one with DAG"
        )
        assert isinstance(with_dag, ast.With)  # for the type checker: _expect has just said so
        (task,) = with_dag.body
        _expect(isinstance(task, ast.Expr), "one task")
        dag_arguments = _keywords(with_dag.items[0].context_expr, "DAG")
        _expect(
            {name: _literal(dag_arguments.pop(name, None)) for name in dag_file.dag} == dag_file.dag, "DAG()"
        )
        timing = {"schedule": _schedule(dag_file), "start_date": _pendulum(dag_file.start, dag_file.timezone)}
        if dag_file.end:
            timing["end_date"] = _pendulum(dag_file.end, dag_file.timezone)
        _expect(dag_arguments.keys() == timing.keys(), "the DAG's timing arguments")
        for name, expected in timing.items():
            _expect(ast.dump(dag_arguments[name]) == ast.dump(ast.parse(expected, mode="eval").body), name)
        task_arguments = _keywords(task.value, "AlteryxRunWorkflowOperator")  # type: ignore[attr-defined]
        _expect(
            {name: _literal(value) for name, value in task_arguments.items()} == dag_file.operator, "the task"
        )
    except (_UnexpectedShape, SyntaxError, ValueError) as problem:
        raise UnsupportedSchedule(
            f"the generated DAG file did not parse to the expected DAG ({display(problem, WORD_LIMIT)}); "
            "nothing was written. Please report this with the schedule's export log"
        ) from None


def _literal(node: ast.expr | None) -> Any:
    """The value of a literal node (raises ValueError for anything that is not a literal)."""
    if node is None:
        raise ValueError("a missing argument")
    return ast.literal_eval(node)


def _keywords(node: ast.expr, function: str) -> dict[str, ast.expr]:
    """The keyword arguments of a call of ``function`` by name; it must take no positional ones."""
    _expect(
        isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == function, function
    )
    assert isinstance(node, ast.Call)  # for the type checker
    _expect(
        not node.args and all(keyword.arg for keyword in node.keywords), f"{function}'s keyword arguments"
    )
    return {str(keyword.arg): keyword.value for keyword in node.keywords}
