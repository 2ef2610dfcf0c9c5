"""What the views show, read from the metadata database (task state, the task's own XComs) and the Server.

The Server is asked through an :class:`~airflow_provider_alteryx.hooks.alteryx.AlteryxServerHook` made for
each read, so an edited connection applies from the next one. Its answers are kept for
:data:`FRESH_SECONDS` (a finished job's for as long as it is remembered: it no longer changes), so many
people watching one job cost the Server one request per job every few seconds. What the views remember is
the transport's (:meth:`~airflow_provider_alteryx.hooks.transport.Transport.keep`): one memory per API
server process, timed by the transport's clock and forgotten by ``TRANSPORT.reset()``.

The Server reports no time per status, so how long a job has been in its status and disposition is counted
from the moment this API server first saw them (from its creation for a job first seen ``Queued``).
"""

from __future__ import annotations

import math
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from airflow.models.taskinstance import TaskInstance
from airflow.models.xcom import XComModel
from sqlalchemy import ColumnElement, select
from sqlalchemy.orm import Session, aliased

from airflow_provider_alteryx.constants import DEFAULT_CONN_ID, JobStatus, XComKey
from airflow_provider_alteryx.exceptions import (
    AlteryxApiError,
    AlteryxConnectionError,
    AlteryxError,
    AlteryxUnsupportedError,
)
from airflow_provider_alteryx.hooks.alteryx import AlteryxServerHook
from airflow_provider_alteryx.hooks.transport import TRANSPORT, Transport
from airflow_provider_alteryx.models import AlteryxJob
from airflow_provider_alteryx.utils.clock import Clock
from airflow_provider_alteryx.utils.server_text import display

# How long one Server answer serves every viewer.
FRESH_SECONDS = 2.0
# Server answers, and jobs whose status history, this process keeps (the oldest is forgotten first).
REMEMBERED_JOBS = 2000
# The provider's task classes, as task instances name their operator; a subclass is known by its XComs.
ALTERYX_OPERATORS = frozenset({"AlteryxRunWorkflowOperator", "AlteryxJobSensor"})
# The jobs page looks at the jobs Alteryx tasks named this recently, and at most at this many (the newest):
# a job still running after a day is no longer listed, and the page asks the Server about at most this many.
RECENT = timedelta(days=1)
RECENT_JOBS = 200
# The name under which the transport keeps what the views remember.
MEMORY = "alteryx plugin views"
# A view answers within seconds whatever the Server does: each read gets two tries within 5 s, 5 s per request
# (a task's default would hold a page for minutes), and a connection whose Server could not be reached is not
# asked again for UNREACHABLE_SECONDS, so a page listing 200 jobs of a Server that is down fails fast.
VIEW_TRIES, VIEW_BUDGET_SECONDS, VIEW_REQUEST_SECONDS = 2, 5.0, 5.0
UNREACHABLE_SECONDS = 10.0


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
    """When this process first saw a job's status and its disposition, read at ``as_of`` (the transport's clock):
    the job has been so for ``as_of - status_since`` and ``as_of - disposition_since``."""

    status: str
    status_since: datetime
    disposition: str
    disposition_since: datetime
    as_of: datetime


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


@dataclass
class _Memory:
    """What the views remember in this process; the transport keeps it and makes it with its clock."""

    clock: Clock
    lock: threading.Lock = field(default_factory=threading.Lock)
    # Server answers (or the AlteryxError asked instead) by question, with the monotonic time they last until.
    answers: OrderedDict[tuple[str, ...], tuple[float, Any]] = field(default_factory=OrderedDict)
    since: OrderedDict[tuple[str, str], Since] = field(default_factory=OrderedDict)


class ServerCache:
    """The Server as the views read it, with answers shared by every request this API server handles.

    It holds nothing itself: what it remembers is kept by ``transport``, so ``transport.reset()`` forgets it.
    """

    def __init__(self, transport: Transport = TRANSPORT) -> None:
        self._transport = transport

    def _memory(self) -> _Memory:
        return self._transport.keep(MEMORY, _Memory)

    def now(self) -> datetime:
        """The present, as the transport's clock tells it."""
        return datetime.fromtimestamp(self._memory().clock.time(), UTC)

    def hook(self, conn_id: str) -> AlteryxServerHook:
        """A hook on the connection as it is now (it reads the connection when first used), with a view's short
        retries."""
        return AlteryxServerHook(
            conn_id,
            retry_limit=VIEW_TRIES,
            retry_budget=VIEW_BUDGET_SECONDS,
            request_timeout=VIEW_REQUEST_SECONDS,
        )

    def _fresh(self, key: tuple[str, ...], ask: Callable[[], Any]) -> Any:
        """``ask()``'s answer (or the AlteryxError it raised), asked again once older than FRESH_SECONDS; a
        finished job's answer is kept until forgotten, since it no longer changes."""
        memory = self._memory()
        now = memory.clock.monotonic()
        unreachable = ("unreachable", key[1])  # every question names its connection second
        with memory.lock:
            kept = memory.answers.get(key)
            down = memory.answers.get(unreachable)
        if down is not None and now <= down[0]:
            raise down[1]
        if kept is None or now > kept[0]:
            try:
                answer: Any = ask()
            except AlteryxError as error:
                answer = error
            settled = isinstance(answer, AlteryxJob) and answer.is_terminal
            kept = (math.inf if settled else now + FRESH_SECONDS, answer)
            with memory.lock:
                if isinstance(answer, AlteryxConnectionError):
                    memory.answers[unreachable] = (now + UNREACHABLE_SECONDS, answer)
                memory.answers[key] = kept
                memory.answers.move_to_end(key)
                while len(memory.answers) > REMEMBERED_JOBS:
                    memory.answers.popitem(last=False)
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

    def is_unfinished(self, task: TaskJob) -> bool:
        """Whether the Server still reports the task's job queued or running (False when it cannot say)."""
        if task.job_id is None:
            return False
        try:
            job, _ = self.job(task.conn_id, task.job_id)
        except AlteryxError:
            return False  # the task's job view says why
        return not job.is_terminal

    def _observe(self, conn_id: str, job: AlteryxJob) -> Since:
        memory = self._memory()
        now = self.now()
        key = (conn_id, job.id)
        with memory.lock:
            seen = memory.since.get(key)
            if seen is None:
                first = _created(job) if job.status in (JobStatus.CREATED, JobStatus.QUEUED) else None
                seen = Since(job.status, first or now, job.disposition, first or now, now)
            if seen.status != job.status:
                seen = replace(seen, status=job.status, status_since=now)
            if seen.disposition != job.disposition:
                seen = replace(seen, disposition=job.disposition, disposition_since=now)
            seen = replace(seen, as_of=now)
            memory.since[key] = seen
            memory.since.move_to_end(key)
            while len(memory.since) > REMEMBERED_JOBS:
                memory.since.popitem(last=False)
        return seen


def _created(job: AlteryxJob) -> datetime | None:
    try:
        moment = datetime.fromisoformat(job.created or "")
    except ValueError:
        return None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment


# The views' one way to the Server: it keeps nothing itself (see ServerCache).
SERVER = ServerCache()


def unfinished_task_jobs(
    session: Session, dag_ids: Iterable[str], server: ServerCache = SERVER
) -> list[TaskJob]:
    """The jobs that Alteryx tasks of these DAGs started or waited on and that the Server still reports queued
    or running, oldest first, whatever state their tasks are in now.

    Looked at: the jobs tasks named (their ``job_id`` XCom beside the provider's ``alteryx_conn_id``) within
    :data:`RECENT`, at most the newest :data:`RECENT_JOBS`; each job once, with the first task that named it
    (the operator that created it rather than a sensor that waits on it). The Server is asked through
    ``server``, so the answers are shared with every other view.
    """
    conn_xcom, job_xcom = aliased(XComModel), aliased(XComModel)
    rows = session.execute(
        select(TaskInstance, conn_xcom, job_xcom)
        .join(conn_xcom, _of_task(conn_xcom) & (conn_xcom.key == XComKey.CONN_ID))
        .join(job_xcom, _of_task(job_xcom) & (job_xcom.key == XComKey.JOB_ID))
        .where(TaskInstance.dag_id.in_(list(dag_ids)), job_xcom.timestamp >= server.now() - RECENT)
        .order_by(job_xcom.timestamp.desc())
        .limit(RECENT_JOBS)
    ).all()
    tasks: dict[str, TaskJob] = {}
    for ti, conn_row, job_row in reversed(rows):
        job_id = str(XComModel.deserialize_value(job_row))
        if job_id not in tasks:
            tasks[job_id] = TaskJob(ti, True, job_id, str(XComModel.deserialize_value(conn_row)))
    return [task for task in tasks.values() if server.is_unfinished(task)]


def _of_task(xcom: Any) -> ColumnElement[bool]:
    """The join condition of an XCom to its task instance."""
    return (
        (xcom.dag_id == TaskInstance.dag_id)
        & (xcom.run_id == TaskInstance.run_id)
        & (xcom.task_id == TaskInstance.task_id)
        & (xcom.map_index == TaskInstance.map_index)
    )
