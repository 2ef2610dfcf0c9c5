"""Behaviours the public sources leave open: one switch each, so the emulator can play either Server.

Every variant is declared once, as a field of :class:`Variants` with its help text; the command-line
flags (``--cancel-queued-deletes``...) and the ``variants`` listing of ``GET /__emulator/info`` are
generated from those declarations. Each default is what the emulator did before the variant existed (or,
for a behaviour new to it, the likelier reading); the alternative is the other reading of the sources.
Variants are fixed when the emulator starts.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


class CancelAnswer(StrEnum):
    """What ``DELETE /v3/jobs/{id}`` answers 200 with: the swagger declares no body schema."""

    JOB = "job"
    EMPTY = "empty"


class PackageTypeForm(StrEnum):
    """How ``/webapi/v1`` writes a subscription's ``packageType``: unverified, it may share the legacy serializer."""

    STRING = "string"
    INTEGER = "integer"


class ScheduleIteration(StrEnum):
    """What a V3 schedule's ``iteration`` holds: the swagger's ``IterationBase`` declares only start and end."""

    FULL = "full"
    SWAGGER = "swagger"


class ScheduleZones(StrEnum):
    """How a V3 schedule names its ``timeZone``: the Server's list of zones is in no source reached."""

    IANA = "iana"
    WINDOWS = "windows"


class ScheduleTimes(StrEnum):
    """The clock of a V3 schedule's iteration times: the swagger says UTC, the help pages the schedule's zone."""

    UTC = "utc"
    LOCAL = "local"


def _help(description: str) -> dict[str, str]:
    """A variant's declaration: its help text, as the metadata of its dataclass field."""
    return {"help": description}


@dataclass(frozen=True)
class Variants:
    """Which reading of the sources the emulated Server follows, where they leave its behaviour open."""

    cancel_queued_deletes: bool = field(
        default=False,
        metadata=_help(
            "DELETE /v3/jobs/{id} of a job still Created or Queued deletes it (the swagger: 'cancel the running "
            "job or delete a queued job'): 200 with no body, then 404 and gone from job lists; otherwise it "
            "is cancelled like a running job and stays readable as Cancelled"
        ),
    )
    cancel_answer: CancelAnswer = field(
        default=CancelAnswer.JOB,
        metadata=_help(
            "what cancelling a job answers 200 with: the job, now Cancelled, or no body (the swagger declares none)"
        ),
    )
    v1_package_type: PackageTypeForm = field(
        default=PackageTypeForm.STRING,
        metadata=_help(
            "how /webapi/v1 subscription lists write packageType: the OAuth2 V1 swagger's enum string "
            "(App, Module, Macro) or the integer real legacy answers carry (0, 1, 2)"
        ),
    )
    jobs_page_size: int = field(
        default=100,
        metadata=_help(
            "the page size of GET /v3/jobs when the request gives no limit (the swagger pages by offset and limit "
            "and declares no default)"
        ),
    )
    schedule_iteration: ScheduleIteration = field(
        default=ScheduleIteration.FULL,
        metadata=_help(
            "what a V3 schedule's iteration holds: iterationType and the type's contract (hourlyContract, "
            "cronContract...) as the Server takes them, or only startTime and endTime, as the swagger declares it"
        ),
    )
    schedule_time_zones: ScheduleZones = field(
        default=ScheduleZones.IANA,
        metadata=_help(
            "how V3 schedules name their timeZone: IANA names (Europe/Berlin) or Windows IDs (W. Europe Standard "
            "Time, from CLDR's table in the tzlocal package)"
        ),
    )
    schedule_times: ScheduleTimes = field(
        default=ScheduleTimes.UTC,
        metadata=_help(
            "the clock of a V3 schedule's iteration startTime and endTime: UTC with a Z (the swagger), or wall "
            "time in the schedule's timeZone without an offset (the help pages)"
        ),
    )

    def view(self) -> dict[str, Any]:
        """Every variant's value, for ``GET /__emulator/info``."""
        return {name: getattr(self, name) for name, _ in variant_specs()}


def variant_specs() -> Iterator[tuple[str, str]]:
    """Every declared variant, in declaration order, with its help text."""
    for declared in dataclasses.fields(Variants):
        yield declared.name, declared.metadata["help"]
