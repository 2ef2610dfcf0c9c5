"""The emulator's job engine: a priority queue in front of a fixed number of worker slots."""

from __future__ import annotations

import asyncio
import itertools
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from airflow_provider_alteryx.emulator.catalogue import Workflow, render

# Higher runs first. Legacy clients send "0".."3" for low..critical; V3 clients send names.
PRIORITY_RANK = {"Default": 0, "Low": 0, "Medium": 1, "High": 2, "Critical": 3}
LEGACY_PRIORITIES = {"0": "Low", "1": "Medium", "2": "High", "3": "Critical"}


def parse_priority(value: Any) -> str | None:
    """The priority name for a request value, or None when the Server would reject it."""
    if value is None or value == "":
        return "Default"
    text = str(value)
    if text in LEGACY_PRIORITIES:
        return LEGACY_PRIORITIES[text]
    return next((name for name in PRIORITY_RANK if name.lower() == text.lower()), None)


def iso(moment: datetime | None) -> str | None:
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z") if moment else None


def now() -> datetime:
    return datetime.now(timezone.utc)


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
    sequence: int
    created: datetime = field(default_factory=now)
    status: str = "Queued"
    disposition: str = "None"
    started: datetime | None = None
    finished: datetime | None = None
    messages: list[dict[str, Any]] = field(default_factory=list)
    outputs: list[JobOutput] = field(default_factory=list)

    @property
    def finished_or_cancelled(self) -> bool:
        return self.status in ("Completed", "Cancelled")

    def control_view(self) -> dict[str, Any]:
        """Everything about the job, for the /__emulator/jobs control endpoint."""
        return {
            "id": self.id,
            "workflowId": self.workflow.id,
            "workflowName": self.workflow.name,
            "questions": dict(self.answers),
            "priority": self.priority,
            "workerTag": self.worker_tag,
            "credentialId": self.credential_id,
            "status": self.status,
            "disposition": self.disposition,
            "createdAt": iso(self.created),
            "startedAt": iso(self.started),
            "finishedAt": iso(self.finished),
        }


class JobEngine:
    """Queues jobs and runs at most ``workers`` of them at once, highest priority first, then oldest.

    Runs are simulated: a job occupies a slot for its workflow's run time (times ``time_scale``) and
    then completes with the disposition, messages and outputs its catalogue entry prescribes.
    """

    def __init__(self, workers: int, time_scale: float) -> None:
        self.workers = workers
        self.time_scale = time_scale
        self.jobs: dict[str, Job] = {}
        self._queue: list[Job] = []
        self._running: dict[str, asyncio.Task[None]] = {}
        self._sequence = itertools.count()

    def submit(self, workflow: Workflow, answers: dict[str, str], priority: str, worker_tag: str, credential_id: str) -> Job:
        job = Job(
            id=uuid.uuid4().hex[:24],
            workflow=workflow,
            answers=answers,
            priority=priority,
            worker_tag=worker_tag,
            credential_id=credential_id,
            sequence=next(self._sequence),
        )
        self.jobs[job.id] = job
        self._queue.append(job)
        self._start_queued()
        return job

    def cancel(self, job: Job) -> None:
        if job in self._queue:
            self._queue.remove(job)
        task = self._running.pop(job.id, None)
        if task is not None:
            task.cancel()
        job.status = job.disposition = "Cancelled"
        job.finished = now()
        self._start_queued()

    def reset(self) -> None:
        for task in self._running.values():
            task.cancel()
        self._running.clear()
        self._queue.clear()
        self.jobs.clear()

    def _start_queued(self) -> None:
        self._queue.sort(key=lambda job: (-PRIORITY_RANK[job.priority], job.sequence))
        while self._queue and len(self._running) < self.workers:
            job = self._queue.pop(0)
            job.status, job.started = "Running", now()
            self._running[job.id] = asyncio.get_running_loop().create_task(self._run(job))

    async def _run(self, job: Job) -> None:
        spec = job.workflow.run
        await asyncio.sleep(spec.seconds * self.time_scale)
        disposition = spec.disposition_for(job.answers)
        job.messages = [{"status": m.level, "text": render(m.text, job.answers), "toolId": i + 1} for i, m in enumerate(spec.messages)]
        if disposition == "Error":
            job.messages.append({"status": 3, "text": render(spec.error_message, job.answers), "toolId": len(spec.messages) + 1})
        else:
            job.outputs = [
                JobOutput(id=uuid.uuid4().hex[:24], name=render(o.name, job.answers), formats=o.formats, content=render(o.content, job.answers))
                for o in spec.outputs
            ]
        job.status, job.disposition, job.finished = "Completed", disposition, now()
        del self._running[job.id]
        self._start_queued()
