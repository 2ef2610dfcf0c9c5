"""A trigger that waits for an Alteryx job in the triggerer, without holding a worker slot."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

from airflow.triggers.base import BaseTrigger, TriggerEvent

from airflow_provider_alteryx.exceptions import AlteryxError, AlteryxJobTimeoutError
from airflow_provider_alteryx.hooks.alteryx import AlteryxServerHook
from airflow_provider_alteryx.models import AlteryxJob
from airflow_provider_alteryx.utils.outcome import cancel_outcome, describe_failure, event_status

# A trigger may wait for hours: ride out Server blips of a few minutes before giving up
# (exponential backoff with jitter, capped at 60 s between tries).
TRIGGER_RETRY_LIMIT = 10


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
    """

    def __init__(
        self,
        job_id: str,
        alteryx_conn_id: str = AlteryxServerHook.default_conn_name,
        poll_interval: float = 10.0,
        deadline: float | None = None,
        fail_on_warning: bool = False,
        cancel_on_kill: bool = True,
        cancel_on_timeout: bool = True,
    ) -> None:
        super().__init__()
        self.job_id = job_id
        self.alteryx_conn_id = alteryx_conn_id
        self.poll_interval = poll_interval
        self.deadline = deadline
        self.fail_on_warning = fail_on_warning
        self.cancel_on_kill = cancel_on_kill
        self.cancel_on_timeout = cancel_on_timeout

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
            },
        )

    def _hook(self) -> AlteryxServerHook:
        return AlteryxServerHook(self.alteryx_conn_id, retry_limit=TRIGGER_RETRY_LIMIT)

    async def run(self) -> AsyncIterator[TriggerEvent]:
        hook = self._hook()
        try:
            job = await hook.await_job(self.job_id, poll_interval=self.poll_interval, deadline=self.deadline, log=self.log)
        except AlteryxJobTimeoutError as timeout:
            yield TriggerEvent(await self._timed_out(hook, timeout))
            return
        except AlteryxError as error:
            yield TriggerEvent({"status": "error", "job_id": self.job_id, "message": f"Waiting for Alteryx job {self.job_id} failed: {error}"})
            return
        status = event_status(job, fail_on_warning=self.fail_on_warning)
        message = f"Alteryx job {job.id} succeeded ({job.outcome})" if status == "success" else describe_failure(job, fail_on_warning=self.fail_on_warning)
        yield TriggerEvent({"status": status, "job": job.to_dict(), "message": message})

    async def _timed_out(self, hook: AlteryxServerHook, timeout: AlteryxJobTimeoutError) -> dict[str, Any]:
        job, outcome = timeout.job, "left running"
        if self.cancel_on_timeout:
            job, outcome = await self._cancel(hook, timeout.job)
        message = f"{timeout}; the job was {outcome}"
        self.log.error(message)
        return {"status": "timeout", "job": job.to_dict(), "message": message}

    async def _cancel(self, hook: AlteryxServerHook, job: AlteryxJob) -> tuple[AlteryxJob, str]:
        try:
            cancelled = await hook.acancel_job(job.id)
        except AlteryxError as error:
            self.log.warning("Could not cancel Alteryx job %s: %s", job.id, error)
            return job, f"not cancelled ({error})"
        return cancelled, cancel_outcome(cancelled)

    async def on_kill(self) -> None:
        """Cancel the job when a user kills the deferred task (mark failed or success, or clear)."""
        if self.cancel_on_kill:
            self.log.info("Task killed while waiting: cancelling Alteryx job %s", self.job_id)
            _, outcome = await self._cancel(self._hook(), AlteryxJob(id=self.job_id))
            self.log.info("Alteryx job %s was %s", self.job_id, outcome)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(job_id={self.job_id!r}, alteryx_conn_id={self.alteryx_conn_id!r}, deadline={self.deadline!r})"
