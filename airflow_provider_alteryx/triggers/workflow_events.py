"""An event trigger that reports each job of a workflow that finished, for DAGs scheduled on Server-run jobs.

Use it in an ``AssetWatcher`` (Airflow 3) on the workflow's asset: a DAG scheduled on the asset then runs
once per job that a Server schedule (or a Gallery user, or anything else) ran for the workflow, and once per
successful run of :class:`~airflow_provider_alteryx.operators.alteryx.AlteryxRunWorkflowOperator`, whose
asset events name the same URI (``alteryx://<Server host>/workflows/<id>``)::

    sales = workflow_asset("https://gallery.example.com", "5f0c3a1b2c3d4e5f6a7b8c9d", watchers=[AssetWatcher(
        name="sales_jobs", trigger=AlteryxWorkflowJobsTrigger(workflow_id="5f0c3a1b2c3d4e5f6a7b8c9d", since="2026-11-01T00:00:00Z"))])

(:func:`~airflow_provider_alteryx.assets.alteryx.workflow_asset` names the asset as the operator does.)

This module needs Airflow 3 (``BaseEventTrigger``); importing it on Airflow 2 raises ``ImportError``.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
from collections.abc import AsyncIterator, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from airflow_provider_alteryx.constants import DEFAULT_CONN_ID, Disposition
from airflow_provider_alteryx.exceptions import AlteryxError, AlteryxInputError, AlteryxProtocolError
from airflow_provider_alteryx.hooks.alteryx import AlteryxServerHook
from airflow_provider_alteryx.hooks.params import check_hook_params
from airflow_provider_alteryx.hooks.transport import TRANSPORT
from airflow_provider_alteryx.models import AlteryxJob
from airflow_provider_alteryx.validation import MIN_POLL_INTERVAL, seconds, server_id

try:
    from airflow.triggers.base import BaseEventTrigger, TriggerEvent
except ImportError as missing:  # Airflow 2 has no event-driven scheduling
    raise ImportError(
        "AlteryxWorkflowJobsTrigger needs Airflow 3.0 or later (BaseEventTrigger, AssetWatcher)."
    ) from missing

# The first list asks for this many of the workflow's newest jobs; a full page that does not reach back
# to the mark is asked again twice as big, up to MAX_PAGE.
FIRST_PAGE = 100
MAX_PAGE = 10_000
# Where the mark is kept in the asset's state store (Airflow 3.3+), followed by a digest of the trigger's kwargs.
MARK_KEY_PREFIX = "alteryx_job_mark"


def _moment(text: str, name: str) -> datetime:
    """An ISO-8601 time as an aware UTC datetime (no zone given: UTC, as the Server's times are)."""
    try:
        moment = datetime.fromisoformat(text)
    except (TypeError, ValueError):
        raise AlteryxInputError(
            f"{name} is {text!r}, which is not an ISO-8601 time; use e.g. '2026-11-01T00:00:00Z'."
        ) from None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def created_at(job: AlteryxJob) -> datetime:
    """When the Server created the job.

    :raises AlteryxProtocolError: the Server's job list gave no creation time the trigger can order jobs by.
    """
    try:
        return _moment(job.created or "", "createDate")
    except AlteryxInputError:
        raise AlteryxProtocolError(
            f"Alteryx job {job.id} is listed with createDate {job.created!r}; the job trigger orders jobs by it and cannot go on without it."
        ) from None


@dataclass(frozen=True)
class JobMark:
    """How far a trigger has reported a workflow's jobs: the high-water mark.

    Every job created before ``horizon`` has been dealt with; of those created at or after it, the
    finished ones already dealt with are in ``settled``. The horizon is the creation time of the oldest
    job still unfinished (or of the newest job, when all are finished), so ``settled`` holds only jobs
    newer than the oldest running one, and stays small.
    """

    horizon: datetime
    settled: frozenset[str] = frozenset()

    def due(self, jobs: Iterable[AlteryxJob]) -> list[AlteryxJob]:
        """The listed jobs finished and not yet dealt with, oldest first."""
        fresh = [
            job
            for job in jobs
            if job.is_terminal and job.id not in self.settled and created_at(job) >= self.horizon
        ]
        return sorted(fresh, key=created_at)

    def settle(self, job: AlteryxJob) -> JobMark:
        return JobMark(self.horizon, self.settled | {job.id})

    def advance(self, jobs: Iterable[AlteryxJob]) -> JobMark:
        """Move the horizon up to the oldest unfinished job listed, forgetting the settled jobs below it.

        :param jobs: the workflow's jobs created at or after the horizon, all of them (see the trigger's paging).
        """
        recent = [job for job in jobs if created_at(job) >= self.horizon]
        # The oldest job not dealt with yet: unfinished, or finished but not settled.
        pending = [created_at(job) for job in recent if not (job.is_terminal and job.id in self.settled)]
        horizon = min(pending) if pending else max((created_at(job) for job in recent), default=self.horizon)
        return JobMark(
            horizon,
            frozenset(job.id for job in recent if job.id in self.settled and created_at(job) >= horizon),
        )

    def to_json(self) -> dict[str, Any]:
        return {"horizon": self.horizon.isoformat(), "settled": sorted(self.settled)}

    @classmethod
    def from_json(cls, data: Any, since: datetime) -> JobMark:
        """A stored mark; ``since`` when none is stored (or it is unreadable, which is logged by the caller)."""
        if not isinstance(data, dict):
            return cls(since)
        horizon = max(_moment(str(data.get("horizon")), "the stored mark's horizon"), since)
        return cls(horizon, frozenset(str(job_id) for job_id in data.get("settled") or ()))


class AlteryxWorkflowJobsTrigger(BaseEventTrigger):
    """Fire one event for each job of a workflow that finishes, whoever started it (Server schedules included).

    Every ``poll_interval`` the trigger lists the workflow's newest jobs once (one request, however many
    jobs run) and reads each newly finished job once in full (list items carry no disposition). Each
    finished job whose disposition is in ``dispositions`` (any, by default) fires one
    :class:`~airflow.triggers.base.TriggerEvent` whose payload has ``workflow_id``, ``job_id``,
    ``disposition``, ``created`` and ``job`` (the job summary: status, disposition, priority, outputs,
    messages). Jobs are reported oldest first.

    **Which jobs are reported, exactly.** A job is reported once it is finished (``Completed`` or
    ``Cancelled``), if it was created at or after ``since`` and after the trigger's *mark*. The mark is
    the creation time of the oldest job still unfinished at the last poll, plus the ids of the finished
    jobs created since then that were already dealt with (:class:`JobMark`). It is written before each
    event is handed to Airflow, so a trigger that is stopped and started again, moved to another
    triggerer, or re-created with the same kwargs carries on from it: a job reported before is not
    reported again, and a job that finished while no trigger ran is reported by the next one, as its
    creation time is after the mark. One window remains, as with any store written apart from Airflow's
    own event table: a triggerer killed after writing the mark and before Airflow stored the event
    (the event waits in the triggerer's memory for up to about a second) loses that one event rather
    than repeating it.

    Airflow turns the asset events into DAG runs: events that arrive while a run is being created are
    handed to one run together (its ``triggering_asset_events``), so a DAG should loop over them.

    **Where the mark is kept.** In Airflow 3.3 and later the triggerer gives an event trigger the state
    store of the asset it watches; the mark is kept there under ``alteryx_job_mark.<digest of the
    kwargs>``, and survives restarts. Earlier Airflow 3 versions give triggers no such store: the mark
    is then kept in the triggerer process only, and a new triggerer process starts again from
    ``since``, reporting again the jobs finished since then. Set ``since`` accordingly.

    ``since`` is part of the kwargs, so it must be a fixed time written in the DAG file: a time computed
    when the file is parsed (``now()``) would make a new trigger on every parse.

    :param workflow_id: the workflow whose jobs are watched.
    :param since: an ISO-8601 time (UTC unless it names a zone); jobs created before it are never reported.
    :param alteryx_conn_id: the Airflow connection to the Server.
    :param dispositions: report only jobs that ended so (``Success``, ``Warning``, ``Error``,
        ``Cancelled``); None reports every finished job.
    :param poll_interval: seconds between lists of the workflow's jobs.
    :param hook_params: tuning of the hook (see :func:`~airflow_provider_alteryx.hooks.params.check_hook_params`).
    """

    def __init__(
        self,
        workflow_id: str,
        since: str,
        alteryx_conn_id: str = DEFAULT_CONN_ID,
        dispositions: Sequence[str] | None = None,
        poll_interval: float = 60.0,
        hook_params: dict[str, Any] | None = None,
    ) -> None:
        super().__init__()
        self.workflow_id = server_id(workflow_id, "workflow_id")
        self.since = _moment(since, "since").isoformat()
        self.alteryx_conn_id = alteryx_conn_id
        self.dispositions = _dispositions(dispositions)
        self.poll_interval = seconds(poll_interval, "poll_interval", minimum=MIN_POLL_INTERVAL)
        self.hook_params = check_hook_params(hook_params)
        # Airflow's state store of the watched asset, once run() found one; else the mark stays in this process.
        self._store: Any = None

    def serialize(self) -> tuple[str, dict[str, Any]]:
        return (
            f"{type(self).__module__}.{type(self).__qualname__}",
            {
                "workflow_id": self.workflow_id,
                "since": self.since,
                "alteryx_conn_id": self.alteryx_conn_id,
                "dispositions": self.dispositions,
                "poll_interval": self.poll_interval,
                "hook_params": self.hook_params,
            },
        )

    @property
    def mark_key(self) -> str:
        """The mark's key in the state store: one per trigger configuration, so watchers of one asset keep apart."""
        digest = hashlib.sha256(json.dumps(self.serialize()[1], sort_keys=True).encode()).hexdigest()[:16]
        return f"{MARK_KEY_PREFIX}.{digest}"

    async def run(self) -> AsyncIterator[TriggerEvent]:
        hook = AlteryxServerHook(self.alteryx_conn_id, **self.hook_params)
        mark = await self._load_mark()
        self.log.info(
            "Watching the jobs of Alteryx workflow %s created from %s on",
            self.workflow_id,
            mark.horizon.isoformat(),
        )
        while True:
            try:
                jobs = await self._list(hook, mark)
                for job in mark.due(jobs):
                    full = await hook.aget_job(job.id)  # list items carry no disposition, outputs or messages
                    mark = mark.settle(job)
                    # Written before the event is handed over: nothing can interrupt between the two.
                    await self._save_mark(mark)
                    if not self.dispositions or full.disposition in self.dispositions:
                        yield TriggerEvent(self._payload(job, full))
                advanced = mark.advance(jobs)
                if advanced != mark:
                    mark = advanced
                    await self._save_mark(mark)
            except AlteryxError as error:
                # A watcher must outlive Server outages: the next poll tries again from the same mark.
                self.log.warning(
                    "Cannot read the jobs of Alteryx workflow %s (%s); trying again in %g s",
                    self.workflow_id,
                    error,
                    self.poll_interval,
                )
            await asyncio.sleep(self.poll_interval)

    async def _list(self, hook: AlteryxServerHook, mark: JobMark) -> list[AlteryxJob]:
        """The workflow's jobs, newest first, reaching back past the mark's horizon where the Server lists that far."""
        page = FIRST_PAGE
        while True:
            jobs = await hook.alist_workflow_jobs(self.workflow_id, limit=page)
            reaches_back = any(created_at(job) < mark.horizon for job in jobs)
            if reaches_back or len(jobs) < page:
                return jobs
            if page >= MAX_PAGE:
                self.log.warning(
                    "More than %d jobs of Alteryx workflow %s were created since %s; jobs beyond the newest %d are not reported",
                    MAX_PAGE,
                    self.workflow_id,
                    mark.horizon.isoformat(),
                    MAX_PAGE,
                )
                return jobs
            page = min(MAX_PAGE, page * 2)

    def _payload(self, job: AlteryxJob, full: AlteryxJob) -> dict[str, Any]:
        return {
            "workflow_id": self.workflow_id,
            "job_id": job.id,
            "disposition": full.disposition,
            "created": created_at(job).isoformat(),
            "job": full.to_dict(),
        }

    # ---- the mark's store ----------------------------------------------------------------------
    async def _load_mark(self) -> JobMark:
        since = _moment(self.since, "since")
        store = getattr(self, "asset_state_store", None)  # Airflow 3.3+ sets it on triggers that watch assets
        data: Any = None
        if store is not None:
            try:
                data = await store.aget(self.mark_key)
                self._store = store
            except ValueError as several:  # it refuses to choose among several watched assets
                self.log.warning("%s; this trigger keeps its mark in the triggerer process only", several)
        if self._store is None:
            # Airflow gives no state store (3.0-3.2, or outside an AssetWatcher): the mark is kept in this
            # process, so a trigger re-created in the same triggerer carries on.
            data = TRANSPORT.event_marks.get(self.mark_key)
        try:
            return JobMark.from_json(data, since)
        except AlteryxInputError as unreadable:
            self.log.warning(
                "The stored mark of this trigger is unreadable (%s); starting from since=%s",
                unreadable,
                self.since,
            )
            return JobMark(since)

    async def _save_mark(self, mark: JobMark) -> None:
        if self._store is not None:
            await self._store.aset(self.mark_key, mark.to_json())
        else:
            TRANSPORT.event_marks[self.mark_key] = mark.to_json()


def _dispositions(dispositions: Sequence[str] | None) -> list[str] | None:
    """The dispositions to report, checked against the Server's, in a stable order (they are part of the kwargs)."""
    if dispositions is None:
        return None
    known = [d.value for d in Disposition if d is not Disposition.NONE]
    if isinstance(dispositions, str) or not all(isinstance(d, str) for d in dispositions):
        raise AlteryxInputError(
            f"dispositions is {dispositions!r}; pass a list of {', '.join(known)}, or None for all."
        )
    unknown = sorted(set(dispositions) - set(known))
    if unknown or not dispositions:
        raise AlteryxInputError(
            f"dispositions {', '.join(unknown) or '(empty)'} not among {', '.join(known)}; pass some of these, or None for all."
        )
    return sorted(set(dispositions))
