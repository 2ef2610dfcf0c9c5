"""Coalesced polling: the waits for one workflow's jobs share one list request per interval.

Many triggers in one triggerer often wait for jobs of the same workflow (a DAG that runs it once per
region, say). Reading each job every interval costs the Server one request per wait; here a
:class:`WorkflowFeed` per workflow lists the workflow's newest jobs once per interval (up to
:data:`MAX_LISTS_PER_INTERVAL` times for feeds of hundreds of waits) and wakes only the waits whose
job changed status. A job seen finished is then read once in full, for its disposition, messages and
outputs, which list items do not carry; a wait whose job a feed already lists needs no first read.
Server requests therefore grow with the number of workflows, not of waits: about two reads per job
over its whole life, plus the lists.

A wait falls back to reading its job on its own schedule where the list cannot show it: the job
names no workflow (legacy ``appId: null``), it is not on the newest page, or the list is refused
(permissions). A list that fails for its whole retry budget (the waits' budget: the Server has been
down that long) ends its waits with the failure, as a wait reading alone would have ended.

The watcher needs no hook: the transport gives it a way to list a workflow's jobs (whose retries and
log are the feed's own), and each wait brings its :class:`WaitReads`, its own retry policy and log.
Waits with different retry policies follow different feeds, so a feed's retries are those of every
wait it serves.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from functools import partial
from typing import Protocol

from airflow_provider_alteryx.exceptions import AlteryxError
from airflow_provider_alteryx.hooks.api import RECENT_JOBS
from airflow_provider_alteryx.hooks.params import RetryPolicy
from airflow_provider_alteryx.hooks.polling import JobProgress, PollSchedule
from airflow_provider_alteryx.models import AlteryxJob
from airflow_provider_alteryx.utils.clock import Clock
from airflow_provider_alteryx.utils.log import Log

# The list asks for at least the watched jobs plus this many, so jobs created meanwhile do not push watched ones off the page.
PAGE_MARGIN = RECENT_JOBS
# Waits woken at a time, then a short pause: each starts a read of its finished job, and a list showing
# hundreds of jobs finished at once must not have all those answers handled in one turn of the loop.
WAKE_BATCH = 16
WAKE_PAUSE_SECONDS = 0.01
# A feed watching many jobs lists them more often than once per interval: one more list per this many
# waits, up to MAX_LISTS_PER_INTERVAL. Each list then shows fewer jobs finished at once (smaller bursts of
# reads) and finished jobs are noticed sooner, while a list still stands for dozens of per-job reads.
WAITS_PER_LIST = 50
MAX_LISTS_PER_INTERVAL = 5
# A feed's first list asks for this many jobs, at once: waits starting on the workflow's other jobs then
# find them listed and need no read of their own (5,000 waits deferred together cost 10 reads, not 5,000).
FIRST_PAGE = 10 * RECENT_JOBS
# A full page that lacks watched jobs is asked again twice as big, up to this; watched jobs beyond it are read one by one.
MAX_PAGE = 10_000


# Lists a workflow's newest jobs: (retry policy, workflow id, how many) -> the jobs, newest first.
ListJobs = Callable[[RetryPolicy, str, int], Awaitable[list[AlteryxJob]]]


class WaitReads(Protocol):
    """How one wait reads the Server: its retry policy and its log, which stay its own."""

    policy: RetryPolicy
    log: Log

    async def get_job(self, job_id: str) -> AlteryxJob: ...

    async def poll_job(
        self,
        job_id: str,
        *,
        poll_interval: float,
        deadline: float | None,
        schedule: PollSchedule,
        progress: JobProgress,
    ) -> AlteryxJob: ...


class _Watch:
    """One wait for one job: the job as last seen, and an event set when that changes, when the wait must fall
    back to reading alone, or when it must end with the feed's failure."""

    __slots__ = ("changed", "failure", "fallen_back", "job", "reason")

    def __init__(self, job: AlteryxJob) -> None:
        self.job = job
        self.changed = asyncio.Event()
        self.fallen_back = False
        self.reason = ""
        self.failure: AlteryxError | None = None

    def fail(self, error: AlteryxError) -> None:
        self.failure = error
        self.changed.set()

    def update(self, job: AlteryxJob) -> None:
        self.job = job
        self.changed.set()

    def fall_back(self, reason: str) -> None:
        self.fallen_back = True
        self.reason = reason
        self.changed.set()


class WorkflowFeed:
    """Lists one workflow's newest jobs on a fixed schedule (every :meth:`period`) while any wait watches it.

    :param list_jobs: how the jobs are listed.
    :param policy: the retry policy of the lists (that of every wait following the feed).
    :param workflow_id: the workflow whose jobs are watched.
    :param interval: seconds between lists.
    :param clock: where time is read.
    """

    def __init__(
        self, list_jobs: ListJobs, policy: RetryPolicy, workflow_id: str, interval: float, clock: Clock
    ) -> None:
        self.list_jobs = list_jobs
        self.policy = policy
        self.workflow_id = workflow_id
        self.interval = interval
        self.clock = clock
        self.watches: dict[str, set[_Watch]] = {}
        self.task: asyncio.Task[None] | None = None
        # The jobs of the last list, by id: a wait starting on one of them follows it without reading it first.
        self.listed: dict[str, AlteryxJob] = {}
        # Set once the Server refused the list for good (permissions, no such endpoint): later waits read their jobs alone.
        self.unlistable = ""

    def add(self, watch: _Watch) -> None:
        if self.unlistable:
            watch.fall_back(self.unlistable)
            return
        self.watches.setdefault(watch.job.id, set()).add(watch)
        if self.task is None or self.task.done():
            self.task = asyncio.get_running_loop().create_task(
                self._run(), name=f"alteryx-feed-{self.workflow_id}"
            )

    def remove(self, watch: _Watch) -> None:
        watches = self.watches.get(watch.job.id)
        if watches is not None:
            watches.discard(watch)
            if not watches:
                del self.watches[watch.job.id]

    @property
    def running(self) -> bool:
        return self.task is not None and not self.task.done()

    def period(self) -> float:
        """Seconds between lists for the waits watched now: the interval, divided for big feeds."""
        return self.interval / max(1, min(MAX_LISTS_PER_INTERVAL, len(self.watches) // WAITS_PER_LIST))

    async def _run(self) -> None:
        schedule: PollSchedule | None = None
        try:
            while self.watches:
                if schedule is None:  # the first list comes at once, the next ones a period apart
                    schedule = PollSchedule(self.period(), self.workflow_id, self.clock, offset=self.period())
                    page = FIRST_PAGE
                else:
                    schedule.interval = self.period()
                    await asyncio.sleep(schedule.pause())
                    page = PAGE_MARGIN
                if not await self._list_and_wake(page):
                    return
        finally:
            self.listed = {}

    async def _list_and_wake(self, page: int) -> bool:
        """List the jobs and wake the waits concerned; False when the list failed and every wait went on alone."""
        if self.watches:
            try:
                jobs = await self._list(page)
            except AlteryxError as error:
                if error.retryable:  # still failing after the waits' whole budget: the waits end with it
                    for watches in self.watches.values():
                        for watch in watches:
                            watch.fail(error)
                    return False
                self.unlistable = (
                    f"the jobs of Alteryx workflow {self.workflow_id} cannot be listed ({error})"
                )
                self._fall_back_all(self.unlistable)
                return False
            except Exception as error:
                # A bug here must not leave every wait on this workflow hanging: they go on alone.
                self._fall_back_all(
                    f"watching the jobs of Alteryx workflow {self.workflow_id} failed ({error!r})"
                )
                return False
            for woken, wake in enumerate(self.dispatch(jobs), 1):
                wake()
                if woken % WAKE_BATCH == 0:
                    await asyncio.sleep(WAKE_PAUSE_SECONDS)
        return True

    async def _list(self, page: int) -> list[AlteryxJob]:
        """The workflow's newest jobs, on a page that shows every watched job if the Server can list them."""
        page = min(MAX_PAGE, max(page, len(self.watches) + PAGE_MARGIN))
        while True:
            jobs = await self.list_jobs(self.policy, self.workflow_id, page)
            # A page shorter than asked is all the Server lists: watched jobs missing from it are not listable.
            if len(jobs) < page or page >= MAX_PAGE or self.watches.keys() <= {job.id for job in jobs}:
                return jobs
            page = min(MAX_PAGE, page * 2)

    def dispatch(self, jobs: list[AlteryxJob]) -> list[Callable[[], None]]:
        """How to wake the waits whose job changed status in this list, and those whose job it does not show."""
        self.listed = listed = {job.id: job for job in jobs}
        missing = f"the newest {len(jobs)} jobs of Alteryx workflow {self.workflow_id} do not include it"
        wakes: list[Callable[[], None]] = []
        for job_id, watches in self.watches.items():
            job = listed.get(job_id)
            if job is None:
                wakes += [partial(watch.fall_back, missing) for watch in watches]
            else:
                wakes += [partial(watch.update, job) for watch in watches if job.status != watch.job.status]
        return wakes

    def _fall_back_all(self, reason: str) -> None:
        for watches in self.watches.values():
            for watch in watches:
                watch.fall_back(reason)

    def stop(self) -> None:
        """Stop listing; the waits in progress go on reading their jobs alone."""
        if self.task is not None:
            self.task.cancel()
        self._fall_back_all("the watcher stopped")


class JobWatcher:
    """Every wait for jobs of one Server on one event loop; see the module docstring.

    :param list_jobs: how a feed lists a workflow's jobs.
    :param clock: where time is read.
    """

    def __init__(self, list_jobs: ListJobs, clock: Clock) -> None:
        self.list_jobs = list_jobs
        self.clock = clock
        self.feeds: dict[tuple[str, float, RetryPolicy], WorkflowFeed] = {}

    async def wait(
        self, reads: WaitReads, job_id: str, *, poll_interval: float, deadline: float | None
    ) -> AlteryxJob:
        """Wait until the job finishes and return it read in full.

        At the job's slot of the interval, the wait joins its workflow's feed: through the feed's last
        list if that showed the job, else after reading the job (which names its workflow).

        :param reads: how this wait reads the Server, and where it logs.
        :param deadline: a wall-clock time (``time.time()``) after which the job is read once more and
            :class:`~airflow_provider_alteryx.exceptions.AlteryxJobTimeoutError` raised if it is still unfinished.
        :return: the finished job, with disposition, messages and outputs.
        """
        schedule = PollSchedule(poll_interval, job_id, self.clock)
        progress = JobProgress(job_id, reads.log, self.clock)
        ends = schedule.deadline(deadline)
        await asyncio.sleep(schedule.pause(until=ends))
        feed, job = self._listed(job_id, poll_interval, reads.policy)
        if feed is None or job is None or job.is_terminal:
            # Not listed by a feed yet: read it, which names its workflow (unless the Server leaves appId null).
            job = await reads.get_job(job_id)
            feed = (
                None
                if job.is_terminal or job.workflow_id is None
                else self._feed(reads, job.workflow_id, poll_interval)
            )
        progress.saw(job)
        if job.is_terminal:
            return job
        if feed is not None:
            finished = await self._follow(reads, feed, job, progress, ends)
            if finished is not None:
                return finished
        return await reads.poll_job(
            job_id, poll_interval=poll_interval, deadline=deadline, schedule=schedule, progress=progress
        )

    def _listed(
        self, job_id: str, interval: float, policy: RetryPolicy
    ) -> tuple[WorkflowFeed | None, AlteryxJob | None]:
        """The running feed (of this interval and policy) whose last list showed the job, and the job as listed."""
        for (_, feed_interval, feed_policy), feed in self.feeds.items():
            job = feed.listed.get(job_id)
            if job is not None and (feed_interval, feed_policy) == (interval, policy) and feed.running:
                return feed, job
        return None, None

    async def _follow(
        self, reads: WaitReads, feed: WorkflowFeed, job: AlteryxJob, progress: JobProgress, ends: float | None
    ) -> AlteryxJob | None:
        """Follow the job through its workflow's feed; None when it must be read on its own (or the deadline came)."""
        watch = _Watch(job)
        feed.add(watch)
        try:
            while True:
                if ends is None:
                    await watch.changed.wait()
                elif not await _wait_until(watch.changed, ends - self.clock.monotonic()):
                    return None
                watch.changed.clear()
                if watch.failure is not None:
                    raise watch.failure
                if watch.fallen_back:
                    reads.log.warning("Alteryx job %s is read on its own: %s", job.id, watch.reason)
                    return None
                seen = await reads.get_job(job.id) if watch.job.is_terminal else watch.job
                progress.saw(seen)
                if seen.is_terminal:
                    return seen
        finally:
            feed.remove(watch)

    def _feed(self, reads: WaitReads, workflow_id: str, interval: float) -> WorkflowFeed:
        key = (workflow_id, interval, reads.policy)
        feed = self.feeds.get(key)
        if feed is None:
            feed = self.feeds[key] = WorkflowFeed(
                self.list_jobs, reads.policy, workflow_id, interval, self.clock
            )
        return feed

    def stop(self) -> None:
        for feed in self.feeds.values():
            feed.stop()
        self.feeds.clear()


async def _wait_until(event: asyncio.Event, seconds: float) -> bool:
    """Wait for ``event`` at most ``seconds``; whether it was set."""
    if seconds > 0:
        try:
            async with asyncio.timeout(seconds):
                await event.wait()
        except TimeoutError:
            pass
    return event.is_set()
