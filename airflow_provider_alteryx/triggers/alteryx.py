"""A trigger that waits for an Alteryx job in the triggerer, without holding a worker slot."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Coroutine
from functools import cached_property
from typing import Any

from airflow.providers.common.compat.sdk import conf
from airflow.triggers.base import BaseTrigger, TriggerEvent
from airflow.utils.state import TaskInstanceState
from tenacity import AsyncRetrying, stop_after_attempt, wait_fixed

from airflow_provider_alteryx.constants import DEFAULT_CONN_ID, EventStatus
from airflow_provider_alteryx.exceptions import AlteryxError, AlteryxJobTimeoutError
from airflow_provider_alteryx.hooks.alteryx import AlteryxServerHook
from airflow_provider_alteryx.hooks.params import check_hook_params
from airflow_provider_alteryx.hooks.transport import TRANSPORT
from airflow_provider_alteryx.models import AlteryxJob
from airflow_provider_alteryx.outcome import cancel_outcome, describe_failure, event_status
from airflow_provider_alteryx.utils.scrub import scrub
from airflow_provider_alteryx.validation import MIN_POLL_INTERVAL, seconds, server_id

# Reading a task's state in on_kill: tries, and the pause between them.
STATE_READ_TRIES = 3
STATE_READ_PAUSE = 1.0

try:
    from airflow.sdk.execution_time.task_runner import RuntimeTaskInstance
    from asgiref.sync import sync_to_async

    HAS_TASK_SDK = True
except ImportError:  # Airflow 2
    HAS_TASK_SDK = False


def on_kill_timeout() -> float:
    """Seconds a cancel on kill may take: Airflow's ``[triggerer] on_kill_timeout``."""
    return conf.getfloat("triggerer", "on_kill_timeout", fallback=30.0)


async def _run_to_completion(work: Coroutine[Any, Any, None], log: Any) -> None:
    """Run ``work`` to its end even though the caller is cancelled meanwhile.

    While removing a trigger, Airflow cancels it again about once a second; left alone, that
    interrupts a cancel sent in ``on_kill`` after about a second and swallows the interruption. The
    work must bound its own duration: this waits for it however often it is cancelled, and the
    transport keeps it referenced until it ends.
    """
    task = TRANSPORT.cancels.in_task(work)
    interrupted = False
    while not task.done():
        try:
            await asyncio.shield(task)
        except asyncio.CancelledError:
            if not interrupted:
                log.info("Cancelled again while cancelling the Alteryx job; finishing the cancel first")
            interrupted = True


async def _task_state(dag_id: str, run_id: str, task_id: str, map_index: int) -> str | None:
    """A task instance's state through the Task SDK (None: no state, e.g. cleared, or the row is gone).

    :raises Exception: the last error when all :data:`STATE_READ_TRIES` tries failed.
    """
    read = sync_to_async(RuntimeTaskInstance.get_task_states)
    retrying = AsyncRetrying(
        stop=stop_after_attempt(STATE_READ_TRIES), wait=wait_fixed(STATE_READ_PAUSE), reraise=True
    )
    states: dict[str, dict[str, Any]] = await retrying(
        read, dag_id=dag_id, map_index=map_index, task_ids=[task_id], run_ids=[run_id]
    )
    # The Execution API keys mapped instances as "<task_id>_<map_index>".
    key = task_id if map_index < 0 else f"{task_id}_{map_index}"
    return states.get(run_id, {}).get(key)


def _ti_name(ti: Any) -> str:
    return f"{ti.dag_id}/{ti.run_id}/{ti.task_id}" + (f"[{ti.map_index}]" if ti.map_index >= 0 else "")


class AlteryxJobTrigger(BaseTrigger):
    """Poll an Alteryx job until it finishes, then fire one event.

    The event's ``status`` is ``success``, ``failed``, ``cancelled``, ``timeout`` or ``error``; it
    carries the job summary (``job``) and a ``message``. Transient API failures are retried here
    and do not end the wait.

    :param job_id: the job to wait for.
    :param alteryx_conn_id: the Airflow connection to the Server.
    :param poll_interval: seconds between status checks.
    :param deadline: wall-clock time (``time.time()``) after which the wait ends with ``timeout``;
        Airflow does not apply ``execution_timeout`` to deferred tasks, so the trigger enforces it.
    :param fail_on_warning: report a ``Warning`` disposition as ``failed``.
    :param cancel_on_kill: cancel the job when a user marks the task failed or success, or clears it
        (Airflow 3.3 and later call :meth:`on_kill`).
    :param cancel_on_timeout: cancel the job when the deadline passes.
    :param deadline_reason: which limit set ``deadline`` (e.g. ``execution_timeout of 1:00:00``), for the message.
    :param hook_params: tuning of the hook (see :func:`~airflow_provider_alteryx.hooks.params.check_hook_params`).
    """

    def __init__(
        self,
        job_id: str,
        alteryx_conn_id: str = DEFAULT_CONN_ID,
        poll_interval: float = 10.0,
        deadline: float | None = None,
        fail_on_warning: bool = False,
        cancel_on_kill: bool = True,
        cancel_on_timeout: bool = True,
        deadline_reason: str | None = None,
        hook_params: dict[str, Any] | None = None,
    ) -> None:
        super().__init__()
        self.job_id = server_id(job_id, "job_id")
        self.alteryx_conn_id = alteryx_conn_id
        self.poll_interval = seconds(poll_interval, "poll_interval", minimum=MIN_POLL_INTERVAL)
        self.deadline = None if deadline is None else seconds(deadline, "deadline")
        self.fail_on_warning = fail_on_warning
        self.cancel_on_kill = cancel_on_kill
        self.cancel_on_timeout = cancel_on_timeout
        self.deadline_reason = deadline_reason
        self.hook_params = check_hook_params(hook_params)

    def serialize(self) -> tuple[str, dict[str, Any]]:
        return (
            f"{type(self).__module__}.{type(self).__qualname__}",
            {
                "job_id": self.job_id,
                "alteryx_conn_id": self.alteryx_conn_id,
                "poll_interval": self.poll_interval,
                "deadline": self.deadline,
                "fail_on_warning": self.fail_on_warning,
                "cancel_on_kill": self.cancel_on_kill,
                "cancel_on_timeout": self.cancel_on_timeout,
                "deadline_reason": self.deadline_reason,
                "hook_params": self.hook_params,
            },
        )

    @cached_property
    def _hook(self) -> AlteryxServerHook:
        """The trigger's hook, for its wait and its cancel (the connection is read once per event loop for all)."""
        return AlteryxServerHook(self.alteryx_conn_id, **self.hook_params)

    async def run(self) -> AsyncIterator[TriggerEvent]:
        hook = self._hook
        try:
            job = await hook.await_job(
                self.job_id, poll_interval=self.poll_interval, deadline=self.deadline, log=self.log
            )
        except AlteryxJobTimeoutError as timeout:
            yield TriggerEvent(await self._timed_out(hook, timeout))
            return
        # Any failure becomes an error event rather than a raised exception: Airflow would fail the task with the
        # bare exception, while the event lets the task raise the provider's error, naming the job, scrubbed.
        except Exception as error:
            message = f"Waiting for Alteryx job {self.job_id} failed: {error if isinstance(error, AlteryxError) else f'{type(error).__name__}: {error}'}"
            yield TriggerEvent(
                {"status": EventStatus.ERROR, "job_id": self.job_id, "message": scrub(message)}
            )
            return
        status = event_status(job, fail_on_warning=self.fail_on_warning)
        message = (
            f"Alteryx job {job.id} succeeded ({job.outcome})"
            if status == EventStatus.SUCCESS
            else describe_failure(job, fail_on_warning=self.fail_on_warning)
        )
        yield TriggerEvent({"status": status, "job": job.to_dict(), "message": message})

    async def _timed_out(self, hook: AlteryxServerHook, expired: AlteryxJobTimeoutError) -> dict[str, Any]:
        job, outcome = expired.job, "left running"
        if self.cancel_on_timeout:
            job, outcome = await self._cancel(hook, expired.job)
        reason = f" (the {self.deadline_reason} passed)" if self.deadline_reason else ""
        message = f"{expired}{reason}; the job was {outcome}"
        self.log.error(message)
        return {"status": EventStatus.TIMEOUT, "job": job.to_dict(), "message": message}

    async def _cancel(self, hook: AlteryxServerHook, job: AlteryxJob) -> tuple[AlteryxJob, str]:
        try:
            cancelled = await hook.acancel_job(job.id)
        except AlteryxError as error:
            self.log.warning("Could not cancel Alteryx job %s: %s", job.id, error)
            return job, f"not cancelled ({error})"
        return cancelled, cancel_outcome(cancelled)

    async def on_kill(self) -> None:
        """Cancel the job when a user killed the deferred task (mark failed or success, or clear).

        Airflow 3.3.0-3.3.2 also call this on a trigger that merely moved to another triggerer
        (apache/airflow#73454). The task instance's state tells the two apart: a user's action takes it
        out of ``deferred`` before the trigger is removed; a move leaves it ``deferred``, and the job is
        kept. The decision and the cancel run to the end however often Airflow cancels the trigger
        meanwhile, bounded by ``[triggerer] on_kill_timeout``.
        """
        if self.cancel_on_kill:
            await _run_to_completion(self._cancel_if_killed_by_user(), self.log)

    async def _cancel_if_killed_by_user(self) -> None:
        bound = on_kill_timeout()
        try:
            async with asyncio.timeout(bound):
                if not await self._killed_by_user():
                    return
                _, outcome = await self._cancel(self._hook, AlteryxJob(id=self.job_id))
                self.log.info("Alteryx job %s was %s", self.job_id, outcome)
        except TimeoutError:
            self.log.error(
                "Cancelling Alteryx job %s did not finish within [triggerer] on_kill_timeout (%s s); it may still be running: cancel it on the Server",
                self.job_id,
                bound,
            )

    async def _killed_by_user(self) -> bool:
        """Whether the task left ``deferred`` (a user's action), read from Airflow; False when unknown."""
        ti = getattr(self, "task_instance", None)
        if ti is None or not HAS_TASK_SDK:
            # Airflow 2 never calls on_kill on triggers; without a task instance there is nothing to ask.
            self.log.info("Task killed while waiting: cancelling Alteryx job %s", self.job_id)
            return True
        try:
            state = await _task_state(ti.dag_id, ti.run_id, ti.task_id, ti.map_index)
        except Exception as error:
            # An orphaned job can be found and cancelled by hand; a wrongly cancelled one is lost work.
            self.log.error(
                "Could not read the state of task %s (%s) after %d tries, so cannot tell a user's kill from a move to another triggerer; "
                "leaving Alteryx job %s running. If a user did kill the task, cancel the job on the Server.",
                _ti_name(ti),
                error,
                STATE_READ_TRIES,
                self.job_id,
            )
            return False
        if state == TaskInstanceState.DEFERRED:
            self.log.info(
                "Task %s is still deferred: this trigger moved to another triggerer, which keeps waiting for Alteryx job %s",
                _ti_name(ti),
                self.job_id,
            )
            return False
        self.log.info(
            "Task %s was killed (now %s): cancelling Alteryx job %s",
            _ti_name(ti),
            state or "cleared",
            self.job_id,
        )
        return True

    def __repr__(self) -> str:
        return f"{type(self).__name__}(job_id={self.job_id!r}, alteryx_conn_id={self.alteryx_conn_id!r}, deadline={self.deadline!r})"
