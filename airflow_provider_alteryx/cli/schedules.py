"""Moving schedules off the Server: a Server schedule (V3 ``ScheduleView``) as an Airflow timetable and a DAG file.

The translation is exact or refused. Each frequency becomes:

- ``Once``: ``@once`` at the schedule's start.
- ``Hourly`` (every H hours M minutes from the start): a cron in UTC, so the period stays exact across
  daylight-saving changes; only periods that divide an hour, or whole hours that divide a day, fit a cron.
- ``Daily`` (``runOnlyWorkWeek``: Monday to Friday), ``Weekly`` (its days), ``Monthly`` (a day of the
  month, or the Nth weekday) and ``Custom`` (days of chosen months): a cron at the start's wall time
  in the schedule's time zone, so a 06:30 run stays at 06:30 local time across daylight-saving changes.
- ``Cron`` (Server 2025.1 and later): its cron expression as it is, in the schedule's time zone.

Refused, with the reason: an iteration without the contract its type needs (the V3 swagger declares the
iteration as ``startTime`` and ``endTime`` only, and a missing ``runOnlyWorkWeek`` cannot be read as
"every day"), a field of the wrong type, periods no cron expresses (every 90 minutes, every 5 hours), days
of the month that some chosen month lacks (the 31st, February 29th: whether the Server then skips the
month or runs on its last day is not documented), an Nth weekday beyond the 4th, cron expressions outside
the syntax the Server documents or that Airflow's cron reads otherwise, and any other frequency.

Time zones: the field ``timeZone``, an IANA name or a Windows ID (``W. Europe Standard Time``), which
CLDR's table (as the tzlocal package ships it) maps to an IANA name. Iteration times: one with a UTC
offset or ``Z`` is read as written. One without is UTC by the swagger and wall time in the schedule's
zone by the Server's help; where the two readings differ, the caller says which holds
(:class:`TimesWithoutOffset`) or the schedule is refused. Question values are the field ``questions``
(``[{name, value}]``).
"""

from __future__ import annotations

import ast
import calendar
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

# Only what is light is imported here: the command line builds its parser from this module before any Airflow
# import. The provider's validation is imported where it is used.
from airflow_provider_alteryx.utils.server_text import (
    WORD_LIMIT,
    code_comment,
    display,
    docstring_literal,
    python_literal,
    quoted,
)

WEEKDAYS = ("Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday")
CRON_DAYS = ("sun", "mon", "tue", "wed", "thu", "fri", "sat")
MINUTES_PER_DAY = 24 * 60
# The Nth weekday of a month that a cron's "#" can express for every month.
MAX_OCCURRENCE = 4
# February in a common year: a day of the month beyond a month's length here is missing in some year.
DAYS_IN_MONTH = {month: calendar.monthrange(2026, month)[1] for month in range(1, 13)}
# February in a leap year: a day of the month beyond a month's length here is missing in every year.
LONGEST_MONTH = {month: calendar.monthrange(2028, month)[1] for month in range(1, 13)}
# The contract each iteration type needs (the swagger's IterationContract: "Required when the IterationType is
# ..."), and what cannot be known without it. Once needs none: its start is all there is.
CONTRACTS = {
    "Hourly": ("hourlyContract", "its period"),
    "Daily": ("dailyContract", "whether it runs every day or Monday to Friday"),
    "Weekly": ("weeklyContract", "the days of the week it runs on"),
    "Monthly": ("monthlyContract", "the day of the month it runs on"),
    "Custom": ("customContract", "the days and months it runs on"),
    "Cron": ("cronContract", "its cron expression"),
}
FREQUENCIES = ("Once", *CONTRACTS)
# The fields of the Server's cron expressions as its swagger documents them, with their values (the day of the
# week runs to 7: Sunday is both 0 and 7).
CRON_FIELDS = (
    ("minute", 0, 59),
    ("hour", 0, 23),
    ("day of month", 1, 31),
    ("month", 1, 12),
    ("day of week", 0, 7),
)
DAY_OF_MONTH, MONTH, DAY_OF_WEEK = 2, 3, 4
# One element of a cron field in that syntax: "*", a number or a range a-b, then an optional step "/n". Three
# digits at most: every value fits in two, so a third is out of range and a fourth is not a number of the syntax.
_CRON_ELEMENT = re.compile(r"(?:\*|(\d{1,3})-(\d{1,3})|(\d{1,3}))(?:/(\d{1,3}))?")
# Times that stay within datetime's range whatever zone they are moved to.
_YEARS = range(2, 9999)
# The export's option that says how to read times without an offset: refusals name it.
TIMES_FLAG = "--times-without-offset"


class UnsupportedSchedule(ValueError):
    """A schedule no Airflow timetable reproduces exactly, or a Server answer that cannot say which; the message says why."""


class TimesWithoutOffset(StrEnum):
    """How iteration times written without a UTC offset are read: the Server's sources disagree."""

    # The V3 swagger: "All times are in UTC-0".
    UTC = "utc"
    # The Server's help: "if timeZone is specified, all the Date Time fields will correspond to the specified timezone".
    SCHEDULE_ZONE = "schedule-zone"


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
    """The fields of a Server schedule the export uses, read from a ``ScheduleView``.

    :param time_zone: the zone as the Server names it (an IANA name or a Windows ID); None where it names none.
    :param zone: the IANA name of ``time_zone``.
    :param times: how the iteration times were read, in words for the DAG file.
    """

    id: str
    name: str
    workflow_id: str
    frequency: str
    start: datetime  # UTC
    end: datetime | None  # UTC
    time_zone: str | None
    zone: str | None
    times: str
    contract: Mapping[str, Any]
    questions: dict[str, str] = field(default_factory=dict)
    priority: str | None = None
    worker_tag: str | None = None
    enabled: bool = True
    owner_id: str | None = None
    comment: str = ""
    credential_id: str | None = None

    @classmethod
    def from_api(
        cls, data: Mapping[str, Any], times_without_offset: TimesWithoutOffset | None = None
    ) -> ServerSchedule:
        """Read a ``ScheduleView``.

        :param times_without_offset: how to read iteration times written without a UTC offset; None refuses
            a schedule whose two readings differ.
        :raises UnsupportedSchedule: a field the export needs is missing, of the wrong type or unreadable.
        """
        from airflow_provider_alteryx.exceptions import AlteryxInputError
        from airflow_provider_alteryx.hooks.jobs import parse_priority
        from airflow_provider_alteryx.validation import server_id

        if not isinstance(data, Mapping) or not isinstance(data.get("iteration"), Mapping):
            raise UnsupportedSchedule("the Server's answer has no iteration (its timing)")
        iteration = data["iteration"]
        frequency = _frequency(iteration.get("iterationType"), data.get("frequency"))
        time_zone = _text(data.get("timeZone"), "timeZone")
        zone = _iana(time_zone) if time_zone else None
        start, end, times = _times(iteration, zone, times_without_offset)
        if end is not None and end < start and frequency != "Once":  # the swagger: Once ignores endTime
            raise UnsupportedSchedule(
                f"it ends ({end:%Y-%m-%dT%H:%M}Z) before it starts ({start:%Y-%m-%dT%H:%M}Z)"
            )
        priority = _text(data.get("priority"), "priority")
        try:
            schedule_id = server_id(data.get("id"), "schedule id")
            workflow_id = server_id(data.get("workflowId"), "workflowId")
            parse_priority(priority)  # as the exported operator will, when its DAG file is parsed
        except AlteryxInputError as reason:
            raise UnsupportedSchedule(str(reason)) from None
        return cls(
            id=schedule_id,
            name=_text(data.get("name"), "name") or schedule_id,
            workflow_id=workflow_id,
            frequency=frequency,
            start=start,
            end=end,
            time_zone=time_zone,
            zone=zone,
            times=times,
            contract=_contract(iteration, frequency),
            questions=_questions(data.get("questions")),
            priority=priority,
            worker_tag=_text(data.get("workerTag"), "workerTag"),
            enabled=_flag(data.get("enabled"), "enabled", default=True),
            owner_id=_text(data.get("ownerId"), "ownerId"),
            comment=_text(data.get("comment"), "comment") or "",
            credential_id=_text(data.get("credentialId"), "credentialId"),
        )


def _flag(value: Any, name: str, *, default: bool) -> bool:
    """A true-or-false field: ``default`` where the answer has none."""
    if value is None:
        return default
    if not isinstance(value, bool):
        raise UnsupportedSchedule(f"its {name} is {_shown(value)}, not true or false")
    return value


def _text(value: Any, name: str) -> str | None:
    """A text field: None where the answer has none."""
    if value is None or isinstance(value, str):
        return value or None
    raise UnsupportedSchedule(f"its {name} is {_shown(value)}, not a text")


def _shown(value: Any) -> str:
    """A value of the Server's answer as a reason quotes it: short, one line, its type visible."""
    return quoted(value, WORD_LIMIT) if isinstance(value, str) else display(repr(value), WORD_LIMIT)


def _frequency(iteration_type: Any, frequency: Any) -> str:
    """The iteration type: ``iteration.iterationType``, or the top-level ``frequency`` the swagger declares."""
    stated = [value for value in (iteration_type, frequency) if value not in (None, "")]
    if not stated:
        raise UnsupportedSchedule("the Server's answer names no iteration type (iterationType or frequency)")
    if any(value != stated[0] for value in stated):
        raise UnsupportedSchedule(
            f"its iterationType {_shown(iteration_type)} and its frequency {_shown(frequency)} disagree"
        )
    if stated[0] not in FREQUENCIES:
        raise UnsupportedSchedule(f"its frequency {_shown(stated[0])} is not one of {', '.join(FREQUENCIES)}")
    return str(stated[0])


def _contract(iteration: Mapping[str, Any], frequency: str) -> Mapping[str, Any]:
    """The contract of the iteration's type; refused when missing, never taken as empty."""
    if frequency not in CONTRACTS:
        return {}
    key, unknown = CONTRACTS[frequency]
    contract = iteration.get(key)
    if not isinstance(contract, Mapping):
        raise UnsupportedSchedule(
            f"the Server's answer has no {key} in its iteration, so {unknown} cannot be read (the V3 swagger "
            "declares the iteration as startTime and endTime only). Schedule the workflow in a DAG of your own"
        )
    return contract


def _questions(value: Any) -> dict[str, str]:
    """The question values, ``[{name, value}]``: each one is kept exactly, or the schedule is refused."""
    if value is None:
        return {}
    answers: dict[str, str] = {}
    if not isinstance(value, list):
        raise UnsupportedSchedule(f"its questions are {_shown(value)}, not a list of {{name, value}}")
    for answer in value:
        if not (
            isinstance(answer, Mapping)
            and isinstance(answer.get("name"), str)
            and answer["name"]
            and isinstance(answer.get("value"), str)
            and answer["name"] not in answers
        ):
            raise UnsupportedSchedule(
                f"its question value {_shown(answer)} is not a {{name, value}} of two texts, with a name of its own"
            )
        answers[answer["name"]] = answer["value"]
    return answers


def _iana(name: str) -> str:
    """The IANA name of the schedule's zone: the name itself, or the zone CLDR's table gives a Windows ID."""
    try:
        ZoneInfo(name)
        return name
    except (ZoneInfoNotFoundError, ValueError, OSError):  # OSError: a name too long for a file name
        pass
    # tzlocal ships CLDR's table of Windows zone IDs (it depends on nothing but tzdata).
    from tzlocal.windows_tz import win_tz

    if name not in win_tz:
        raise UnsupportedSchedule(
            f"its time zone {quoted(name, WORD_LIMIT)} is neither an IANA time zone name nor a Windows zone ID "
            "of CLDR's table"
        )
    return str(win_tz[name])


def _times(
    iteration: Mapping[str, Any], zone: str | None, reading: TimesWithoutOffset | None
) -> tuple[datetime, datetime | None, str]:
    """The iteration's start and end in UTC, and how they were read, in words."""
    start = _moment(iteration.get("startTime"), "iteration.startTime")
    raw_end = iteration.get("endTime")
    end = None if raw_end in (None, "") else _moment(raw_end, "iteration.endTime")
    naive = [moment for moment in (start, end) if moment is not None and moment.tzinfo is None]
    # Without a timeZone both readings are UTC (the help's "if timeZone is specified").
    clock = ZoneInfo(zone or "UTC")
    if not naive:
        how = "carry a UTC offset and were read as written"
    elif reading is TimesWithoutOffset.UTC:
        how = f"have no UTC offset and were read as UTC, as the V3 swagger says ({TIMES_FLAG} {TimesWithoutOffset.UTC})"
    elif reading is TimesWithoutOffset.SCHEDULE_ZONE:
        how = (
            f"have no UTC offset and were read as wall times in {clock.key}, as the Server's help says "
            f"({TIMES_FLAG} {TimesWithoutOffset.SCHEDULE_ZONE})"
        )
    elif all(_offsets(moment, clock) == {timedelta(0)} for moment in naive):
        how = f"have no UTC offset; both readings (UTC, or wall time in {clock.key}) give the same times"
    else:
        raise UnsupportedSchedule(
            f"its iteration times have no UTC offset (startTime {_shown(iteration.get('startTime'))}) and "
            f"its time zone is {clock.key}: the V3 swagger says such times are UTC, the Server's help that "
            "they are wall times in the schedule's zone, and here the two differ. Say which your Server "
            f"writes with {TIMES_FLAG} {TimesWithoutOffset.UTC} or {TIMES_FLAG} {TimesWithoutOffset.SCHEDULE_ZONE} "
            "(a schedule's startTime in the API "
            "beside its start on the Server's schedule page tells)"
        )
    local = reading is TimesWithoutOffset.SCHEDULE_ZONE
    return (
        _instant(start, clock, local),
        None if end is None else _instant(end, clock, local),
        f"Its iteration times {how}.",
    )


def _moment(value: Any, name: str) -> datetime:
    """An ISO-8601 time of the answer, as written (with its offset, or naive)."""
    try:
        moment = datetime.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        moment = None
    if moment is None or moment.year not in _YEARS:
        raise UnsupportedSchedule(
            f"its {name} is {_shown(value)}, not an ISO-8601 time of the years 2 to 9998"
        )
    return moment


def _offsets(moment: datetime, clock: ZoneInfo) -> set[timedelta | None]:
    """The UTC offsets a wall time may have in ``clock``: two in a daylight-saving fold, or in a gap."""
    return {moment.replace(tzinfo=clock, fold=fold).utcoffset() for fold in (0, 1)}


def _instant(moment: datetime, clock: ZoneInfo, local: bool) -> datetime:
    """``moment`` in UTC: as written when it has an offset, else as a wall time in ``clock`` or as UTC."""
    if moment.tzinfo is not None:
        return moment.astimezone(UTC)
    if not local:
        return moment.replace(tzinfo=UTC)
    if len(_offsets(moment, clock)) > 1:
        raise UnsupportedSchedule(
            f"its time {moment:%Y-%m-%dT%H:%M} occurs twice, or never, in {clock.key} (a daylight-saving change), "
            "so no single moment is meant"
        )
    return moment.replace(tzinfo=clock).astimezone(UTC)


def timing(schedule: ServerSchedule) -> Timing:
    """The timetable that runs when the Server schedule does.

    :raises UnsupportedSchedule: no cron reproduces it exactly, or a field it needs is unreadable; the message says why.
    """
    contract = schedule.contract
    if schedule.frequency == "Hourly":  # a period: kept in UTC, whatever the zone
        cron, words = _hourly(schedule.start, _whole(contract, "hours", 0), _whole(contract, "minutes", 0))
        return Timing(cron, "UTC", schedule.start, schedule.end, words)
    if schedule.zone is None and schedule.frequency != "Once":
        raise UnsupportedSchedule(
            f"the Server's answer names no timeZone, and a {schedule.frequency} schedule runs at a wall time in "
            "some zone: which one the Server then uses is not documented"
        )
    zone = schedule.zone or "UTC"
    local = schedule.start.astimezone(ZoneInfo(zone))
    end = schedule.end.astimezone(ZoneInfo(zone)) if schedule.end else None
    at = f"{local:%H:%M}"
    match schedule.frequency:
        case "Once":
            return Timing("@once", zone, local, None, f"once, on {local:%Y-%m-%d} at {at}")
        case "Daily":
            work_week = contract.get("runOnlyWorkWeek")
            if not isinstance(work_week, bool):
                raise UnsupportedSchedule(
                    f"its runOnlyWorkWeek is {_shown(work_week)}, not true or false, so whether it runs every "
                    "day or Monday to Friday cannot be read"
                )
            days, words = ("mon-fri", "Monday to Friday") if work_week else ("*", "every day")
            return Timing(f"{local.minute} {local.hour} * * {days}", zone, local, end, f"{words} at {at}")
        case "Weekly":
            names = _weekdays(contract.get("daysOfWeek"))
            cron_days = ",".join(CRON_DAYS[WEEKDAYS.index(day)] for day in names)
            return Timing(
                f"{local.minute} {local.hour} * * {cron_days}",
                zone,
                local,
                end,
                f"every {', '.join(names)} at {at}",
            )
        case "Monthly":
            day_field, words = _monthly(contract)
            return Timing(f"{local.minute} {local.hour} {day_field}", zone, local, end, f"{words} at {at}")
        case "Custom":
            month_days, months = (
                _numbers(contract.get("daysOfMonth"), 1, 31, "daysOfMonth"),
                _numbers(contract.get("months"), 1, 12, "months"),
            )
            _check_days_exist(month_days, months)
            words = f"on days {', '.join(map(str, month_days))} of {', '.join(calendar.month_abbr[m] for m in months)} at {at}"
            return Timing(
                f"{local.minute} {local.hour} {','.join(map(str, month_days))} {','.join(map(str, months))} *",
                zone,
                local,
                end,
                words,
            )
        case "Cron":
            cron = _cron(contract.get("cronExpression"))
            return Timing(cron, zone, local, end, f"on the cron {cron} in {zone}, from {local:%Y-%m-%d} {at}")
    raise UnsupportedSchedule(
        f"its frequency {_shown(schedule.frequency)} is not one of {', '.join(FREQUENCIES)}"
    )


def _whole(contract: Mapping[str, Any], key: str, low: int) -> int:
    """A whole-number field of the contract, at least ``low`` (JSON true is not one)."""
    value = contract.get(key)
    if isinstance(value, bool) or not isinstance(value, int) or value < low:
        raise UnsupportedSchedule(f"its {key} is {_shown(value)}, not a whole number from {low}")
    return value


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
    if not isinstance(value, list) or not value or any(day not in WEEKDAYS for day in value):
        raise UnsupportedSchedule(f"its weekly days {_shown(value)} are not a list of {', '.join(WEEKDAYS)}")
    return sorted(set(value), key=WEEKDAYS.index)


def _monthly(contract: Mapping[str, Any]) -> tuple[str, str]:
    """The cron's day-of-month, month and day-of-week fields of a monthly schedule, and their words."""
    simple = contract.get("simpleDayOfMonth")
    if not isinstance(simple, bool):
        raise UnsupportedSchedule(
            f"its simpleDayOfMonth is {_shown(simple)}, not true or false, so whether it runs on a day of the "
            "month or on a weekday cannot be read"
        )
    if simple:
        (day,) = _numbers([contract.get("dayOfMonth")], 1, 31, "dayOfMonth")
        _check_days_exist([day], list(range(1, 13)))
        return f"{day} * *", f"on day {day} of every month"
    occurrence, weekday = contract.get("occurrence"), contract.get("dayOfWeek")
    if weekday not in WEEKDAYS:
        raise UnsupportedSchedule(
            f"its monthly dayOfWeek {_shown(weekday)} is not one of {', '.join(WEEKDAYS)}"
        )
    if isinstance(occurrence, bool) or not isinstance(occurrence, int):
        raise UnsupportedSchedule(f"its monthly occurrence is {_shown(occurrence)}, not a whole number")
    if not 1 <= occurrence <= MAX_OCCURRENCE:
        raise UnsupportedSchedule(
            f"it runs on occurrence {occurrence} of {weekday} each month: a cron names only the 1st to {MAX_OCCURRENCE}th weekday of a month "
            "(a 5th one is missing from most months, and what the Server then does is not documented)"
        )
    ordinal = {1: "1st", 2: "2nd", 3: "3rd"}.get(occurrence, f"{occurrence}th")
    return (
        f"* * {CRON_DAYS[WEEKDAYS.index(weekday)]}#{occurrence}",
        f"on the {ordinal} {weekday} of every month",
    )


def _numbers(value: Any, low: int, high: int, name: str) -> list[int]:
    if (
        not isinstance(value, list)
        or not value
        or not all(isinstance(v, int) and not isinstance(v, bool) and low <= v <= high for v in value)
    ):
        raise UnsupportedSchedule(
            f"its {name} {_shown(value)} is not a list of whole numbers from {low} to {high}"
        )
    return sorted(set(value))


def _check_days_exist(days: list[int], months: list[int]) -> None:
    missing = [f"{calendar.month_name[m]} {d}" for m in months for d in days if d > DAYS_IN_MONTH[m]]
    if missing:
        raise UnsupportedSchedule(
            f"it runs on days some chosen months lack ({', '.join(missing[:3])}{'...' if len(missing) > 3 else ''}): a cron skips those months, "
            "and whether the Server skips them or runs on the month's last day is not documented. Pick days up to 28, or write the timetable yourself"
        )


def _cron(expression: Any) -> str:
    """A Cron schedule's expression, as it is, where Airflow's cron runs it when the Server's does.

    Refused: anything but the five fields the Server documents (numbers, ``*``, ranges, steps and lists), a
    day of the month and a day of the week both restricted (crons differ on whether a day must match one or
    both), an expression that never runs, and one Airflow's cron reads otherwise.
    """
    fields = expression.split() if isinstance(expression, str) else []
    if len(fields) != len(CRON_FIELDS):
        raise UnsupportedSchedule(
            f"its cron expression {_shown(expression)} does not have the five fields of the Server's cron "
            "(minute, hour, day of month, month, day of week)"
        )
    values = [_cron_field(text, *spec) for text, spec in zip(fields, CRON_FIELDS, strict=True)]
    cron = " ".join(fields)
    if fields[DAY_OF_MONTH] != "*" and fields[DAY_OF_WEEK] != "*":
        raise UnsupportedSchedule(
            f"its cron expression {quoted(cron)} restricts both the day of the month and the day of the week: "
            "Airflow's cron runs on days that match either, other crons only on days that match both, and "
            "which the Server does is not documented. Restrict one of them"
        )
    if not any(day <= LONGEST_MONTH[month] for day in values[DAY_OF_MONTH] for month in values[MONTH]):
        raise UnsupportedSchedule(
            f"its cron expression {quoted(cron)} names no day that any of its months has"
        )
    _check_airflow_reads(cron, values)
    return cron


def _cron_field(text: str, name: str, low: int, high: int) -> set[int]:
    """The values one field of a cron expression stands for, in the syntax the Server documents."""
    values: set[int] = set()
    for element in text.split(","):
        match = _CRON_ELEMENT.fullmatch(element)
        if match is None or (match[3] and match[4]):
            raise UnsupportedSchedule(
                f"its cron {name} field {quoted(text, WORD_LIMIT)} is not in the syntax the Server documents "
                "(numbers, ranges a-b and *, each with an optional step /n, in lists): names, L, W, # and ?, "
                "and a step after a single number, mean different things to different crons"
            )
        first, last = (
            (int(match[1]), int(match[2])) if match[1] else (int(match[3]),) * 2 if match[3] else (low, high)
        )
        step = int(match[4] or 1)
        if not low <= first <= last <= high or step < 1:
            raise UnsupportedSchedule(
                f"its cron {name} field {quoted(text, WORD_LIMIT)} is out of range (values {low} to {high}, "
                "ranges upwards, steps of at least 1)"
            )
        values.update(range(first, last + 1, step))
    return values


def _check_airflow_reads(cron: str, values: list[set[int]]) -> None:
    """Refuse an expression Airflow's cron reads otherwise than the Server's documented syntax means it."""
    # Airflow's cron timetables run on croniter, which Airflow depends on.
    from croniter import croniter

    try:
        expanded = croniter(cron).expanded
    except ValueError as refused:  # croniter's errors are ValueErrors
        raise UnsupportedSchedule(
            f"Airflow's cron refuses its cron expression {quoted(cron)}: {display(refused)}"
        ) from None
    for index, ((name, low, high), meant, read) in enumerate(zip(CRON_FIELDS, values, expanded, strict=True)):
        every = _cron_values(range(low, high + 1), index)
        if _cron_values(meant, index) != (every if read == ["*"] else _cron_values(read, index)):
            raise UnsupportedSchedule(
                f"Airflow's cron reads the {name} field of its cron expression {quoted(cron)} otherwise than "
                "the Server's syntax means it"
            )


def _cron_values(values: Iterable[int], index: int) -> set[int]:
    """The values a cron field stands for, with Sunday as 0 in the day of the week (the Server's 7 is Sunday too)."""
    return {value % 7 for value in values} if index == DAY_OF_WEEK else set(values)


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
        f"({_zone_words(schedule)}); starts {schedule.start:%Y-%m-%dT%H:%M}Z{until}.",
        display(schedule.times),
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


def _zone_words(schedule: ServerSchedule) -> str:
    """The schedule's zone as the Server names it, and the IANA zone that name was read as where it differs."""
    if schedule.time_zone is None:
        return "no time zone named"
    named = display(schedule.time_zone, WORD_LIMIT)
    if schedule.time_zone == schedule.zone:
        return named
    return f"{named}, read as {display(schedule.zone, WORD_LIMIT)} through CLDR's table of Windows zones"


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
