"""Coalesced polling: waits for one workflow's jobs share one list request per interval, over real HTTP."""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import Awaitable
from typing import Any

import pytest

from airflow_provider_alteryx.emulator import RunningEmulator
from airflow_provider_alteryx.exceptions import AlteryxJobTimeoutError
from airflow_provider_alteryx.hooks import watcher
from airflow_provider_alteryx.hooks.alteryx import AlteryxServerHook
from airflow_provider_alteryx.hooks.api import AlteryxApi
from airflow_provider_alteryx.hooks.config import ServerConfig
from airflow_provider_alteryx.hooks.params import RetryPolicy
from airflow_provider_alteryx.hooks.steps import Operation
from airflow_provider_alteryx.hooks.transport import TRANSPORT
from airflow_provider_alteryx.hooks.watcher import (
    MAX_LISTS_PER_INTERVAL,
    WAITS_PER_LIST,
    WaitReads,
    WorkflowFeed,
    _Watch,
)
from airflow_provider_alteryx.models import AlteryxJob
from airflow_provider_alteryx.utils.clock import SYSTEM_CLOCK
from airflow_provider_alteryx.utils.log import Log
from tests.conftest import MEDIUM, REGIONAL, SLOW, VERSION_AUTH, StartEmulator, UseConnection

INTERVAL = 0.1


class Counted:
    """Counts, for waits on one event loop, the feeds' list requests, the waits' own reads of their job ("get")
    and the waits that go on polling their job alone; one Server request each when nothing fails.

    :param list_as: the workflow a feed lists instead of the real one (one the key cannot see: a real 404).
    :param listed: set once ``after`` lists were answered.
    """

    def __init__(
        self,
        monkeypatch: pytest.MonkeyPatch,
        list_as: str | None = None,
        listed: asyncio.Event | None = None,
        after: int = 0,
    ) -> None:
        self.counts: Counter[str] = Counter()
        real_list, real_reads = AlteryxApi.list_workflow_jobs, TRANSPORT.reads
        counts = self.counts

        def list_jobs(api: AlteryxApi, workflow_id: str, limit: int = 100) -> Operation[list[AlteryxJob]]:
            counts["list"] += 1
            try:
                return (yield from real_list(api, list_as or workflow_id, limit))
            finally:
                if listed is not None and counts["list"] >= after:
                    listed.set()

        def reads(config: ServerConfig, policy: RetryPolicy, log: Log) -> WaitReads:
            return CountingReads(real_reads(config, policy, log), counts)

        monkeypatch.setattr(AlteryxApi, "list_workflow_jobs", list_jobs)
        monkeypatch.setattr(TRANSPORT, "reads", reads)

    def __getitem__(self, name: str) -> int:
        return self.counts[name]


class CountingReads:
    def __init__(self, reads: WaitReads, counts: Counter[str]) -> None:
        self.reads, self.counts = reads, counts
        self.policy, self.log = reads.policy, reads.log

    async def get_job(self, job_id: str) -> AlteryxJob:
        self.counts["get"] += 1
        return await self.reads.get_job(job_id)

    async def poll_job(self, job_id: str, **kwargs: Any) -> AlteryxJob:
        self.counts["alone"] += 1
        return await self.reads.poll_job(job_id, **kwargs)


def hook() -> AlteryxServerHook:
    return AlteryxServerHook(retry_limit=3, retry_delay=0.01)


def wait_all(job_ids: list[str], deadline: float | None = None) -> list[AlteryxJob | BaseException]:
    """Wait for every job at once on one event loop, each with its own hook, as triggers in one triggerer do."""

    async def body() -> list[AlteryxJob | BaseException]:
        try:
            waits: list[Awaitable[AlteryxJob]] = [
                hook().await_job(job_id, poll_interval=INTERVAL, deadline=deadline) for job_id in job_ids
            ]
            return await asyncio.gather(*waits, return_exceptions=True)
        finally:
            await TRANSPORT.aclose()

    return asyncio.run(body())


def start_jobs(emulator: RunningEmulator, workflow_ids: list[str]) -> list[str]:
    hook = AlteryxServerHook()
    return [
        hook.run_workflow(workflow_id, {"region": "EMEA"} if workflow_id == REGIONAL else None).id
        for workflow_id in workflow_ids
    ]


def test_waits_for_one_workflow_share_one_list_per_interval(
    start_emulator: StartEmulator, use_connection: UseConnection, monkeypatch: pytest.MonkeyPatch
) -> None:
    emulator = start_emulator(workers=20, time_scale=0.5)
    use_connection(emulator)
    job_ids = start_jobs(emulator, [MEDIUM] * 12 + [REGIONAL] * 4)
    counts = Counted(monkeypatch)
    before = emulator.info()
    started = time.monotonic()
    finished = wait_all(job_ids)
    elapsed = time.monotonic() - started
    after = emulator.info()
    served, tokens = (
        after["requestsServed"] - before["requestsServed"],
        after["tokensIssued"] - before["tokensIssued"],
    )

    assert all(isinstance(job, AlteryxJob) and job.disposition == "Success" for job in finished)
    # The finished jobs were read in full: messages, which list items lack, are there.
    assert all(
        isinstance(job, AlteryxJob) and [m.text for m in job.messages] == ["Read EMEA"]
        for job in finished[12:]
    )
    # Each wait reads its job once when it starts and once when the list shows it finished...
    assert counts["get"] <= 2 * len(job_ids)
    # ...and in between the two workflows are listed at most once per interval each, however many waits.
    assert 2 <= counts["list"] <= 2 * (elapsed / INTERVAL + 1)
    # The Server saw these reads (and no token request: the process already had one), under half of
    # what reading the 12 Medium jobs (1.5 s each) alone every interval would cost.
    assert (served, tokens) == (counts["get"] + counts["list"], 0)
    assert served < 12 * (1.5 / INTERVAL) / 2


def test_waits_on_jobs_the_feed_listed_need_no_read_of_their_own(
    connected_emulator: RunningEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    first, *others = start_jobs(connected_emulator, [MEDIUM] * 6)
    listed = asyncio.Event()
    counts = Counted(monkeypatch, listed=listed, after=1)

    async def body() -> list[AlteryxJob]:
        def wait(job_id: str) -> Awaitable[AlteryxJob]:
            return hook().await_job(job_id, poll_interval=INTERVAL, deadline=None)

        try:
            leader = asyncio.ensure_future(wait(first))
            await listed.wait()  # the feed's first list, right after the first wait read its job
            return await asyncio.gather(leader, *(wait(job_id) for job_id in others))
        finally:
            await TRANSPORT.aclose()

    finished = asyncio.run(body())
    assert [job.disposition for job in finished] == ["Success"] * 6
    # One read to learn the workflow, then only the reads of finished jobs, one each.
    assert counts["get"] == 1 + 6 and counts["alone"] == 0


@pytest.mark.parametrize(("version", "auth_type"), VERSION_AUTH)
def test_a_coalesced_wait_returns_the_full_job_on_every_server_version(
    start_emulator: StartEmulator,
    use_connection: UseConnection,
    monkeypatch: pytest.MonkeyPatch,
    version: str,
    auth_type: str,
) -> None:
    emulator = start_emulator(server_version=version, time_scale=0.5)
    use_connection(emulator, auth_type)
    job_ids = start_jobs(emulator, [REGIONAL])
    counts = Counted(monkeypatch)  # counting from here: the creation's own job lists are not the wait's
    (job,) = wait_all(job_ids)
    assert isinstance(job, AlteryxJob)
    assert (job.status, job.disposition) == ("Completed", "Success")
    assert [m.text for m in job.messages] == ["Read EMEA"] and job.outputs[0].formats == ("Csv", "Raw")
    # Legacy and /webapi/v1 jobs name no workflow (appId null, as real Servers answer): those waits read their job alone.
    names_workflow = version >= "2023.1" and auth_type == "oauth2"
    assert job.workflow_id == (REGIONAL if names_workflow else None)
    assert (counts["list"] >= 1) == names_workflow


def test_jobs_off_the_listed_page_are_read_on_their_own(
    connected_emulator: RunningEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(watcher, "MAX_PAGE", 1)  # the page shows only the newest job
    monkeypatch.setattr(watcher, "PAGE_MARGIN", 0)
    job_ids = start_jobs(connected_emulator, [MEDIUM] * 3)
    counts = Counted(monkeypatch)
    finished = wait_all(job_ids)
    assert [
        job.id for job in finished if isinstance(job, AlteryxJob) and job.disposition == "Success"
    ] == job_ids
    assert counts["alone"] == 2  # the two older jobs, off the page, went on with reads of their own


def test_a_refused_list_sends_every_later_wait_to_its_own_reads(
    connected_emulator: RunningEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    job_ids = start_jobs(connected_emulator, [MEDIUM] * 2)
    counts = Counted(monkeypatch, list_as="f" * 24)
    finished = wait_all(job_ids)
    assert all(isinstance(job, AlteryxJob) and job.disposition == "Success" for job in finished)
    assert counts["list"] == 1  # refused once (404): not asked again on this loop
    assert counts["alone"] == len(job_ids)


def test_a_deadline_reads_the_job_once_more_then_times_out_with_it(
    connected_emulator: RunningEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    (job_id,) = start_jobs(connected_emulator, [SLOW])
    counts = Counted(monkeypatch)
    (outcome,) = wait_all([job_id], deadline=time.time() + 0.5)
    assert isinstance(outcome, AlteryxJobTimeoutError) and "still Running" in str(outcome)
    assert outcome.job.id == job_id and outcome.job.status == "Running"
    # Followed through the list, then read once more on its own at the deadline.
    assert counts["list"] >= 1 and (counts["get"], counts["alone"]) == (1, 1)


def test_stopped_watchers_let_the_waits_finish_on_their_own(
    connected_emulator: RunningEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    job_ids = start_jobs(connected_emulator, [MEDIUM] * 3)
    listed = asyncio.Event()
    counts = Counted(monkeypatch, listed=listed, after=2)

    async def body() -> list[AlteryxJob]:
        try:
            # By the second list, an interval on, all three waits follow the feed.
            waits = asyncio.gather(
                *(hook().await_job(job_id, poll_interval=INTERVAL, deadline=None) for job_id in job_ids)
            )
            await listed.wait()
            for watcher_of_loop in TRANSPORT._share().watchers.values():
                watcher_of_loop.stop()
            return await waits
        finally:
            await TRANSPORT.aclose()

    finished = asyncio.run(body())
    assert [job.disposition for job in finished] == ["Success"] * 3
    assert counts["alone"] == len(job_ids)


def test_one_watcher_per_server_and_event_loop(connected_emulator: RunningEmulator) -> None:
    async def watchers() -> tuple[object, object]:
        config = await AlteryxServerHook().aconfig()
        return TRANSPORT._watcher(config), TRANSPORT._watcher(await AlteryxServerHook().aconfig())

    first, again = asyncio.run(watchers())
    assert first is again
    assert asyncio.run(watchers())[0] is not first


async def unused_list(policy: RetryPolicy, workflow_id: str, limit: int) -> list[AlteryxJob]:
    raise AssertionError("these feeds never list")


class TestDispatch:
    """Which waits a list wakes, and how often a feed lists, step by step (no HTTP)."""

    @staticmethod
    def feed_with(*jobs: AlteryxJob) -> tuple[WorkflowFeed, list[_Watch]]:
        feed = WorkflowFeed(unused_list, RetryPolicy(), "wf", 5.0, SYSTEM_CLOCK)
        watches = [_Watch(job) for job in jobs]
        for watch in watches:
            feed.watches.setdefault(watch.job.id, set()).add(watch)
        return feed, watches

    def test_only_a_changed_status_wakes_a_wait(self) -> None:
        feed, (same, changed) = self.feed_with(
            AlteryxJob(id="aaaaaaaaaaaaaaaaaaaaaaaa", status="Running"),
            AlteryxJob(id="bbbbbbbbbbbbbbbbbbbbbbbb", status="Queued"),
        )
        for wake in feed.dispatch(
            [
                AlteryxJob(id="aaaaaaaaaaaaaaaaaaaaaaaa", status="Running"),
                AlteryxJob(id="bbbbbbbbbbbbbbbbbbbbbbbb", status="Running"),
                AlteryxJob(id="cccccccccccccccccccccccc", status="Queued"),
            ]
        ):
            wake()
        assert not same.changed.is_set()
        assert changed.changed.is_set() and changed.job.status == "Running" and not changed.fallen_back

    def test_a_job_missing_from_the_list_falls_back(self) -> None:
        feed, (missing,) = self.feed_with(AlteryxJob(id="aaaaaaaaaaaaaaaaaaaaaaaa", status="Running"))
        for wake in feed.dispatch([AlteryxJob(id="eeeeeeeeeeeeeeeeeeeeeeee", status="Running")]):
            wake()
        assert missing.changed.is_set() and missing.fallen_back

    def test_two_waits_for_one_job_are_both_woken(self) -> None:
        feed, (first, second) = self.feed_with(
            AlteryxJob(id="aaaaaaaaaaaaaaaaaaaaaaaa", status="Running"),
            AlteryxJob(id="aaaaaaaaaaaaaaaaaaaaaaaa", status="Running"),
        )
        for wake in feed.dispatch([AlteryxJob(id="aaaaaaaaaaaaaaaaaaaaaaaa", status="Completed")]):
            wake()
        assert first.changed.is_set() and second.changed.is_set()

    def test_big_feeds_list_more_often_than_once_per_interval(self) -> None:
        feed, _ = self.feed_with()
        periods = []
        for waits in (1, WAITS_PER_LIST - 1, WAITS_PER_LIST, 3 * WAITS_PER_LIST, 100 * WAITS_PER_LIST):
            feed.watches = {f"{n:024x}": {_Watch(AlteryxJob(id=f"{n:024x}"))} for n in range(waits)}
            periods.append(feed.period())
        assert periods == [5.0, 5.0, 5.0, 5.0 / 3, 5.0 / MAX_LISTS_PER_INTERVAL]
