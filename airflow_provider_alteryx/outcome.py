"""Judging a finished job the same way in the operator, the sensor and the trigger's events."""

from __future__ import annotations

from typing import Any

from airflow_provider_alteryx.constants import Disposition, EventStatus
from airflow_provider_alteryx.exceptions import AlteryxError, AlteryxJobError, AlteryxJobTimeoutError
from airflow_provider_alteryx.models import AlteryxJob
from airflow_provider_alteryx.utils.log import Log


def event_status(job: AlteryxJob, *, fail_on_warning: bool) -> EventStatus:
    if job.succeeded(fail_on_warning=fail_on_warning):
        return EventStatus.SUCCESS
    return EventStatus.CANCELLED if job.outcome == Disposition.CANCELLED else EventStatus.FAILED


def describe_failure(job: AlteryxJob, *, fail_on_warning: bool) -> str:
    """What a person needs on a failed task: workflow, job, disposition and the Server's error messages."""
    if job.outcome == Disposition.WARNING and fail_on_warning:
        why = "ended with warnings and fail_on_warning is set"
    elif job.outcome == Disposition.CANCELLED:
        why = "was cancelled"
    else:
        why = f"ended with disposition {job.outcome}"
    problems = [m for m in job.problems if m.is_error] or list(job.problems)
    details = "; ".join(str(m) for m in problems) or "the Server gave no error message"
    return f"Alteryx job {job.id} of workflow {job.workflow_id} {why}: {details}"


def cancel_outcome(job: AlteryxJob) -> str:
    """How a cancel request ended, as the words after "the job was"."""
    return "cancelled" if job.outcome == Disposition.CANCELLED else f"already finished ({job.outcome})"


def log_engine_messages(log: Log, job: AlteryxJob) -> None:
    """Copy the job's engine messages into the task log, errors and warnings at their own levels."""
    if not job.messages:
        return
    log.info("Engine messages of Alteryx job %s:", job.id)
    for message in job.messages:
        if message.is_error:
            log.error("  %s", message)
        elif message.is_warning:
            log.warning("  %s", message)
        else:
            log.info("  %s", message)


def check_outcome(log: Log, job: AlteryxJob, *, fail_on_warning: bool) -> None:
    """Log the job's messages, then raise :class:`AlteryxJobError` unless it succeeded."""
    log_engine_messages(log, job)
    if not job.succeeded(fail_on_warning=fail_on_warning):
        raise AlteryxJobError(describe_failure(job, fail_on_warning=fail_on_warning), job)
    log.info("Alteryx job %s of workflow %s succeeded (%s)", job.id, job.workflow_id, job.outcome)


def job_from_event(event: Any) -> AlteryxJob:
    """Validate a trigger event and return its job; ``timeout`` and ``error`` events raise."""
    if not isinstance(event, dict) or event.get("status") not in EventStatus.__members__.values():
        raise AlteryxError(
            f"Unexpected event from AlteryxJobTrigger: {event!r:.300}; expected a dict whose status is one of {', '.join(EventStatus)}"
        )
    if event["status"] == EventStatus.ERROR:
        raise AlteryxError(event.get("message") or "AlteryxJobTrigger failed without a message")
    job = AlteryxJob.from_dict(event["job"])
    if event["status"] == EventStatus.TIMEOUT:
        raise AlteryxJobTimeoutError(event.get("message") or f"Alteryx job {job.id} ran out of time", job)
    return job
