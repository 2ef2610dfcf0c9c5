"""on_kill decides from the task's state, and its cancel completes against a slow Server however often Airflow interrupts it.

The emulator is real (HTTP); only the task-state lookup is faked, because it needs a running Airflow API.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import suppress
from types import SimpleNamespace
from typing import Any

import pytest

from airflow_provider_alteryx.emulator import RunningEmulator
from airflow_provider_alteryx.hooks.alteryx import AlteryxServerHook
from airflow_provider_alteryx.hooks.transport import TRANSPORT
from airflow_provider_alteryx.operators import alteryx as operator_module
from airflow_provider_alteryx.operators.alteryx import AlteryxRunWorkflowOperator
from airflow_provider_alteryx.triggers import alteryx as trigger_module
from airflow_provider_alteryx.triggers.alteryx import AlteryxJobTrigger, on_kill_timeout
from tests.conftest import SLOW

pytestmark = pytest.mark.skipif(
    not trigger_module.HAS_TASK_SDK, reason="Airflow 2 has no Task SDK and never calls on_kill on triggers"
)

TASK = SimpleNamespace(dag_id="dag", run_id="run_1", task_id="run", map_index=3)
SLOW_SERVER = 1.5  # seconds per answer: a Server slow enough that a cancel outlives the kill


class StateLookup:
    """Stands in for ``RuntimeTaskInstance.get_task_states``: answers ``state`` for TASK, or raises ``error``."""

    def __init__(self, state: str | None = None, error: Exception | None = None) -> None:
        self.state = state
        self.error = error
        self.calls: list[dict[str, Any]] = []

    def __call__(self, **query: Any) -> dict[str, dict[str, Any]]:
        self.calls.append(query)
        if self.error is not None:
            raise self.error
        return {TASK.run_id: {f"{TASK.task_id}_{TASK.map_index}": self.state}}


@pytest.fixture
def task_state(monkeypatch: pytest.MonkeyPatch) -> Callable[..., StateLookup]:
    def install(state: str | None = None, error: Exception | None = None) -> StateLookup:
        lookup = StateLookup(state, error)
        monkeypatch.setattr(trigger_module.RuntimeTaskInstance, "get_task_states", staticmethod(lookup))
        monkeypatch.setattr(trigger_module, "STATE_READ_PAUSE", 0.01)
        return lookup

    return install


@pytest.fixture
def logged(
    caplog: pytest.LogCaptureFixture, capfd: pytest.CaptureFixture[str]
) -> Iterator[Callable[[], str]]:
    with caplog.at_level(logging.INFO):
        yield lambda: caplog.text + "".join(capfd.readouterr())


def deferred_trigger(job_id: str) -> AlteryxJobTrigger:
    trigger = AlteryxJobTrigger(job_id=job_id, poll_interval=0.05)
    trigger.task_instance = TASK  # type: ignore[assignment]  # the triggerer sets it in Airflow 3
    return trigger


def removed_by_the_triggerer(trigger: AlteryxJobTrigger, recancel_every: float = 0.2) -> None:
    """What Airflow 3.3's triggerer does to a trigger it removes: cancel its task, then again about every second.

    The trigger task calls on_kill under ``wait_for(..., on_kill_timeout)`` and swallows what interrupts it, as
    ``TriggerRunner.run_trigger`` does; the loop then keeps running whatever is still in flight, as a triggerer does.
    """

    async def trigger_task() -> None:
        try:
            await asyncio.Event().wait()  # stands for trigger.run() waiting for the job
        except asyncio.CancelledError:
            with suppress(asyncio.CancelledError, TimeoutError):
                await asyncio.wait_for(trigger.on_kill(), timeout=on_kill_timeout())
            raise

    async def remove() -> None:
        task = asyncio.create_task(trigger_task())
        await asyncio.sleep(0)
        while not task.done():
            task.cancel("user-action")
            await asyncio.wait({task}, timeout=recancel_every)
        others = asyncio.all_tasks() - {asyncio.current_task()}
        await asyncio.gather(*others, return_exceptions=True)
        await TRANSPORT.aclose()

    asyncio.run(remove())


def test_a_trigger_that_moved_keeps_the_job(
    connected_emulator: RunningEmulator, task_state: Callable[..., StateLookup], logged: Callable[[], str]
) -> None:
    job = AlteryxServerHook().run_workflow(SLOW)
    lookup = task_state("deferred")
    removed_by_the_triggerer(deferred_trigger(job.id))
    assert connected_emulator.jobs()[0]["status"] == "Running"
    assert lookup.calls == [{"dag_id": "dag", "map_index": 3, "task_ids": ["run"], "run_ids": ["run_1"]}]
    assert "moved to another triggerer" in logged()


@pytest.mark.parametrize("state", ["failed", "success", None, "up_for_retry"])
def test_a_user_kill_cancels_the_job(
    connected_emulator: RunningEmulator, task_state: Callable[..., StateLookup], state: str | None
) -> None:
    job = AlteryxServerHook().run_workflow(SLOW)
    task_state(state)
    removed_by_the_triggerer(deferred_trigger(job.id))
    assert connected_emulator.jobs()[0]["status"] == "Cancelled"


def test_an_unreadable_state_keeps_the_job_and_says_so(
    connected_emulator: RunningEmulator, task_state: Callable[..., StateLookup], logged: Callable[[], str]
) -> None:
    job = AlteryxServerHook().run_workflow(SLOW)
    lookup = task_state(error=ConnectionError("execution API unreachable"))
    removed_by_the_triggerer(deferred_trigger(job.id))
    assert connected_emulator.jobs()[0]["status"] == "Running"
    assert len(lookup.calls) == trigger_module.STATE_READ_TRIES
    text = logged()
    assert (
        "Could not read the state of task dag/run_1/run[3]" in text
        and "execution API unreachable" in text
        and f"leaving Alteryx job {job.id} running" in text
    )


def test_the_cancel_completes_against_a_slow_server_despite_repeated_cancellation(
    connected_emulator: RunningEmulator, task_state: Callable[..., StateLookup], logged: Callable[[], str]
) -> None:
    job = AlteryxServerHook().run_workflow(SLOW)
    task_state("failed")
    connected_emulator.set_faults(latency=SLOW_SERVER)
    removed_by_the_triggerer(deferred_trigger(job.id))
    connected_emulator.set_faults(latency=0)
    assert connected_emulator.jobs()[0]["status"] == "Cancelled"
    text = logged()
    assert "finishing the cancel first" in text and f"Alteryx job {job.id} was cancelled" in text


def test_the_cancel_is_bounded_by_on_kill_timeout(
    connected_emulator: RunningEmulator,
    task_state: Callable[..., StateLookup],
    logged: Callable[[], str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    job = AlteryxServerHook().run_workflow(SLOW)
    task_state("failed")
    monkeypatch.setenv("AIRFLOW__TRIGGERER__ON_KILL_TIMEOUT", "1")
    connected_emulator.set_faults(latency=3)
    removed_by_the_triggerer(deferred_trigger(job.id))
    connected_emulator.set_faults(latency=0)
    assert "did not finish within [triggerer] on_kill_timeout (1.0 s)" in logged()


def test_without_a_task_instance_on_kill_cancels_as_before(
    connected_emulator: RunningEmulator, task_state: Callable[..., StateLookup]
) -> None:
    job = AlteryxServerHook().run_workflow(SLOW)
    lookup = task_state("deferred")
    removed_by_the_triggerer(AlteryxJobTrigger(job_id=job.id))
    assert connected_emulator.jobs()[0]["status"] == "Cancelled" and lookup.calls == []


def test_the_worker_side_cancel_completes_once_against_a_slow_server(
    connected_emulator: RunningEmulator, logged: Callable[[], str]
) -> None:
    operator = AlteryxRunWorkflowOperator(task_id="t", workflow_id=SLOW)
    operator.job_id = AlteryxServerHook().run_workflow(SLOW).id
    connected_emulator.set_faults(latency=SLOW_SERVER)
    first = threading.Thread(target=operator.on_kill)
    first.start()
    while operator.job_id not in TRANSPORT.cancels._threads:
        time.sleep(0.01)
    operator.on_kill()  # Airflow signals again while the first cancel is on its way: both wait for that one cancel
    first.join()
    connected_emulator.set_faults(latency=0)
    assert connected_emulator.jobs()[0]["status"] == "Cancelled"
    assert logged().count("Task killed: cancelling Alteryx job") == 1


def test_the_worker_side_cancel_is_bounded_by_its_own_limit(
    connected_emulator: RunningEmulator, logged: Callable[[], str], monkeypatch: pytest.MonkeyPatch
) -> None:
    operator = AlteryxRunWorkflowOperator(task_id="t", workflow_id=SLOW)
    operator.job_id = AlteryxServerHook().run_workflow(SLOW).id
    monkeypatch.setattr(operator_module, "CANCEL_ON_KILL_SECONDS", 1.0)
    connected_emulator.set_faults(latency=3)
    operator.on_kill()
    assert "did not finish within 1.0 s (Airflow kills the task soon after)" in logged()
    for cancel in list(TRANSPORT.cancels._threads.values()):
        cancel.join()  # let it end before the emulator stops
