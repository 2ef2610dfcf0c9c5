"""Fault injection: the emulator misbehaves on purpose so clients can prove they cope.

Every fault is declared once, as a field of :class:`Faults` carrying a :class:`FaultSpec`; the command
line flags (``--error-rate``...), the validation of ``PUT /__emulator/faults`` and the counters in
``GET /__emulator/info`` are all generated from those declarations.

A fault acts in one :class:`Phase`: **before** the request is processed (nothing happens on the
Server: no job is created, so a client may safely resend) or **after** it (the job is created, then
the answer is lost or replaced, so a client must reconcile instead of resending blindly).
"""

from __future__ import annotations

import dataclasses
import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

# 503 is the Server refusing (nothing done); 500/502 may hide work already done, as may 504 after processing.
ERRORS_BEFORE = (500, 502, 503)
ERRORS_AFTER = (500, 502, 504)


class Phase(StrEnum):
    """When a fault acts relative to the Server processing the request."""

    BEFORE = "before"
    AFTER = "after"
    # Not a fault of its own: a setting other faults read (latency, Retry-After).
    SETTING = "setting"


class RequestKind(StrEnum):
    """Which requests rate faults hit (``scope``); each route's kind is known when it is registered."""

    ALL = "all"
    TOKEN = "token"  # noqa: S105 - a kind of request, not a secret
    CREATE = "create"
    READ = "read"


class Unit(StrEnum):
    """What a fault's value measures, which decides how it is validated and parsed."""

    SHARE = "a probability between 0 and 1"
    SECONDS = "a number of seconds >= 0"
    COUNT = "a whole number >= 0"
    STATUS = "0 (pick at random) or one of 500, 502, 503, 504"
    KIND = "one of all, token, create, read"


class Action(StrEnum):
    """What an injected fault does to the request in hand."""

    DROP = "drop"
    THROTTLE = "throttle"
    ERROR = "error"


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


# Each unit's check: the value as stored, or None when it is not of the unit.
_CHECKS: dict[Unit, Callable[[Any], float | int | str | None]] = {
    Unit.SHARE: lambda v: float(v) if _is_number(v) and 0 <= v <= 1 else None,
    Unit.SECONDS: lambda v: float(v) if _is_number(v) and v >= 0 else None,
    Unit.COUNT: lambda v: int(v) if _is_number(v) and v >= 0 and v == int(v) else None,
    Unit.STATUS: lambda v: int(v) if _is_number(v) and v in (0, *ERRORS_BEFORE, *ERRORS_AFTER) else None,
    Unit.KIND: lambda v: str(v) if v in tuple(RequestKind) else None,
}


@dataclass(frozen=True)
class FaultSpec:
    """How one fault is set and what it does; attached to its :class:`Faults` field as metadata."""

    unit: Unit
    phase: Phase
    help: str
    action: Action | None = None

    def check(self, name: str, value: Any) -> float | int | str:
        """The value as stored.

        :raises ValueError: naming the fault and what it accepts, when the value is not of this fault's unit.
        """
        checked = _CHECKS[self.unit](value)
        if checked is None:
            raise ValueError(f"fault {name} must be {self.unit}, got {value!r}")
        return checked

    def parse(self, name: str, text: str) -> float | int | str:
        """A command-line value converted and checked.

        :raises ValueError: naming the text and what the fault accepts.
        """
        try:
            return self.check(name, text if self.unit is Unit.KIND else float(text))
        except ValueError:
            raise ValueError(f"{text!r} is not {self.unit}") from None


def _fault(
    default: float | str, unit: Unit, phase: Phase, description: str, action: Action | None = None
) -> Any:
    # Returns a dataclass field; typed Any so the declaration reads as the field's default to type checkers.
    return field(default=default, metadata={"fault": FaultSpec(unit, phase, description, action)})


@dataclass
class Faults:
    """What the emulator does wrong, settable at start (CLI flags) and at run time (``PUT /__emulator/faults``).

    Rates are drawn independently per request, in declaration order, and at most one fault acts per phase.
    """

    latency: float = _fault(0.0, Unit.SECONDS, Phase.SETTING, "delay added before every answer")
    retry_after: float = _fault(1.0, Unit.SECONDS, Phase.SETTING, "Retry-After sent with 429 answers")
    drop_rate: float = _fault(
        0.0,
        Unit.SHARE,
        Phase.BEFORE,
        "share of requests whose connection is closed before they are processed",
        Action.DROP,
    )
    throttle_rate: float = _fault(
        0.0,
        Unit.SHARE,
        Phase.BEFORE,
        "share of requests answered 429 with Retry-After, unprocessed",
        Action.THROTTLE,
    )
    error_rate: float = _fault(
        0.0, Unit.SHARE, Phase.BEFORE, "share of requests answered 500, 502 or 503, unprocessed", Action.ERROR
    )
    drop_after_rate: float = _fault(
        0.0,
        Unit.SHARE,
        Phase.AFTER,
        "share of requests processed (a job created...), then their connection closed unanswered",
        Action.DROP,
    )
    error_after_rate: float = _fault(
        0.0,
        Unit.SHARE,
        Phase.AFTER,
        "share of requests processed (a job created...), then answered 500, 502 or 504 instead",
        Action.ERROR,
    )
    drop_job_responses: int = _fault(
        0,
        Unit.COUNT,
        Phase.AFTER,
        "the next N job creations create the job, then close the connection unanswered",
    )
    error_status: int = _fault(
        0,
        Unit.STATUS,
        Phase.SETTING,
        "the status error faults answer; 0 picks 500/502/503 before processing, 500/502/504 after",
    )
    scope: str = _fault(
        RequestKind.ALL.value,
        Unit.KIND,
        Phase.SETTING,
        "the requests rate faults hit: token requests, job creations, other reads, or all",
    )

    def update(self, changes: dict[str, Any]) -> None:
        """Apply a partial update, refusing unknown names and out-of-range values before changing anything.

        :raises ValueError: naming the unknown fault or the bad value and what it accepts.
        """
        specs = dict(fault_specs())
        unknown = sorted(set(changes) - set(specs))
        if unknown:
            raise ValueError(f"unknown fault(s) {', '.join(unknown)}; known: {', '.join(specs)}")
        checked = {name: specs[name].check(name, value) for name, value in changes.items()}
        for name, value in checked.items():
            setattr(self, name, value)

    def draw(self, phase: Phase, rng: random.Random, kind: RequestKind) -> tuple[str, Action] | None:
        """The rate fault that hits one request of ``kind`` in ``phase``, as (fault name, action), or None to leave it alone."""
        if self.scope not in (RequestKind.ALL, kind):
            return None
        for name, spec in fault_specs():
            rate = getattr(self, name)
            if spec.phase is phase and spec.unit is Unit.SHARE and rate and rng.random() < rate:
                assert spec.action is not None  # every rate fault declares its action
                return name, spec.action
        return None

    def take_job_response_drop(self) -> bool:
        """Whether this job creation's answer is to be dropped (counting down ``drop_job_responses``)."""
        if self.drop_job_responses <= 0:
            return False
        self.drop_job_responses -= 1
        return True


def fault_specs() -> Iterator[tuple[str, FaultSpec]]:
    """Every declared fault, in declaration order, with its spec."""
    for declared in dataclasses.fields(Faults):
        yield declared.name, declared.metadata["fault"]
