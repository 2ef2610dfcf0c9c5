"""Stepping the I/O-free core by hand: a fake clock, scripted answers, and the core built on them."""

from __future__ import annotations

import logging
import tempfile
import uuid
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from airflow_provider_alteryx.exceptions import AlteryxApiError
from airflow_provider_alteryx.hooks.api import AlteryxApi, Capabilities
from airflow_provider_alteryx.hooks.config import ServerConfig
from airflow_provider_alteryx.hooks.coordination import Creations, LocalStore
from airflow_provider_alteryx.hooks.creation import NO_CLAIMS, Claims
from airflow_provider_alteryx.hooks.jobs import JobRequest
from airflow_provider_alteryx.hooks.params import RetryPolicy
from airflow_provider_alteryx.hooks.steps import ApiCall, Operation, Sleep, drive
from airflow_provider_alteryx.models import AlteryxJob

WORKFLOW = "0000000000000000000000a1"
JOB, OTHER = "00000000000000000000000a", "00000000000000000000000b"
CONFIG = ServerConfig(base_url="http://alteryx.invalid", api_key="k", api_secret="s")
Answer = Callable[[ApiCall], Any]


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def time(self) -> float:
        return self.now

    def monotonic(self) -> float:
        return self.now


class Stepper:
    """Drives an operation: answers each ApiCall with ``answer`` (a value, or an exception to throw in) after
    ``answer_seconds`` on the fake clock, and advances the clock by each Sleep.

    :param answer_seconds: how long each call takes (a silent Server: the request timeout).
    """

    def __init__(self, answer: Answer, clock: FakeClock, answer_seconds: float = 0.0) -> None:
        self.answer = answer
        self.clock = clock
        self.answer_seconds = answer_seconds
        self.calls: list[ApiCall] = []
        self.at: list[float] = []  # when each call was made, on the fake clock
        self.sleeps: list[float] = []
        self.started = clock.now

    @property
    def elapsed(self) -> float:
        return self.clock.now - self.started

    def run(self, operation: Operation[Any]) -> Any:
        return drive(operation, self.perform)

    def perform(self, step: ApiCall | Sleep) -> Any:
        if isinstance(step, Sleep):
            self.sleeps.append(step.seconds)
            self.clock.now += step.seconds
            return None
        self.calls.append(step)
        self.at.append(self.clock.now)
        self.clock.now += self.answer_seconds
        outcome = self.answer(step)
        if isinstance(outcome, BaseException):
            raise outcome
        return outcome


def api(clock: FakeClock, policy: RetryPolicy | None = None) -> AlteryxApi:
    return AlteryxApi(
        CONFIG,
        policy or RetryPolicy(delay=1.0),
        logging.getLogger("test"),
        clock=clock,
        capabilities=Capabilities(),
    )


# The stepped creations' stores: one file each, all removed when the tests end.
_STORES = tempfile.TemporaryDirectory(prefix="alteryx-stepped-turns-")


def fresh_creations(clock: FakeClock) -> Creations:
    """Creators sharing a store of their own, on the fake clock."""
    return Creations(LocalStore(Path(_STORES.name, f"{uuid.uuid4().hex}.sqlite3"), clock=clock.time))


def creation(
    clock: FakeClock,
    policy: RetryPolicy | None = None,
    claims: Claims = NO_CLAIMS,
    creations: Creations | None = None,
) -> Operation[AlteryxJob]:
    """A creation of :data:`WORKFLOW`, taking turns in ``creations`` (a store of its own by default)."""
    return api(clock, policy).run_workflow(
        JobRequest.build(WORKFLOW), creations or fresh_creations(clock), claims
    )


def server_error(status: int) -> AlteryxApiError:
    return AlteryxApiError(f"HTTP {status}", status=status)


def job(job_id: str) -> dict[str, Any]:
    return {"id": job_id, "status": "Queued", "appId": WORKFLOW}


class Script:
    """Answers creation traffic: job lists from ``listed`` (one list per list call, the last repeated), and the
    POST with ``post`` outcomes in turn."""

    def __init__(self, listed: Sequence[Sequence[str]], post: Sequence[Any]) -> None:
        self.listed = [list(ids) for ids in listed]
        self.post = list(post)

    def __call__(self, call: ApiCall) -> Any:
        if call.method == "POST":
            return self.post.pop(0)
        if call.url.endswith(f"/workflows/{WORKFLOW}/jobs"):
            ids = self.listed.pop(0) if len(self.listed) > 1 else self.listed[0]
            return [job(i) for i in ids]
        return job(call.url.rsplit("/", 1)[1])
