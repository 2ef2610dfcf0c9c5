"""The emulator's job engine: a priority queue in front of a fixed number of tagged worker slots.

A job's life, as a real Server reports it: ``Created`` → ``Queued`` (waiting for a slot on a worker
whose tags match) → ``Initializing`` → ``Running`` → ``Completed`` (its outcome in ``disposition``),
or ``Cancelled``. Runs are simulated: a job occupies a slot for its workflow's run time (times
``time_scale``) and then completes with the disposition, messages and outputs its catalogue entry
prescribes, after the engine's own lines (``toolId`` -1) as the AMP engine writes them.

Assumptions where no source says (documented here because the engine acts on them):

- "Cancel jobs running longer than N seconds" (``cancel_after``): the job ends ``Cancelled`` with
  disposition ``Cancelled`` and an error message naming the limit, as a job cancelled through the API.
- Background load: jobs of other users, each running ``background_seconds``, always ``background_load``
  of them waiting or running; one that finishes is replaced by a new one at the back of the queue.
"""

from __future__ import annotations

import asyncio
import itertools
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from airflow_provider_alteryx.constants import Disposition
from airflow_provider_alteryx.constants import JobStatus as Status
from airflow_provider_alteryx.emulator.catalogue import RunSpec, Workflow, render
from airflow_provider_alteryx.emulator.config import EmulatorConfig

# Higher runs first. Legacy clients send "0".."3" for low..critical; V3 clients send names.
PRIORITY_RANK = {"Default": 0, "Low": 0, "Medium": 1, "High": 2, "Critical": 3}
LEGACY_PRIORITIES = {"0": "Low", "1": "Medium", "2": "High", "3": "Critical"}
BACKGROUND_OWNER = "other users"
# Stands for the schedules and Gallery users a real Server's workers are shared with.
BACKGROUND_WORKFLOW = Workflow(id="f" * 24, name="Another user's schedule", questions=(), run=RunSpec())


def parse_priority(value: Any) -> str | None:
    """The priority name for a request value, or None when the Server would reject it."""
    if value is None or value == "":
        return "Default"
    text = str(value)
    if text in LEGACY_PRIORITIES:
        return LEGACY_PRIORITIES[text]
    return next((name for name in PRIORITY_RANK if name.lower() == text.lower()), None)


def now() -> datetime:
    return datetime.now(UTC)


@dataclass
class JobOutput:
    id: str
    name: str
    formats: tuple[str, ...]
    content: str


@dataclass
class Job:
    id: str
    workflow: Workflow
    answers: dict[str, str]
    priority: str
    worker_tag: str
    credential_id: str
    owner: str
    sequence: int
    created: datetime = field(default_factory=now)
    status: Status = Status.CREATED
    disposition: Disposition = Disposition.NONE
    queued: datetime | None = None
    started: datetime | None = None
    finished: datetime | None = None
    messages: list[dict[str, Any]] = field(default_factory=list)
    outputs: list[JobOutput] = field(default_factory=list)
    # Deleted while waiting (Variants.cancel_queued_deletes): gone from the API, kept for /__emulator/jobs.
    deleted: bool = False

    @property
    def finished_or_cancelled(self) -> bool:
        return self.status in (Status.COMPLETED, Status.CANCELLED)

    @property
    def waiting(self) -> bool:
        """Not yet given a worker slot: Created or Queued."""
        return self.status in (Status.CREATED, Status.QUEUED)

    @property
    def background(self) -> bool:
        return self.owner == BACKGROUND_OWNER


class JobEngine:
    """Queues jobs and runs at most ``workers`` of them at once, highest priority first, then oldest.

    :param on_change: called after every change of a job, so the state can be saved.
    """

    def __init__(self, config: EmulatorConfig, on_change: Callable[[], None]) -> None:
        self.config = config
        self.jobs: dict[str, Job] = {}
        self._queue: list[Job] = []
        self._tasks: dict[str, asyncio.Task[None]] = {}
        # Jobs still Created, by id: the timer that queues each.
        self._timers: dict[str, asyncio.TimerHandle] = {}
        self._slots_taken = 0
        self._sequence = itertools.count()
        self._on_change = on_change

    # ---- lifecycle ---------------------------------------------------------------------------
    def start(self, restored: Sequence[Job] = ()) -> None:
        """Take over restored jobs (unfinished ones go back to the queue) and start the background load."""
        self._sequence = itertools.count(max((job.sequence for job in restored), default=-1) + 1)
        for job in restored:
            self.jobs[job.id] = job
            if not job.finished_or_cancelled:
                # Jobs whose worker went away with the Server start again from the queue.
                job.status, job.queued, job.started = Status.QUEUED, job.queued or now(), None
                self._queue.append(job)
        self._top_up_background()
        self._dispatch()

    def stop(self) -> None:
        for task in self._tasks.values():
            task.cancel()
        for timer in self._timers.values():
            timer.cancel()
        self._tasks.clear()
        self._timers.clear()

    def reset(self) -> None:
        self.stop()
        self._queue.clear()
        self.jobs.clear()
        self._slots_taken = 0
        self._top_up_background()
        self._dispatch()
        self._on_change()

    # ---- operations --------------------------------------------------------------------------
    def submit(
        self,
        workflow: Workflow,
        answers: dict[str, str],
        priority: str,
        worker_tag: str,
        credential_id: str,
        owner: str,
    ) -> Job:
        """Create a job: ``Created``, then ``Queued`` after ``created_seconds``."""
        job = Job(
            id=uuid.uuid4().hex[:24],
            workflow=workflow,
            answers=answers,
            priority=priority,
            worker_tag=worker_tag,
            credential_id=credential_id,
            owner=owner,
            sequence=next(self._sequence),
        )
        self.jobs[job.id] = job
        delay = self.config.created_seconds * self.config.time_scale
        if delay:
            self._timers[job.id] = asyncio.get_running_loop().call_later(delay, self._enqueue, job)
            self._on_change()
        else:
            self._enqueue(job)
        return job

    def cancel(self, job: Job, message: str | None = None) -> None:
        """End a job ``Cancelled``, freeing its slot if it had one."""
        if job in self._queue:
            self._queue.remove(job)
        timer = self._timers.pop(job.id, None)
        if timer is not None:
            timer.cancel()
        task = self._tasks.pop(job.id, None)
        if task is not None:
            task.cancel()
            self._slots_taken -= 1
        if message:
            job.messages.append({"status": 3, "text": message, "toolId": -1})
        job.status, job.disposition, job.finished = Status.CANCELLED, Disposition.CANCELLED, now()
        self._after_finish(job)

    def delete(self, job: Job) -> None:
        """Take a waiting job out of the queue for good: cancelled, and no longer served by the API."""
        job.deleted = True
        self.cancel(job)

    def listed(self) -> list[Job]:
        """The jobs the API still knows, oldest first (deleted ones are gone from it)."""
        return sorted((job for job in self.jobs.values() if not job.deleted), key=lambda job: job.sequence)

    # ---- scheduling --------------------------------------------------------------------------
    def _enqueue(self, job: Job) -> None:
        self._timers.pop(job.id, None)
        if job.status is Status.CREATED:
            job.status, job.queued = Status.QUEUED, now()
            self._queue.append(job)
            self._dispatch()
            self._on_change()

    def _runnable(self, job: Job) -> bool:
        # An untagged job runs on any worker; a tagged one only on a worker carrying its tag.
        return not job.worker_tag or job.worker_tag in self.config.worker_tags

    def _dispatch(self) -> None:
        self._queue.sort(key=lambda job: (-PRIORITY_RANK[job.priority], job.sequence))
        for job in [j for j in self._queue if self._runnable(j)]:
            if self._slots_taken >= self.config.workers:
                break
            self._queue.remove(job)
            self._slots_taken += 1
            # Without an initializing time the job is Running at once, so no poll sees a zero-length state.
            job.status, job.started = (
                Status.INITIALIZING if self.config.initializing_seconds else Status.RUNNING,
                now(),
            )
            self._tasks[job.id] = asyncio.get_running_loop().create_task(self._run(job))

    async def _run(self, job: Job) -> None:
        scale = self.config.time_scale
        if job.status is Status.INITIALIZING:
            await asyncio.sleep(self.config.initializing_seconds * scale)
            job.status = Status.RUNNING
            self._on_change()
        seconds = (self.config.background_seconds if job.background else job.workflow.run.seconds) * scale
        limit = self.config.cancel_after
        if limit is not None and seconds > limit:
            await asyncio.sleep(limit)
            del self._tasks[job.id]
            self._slots_taken -= 1
            self.cancel(job, f"The job was cancelled: it ran longer than {limit:g} seconds (worker setting).")
            return
        await asyncio.sleep(seconds)
        del self._tasks[job.id]
        self._slots_taken -= 1
        self._complete(job, seconds)

    def _complete(self, job: Job, seconds: float) -> None:
        spec = job.workflow.run
        disposition = Disposition(spec.disposition_for(job.answers))
        engine = self.config.engine_messages
        job.messages = (
            [
                {
                    "status": 1,
                    "text": "This is AMP Engine; running 4 worker threads; memory limit 8.0 GB.",
                    "toolId": -1,
                }
            ]
            if engine
            else []
        )
        job.messages += [
            {
                "status": m.level,
                "text": render(m.text, job.answers),
                "toolId": i + 1 if m.tool is None else m.tool,
            }
            for i, m in enumerate(spec.messages)
        ]
        if disposition is Disposition.ERROR:
            job.messages.append(
                {
                    "status": 3,
                    "text": render(spec.error_message, job.answers),
                    "toolId": len(spec.messages) + 1,
                }
            )
        else:
            job.outputs = [
                JobOutput(
                    id=uuid.uuid4().hex[:24],
                    name=render(o.name, job.answers),
                    formats=o.formats,
                    content=render(o.content, job.answers),
                )
                for o in spec.outputs
            ]
        if engine:
            errors = " with 1 error" if disposition is Disposition.ERROR else ""
            job.messages.append(
                {
                    "status": 1,
                    "text": f"Finished running {job.workflow.name}.yxmd in {seconds:.1f} seconds{errors}",
                    "toolId": -1,
                }
            )
        job.status, job.disposition, job.finished = Status.COMPLETED, disposition, now()
        self._after_finish(job)

    def _after_finish(self, job: Job) -> None:
        if job.background:
            self._top_up_background()
        self._dispatch()
        self._on_change()

    def _top_up_background(self) -> None:
        waiting = sum(1 for job in self.jobs.values() if job.background and not job.finished_or_cancelled)
        for _ in range(self.config.background_load - waiting):
            self.submit(BACKGROUND_WORKFLOW, {}, "Default", "", "", BACKGROUND_OWNER)
