"""What the views read: the Server through shared answers the transport keeps, and the jobs Airflow's tasks named.

Against the emulator over real HTTP; time is a fake clock given to a transport of the test's own.
"""

from __future__ import annotations

import socket
import time
from datetime import timedelta

import pytest

from airflow_provider_alteryx.plugins.alteryx import HAS_EXTERNAL_VIEWS

if not HAS_EXTERNAL_VIEWS:
    pytest.skip("the views need Airflow 3.1 or later (external views)", allow_module_level=True)

from airflow_provider_alteryx.emulator import RunningEmulator
from airflow_provider_alteryx.emulator.config import Role
from airflow_provider_alteryx.exceptions import AlteryxConnectionError
from airflow_provider_alteryx.hooks.alteryx import AlteryxServerHook
from airflow_provider_alteryx.hooks.jobs import JobRequest
from airflow_provider_alteryx.hooks.transport import Transport
from airflow_provider_alteryx.plugins.lookup import (
    FRESH_SECONDS,
    RECENT,
    UNREACHABLE_SECONDS,
    Queue,
    ServerCache,
    unfinished_task_jobs,
)
from tests.conftest import REGIONAL, StartEmulator
from tests.hooks.stepping import FakeClock

EMEA = JobRequest.build(REGIONAL, {"region": "EMEA"})


@pytest.fixture
def clock() -> FakeClock:
    """A fake clock at the real time (XCom timestamps are real ones)."""
    fake = FakeClock()
    fake.now = float(int(time.time()))  # whole seconds: datetimes round-trip them exactly
    return fake


@pytest.fixture
def cache(clock: FakeClock) -> ServerCache:
    return ServerCache(Transport(clock=clock))


@pytest.fixture
def curator(start_emulator: StartEmulator, monkeypatch: pytest.MonkeyPatch) -> RunningEmulator:
    """An emulator with no free worker (so jobs wait Queued), ``alteryx_default`` on its Curator key."""
    running = start_emulator(workers=0)
    monkeypatch.setenv("AIRFLOW_CONN_ALTERYX_DEFAULT", running.connection())
    monkeypatch.setenv("AIRFLOW_CONN_ARTISAN", running.connection(role=Role.ARTISAN))
    return running


def served(emulator: RunningEmulator) -> int:
    return int(emulator.info()["requestsServed"])


def test_the_queue_as_a_curator_sees_it_and_why_an_artisan_cannot(
    curator: RunningEmulator, cache: ServerCache
) -> None:
    hook = cache.hook("alteryx_default")
    hook.create_job(EMEA)
    job, _ = cache.job("alteryx_default", hook.create_job(EMEA).id)
    assert cache.queue("alteryx_default", job) == Queue(position=2, length=2)
    why = cache.queue("artisan", job).unknown_because
    assert why == "the Server shows its queue to Curators only, and this connection's key is not a Curator's"


def test_viewers_share_one_answer_while_it_is_fresh_and_a_finished_jobs_for_good(
    curator: RunningEmulator, cache: ServerCache, clock: FakeClock
) -> None:
    hook = AlteryxServerHook()
    job_id = hook.create_job(EMEA).id
    cache.job("alteryx_default", job_id)
    before = served(curator)
    for _ in range(5):
        cache.job("alteryx_default", job_id)
    assert served(curator) == before, "viewers within FRESH_SECONDS asked the Server again"
    hook.cancel_job(job_id)
    clock.now += FRESH_SECONDS + 1
    job, since = cache.job("alteryx_default", job_id)
    assert (job.status, since.status, since.disposition) == ("Cancelled", "Cancelled", "Cancelled")
    before = served(curator)
    clock.now += 3600
    cache.job("alteryx_default", job_id)
    assert served(curator) == before, "a finished job, which no longer changes, was asked again"


def test_durations_are_read_on_the_transports_clock_and_reset_forgets_what_was_seen(
    curator: RunningEmulator, clock: FakeClock
) -> None:
    transport = Transport(clock=clock)
    cache = ServerCache(transport)
    hook = AlteryxServerHook()
    job_id = hook.create_job(EMEA).id
    hook.cancel_job(job_id)
    _, since = cache.job("alteryx_default", job_id)
    first_seen = since.as_of
    assert since.status_since == first_seen and first_seen.timestamp() == clock.now
    clock.now += 75
    _, since = cache.job("alteryx_default", job_id)
    assert (since.status_since, since.as_of - since.status_since) == (first_seen, timedelta(seconds=75))
    transport.reset()
    _, since = cache.job("alteryx_default", job_id)
    assert since.status_since == since.as_of == first_seen + timedelta(seconds=75)


def test_an_edited_connection_applies_from_the_next_read(
    start_emulator: StartEmulator, cache: ServerCache, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    old, new = start_emulator(workers=0), start_emulator(workers=0)
    monkeypatch.setenv("AIRFLOW_CONN_ALTERYX_DEFAULT", old.connection())
    cache.job("alteryx_default", AlteryxServerHook().create_job(EMEA).id)
    monkeypatch.setenv("AIRFLOW_CONN_ALTERYX_DEFAULT", new.connection())
    moved = AlteryxServerHook().create_job(EMEA).id
    clock.now += FRESH_SECONDS + 1
    job, _ = cache.job("alteryx_default", moved)
    assert job.id == moved


@pytest.fixture
def left_running(curator: RunningEmulator, airflow_db: None) -> tuple[str, str]:
    """A DAG run whose task created a job and ended at once (``wait_for_completion=False``): the job stays
    Queued on the emulator after the task succeeded. Returns the DAG id and the job id."""
    from tests.dags.plugin_views import LEFT_RUNNING

    assert LEFT_RUNNING.test().state == "success"
    (job,) = curator.jobs()
    return LEFT_RUNNING.dag_id, job["id"]


def test_the_jobs_page_lists_a_job_left_running_after_its_task_ended(
    left_running: tuple[str, str], curator: RunningEmulator, cache: ServerCache, clock: FakeClock
) -> None:
    from airflow.utils.session import create_session

    dag_id, job_id = left_running
    with create_session() as session:
        (task,) = unfinished_task_jobs(session, [dag_id], cache)
        assert (task.ti.task_id, task.ti.state, task.job_id, task.conn_id) == (
            "start",
            "success",
            job_id,
            "alteryx_default",
        )
        before = served(curator)
        assert unfinished_task_jobs(session, [dag_id], cache) == [task]
        assert served(curator) == before, "another look within FRESH_SECONDS asked the Server again"

        assert unfinished_task_jobs(session, ["another_dag"], cache) == [], "a DAG not asked for was listed"
        clock.now += RECENT.total_seconds() + 1
        assert unfinished_task_jobs(session, [dag_id], cache) == [], "a job named over a day ago was listed"
        clock.now -= RECENT.total_seconds() + 1

        AlteryxServerHook().cancel_job(job_id)
        clock.now += FRESH_SECONDS + 1
        assert unfinished_task_jobs(session, [dag_id], cache) == [], "a cancelled job was listed"


def test_a_server_that_cannot_be_reached_is_not_asked_again_for_a_while(
    cache: ServerCache,
    clock: FakeClock,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    capfd: pytest.CaptureFixture[str],
) -> None:
    """So a jobs page naming 200 jobs of a Server that is down answers at once, not after 200 failed reads."""
    with socket.socket() as placeholder:
        placeholder.bind(("127.0.0.1", 0))
        port = placeholder.getsockname()[1]
    connection = (
        f'{{"conn_type": "alteryx", "host": "http://127.0.0.1:{port}", "login": "k", "password": "s"}}'
    )
    monkeypatch.setenv("AIRFLOW_CONN_DOWN", connection)
    for job_id in ("a" * 24, "b" * 24):
        with pytest.raises(AlteryxConnectionError):
            cache.job("down", job_id)
    clock.now += UNREACHABLE_SECONDS + 1
    with pytest.raises(AlteryxConnectionError):
        cache.job("down", "c" * 24)
    logged = caplog.text + "".join(capfd.readouterr())
    asked = {job_id for job_id in ("a" * 24, "b" * 24, "c" * 24) if f"/jobs/{job_id} failed" in logged}
    assert asked == {"a" * 24, "c" * 24}  # b's read came while the Server was known to be down
