"""Proxies, over real sockets: the worker's and the triggerer's requests go through the proxy the environment
(``HTTP_PROXY``, ``NO_PROXY``) or the connection extra ``proxy`` names, the extra winning.

Between the provider and the emulator stands a forwarding proxy written for the tests
(:mod:`tests.hooks.http_proxy`) that asks for credentials. Its log proves which requests went through it (the
token, the job's creation, the waits on the sync and the trigger paths), and the emulator's count of the
requests it served proves that none went around it. The proxy's password appears in no error, event, log
line or repr.
"""

from __future__ import annotations

import json
import logging
import re
import socket
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from airflow_provider_alteryx.emulator import RunningEmulator
from airflow_provider_alteryx.exceptions import AlteryxApiError, AlteryxConnectionError
from airflow_provider_alteryx.hooks.alteryx import AlteryxServerHook
from airflow_provider_alteryx.hooks.transport import TRANSPORT
from airflow_provider_alteryx.triggers.alteryx import AlteryxJobTrigger
from tests.conftest import QUICK, StartEmulator, trigger_events
from tests.hooks.http_proxy import HttpProxy, http_proxy

# Shorter than what scrub() redacts by value: it must stay out of every text by construction.
PASSWORD = "Px7qZk3"
CREDENTIALS = ("proxy-user", PASSWORD)
POLL = 0.05


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def connect(monkeypatch: pytest.MonkeyPatch, emulator: RunningEmulator, proxy: str | None = None) -> None:
    """Point ``alteryx_default`` at the emulator, with the extra ``proxy`` when given."""
    connection = json.loads(emulator.connection())
    if proxy is not None:
        connection["extra"]["proxy"] = proxy
    monkeypatch.setenv("AIRFLOW_CONN_ALTERYX_DEFAULT", json.dumps(connection))


def hook() -> AlteryxServerHook:
    return AlteryxServerHook(retry_limit=2, retry_delay=0.01)


def job_events(job_id: str) -> list[dict[str, Any]]:
    return trigger_events(
        AlteryxJobTrigger(job_id=job_id, poll_interval=POLL, hook_params={"retry_limit": 2})
    )


@pytest.fixture
def emulator(start_emulator: StartEmulator) -> RunningEmulator:
    return start_emulator(time_scale=0.5)


@pytest.fixture
def proxy() -> Iterator[HttpProxy]:
    with http_proxy(CREDENTIALS) as running:
        yield running


@pytest.fixture
def logged(
    caplog: pytest.LogCaptureFixture, capfd: pytest.CaptureFixture[str]
) -> Iterator[Callable[[], str]]:
    with caplog.at_level(logging.DEBUG):
        yield lambda: caplog.text + "".join(capfd.readouterr())


def both_paths(proxy: HttpProxy) -> tuple[int, int]:
    """A task's work on the worker, then a wait on the triggerer; the API requests the proxy forwarded for each."""
    worker = hook()
    job = worker.run_workflow(QUICK)
    assert worker.wait_for_job(job.id, poll_interval=POLL).succeeded()
    deferred = worker.run_workflow(QUICK)
    on_worker = proxy.forwarded()
    if on_worker:  # through the proxy: the token, the job-list snapshot and the creation, the wait's reads
        assert proxy.forwarded("POST", "/oauth2/token") == 1
        assert proxy.forwarded("POST", f"/workflows/{QUICK}/jobs") == 2
        assert proxy.forwarded("GET", f"/jobs/{job.id}") >= 1
    TRANSPORT.tokens.clear()  # the triggerer is another process: it fetches its own token
    (event,) = job_events(deferred.id)
    assert event["status"] == "success", event
    on_triggerer = proxy.forwarded() - on_worker
    if on_triggerer:
        assert proxy.forwarded("POST", "/oauth2/token") == 2
        assert proxy.forwarded("GET", f"/jobs/{deferred.id}") >= 1
    return on_worker, on_triggerer


@pytest.mark.parametrize("named_by", ["environment", "extra"])
def test_the_worker_and_the_triggerer_go_through_the_proxy(
    emulator: RunningEmulator,
    proxy: HttpProxy,
    monkeypatch: pytest.MonkeyPatch,
    logged: Callable[[], str],
    named_by: str,
) -> None:
    if named_by == "environment":
        monkeypatch.setenv("HTTP_PROXY", proxy.url)
        connect(monkeypatch, emulator)
    else:
        connect(monkeypatch, emulator, proxy.url)
    on_worker, on_triggerer = both_paths(proxy)
    assert on_worker > 0 and on_triggerer > 0
    # Every API request the emulator served came through the proxy, with its credentials.
    assert emulator.info()["requestsServed"] == proxy.forwarded()
    assert {entry.user for entry in proxy.api_requests()} == {CREDENTIALS[0]}
    assert PASSWORD not in logged() + repr(hook()) + repr(hook().config)


def test_the_extra_wins_over_the_environment(
    emulator: RunningEmulator, proxy: HttpProxy, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The environment names a proxy that is down and exempts the Server's host: the extra's proxy is used."""
    monkeypatch.setenv("HTTP_PROXY", f"http://127.0.0.1:{free_port()}")
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")
    connect(monkeypatch, emulator, proxy.url)
    on_worker, on_triggerer = both_paths(proxy)
    assert on_worker > 0 and on_triggerer > 0
    assert emulator.info()["requestsServed"] == proxy.forwarded()


def test_no_proxy_exempts_the_servers_host_on_both_paths(
    emulator: RunningEmulator, proxy: HttpProxy, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HTTP_PROXY", proxy.url)
    monkeypatch.setenv("NO_PROXY", "localhost,127.0.0.1")
    connect(monkeypatch, emulator)
    assert both_paths(proxy) == (0, 0)
    assert proxy.api_requests() == []


def test_a_proxy_that_cannot_be_reached_is_named_without_its_password(
    emulator: RunningEmulator, monkeypatch: pytest.MonkeyPatch, logged: Callable[[], str]
) -> None:
    down = f"127.0.0.1:{free_port()}"
    connect(monkeypatch, emulator, f"http://{CREDENTIALS[0]}:{PASSWORD}@{down}")
    expected = f"The proxy http://***@{down} could not be reached"
    with pytest.raises(AlteryxConnectionError, match=re.escape(expected)) as caught:
        hook().get_job("f" * 24)
    (event,) = job_events("f" * 24)
    assert event["status"] == "error" and expected in event["message"], event
    texts = f"{caught.value!r} {caught.value} {json.dumps(event)} {hook()!r} {hook().config!r}"
    assert PASSWORD not in texts + logged()
    assert emulator.info()["requestsServed"] == 0


def test_a_proxy_asking_for_credentials_it_was_not_given_is_named(
    emulator: RunningEmulator, proxy: HttpProxy, monkeypatch: pytest.MonkeyPatch
) -> None:
    connect(monkeypatch, emulator, proxy.address)
    with pytest.raises(AlteryxApiError, match="answered 407 .* asks for credentials") as caught:
        hook().get_job("f" * 24)
    assert caught.value.status == 407
    (event,) = job_events("f" * 24)
    assert event["status"] == "error" and "asks for credentials" in event["message"], event
    assert emulator.info()["requestsServed"] == 0
