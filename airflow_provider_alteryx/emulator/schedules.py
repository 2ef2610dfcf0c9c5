"""The Server's schedules: read from the catalogue's top-level ``schedules:`` list (V3 serves them from Server 2023.1).

A schedule is written in the terms of the Server's scheduler, with its start as wall time in its
time zone::

    schedules:
      - name: Nightly sales
        id: 6b0000000000000000000001      # optional: 24 hex characters, derived from the name
        workflow: 5f0c3a1b2c3d4e5f6a7b8c9d # a workflow of the catalogue, by id or name
        frequency: daily                  # once, hourly, daily, weekly, monthly, custom or cron
        start: "2026-01-05T06:30:00"      # wall time in time_zone: the first run, and the time of day of the others
        end: "2026-12-31T00:00:00"        # optional
        time_zone: Europe/Berlin          # an IANA name; default UTC
        work_week_only: true              # daily: Monday to Friday only
        every: {hours: 2, minutes: 0}     # hourly: the period
        days: [Monday, Thursday]          # weekly
        day_of_month: 15                  # monthly, on a day; or occurrence: 3 and day_of_week: Monday
        days_of_month: [1, 15]            # custom, with months: [1, 4, 7, 10]
        cron: "30 6 * * 1-5"              # cron (Server 2025.1+): minute hour day-of-month month day-of-week
        questions: {region: EMEA}         # the workflow's question values
        priority: High                    # Default, Low, Medium, High or Critical
        worker_tag: nightly
        enabled: true
        comment: Feeds the morning dashboards

How V3 answers with them is ``views.py``'s part.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml

from airflow_provider_alteryx.emulator.catalogue import (
    CatalogueError,
    Workflow,
    default_catalogue_path,
    load_catalogue,
)

_ID = re.compile(r"^[0-9a-f]{24}$")
# One field of a cron expression: numbers, ranges, lists and steps.
_CRON_FIELD = re.compile(r"^[0-9*,/-]+$")
WEEKDAYS = ("Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday")
PRIORITIES = ("Default", "Low", "Medium", "High", "Critical")


class Frequency(StrEnum):
    """The Server's iteration types (``IterationContract.iterationType``)."""

    ONCE = "Once"
    HOURLY = "Hourly"
    DAILY = "Daily"
    WEEKLY = "Weekly"
    MONTHLY = "Monthly"
    CUSTOM = "Custom"
    # From Server 2025.1, as the newer V3 swagger's IterationContract has it.
    CRON = "Cron"


@dataclass(frozen=True)
class Schedule:
    """One Server schedule; ``contract`` is the iteration's type-specific contract, in the Server's field names."""

    id: str
    name: str
    workflow_id: str
    frequency: Frequency
    start: datetime  # UTC
    time_zone: str
    end: datetime | None = None
    contract: dict[str, Any] = field(default_factory=dict)
    questions: dict[str, str] = field(default_factory=dict)
    priority: str = "Default"
    worker_tag: str = ""
    enabled: bool = True
    comment: str = ""


def load_schedules(path: str | Path | None = None) -> tuple[Schedule, ...]:
    """The schedules of a catalogue file (the bundled demo catalogue when ``path`` is None); none if it lists none.

    :raises CatalogueError: naming the file, the schedule's field and the problem.
    """
    source = Path(path) if path is not None else default_catalogue_path()
    workflows = load_catalogue(source)  # the file's own checks first, and the workflows schedules may name
    document = yaml.safe_load(source.read_text(encoding="utf-8"))  # JSON is YAML too
    entries = document.get("schedules") or []
    if not isinstance(entries, list):
        raise CatalogueError(f"{source}: schedules: expected a list, got {type(entries).__name__}")
    parser = _ScheduleParser(str(source), workflows)
    schedules = tuple(parser.schedule(entry, f"schedules[{i}]") for i, entry in enumerate(entries))
    if len({s.id for s in schedules}) != len(schedules):
        raise CatalogueError(f"{source}: schedules: schedule ids must be unique")
    return schedules


class _ScheduleParser:
    def __init__(self, source: str, workflows: tuple[Workflow, ...]) -> None:
        self.source = source
        self.workflows = workflows

    def fail(self, where: str, problem: str) -> CatalogueError:
        return CatalogueError(f"{self.source}: {where}: {problem}")

    def schedule(self, entry: Any, where: str) -> Schedule:
        if not isinstance(entry, dict) or not entry.get("name"):
            raise self.fail(where, "expected a mapping with a name")
        name = str(entry["name"])
        schedule_id = str(
            entry.get("id")
            or hashlib.sha1(f"schedule:{name}".encode(), usedforsecurity=False).hexdigest()[:24]
        )
        if not _ID.match(schedule_id):
            raise self.fail(f"{where}.id", f"{schedule_id!r} is not 24 lowercase hex characters")
        try:
            frequency = Frequency(str(entry.get("frequency", "")).capitalize())
        except ValueError:
            raise self.fail(
                f"{where}.frequency",
                f"{entry.get('frequency')!r} is not one of {', '.join(f.lower() for f in Frequency)}",
            ) from None
        zone = str(entry.get("time_zone", "UTC"))
        try:
            tz = ZoneInfo(zone)
        except (ZoneInfoNotFoundError, ValueError):
            raise self.fail(f"{where}.time_zone", f"{zone!r} is not an IANA time zone name") from None
        priority = str(entry.get("priority", "Default"))
        if priority not in PRIORITIES:
            raise self.fail(f"{where}.priority", f"{priority!r} is not one of {', '.join(PRIORITIES)}")
        questions = entry.get("questions") or {}
        if not isinstance(questions, dict):
            raise self.fail(f"{where}.questions", "expected a mapping of question names to values")
        return Schedule(
            id=schedule_id,
            name=name,
            workflow_id=self.workflow(entry.get("workflow"), f"{where}.workflow"),
            frequency=frequency,
            start=self.moment(entry.get("start"), tz, f"{where}.start"),
            end=None if entry.get("end") is None else self.moment(entry.get("end"), tz, f"{where}.end"),
            time_zone=zone,
            contract=self.contract(frequency, entry, where),
            questions={
                str(k): str(v).lower() if isinstance(v, bool) else str(v) for k, v in questions.items()
            },
            priority=priority,
            worker_tag=str(entry.get("worker_tag", "")),
            enabled=bool(entry.get("enabled", True)),
            comment=str(entry.get("comment", "")),
        )

    def workflow(self, value: Any, where: str) -> str:
        for workflow in self.workflows:
            if value in (workflow.id, workflow.name):
                return workflow.id
        raise self.fail(where, f"{value!r} names no workflow of the catalogue")

    def moment(self, value: Any, tz: ZoneInfo, where: str) -> datetime:
        try:
            local = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
        except ValueError:
            raise self.fail(where, f"{value!r} is not an ISO-8601 date and time") from None
        return (local if local.tzinfo else local.replace(tzinfo=tz)).astimezone(UTC)

    def contract(self, frequency: Frequency, entry: dict[str, Any], where: str) -> dict[str, Any]:
        """The iteration's type-specific contract, as the Server's ``IterationContract`` names its fields."""
        if frequency is Frequency.HOURLY:
            every = entry.get("every") or {}
            return {
                "hourlyContract": {
                    "hours": int(every.get("hours", 1)),
                    "minutes": int(every.get("minutes", 0)),
                }
            }
        if frequency is Frequency.DAILY:
            return {"dailyContract": {"runOnlyWorkWeek": bool(entry.get("work_week_only", False))}}
        if frequency is Frequency.WEEKLY:
            days = entry.get("days") or []
            if not days or any(day not in WEEKDAYS for day in days):
                raise self.fail(f"{where}.days", f"expected a list of {', '.join(WEEKDAYS)}")
            return {"weeklyContract": {"daysOfWeek": list(days)}}
        if frequency is Frequency.MONTHLY:
            if "day_of_month" in entry:
                return {
                    "monthlyContract": {"simpleDayOfMonth": True, "dayOfMonth": int(entry["day_of_month"])}
                }
            if entry.get("day_of_week") not in WEEKDAYS:
                raise self.fail(
                    f"{where}.day_of_week",
                    f"a monthly schedule needs day_of_month, or occurrence and a day_of_week of {', '.join(WEEKDAYS)}",
                )
            return {
                "monthlyContract": {
                    "simpleDayOfMonth": False,
                    "occurrence": int(entry.get("occurrence", 1)),
                    "dayOfWeek": entry["day_of_week"],
                }
            }
        if frequency is Frequency.CUSTOM:
            return {
                "customContract": {
                    "daysOfMonth": [int(d) for d in entry.get("days_of_month") or []],
                    "months": [int(m) for m in entry.get("months") or []],
                }
            }
        if frequency is Frequency.CRON:
            return {"cronContract": {"cronExpression": self.cron(entry.get("cron"), f"{where}.cron")}}
        return {}

    def cron(self, value: Any, where: str) -> str:
        """A cron expression of the five fields the swagger's IterationCronContract describes."""
        fields = str(value or "").split()
        if len(fields) != 5 or not all(_CRON_FIELD.match(f) for f in fields):
            raise self.fail(
                where,
                f"{value!r} is not a cron expression of five fields (minute, hour, day of month, month, day of "
                "week 0-7), e.g. '30 6 * * 1-5'",
            )
        return " ".join(fields)


def windows_zone(name: str) -> str:
    """The Windows ID of an IANA time zone (``W. Europe Standard Time`` for ``Europe/Berlin``), from CLDR's table.

    :raises CatalogueError: naming the zone when the table has none for it.
    """
    # tzlocal, a dependency of the provider (its exporter reads these IDs), ships CLDR's table; imported here
    # because only this variant needs it.
    from tzlocal.windows_tz import tz_win

    try:
        return tz_win[name]
    except KeyError:
        raise CatalogueError(
            f"the time zone {name!r} has no Windows ID in CLDR's table; use another zone, or serve IANA names"
        ) from None
