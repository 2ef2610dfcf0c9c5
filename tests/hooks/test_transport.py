"""The transport over real sockets: against a Server that is down, and across ``reset()``.

Against a Server that is down, every path fails within its budget and its tries.

Kinds of down: nothing listens (refused), everything answers 503 (the emulator's faults), and the
Server accepts and never answers (the emulator with a latency far past the request timeout). The budget
is shrunk to seconds so that the bound, ``retry_budget`` plus one request timeout, is checked quickly;
``bench/outage.py`` measures the same with the defaults. The requests are counted at the Server where
one listens, and from the retry log where nothing does.

``reset()`` is what a test (or a process reusing its interpreter) relies on to start afresh: after it, a
different Server at the same address is talked to exactly as a fresh process would talk to it.
"""

from __future__ import annotations

import asyncio
import dataclasses
import gc
import json
import logging
import os
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest

from airflow_provider_alteryx.constants import ApiFamily
from airflow_provider_alteryx.emulator import EmulatorConfig, RunningEmulator, run_emulator
from airflow_provider_alteryx.exceptions import AlteryxConnectionError, AlteryxError
from airflow_provider_alteryx.hooks.alteryx import AlteryxServerHook
from airflow_provider_alteryx.hooks.auth import FAILURE_HOLD_SECONDS
from airflow_provider_alteryx.hooks.config import ServerConfig
from airflow_provider_alteryx.hooks.jobs import JobRequest
from airflow_provider_alteryx.hooks.params import RetryPolicy
from airflow_provider_alteryx.hooks.transport import TRANSPORT, Transport
from airflow_provider_alteryx.operators.alteryx import AlteryxRunWorkflowOperator
from airflow_provider_alteryx.sensors.alteryx import AlteryxJobSensor
from airflow_provider_alteryx.triggers.alteryx import AlteryxJobTrigger
from airflow_provider_alteryx.utils.clock import SYSTEM_CLOCK
from tests.conftest import QUICK, StartEmulator

JOB = "0123456789abcdef01234567"
LIMIT = 10
BUDGET = 3.0
TIMEOUT = 0.5
HOOK_PARAMS = {"retry_limit": LIMIT, "retry_delay": 0.05, "retry_budget": BUDGET}
# Scheduling, thread start-up and the emulator's answers on a busy 2-core machine.
SLACK = 2.0


@dataclass
class Down:
    """A Server that is down in one way, and how to count what reached it."""

    kind: str
    connection: str
    count: Callable[[], int | None]  # requests that reached it; None where nothing listens to count them


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def connection(url: str, key: str = "k", secret: str = "s3cret-value") -> str:  # noqa: S107 - a test key
    return json.dumps(
        {"conn_type": "alteryx", "host": url, "login": key, "password": secret, "extra": {"timeout": TIMEOUT}}
    )


@pytest.fixture(params=["refused", "503", "silent"])
def down(
    request: pytest.FixtureRequest, start_emulator: StartEmulator, monkeypatch: pytest.MonkeyPatch
) -> Down:
    if request.param == "refused":
        found = Down("refused", connection(f"http://127.0.0.1:{free_port()}"), lambda: None)
    else:
        emulator = start_emulator()
        faults: dict[str, Any] = (
            {"error_rate": 1.0, "error_status": 503} if request.param == "503" else {"latency": 30.0}
        )
        emulator.set_faults(**faults)
        served = emulator.info()["requestsServed"]
        found = Down(
            request.param,
            connection(emulator.url, emulator.api_key, emulator.api_secret),
            lambda: int(emulator.info()["requestsServed"]) - served,
        )
    monkeypatch.setenv("AIRFLOW_CONN_ALTERYX_DEFAULT", found.connection)
    return found


def tries_logged(caplog: pytest.LogCaptureFixture) -> int:
    """Requests sent, read from the log: one per retry announced, plus the last try."""
    return sum("retrying in" in record.getMessage() for record in caplog.records) + 1


def check_bound(down: Down, started: float, caplog: pytest.LogCaptureFixture) -> None:
    elapsed = time.monotonic() - started
    assert elapsed <= BUDGET + TIMEOUT + SLACK, f"{down.kind}: {elapsed:.1f} s"
    sent = down.count()
    assert (sent if sent is not None else tries_logged(caplog)) <= LIMIT, f"{down.kind}: {sent} requests"


def test_a_read_on_the_sync_path(down: Down, caplog: pytest.LogCaptureFixture) -> None:
    started = time.monotonic()
    with pytest.raises(AlteryxError):
        AlteryxServerHook(**HOOK_PARAMS).get_job(JOB)  # type: ignore[arg-type]
    check_bound(down, started, caplog)


def test_the_trigger_ends_with_one_error_event(down: Down, caplog: pytest.LogCaptureFixture) -> None:
    trigger = AlteryxJobTrigger(job_id=JOB, poll_interval=0.1, hook_params=HOOK_PARAMS)

    async def first_event() -> dict[str, Any]:
        try:
            return (await anext(trigger.run())).payload
        finally:
            await TRANSPORT.aclose()

    started = time.monotonic()
    event = asyncio.run(first_event())
    assert event["status"] == "error"
    check_bound(down, started, caplog)


def test_a_creation_fails_before_sending_anything_twice(down: Down, caplog: pytest.LogCaptureFixture) -> None:
    operator = AlteryxRunWorkflowOperator(
        task_id="t", workflow_id=QUICK, wait_for_completion=False, hook_params=HOOK_PARAMS
    )
    started = time.monotonic()
    with pytest.raises(AlteryxError):
        operator.execute({"ti": _NoXCom()})  # type: ignore[typeddict-item]
    check_bound(down, started, caplog)


def test_the_sensors_poke(down: Down, caplog: pytest.LogCaptureFixture) -> None:
    sensor = AlteryxJobSensor(task_id="s", job_id=JOB, hook_params=HOOK_PARAMS)
    started = time.monotonic()
    with pytest.raises(AlteryxError):
        sensor.poke({})
    check_bound(down, started, caplog)


class _NoXCom:
    """The few task-instance calls execute() makes before it reaches the Server."""

    def xcom_push(self, key: str, value: Any) -> None:
        pass


def test_waiters_share_one_token_fetch_while_the_server_is_down(
    start_emulator: StartEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    """20 waits on one event loop, the token endpoint answering 503: one fetch at a time, a failure shared."""
    emulator = start_emulator()
    emulator.set_faults(error_rate=1.0, error_status=503, scope="token")
    monkeypatch.setenv("AIRFLOW_CONN_ALTERYX_DEFAULT", emulator.connection())
    before = emulator.info()["tokensIssued"], emulator.info()["faultsInjected"]["error_rate"]

    async def waits() -> list[BaseException | Any]:
        try:
            hooks = [AlteryxServerHook(**HOOK_PARAMS) for _ in range(20)]  # type: ignore[arg-type]
            return await asyncio.gather(*(hook.aget_job(JOB) for hook in hooks), return_exceptions=True)
        finally:
            await TRANSPORT.aclose()

    started = time.monotonic()
    outcomes = asyncio.run(waits())
    elapsed = time.monotonic() - started
    token_requests = emulator.info()["faultsInjected"]["error_rate"] - before[1]
    assert all(isinstance(outcome, AlteryxError) for outcome in outcomes)
    # Each of the 20 retries on its own schedule, but a failed fetch answers everyone for the hold:
    # at most one token request per hold, not 20 per round of tries.
    assert 1 <= token_requests <= elapsed / FAILURE_HOLD_SECONDS + 2, (token_requests, elapsed)
    assert elapsed <= BUDGET + TIMEOUT + SLACK


def test_no_session_is_left_open_after_a_wait_failed_or_not(
    connected_emulator: RunningEmulator, caplog: pytest.LogCaptureFixture
) -> None:
    """The loop's pool closes when its last operation ends, without anyone calling aclose()."""
    job_id = AlteryxServerHook().run_workflow(QUICK).id

    async def events() -> list[str]:
        finished = AlteryxJobTrigger(job_id=job_id, poll_interval=0.1)
        missing = AlteryxJobTrigger(job_id=JOB, poll_interval=0.1, hook_params=HOOK_PARAMS)
        return [(await anext(trigger.run())).payload["status"] for trigger in (finished, missing)]

    with caplog.at_level(logging.ERROR, logger="asyncio"):
        assert asyncio.run(events()) == ["success", "error"]
        gc.collect()
    assert [r.getMessage() for r in caplog.records if "Unclosed" in r.getMessage()] == []


@pytest.mark.parametrize("kind", ["refused", "silent"])
def test_the_test_button_answers_within_15_seconds_naming_the_failure(
    kind: str, start_emulator: StartEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With the connection's own timeout (60 s by default): the Test button caps its requests and its budget."""
    if kind == "refused":
        url, expected = f"http://127.0.0.1:{free_port()}", "Nothing answered at that address"
    else:
        emulator = start_emulator()
        emulator.set_faults(latency=60.0)
        url, expected = emulator.url, "timed out"
    conn = json.loads(connection(url))
    del conn["extra"]["timeout"]
    monkeypatch.setenv("AIRFLOW_CONN_ALTERYX_DEFAULT", json.dumps(conn))
    started = time.monotonic()
    ok, message = AlteryxServerHook().test_connection()
    assert time.monotonic() - started <= 15.0
    assert not ok and expected in message, message


def scenario(emulator: RunningEmulator) -> dict[str, Any]:
    """What a task does before it waits, on both drivers, and what that cost the Server (counted by it)."""
    hook = AlteryxServerHook()
    hook.list_workflows()
    job = hook.create_job(JobRequest(QUICK))
    hook.get_job(job.id)
    asyncio.run(hook.aget_job(job.id))
    info = emulator.info()
    return {"api": hook.api_in_use(), "requests": info["requestsServed"], "tokens": info["tokensIssued"]}


FRESH_PROCESS = """
import json, sys
from airflow_provider_alteryx.emulator import RunningEmulator
from tests.hooks.test_transport import scenario
print(json.dumps(scenario(RunningEmulator(**json.loads(sys.argv[1])))))
"""


def in_a_fresh_process(emulator: RunningEmulator) -> dict[str, Any]:
    env = {**os.environ, "AIRFLOW_CONN_ALTERYX_DEFAULT": emulator.connection()}
    fields = dataclasses.asdict(emulator)
    done = subprocess.run(
        [sys.executable, "-c", FRESH_PROCESS, json.dumps(fields)],
        env=env,
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    return dict(json.loads(done.stdout.splitlines()[-1]))


def test_after_reset_another_server_at_the_same_address_is_met_as_by_a_fresh_process(
    workflows: Any, use_connection: Callable[..., None]
) -> None:
    """A 2021.4 Server (Web API v1 only), then a 2025.1 one (v3) on the same port with the same key: nothing of
    the first survives (its API generation, token, creation records, sessions), and the second costs what it
    costs a fresh process."""
    port = free_port()
    with run_emulator(EmulatorConfig(workflows=workflows, server_version="2021.4"), port=port) as older:
        use_connection(older)
        assert scenario(older)["api"] == ApiFamily.V1
    TRANSPORT.reset()
    with run_emulator(EmulatorConfig(workflows=workflows), port=port) as latest:
        use_connection(latest)
        after_reset = scenario(latest)
    with run_emulator(EmulatorConfig(workflows=workflows), port=port) as fresh:
        assert in_a_fresh_process(fresh) == after_reset
    assert after_reset["api"] == ApiFamily.V3


def test_what_other_layers_keep_is_made_once_with_the_transports_clock_and_forgotten_by_reset() -> None:
    transport = Transport(clock=SYSTEM_CLOCK)
    made: list[object] = []

    def make(clock: object) -> list[object]:
        made.append(clock)
        return []

    first = transport.keep("views", make)
    assert transport.keep("views", make) is first
    assert made == [SYSTEM_CLOCK]
    transport.reset()
    assert transport.keep("views", make) is not first
    assert len(made) == 2


class _LeapingClock:
    """Wall time as it is; every monotonic reading an hour after the one before."""

    def __init__(self) -> None:
        self.now = 0.0

    def time(self) -> float:
        return time.time()

    def monotonic(self) -> float:
        self.now += 3600.0
        return self.now


def test_an_answers_time_limit_reads_the_transports_clock(emulator: RunningEmulator) -> None:
    """The body of an answer is timed on the transport's clock, as every other deadline is: on a clock that
    leaps an hour per reading, every answer is late, on both drivers."""
    transport = Transport(clock=_LeapingClock())
    config = ServerConfig(base_url=emulator.url, api_key=emulator.api_key, api_secret=emulator.api_secret)

    def listing() -> Any:
        return transport.api(config, RetryPolicy(attempts=1), logging.getLogger(__name__)).list_workflows()

    async def on_a_loop() -> Any:
        try:
            return await transport.arun(config, listing())
        finally:
            await transport.aclose()

    late = "took longer than the connection's timeout"
    try:
        with pytest.raises(AlteryxConnectionError, match=late):
            transport.run(config, listing())
        with pytest.raises(AlteryxConnectionError, match=late):
            asyncio.run(on_a_loop())
    finally:
        transport.reset()


def test_a_netrc_entry_for_the_servers_host_changes_nothing(
    connected_emulator: RunningEmulator, tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Credentials kept in ~/.netrc for the Server's host (for curl, say) are not the provider's: neither driver
    sends them in place of the token or beside the token request's own."""
    netrc = tmp_path / "netrc"
    netrc.write_text("machine 127.0.0.1\nlogin someone\npassword for-curl\n")
    netrc.chmod(0o600)
    monkeypatch.setenv("NETRC", str(netrc))
    hook = AlteryxServerHook(retry_limit=1)
    job = hook.run_workflow(QUICK)
    TRANSPORT.tokens.clear()

    async def read() -> Any:
        try:
            return await AlteryxServerHook(retry_limit=1).aget_job(job.id)
        finally:
            await TRANSPORT.aclose()

    assert asyncio.run(read()).id == job.id
