"""Waits ride out a Server blip shorter than their budget, over real sockets.

The emulator answers 503 to every request for a few seconds (a Server restarting: IIS answers 503 while
its application pool starts), then answers again, while the job runs on. A wait (the worker's
``wait_for_job``, the trigger's ``await_job``, the sensor's poke) must end with the finished job when the
blip is shorter than its budget, a budget that starts again whenever the Server answers.
``wait_retry_budget`` raises that budget for waits alone: a blip longer than ``retry_budget`` is ridden out
by a wait and still fails any other operation within ``retry_budget``. Each test asserts elapsed times and
counts the 503s at the Server.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest

from airflow_provider_alteryx.emulator import RunningEmulator
from airflow_provider_alteryx.exceptions import AlteryxApiError
from airflow_provider_alteryx.hooks.alteryx import AlteryxServerHook
from airflow_provider_alteryx.models import AlteryxJob
from airflow_provider_alteryx.sensors.alteryx import AlteryxJobSensor
from tests.conftest import MEDIUM, StartEmulator, on_a_loop

LIMIT = 10
DELAY = 0.2
TIMEOUT = 1.0
POLL = 0.2
# Scheduling, thread start-up and the emulator's answers on a busy 2-core machine.
SLACK = 2.0
# A wait without a limit on its tries retries as the full-jitter backoff from DELAY spaces them: about six
# fit in a 3 s blip, and more than this many would need many waits drawn near zero in a row.
UNLIMITED_TRIES_IN_A_BLIP = 25


def emulator_for(start_emulator: StartEmulator, monkeypatch: pytest.MonkeyPatch, job_seconds: float) -> Any:
    """A 2025.1 emulator on which the Medium workflow runs ``job_seconds``, with ``alteryx_default`` on it."""
    emulator = start_emulator(time_scale=job_seconds / 3.0)  # Medium runs 3 s at time scale 1
    connection = json.loads(emulator.connection())
    connection["extra"]["timeout"] = TIMEOUT
    monkeypatch.setenv("AIRFLOW_CONN_ALTERYX_DEFAULT", json.dumps(connection))
    return emulator


def served_503s(emulator: RunningEmulator) -> int:
    return int(emulator.info()["faultsInjected"].get("error_rate", 0))


@contextmanager
def blip(emulator: RunningEmulator, after: float, lasting: float) -> Iterator[None]:
    """The Server answers 503 to everything from ``after`` seconds from now (at once for 0), for ``lasting`` seconds."""

    def begin() -> None:
        emulator.set_faults(error_rate=1.0, error_status=503)

    timers = [threading.Timer(after + lasting, lambda: emulator.set_faults(error_rate=0.0))]
    if after > 0:
        timers.append(threading.Timer(after, begin))
    else:
        begin()
    for timer in timers:
        timer.start()
    try:
        yield
    finally:
        for timer in timers:
            timer.cancel()
            timer.join()


def wait(path: str, hook: AlteryxServerHook, job_id: str) -> AlteryxJob | bool:
    """The job as a wait on ``path`` ends it, or whether the sensor's poke found it finished."""
    if path == "sync":
        return hook.wait_for_job(job_id, poll_interval=POLL)
    if path == "trigger":
        return on_a_loop(lambda: hook.await_job(job_id, poll_interval=POLL, deadline=None))
    sensor = AlteryxJobSensor(task_id="watch", job_id=job_id, poke_interval=POLL)
    sensor.hook = hook
    return sensor.poke({"ti": _NoXCom()})  # type: ignore[typeddict-item]


def read(path: str, hook: AlteryxServerHook, job_id: str) -> AlteryxJob:
    """One read of the job on ``path``'s driver: an operation that is not a wait."""
    if path == "trigger":
        return on_a_loop(lambda: hook.aget_job(job_id))
    return hook.get_job(job_id)


class _NoXCom:
    def xcom_push(self, key: str, value: Any) -> None:
        pass


@pytest.mark.parametrize("path", ["sync", "trigger"])
def test_a_wait_rides_out_a_blip_shorter_than_its_budget_which_starts_again_when_the_server_answers(
    start_emulator: StartEmulator, monkeypatch: pytest.MonkeyPatch, path: str
) -> None:
    """The blip comes after the wait has run longer than its budget, and lasts most of a budget: only a budget
    that started again at the Server's last answer rides it out."""
    budget, job_seconds, lasting = 3.0, 7.0, 2.0
    emulator = emulator_for(start_emulator, monkeypatch, job_seconds)
    hook = AlteryxServerHook(retry_limit=LIMIT, retry_delay=DELAY, retry_budget=budget)
    job = hook.run_workflow(MEDIUM)
    started = time.monotonic()
    with blip(emulator, after=budget + 0.5, lasting=lasting):
        finished = wait(path, hook, job.id)
    elapsed = time.monotonic() - started
    assert isinstance(finished, AlteryxJob) and finished.outcome == "Success"
    assert job_seconds - SLACK <= elapsed <= job_seconds + SLACK, elapsed
    # Each try is one request (the token is cached): at least one retry, at most the step's tries.
    assert 2 <= served_503s(emulator) <= LIMIT


@pytest.mark.parametrize("path", ["sync", "trigger", "poke"])
@pytest.mark.parametrize("wait_retry_budget", [None, 6.0])
def test_wait_retry_budget_rides_out_a_blip_longer_than_retry_budget_for_waits_alone(
    start_emulator: StartEmulator, monkeypatch: pytest.MonkeyPatch, path: str, wait_retry_budget: float | None
) -> None:
    """A 3 s blip: a read fails within retry_budget (1 s); the wait after it rides the blip out with
    wait_retry_budget, and without it fails within retry_budget as well."""
    retry_budget, job_seconds, lasting = 1.0, 4.0, 3.0
    emulator = emulator_for(start_emulator, monkeypatch, job_seconds)
    hook = AlteryxServerHook(
        retry_limit=LIMIT, retry_delay=DELAY, retry_budget=retry_budget, wait_retry_budget=wait_retry_budget
    )
    job = hook.run_workflow(MEDIUM)
    with blip(emulator, after=0.0, lasting=lasting):
        started = time.monotonic()
        with pytest.raises(AlteryxApiError, match="answered 503"):
            read(path, hook, job.id)
        read_failed = time.monotonic()
        read_503s = served_503s(emulator)
        if wait_retry_budget is None:
            with pytest.raises(AlteryxApiError, match="answered 503"):
                wait(path, hook, job.id)
        else:
            outcome = wait(path, hook, job.id)
        ended = time.monotonic()
    assert read_failed - started <= retry_budget + TIMEOUT + SLACK
    assert 2 <= read_503s <= LIMIT
    wait_503s = served_503s(emulator) - read_503s
    if wait_retry_budget is None:
        assert ended - read_failed <= retry_budget + TIMEOUT + SLACK
        assert 2 <= wait_503s <= LIMIT
        return
    # Answered once the blip was over, and at the latest when the wait's budget would have run out.
    assert lasting <= ended - started and ended - read_failed <= wait_retry_budget + TIMEOUT + SLACK
    if path == "poke":  # the job still running, or finished by then
        assert isinstance(outcome, bool)
    else:
        assert isinstance(outcome, AlteryxJob) and outcome.succeeded()
    assert 2 <= wait_503s <= UNLIMITED_TRIES_IN_A_BLIP
