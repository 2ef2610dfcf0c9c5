"""AlteryxJobTrigger run directly on an event loop against the emulator."""

from __future__ import annotations

import asyncio
import importlib
import logging
import time
from typing import Any

import pytest

from airflow_provider_alteryx.emulator import RunningEmulator, Variants
from airflow_provider_alteryx.hooks.alteryx import AlteryxServerHook
from airflow_provider_alteryx.hooks.transport import TRANSPORT
from airflow_provider_alteryx.triggers.alteryx import AlteryxJobTrigger
from tests.conftest import QUICK, REGIONAL, SLOW, WARNS, StartEmulator, UseConnection, trigger_events


def test_serialize_round_trip_keeps_primitive_kwargs_without_secrets() -> None:
    trigger = AlteryxJobTrigger(
        job_id="0000000000000000000000f1",
        alteryx_conn_id="c",
        poll_interval=2.5,
        deadline=1234.5,
        fail_on_warning=True,
        cancel_on_kill=False,
        cancel_on_timeout=False,
        deadline_reason="timeout of 60 s",
        hook_params={"retry_limit": 3},
    )
    classpath, kwargs = trigger.serialize()
    module, _, name = classpath.rpartition(".")
    rebuilt = getattr(importlib.import_module(module), name)(**kwargs)
    assert rebuilt.serialize() == (classpath, kwargs)
    assert kwargs == {
        "job_id": "0000000000000000000000f1",
        "alteryx_conn_id": "c",
        "poll_interval": 2.5,
        "deadline": 1234.5,
        "fail_on_warning": True,
        "cancel_on_kill": False,
        "cancel_on_timeout": False,
        "deadline_reason": "timeout of 60 s",
        "hook_params": {"retry_limit": 3},
    }
    assert all(isinstance(v, (str, int, float, bool, dict)) for v in kwargs.values())


def test_serialized_kwargs_survive_airflow_serde() -> None:
    try:
        from airflow.sdk.serde import deserialize, serialize
    except ImportError:  # Airflow 2
        from airflow.serialization.serde import deserialize, serialize  # type: ignore[no-redef]

    _, kwargs = AlteryxJobTrigger(job_id="0000000000000000000000f1", deadline=time.time()).serialize()
    assert deserialize(serialize(kwargs)) == kwargs


def test_one_success_event_with_the_job_summary(connected_emulator: RunningEmulator) -> None:
    job = AlteryxServerHook().run_workflow(REGIONAL, {"region": "EMEA"})
    (event,) = trigger_events(AlteryxJobTrigger(job_id=job.id, poll_interval=0.05))
    assert (
        event["status"] == "success"
        and event["job"]["id"] == job.id
        and event["job"]["disposition"] == "Success"
    )
    assert event["message"] == f"Alteryx job {job.id} succeeded (Success)"


@pytest.mark.parametrize(("fail_on_warning", "status"), [(False, "success"), (True, "failed")])
def test_warning_is_judged_by_fail_on_warning(
    connected_emulator: RunningEmulator, fail_on_warning: bool, status: str
) -> None:
    job = AlteryxServerHook().run_workflow(WARNS)
    (event,) = trigger_events(
        AlteryxJobTrigger(job_id=job.id, poll_interval=0.05, fail_on_warning=fail_on_warning)
    )
    assert event["status"] == status


def test_failed_and_cancelled_jobs(connected_emulator: RunningEmulator) -> None:
    hook = AlteryxServerHook()
    failed = hook.run_workflow(REGIONAL, {"region": "Atlantis"})
    (event,) = trigger_events(AlteryxJobTrigger(job_id=failed.id, poll_interval=0.05))
    assert event["status"] == "failed" and "No sales table for Atlantis" in event["message"]
    cancelled = hook.cancel_job(hook.run_workflow(SLOW).id)
    (event,) = trigger_events(AlteryxJobTrigger(job_id=cancelled.id, poll_interval=0.05))
    assert event["status"] == "cancelled" and "was cancelled" in event["message"]


def test_deadline_yields_timeout_and_cancels_the_job(connected_emulator: RunningEmulator) -> None:
    job = AlteryxServerHook().run_workflow(SLOW)
    (event,) = trigger_events(
        AlteryxJobTrigger(job_id=job.id, poll_interval=0.05, deadline=time.time() + 0.5)
    )
    assert event["status"] == "timeout" and event["job"]["disposition"] == "Cancelled"
    assert connected_emulator.jobs()[0]["status"] == "Cancelled"


def test_deadline_without_cancel_leaves_the_job_running(connected_emulator: RunningEmulator) -> None:
    job = AlteryxServerHook().run_workflow(SLOW)
    (event,) = trigger_events(
        AlteryxJobTrigger(
            job_id=job.id, poll_interval=0.05, deadline=time.time() + 0.3, cancel_on_timeout=False
        )
    )
    assert event["status"] == "timeout" and "left running" in event["message"]
    assert connected_emulator.jobs()[0]["status"] == "Running"


def test_on_kill_cancels_the_job_and_is_idempotent(connected_emulator: RunningEmulator) -> None:
    job = AlteryxServerHook().run_workflow(SLOW)
    trigger = AlteryxJobTrigger(job_id=job.id)

    async def kill_twice() -> None:
        try:
            await trigger.on_kill()
            await trigger.on_kill()
        finally:
            await TRANSPORT.aclose()

    asyncio.run(kill_twice())
    assert connected_emulator.jobs()[0]["status"] == "Cancelled"
    kept = AlteryxServerHook().run_workflow(SLOW)
    asyncio.run(AlteryxJobTrigger(job_id=kept.id, cancel_on_kill=False).on_kill())
    assert connected_emulator.jobs()[1]["status"] == "Running"


@pytest.fixture
def deleting_emulator(start_emulator: StartEmulator, use_connection: UseConnection) -> RunningEmulator:
    """A Server that deletes a queued job when it is cancelled, whose workers carry the tag ``eu`` only."""
    running = start_emulator(worker_tags=("eu",), variants=Variants(cancel_queued_deletes=True))
    use_connection(running)
    return running


def test_a_queued_job_deleted_by_the_cancel_on_timeout_is_reported_cancelled(
    deleting_emulator: RunningEmulator,
) -> None:
    job = AlteryxServerHook().run_workflow(QUICK, worker_tag="gpu")  # queued for ever
    (event,) = trigger_events(
        AlteryxJobTrigger(job_id=job.id, poll_interval=0.05, deadline=time.time() + 0.5)
    )
    assert (event["status"], event["job"]["status"], event["job"]["disposition"]) == (
        "timeout",
        "Cancelled",
        "Cancelled",
    )
    assert event["message"].endswith("; the job was cancelled"), event["message"]
    assert deleting_emulator.jobs()[0]["status"] == "Cancelled"


def test_on_kill_of_a_queued_job_the_server_deletes_logs_it_cancelled(
    deleting_emulator: RunningEmulator, caplog: pytest.LogCaptureFixture, capfd: pytest.CaptureFixture[str]
) -> None:
    job = AlteryxServerHook().run_workflow(QUICK, worker_tag="gpu")
    with caplog.at_level(logging.INFO):
        asyncio.run(AlteryxJobTrigger(job_id=job.id).on_kill())
    logged = caplog.text + "".join(capfd.readouterr())
    assert f"Alteryx job {job.id} was cancelled" in logged and "not cancelled" not in logged
    assert deleting_emulator.jobs()[0]["status"] == "Cancelled"


def test_transient_faults_do_not_end_the_wait(connected_emulator: RunningEmulator) -> None:
    job = AlteryxServerHook().run_workflow(REGIONAL, {"region": "EMEA"})
    connected_emulator.set_faults(error_rate=0.4, drop_rate=0.2, throttle_rate=0.1, retry_after=0.05)
    (event,) = trigger_events(AlteryxJobTrigger(job_id=job.id, poll_interval=0.05))
    assert event["status"] == "success"


def test_a_permanent_error_yields_error(connected_emulator: RunningEmulator) -> None:
    (event,) = trigger_events(AlteryxJobTrigger(job_id="f" * 24, poll_interval=0.05))
    assert event["status"] == "error" and "answered 404" in event["message"]


def test_many_triggers_share_one_token(connected_emulator: RunningEmulator) -> None:
    hook = AlteryxServerHook()
    jobs = [hook.run_workflow(QUICK).id for _ in range(5)]
    issued = connected_emulator.info()["tokensIssued"]

    TRANSPORT.tokens.clear()

    async def all_triggers() -> list[Any]:
        try:
            return [
                e
                for t in await asyncio.gather(
                    *(_first(AlteryxJobTrigger(job_id=j, poll_interval=0.05)) for j in jobs)
                )
                for e in t
            ]
        finally:
            await TRANSPORT.aclose()

    assert [e["status"] for e in asyncio.run(all_triggers())] == ["success"] * 5
    assert connected_emulator.info()["tokensIssued"] == issued + 1


async def _first(trigger: AlteryxJobTrigger) -> list[dict[str, Any]]:
    return [event.payload async for event in trigger.run()]
