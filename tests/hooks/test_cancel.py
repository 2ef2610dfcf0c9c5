"""Cancelling a job, and waiting on a job someone cancels, under both readings of ``DELETE /v3/jobs/{id}``.

The newer V3 swagger says the call will "cancel the running job or delete a queued job", and declares no
answer body. The emulator plays every reading (``cancel_queued_deletes``: a queued job then reads 404;
``cancel_answer``: the job or no body), and each test runs under all of them, over real HTTP, on the sync
and the async paths. "Gone after my cancel" is a cancelled job, never an error; a wait on a job it saw,
which then reads 404, ends cancelled and says the Server deleted it from its queue.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable, Iterator

import pytest

from airflow_provider_alteryx.emulator import RunningEmulator, Variants
from airflow_provider_alteryx.emulator.variants import CancelAnswer
from airflow_provider_alteryx.exceptions import AlteryxNotFoundError
from airflow_provider_alteryx.hooks.alteryx import AlteryxServerHook
from airflow_provider_alteryx.models import AlteryxJob
from tests.conftest import QUICK, SLOW, StartEmulator, UseConnection, on_a_loop
from tests.hooks.fault_proxy import Rule, fault_proxy

POLL = 0.1
DELETED = "deleted from the Server's queue"
GONE = "is gone from the Server (it was Queued when last read)"


def hook() -> AlteryxServerHook:
    return AlteryxServerHook(retry_limit=3, retry_delay=0.01)


@pytest.fixture(params=[False, True], ids=["queued-kept", "queued-deleted"])
def deletes(request: pytest.FixtureRequest) -> bool:
    return bool(request.param)


@pytest.fixture(params=list(CancelAnswer), ids=[f"answer-{a}" for a in CancelAnswer])
def answer(request: pytest.FixtureRequest) -> CancelAnswer:
    return CancelAnswer(request.param)


@pytest.fixture
def emulator(
    start_emulator: StartEmulator, use_connection: UseConnection, deletes: bool, answer: CancelAnswer
) -> RunningEmulator:
    """A 2025.1 emulator whose workers carry the tag ``eu`` only: a job tagged ``gpu`` stays queued for ever."""
    running = start_emulator(
        worker_tags=("eu",), variants=Variants(cancel_queued_deletes=deletes, cancel_answer=answer)
    )
    use_connection(running)
    return running


@pytest.fixture
def logged(
    caplog: pytest.LogCaptureFixture, capfd: pytest.CaptureFixture[str]
) -> Iterator[Callable[[], str]]:
    with caplog.at_level(logging.INFO):
        yield lambda: caplog.text + "".join(capfd.readouterr())


def queued_job() -> AlteryxJob:
    return hook().run_workflow(QUICK, worker_tag="gpu")


@pytest.mark.parametrize("path", ["sync", "async"])
@pytest.mark.parametrize("state", ["Queued", "Running"])
def test_a_cancel_ends_the_job_cancelled_under_every_reading(
    emulator: RunningEmulator, logged: Callable[[], str], deletes: bool, path: str, state: str
) -> None:
    job = queued_job() if state == "Queued" else hook().run_workflow(SLOW)
    cancelled = hook().cancel_job(job.id) if path == "sync" else on_a_loop(lambda: hook().acancel_job(job.id))
    assert (cancelled.id, cancelled.status, cancelled.outcome) == (job.id, "Cancelled", "Cancelled")
    assert emulator.jobs()[0]["status"] == "Cancelled"
    gone = deletes and state == "Queued"
    assert (DELETED in logged()) is gone
    if gone:
        with pytest.raises(AlteryxNotFoundError):
            hook().get_job(job.id)
    else:
        assert hook().get_job(job.id).outcome == "Cancelled"


def cancel_later(job_id: str, seconds: float) -> threading.Timer:
    """Another caller (a user in the Gallery, another task) cancels the job ``seconds`` from now."""
    timer = threading.Timer(seconds, lambda: hook().cancel_job(job_id))
    timer.start()
    return timer


@pytest.mark.parametrize("path", ["sync", "coalesced", "alone"])
def test_a_wait_on_a_queued_job_that_is_cancelled_ends_cancelled(
    emulator: RunningEmulator, logged: Callable[[], str], deletes: bool, path: str
) -> None:
    """The waits of the worker (sync), and of the trigger through its workflow's feed (coalesced) or alone."""
    job = queued_job()
    canceller = cancel_later(job.id, 0.5)
    started = time.monotonic()
    try:
        if path == "sync":
            finished = hook().wait_for_job(job.id, poll_interval=POLL)
        else:
            finished = on_a_loop(
                lambda: hook().await_job(
                    job.id, poll_interval=POLL, deadline=None, coalesce=path == "coalesced"
                )
            )
    finally:
        canceller.join()
    assert (finished.id, finished.workflow_id, finished.outcome) == (job.id, QUICK, "Cancelled")
    assert time.monotonic() - started <= 0.5 + 2.0
    assert (GONE in logged()) is deletes


def test_a_wait_on_a_job_the_server_never_knew_is_not_found(connected_emulator: RunningEmulator) -> None:
    """Only a job the wait saw counts as deleted: an unknown one is an error at the first read, on either path."""
    with pytest.raises(AlteryxNotFoundError):
        hook().wait_for_job("f" * 24, poll_interval=POLL)
    with pytest.raises(AlteryxNotFoundError):
        on_a_loop(lambda: hook().await_job("f" * 24, poll_interval=POLL, deadline=None))


def test_a_cancel_whose_answer_was_lost_after_it_deleted_the_queued_job_counts_as_cancelled(
    start_emulator: StartEmulator, monkeypatch: pytest.MonkeyPatch, logged: Callable[[], str]
) -> None:
    """The first DELETE deletes the queued job and its answer is lost; the retry then finds no job (404)."""
    emulator = start_emulator(worker_tags=("eu",), variants=Variants(cancel_queued_deletes=True))
    with fault_proxy(emulator.url) as proxy:
        connection = {**json.loads(emulator.connection()), "host": proxy.url}
        monkeypatch.setenv("AIRFLOW_CONN_ALTERYX_DEFAULT", json.dumps(connection))
        job = queued_job()
        proxy.rules.append(Rule("DELETE", f"/jobs/{job.id}", "after", "drop"))
        cancelled = hook().cancel_job(job.id)
    assert (cancelled.status, cancelled.disposition) == ("Cancelled", "Cancelled")
    assert proxy.count("DELETE", f"/jobs/{job.id}") == 2
    assert DELETED in logged()
