"""Waiting for a job: when to poll it, and what a person watching it is told.

Both the per-job wait (:meth:`~airflow_provider_alteryx.hooks.api.AlteryxApi.wait_for_job`) and the
coalesced one (:mod:`~airflow_provider_alteryx.hooks.watcher`) poll on a :class:`PollSchedule` and report
through a :class:`JobProgress`, so a job polls at the same moments and logs the same lines on either.
"""

from __future__ import annotations

import dataclasses
import zlib

from airflow_provider_alteryx.constants import Disposition, JobStatus
from airflow_provider_alteryx.exceptions import AlteryxNotFoundError, AlteryxProtocolError
from airflow_provider_alteryx.models import AlteryxJob
from airflow_provider_alteryx.utils.clock import Clock
from airflow_provider_alteryx.utils.log import Log

# Reads in a row that a job may show a status the provider does not know before the wait gives up.
UNKNOWN_STATUS_LIMIT = 30
# A still-running job is logged at most this often: at 5,000 long waits, 17 lines/s instead of 83 at once a minute.
PROGRESS_EVERY_SECONDS = 300.0


class PollSchedule:
    """When to poll: on a fixed grid ``start + offset + k * interval`` of a monotonic clock.

    A grid, rather than sleeping the interval after each answer, keeps the period exact however long
    answers take. The offset, spread over the interval by a stable hash of ``key`` (the job id), keeps
    triggers deferred at the same moment from polling in lockstep. A slot missed entirely (an answer
    slower than the interval) is skipped rather than made up in a burst.

    :param interval: seconds between polls.
    :param key: what the offset is drawn from; the same key always gets the same offset.
    :param clock: where time is read: the grid on its monotonic reading, deadlines converted from its wall time.
    :param offset: seconds to the first slot, instead of the one drawn from ``key``.
    """

    def __init__(self, interval: float, key: str, clock: Clock, offset: float | None = None) -> None:
        self.interval = interval
        self.clock = clock.monotonic
        self.wall_clock = clock.time
        self.due = self.clock() + (spread(key, interval) if offset is None else offset)

    def deadline(self, wall_deadline: float | None) -> float | None:
        """A wall-clock deadline (``time.time()``, as triggers carry it) on this schedule's monotonic clock."""
        return None if wall_deadline is None else self.clock() + (wall_deadline - self.wall_clock())

    def pause(self, until: float | None = None) -> float:
        """Seconds to wait for the next slot (0 when it is already due), which this consumes.

        :param until: a time on :attr:`clock` the pause must not reach past (a deadline).
        """
        now = self.clock()
        if now > self.due + self.interval:
            self.due += (now - self.due) // self.interval * self.interval
        due, self.due = self.due, self.due + self.interval
        if until is not None:
            due = min(due, until)
        return max(0.0, due - now)


def deleted(job: AlteryxJob) -> AlteryxJob:
    """``job`` as it ended when the Server deleted it: cancelled. ``DELETE /v3/jobs/{id}`` may "cancel the running
    job or delete a queued job", so a job that was seen and then reads 404 was cancelled while it waited."""
    return dataclasses.replace(
        job, status=JobStatus.CANCELLED, disposition=Disposition.CANCELLED, outputs=(), messages=()
    )


def spread(key: str, interval: float) -> float:
    """A stable offset in ``[0, interval)`` for ``key``: the same job polls at the same phase in any process."""
    return zlib.crc32(key.encode()) / 2**32 * interval


class JobProgress:
    """Logs what a person watching a job wants to know, in a bounded number of lines.

    One line per status change, one when the job finishes, and a heartbeat at most every
    :data:`PROGRESS_EVERY_SECONDS` while nothing changes; the status found first is not a change and
    goes unlogged (the change from it names it). Thousands of waits in one triggerer thus log about
    one line per job, plus a few per second for the long ones.
    """

    def __init__(self, job_id: str, log: Log, clock: Clock) -> None:
        self.job_id = job_id
        self.log = log
        self.clock = clock.monotonic
        self.started = self.since = self.last_log = self.clock()
        self.status: str | None = None
        self.last: AlteryxJob | None = None
        self.unknown_polls = 0

    def elapsed(self, since: float | None = None) -> str:
        return _duration(self.clock() - (self.started if since is None else since))

    def saw(self, job: AlteryxJob) -> None:
        """Note the job's status as last read; logs only a change, the end, or a due heartbeat.

        :raises AlteryxProtocolError: the job showed a status the provider does not know for more than
            :data:`UNKNOWN_STATUS_LIMIT` reads in a row (a wait without a timeout would never end).
        """
        self._check_known(job)
        moment = self.clock()
        if job.is_terminal:
            self.log.info("Alteryx job %s finished: %s, after %s", self.job_id, job.outcome, self.elapsed())
        elif job.status != self.status:
            if self.status is not None:
                self.log.info(
                    "Alteryx job %s was %s for %s, now %s",
                    self.job_id,
                    self.status,
                    self.elapsed(self.since),
                    job.status,
                )
            self.last_log = moment
        elif moment - self.last_log >= PROGRESS_EVERY_SECONDS:
            self.log.info(
                "Alteryx job %s still %s after %s", self.job_id, job.status, self.elapsed(self.since)
            )
            self.last_log = moment
        if job.status != self.status:
            self.status, self.since = job.status, moment
        self.last = job

    def gone(self, missing: AlteryxNotFoundError) -> AlteryxJob:
        """The job as the wait ends it when the Server answers 404 for it: cancelled, once the wait has seen it
        (the Server deletes a queued job when it is cancelled), logged as such.

        :raises AlteryxNotFoundError: ``missing``, when the wait never saw the job (its id is wrong).
        """
        if self.last is None:
            raise missing
        self.log.warning(
            "Alteryx job %s is gone from the Server (it was %s when last read): the Server deleted it from its "
            "queue, as it does with a queued job that is cancelled, so the wait ends with the job cancelled",
            self.job_id,
            self.last.status,
        )
        return deleted(self.last)

    def _check_known(self, job: AlteryxJob) -> None:
        if job.status_known:
            self.unknown_polls = 0
            return
        self.unknown_polls += 1
        if self.unknown_polls == 1:
            self.log.warning(
                "Alteryx job %s has status %r, which this provider does not know; treating it as unfinished for at most %d reads",
                self.job_id,
                job.status,
                UNKNOWN_STATUS_LIMIT,
            )
        if self.unknown_polls > UNKNOWN_STATUS_LIMIT:
            raise AlteryxProtocolError(
                f"Alteryx job {self.job_id} kept the status {job.status!r}, which this provider does not know, for {self.unknown_polls} reads in a row; "
                "it cannot tell whether the job will finish. Check the job on the Server, and report the status so the provider can learn it."
            )


def _duration(seconds: float) -> str:
    minutes, secs = divmod(round(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h {minutes}m {secs}s" if hours else f"{minutes}m {secs}s" if minutes else f"{secs}s"
