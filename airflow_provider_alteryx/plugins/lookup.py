"""What the views show, read from the metadata database (task state, the task's own XComs) and the Server.

The Server is asked through :class:`~airflow_provider_alteryx.hooks.alteryx.AlteryxServerHook`, and its
answers are kept for :data:`FRESH_SECONDS`, so many people watching one job cost the Server one request
per job every few seconds. The Server reports no time per status, so how long a job has been in its status
and disposition is counted from the moment this API server first saw them (from its creation for a job
first seen ``Queued``).
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from airflow.models.taskinstance import TaskInstance
from airflow.models.xcom import XComModel
from sqlalchemy import select
from sqlalchemy.orm import Session

from airflow_provider_alteryx.constants import DEFAULT_CONN_ID, JobStatus, XComKey
from airflow_provider_alteryx.exceptions import AlteryxApiError, AlteryxError, AlteryxUnsupportedError
from airflow_provider_alteryx.hooks.alteryx import AlteryxServerHook
from airflow_provider_alteryx.models import AlteryxJob
from airflow_provider_alteryx.utils.server_text import display

# How long one Server answer serves every viewer.
FRESH_SECONDS = 2.0
# Jobs whose status history this process keeps (the oldest is forgotten first).
REMEMBERED_JOBS = 2000
# The provider's task classes, as task instances name their operator; a subclass is known by its XComs.
ALTERYX_OPERATORS = frozenset({"AlteryxRunWorkflowOperator", "AlteryxJobSensor"})
# Task states in which a task's job may still be queued or running.
UNFINISHED_TASK_STATES = ("queued", "running", "deferred", "up_for_reschedule", "restarting")


@dataclass(frozen=True)
class TaskRef:
    """One task instance, as the view's query parameters name it."""

    dag_id: str
    run_id: str
    task_id: str
    map_index: int = -1


@dataclass(frozen=True)
class TaskJob:
    """A task instance and the job its XComs name (None before the task created one)."""

    ti: TaskInstance
    is_alteryx: bool
    job_id: str | None
    conn_id: str


@dataclass(frozen=True)
class Since:
    """When this process first saw a job's status and its disposition."""

    status: str
    status_since: datetime
    disposition: str
    disposition_since: datetime


@dataclass(frozen=True)
class Queue:
    """Where a job stands in the Server's queue, or why that cannot be said."""

    position: int | None = None
    length: int | None = None
    unknown_because: str | None = None


def task_instance(session: Session, ref: TaskRef) -> TaskInstance | None:
    return session.scalar(
        select(TaskInstance).where(
            TaskInstance.dag_id == ref.dag_id,
            TaskInstance.run_id == ref.run_id,
            TaskInstance.task_id == ref.task_id,
            TaskInstance.map_index == ref.map_index,
        )
    )


def task_job(session: Session, ti: TaskInstance) -> TaskJob:
    """The job the task's own XComs name, and through which connection it reads it."""
    rows = session.execute(
        select(XComModel.key, XComModel.value).where(
            XComModel.dag_id == ti.dag_id,
            XComModel.run_id == ti.run_id,
            XComModel.task_id == ti.task_id,
            XComModel.map_index == ti.map_index,
            XComModel.key.in_([XComKey.JOB_ID, XComKey.CONN_ID]),
        )
    ).all()
    values = {row.key: XComModel.deserialize_value(row) for row in rows}
    job_id, conn_id = values.get(XComKey.JOB_ID), values.get(XComKey.CONN_ID)
    return TaskJob(
        ti=ti,
        is_alteryx=ti.operator in ALTERYX_OPERATORS or conn_id is not None,
        job_id=str(job_id) if job_id else None,
        conn_id=str(conn_id or DEFAULT_CONN_ID),
    )


def unfinished_task_jobs(session: Session, dag_ids: Iterable[str]) -> list[TaskJob]:
    """The tasks of these DAGs that named a job and have not finished, oldest first."""
    tis = session.scalars(
        select(TaskInstance)
        .join(
            XComModel,
            (XComModel.dag_id == TaskInstance.dag_id)
            & (XComModel.run_id == TaskInstance.run_id)
            & (XComModel.task_id == TaskInstance.task_id)
            & (XComModel.map_index == TaskInstance.map_index),
        )
        .where(
            XComModel.key == XComKey.JOB_ID,
            TaskInstance.state.in_(UNFINISHED_TASK_STATES),
            TaskInstance.dag_id.in_(list(dag_ids)),
        )
        .order_by(TaskInstance.start_date)
    ).all()
    return [task_job(session, ti) for ti in tis]


class ServerCache:
    """Recent Server answers per connection, shared by every request this API server handles."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._hooks: dict[str, AlteryxServerHook] = {}
        self._answers: dict[tuple[str, ...], tuple[float, Any]] = {}
        self._since: OrderedDict[tuple[str, str], Since] = OrderedDict()

    def hook(self, conn_id: str) -> AlteryxServerHook:
        with self._lock:
            if conn_id not in self._hooks:
                self._hooks[conn_id] = AlteryxServerHook(conn_id)
            return self._hooks[conn_id]

    def _fresh(self, key: tuple[str, ...], ask: Callable[[], Any]) -> Any:
        """``ask()``'s answer (or the AlteryxError it raised), asked again once older than FRESH_SECONDS."""
        now = self._clock()
        with self._lock:
            kept = self._answers.get(key)
        if kept is None or now - kept[0] > FRESH_SECONDS:
            try:
                answer: Any = ask()
            except AlteryxError as error:
                answer = error
            kept = (now, answer)
            with self._lock:
                self._answers = {k: v for k, v in self._answers.items() if now - v[0] <= FRESH_SECONDS}
                self._answers[key] = kept
        if isinstance(kept[1], AlteryxError):
            raise kept[1]
        return kept[1]

    def job(self, conn_id: str, job_id: str) -> tuple[AlteryxJob, Since]:
        """The job as the Server reported it at most FRESH_SECONDS ago, and since when it is so."""
        job: AlteryxJob = self._fresh(("job", conn_id, job_id), lambda: self.hook(conn_id).get_job(job_id))
        return job, self._observe(conn_id, job)

    def workflow_name(self, conn_id: str, workflow_id: str) -> str | None:
        try:
            workflow = self._fresh(
                ("workflow", conn_id, workflow_id), lambda: self.hook(conn_id).get_workflow(workflow_id)
            )
        except AlteryxError:
            return None
        return str(workflow.name)

    def queue(self, conn_id: str, job: AlteryxJob) -> Queue:
        """The job's place in the Server's queue, or why the view cannot show it."""
        if job.status != JobStatus.QUEUED:
            return Queue(unknown_because=f"not in the queue: the job is {job.status}")
        try:
            queued: list[str] = self._fresh(("queue", conn_id), lambda: self.hook(conn_id).queued_job_ids())
        except AlteryxUnsupportedError as error:
            return Queue(unknown_because=display(error))
        except AlteryxApiError as error:
            if error.status == 401:
                return Queue(
                    unknown_because="the Server shows its queue to Curators only, and this connection's key is not a Curator's"
                )
            return Queue(unknown_because=f"the Server did not list its queue ({display(error)})")
        except AlteryxError as error:
            return Queue(unknown_because=f"the Server did not list its queue ({display(error)})")
        if job.id not in queued:
            return Queue(unknown_because="the Server's list of queued jobs does not hold this job (yet)")
        return Queue(position=queued.index(job.id) + 1, length=len(queued))

    def _observe(self, conn_id: str, job: AlteryxJob) -> Since:
        now = datetime.now(UTC)
        key = (conn_id, job.id)
        with self._lock:
            seen = self._since.get(key)
            if seen is None:
                first = _created(job) if job.status in (JobStatus.CREATED, JobStatus.QUEUED) else None
                seen = Since(job.status, first or now, job.disposition, first or now)
            if seen.status != job.status:
                seen = Since(job.status, now, seen.disposition, seen.disposition_since)
            if seen.disposition != job.disposition:
                seen = Since(seen.status, seen.status_since, job.disposition, now)
            self._since[key] = seen
            self._since.move_to_end(key)
            while len(self._since) > REMEMBERED_JOBS:
                self._since.popitem(last=False)
        return seen


def _created(job: AlteryxJob) -> datetime | None:
    try:
        moment = datetime.fromisoformat(job.created or "")
    except ValueError:
        return None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment


# One per API server process: every viewer of a job shares its answers.
SERVER = ServerCache()
