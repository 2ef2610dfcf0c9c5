"""When waits poll: a fixed schedule with a per-job offset, bounded logs, and one hook per trigger.

The schedule is checked step by step on an injected clock (no real sleeps); the trigger over real HTTP.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterator
from typing import Any

import pytest

from airflow_provider_alteryx.emulator import RunningEmulator
from airflow_provider_alteryx.exceptions import AlteryxJobTimeoutError
from airflow_provider_alteryx.hooks.alteryx import AlteryxServerHook
from airflow_provider_alteryx.hooks.api import AlteryxApi, Capabilities
from airflow_provider_alteryx.hooks.config import ServerConfig
from airflow_provider_alteryx.hooks.params import RetryPolicy
from airflow_provider_alteryx.hooks.polling import PROGRESS_EVERY_SECONDS, JobProgress, PollSchedule, spread
from airflow_provider_alteryx.hooks.steps import ApiCall, Sleep
from airflow_provider_alteryx.hooks.transport import TRANSPORT
from airflow_provider_alteryx.models import AlteryxJob
from airflow_provider_alteryx.triggers.alteryx import AlteryxJobTrigger
from tests.conftest import MEDIUM

LOG = logging.getLogger("test_polling")
JOB = "0123456789abcdef01234567"


class FakeClock:
    """A clock (both readings) that moves only when told to."""

    def __init__(self, start: float = 1000.0) -> None:
        self.now = start

    def time(self) -> float:
        return self.now

    def monotonic(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


class TestPollSchedule:
    def test_polls_stay_on_the_grid_whatever_the_answer_times(self) -> None:
        clock = FakeClock()
        schedule = PollSchedule(5.0, "job-a", clock)
        start, polls = clock.now, []
        for answer_time in (0.0, 0.3, 4.9, 0.01, 2.0, 1.0):
            clock.advance(schedule.pause())
            polls.append(clock.now - start)
            clock.advance(answer_time)
        offset = spread("job-a", 5.0)
        assert polls == pytest.approx([offset + 5.0 * k for k in range(6)])

    def test_a_slot_missed_by_a_slow_answer_is_skipped_not_made_up(self) -> None:
        clock = FakeClock()
        schedule = PollSchedule(5.0, "job-b", clock)
        clock.advance(schedule.pause())
        first = clock.now
        clock.advance(12.5)  # the answer took two and a half intervals
        assert schedule.pause() == 0.0  # poll at once, late...
        clock.advance(0.1)
        assert clock.now + schedule.pause() == pytest.approx(first + 15.0)  # ...then back on the grid

    def test_a_deadline_cuts_the_pause_short(self) -> None:
        clock = FakeClock()
        schedule = PollSchedule(5.0, "job-c", clock)
        assert schedule.pause(until=clock.now + 0.001) == pytest.approx(0.001)
        assert schedule.pause(until=clock.now - 1) == 0.0

    def test_offsets_are_stable_per_job_and_spread_over_the_interval(self) -> None:
        offsets = [spread(f"6a1f0c2b3d4e5f60718{n:05d}", 10.0) for n in range(2000)]
        assert offsets == [spread(f"6a1f0c2b3d4e5f60718{n:05d}", 10.0) for n in range(2000)]
        assert all(0 <= offset < 10.0 for offset in offsets)
        per_second = [sum(1 for offset in offsets if s <= offset < s + 1) for s in range(10)]
        # Triggers deferred together start their polls across the whole interval, not in lockstep.
        assert min(per_second) > 100 and max(per_second) < 300


def drive(
    operation: Any,
    clock: FakeClock,
    answers: Iterator[dict[str, Any]],
    answer_time: float,
    calls: list[float] | None = None,
) -> tuple[Any, list[float]]:
    """Run a core operation to its end on a fake clock: each call gets the next answer, each Sleep moves the clock.

    :return: the operation's result and the clock times of its calls (also appended to ``calls``).
    """
    calls = [] if calls is None else calls
    reply: Any = None
    while True:
        try:
            step = operation.send(reply)
        except StopIteration as done:
            return done.value, calls
        if isinstance(step, Sleep):
            clock.advance(step.seconds)
            reply = None
        else:
            assert isinstance(step, ApiCall) and step.method == "GET"
            calls.append(clock.now)
            clock.advance(answer_time)
            reply = next(answers)


def job_answers(statuses: list[str], disposition: str = "Success") -> Iterator[dict[str, Any]]:
    for status in statuses:
        yield {
            "id": JOB,
            "appId": "00000000000000000000000f",
            "status": status,
            "disposition": disposition if status == "Completed" else "None",
        }


def core_api(clock: FakeClock) -> AlteryxApi:
    config = ServerConfig(base_url="http://alteryx.invalid", api_key="k", api_secret="s")
    return AlteryxApi(config, RetryPolicy(), LOG, clock=clock, capabilities=Capabilities())


class TestWaitForJob:
    def test_polls_every_interval_from_the_jobs_offset_without_drift(self) -> None:
        clock = FakeClock()
        start = clock.now
        operation = core_api(clock).wait_for_job(
            JOB, poll_interval=5.0, deadline=None, schedule=PollSchedule(5.0, JOB, clock)
        )
        job, calls = drive(
            operation,
            clock,
            job_answers(["Queued", "Running", "Running", "Running", "Completed"]),
            answer_time=0.3,
        )
        assert (job.status, job.disposition) == ("Completed", "Success")
        offset = spread(JOB, 5.0)
        assert [t - start for t in calls] == pytest.approx([offset + 5.0 * k for k in range(5)])

    def test_the_deadline_gets_one_last_read_then_times_out_with_the_job(self) -> None:
        clock = FakeClock()
        start = clock.now
        operation = core_api(clock).wait_for_job(
            JOB,
            poll_interval=5.0,
            deadline=clock.time() + 12.0,
            schedule=PollSchedule(5.0, JOB, clock),
        )
        calls: list[float] = []
        with pytest.raises(AlteryxJobTimeoutError, match="still Running") as caught:
            drive(operation, clock, job_answers(["Running"] * 10), answer_time=0.0, calls=calls)
        assert caught.value.job.status == "Running"
        offset = spread(JOB, 5.0)
        on_grid = [offset + 5.0 * k for k in range(3) if offset + 5.0 * k < 12.0]
        assert [t - start for t in calls] == pytest.approx([*on_grid, 12.0], abs=0.01)


class TestProgressLog:
    def test_a_long_wait_logs_changes_and_a_bounded_heartbeat(self, caplog: pytest.LogCaptureFixture) -> None:
        clock = FakeClock()
        progress = JobProgress(JOB, LOG, clock)
        hours = 2
        with caplog.at_level(logging.INFO, logger=LOG.name):
            progress.saw(AlteryxJob(id=JOB, status="Queued"))
            clock.advance(30)
            for _ in range(int(hours * 3600 / 5)):
                progress.saw(AlteryxJob(id=JOB, status="Running"))
                clock.advance(5)
            progress.saw(AlteryxJob(id=JOB, status="Completed", disposition="Success"))
        lines = [record.getMessage() for record in caplog.records]
        heartbeats = [line for line in lines if "still Running" in line]
        assert lines[0] == f"Alteryx job {JOB} was Queued for 30s, now Running"
        assert lines[-1] == f"Alteryx job {JOB} finished: Success, after 2h 0m 30s"
        # One per PROGRESS_EVERY_SECONDS of the 2 h Running (the last read comes 5 s before the 2 h mark).
        assert len(heartbeats) == (hours * 3600 - 5) // PROGRESS_EVERY_SECONDS
        assert len(lines) == 2 + len(heartbeats)


def test_triggers_of_one_connection_share_one_connection_read(
    connected_emulator: RunningEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    from airflow_provider_alteryx.hooks import alteryx as hook_module

    hook = AlteryxServerHook()
    triggers = [AlteryxJobTrigger(job_id=hook.run_workflow(MEDIUM).id, poll_interval=0.1) for _ in range(5)]
    lookups: list[str] = []
    real_lookup = hook_module.get_async_connection

    async def counted_lookup(conn_id: str, hook: Any) -> Any:
        lookups.append(conn_id)
        return await real_lookup(conn_id, hook)

    monkeypatch.setattr(hook_module, "get_async_connection", counted_lookup)

    async def events(trigger: AlteryxJobTrigger) -> list[dict[str, Any]]:
        return [event.payload async for event in trigger.run()]

    async def collect() -> list[list[dict[str, Any]]]:
        try:
            return await asyncio.gather(*(events(trigger) for trigger in triggers))
        finally:
            await TRANSPORT.aclose()

    results = asyncio.run(collect())
    assert [event["status"] for (event,) in results] == ["success"] * 5
    assert lookups == ["alteryx_default"]  # one connection read for the five triggers
