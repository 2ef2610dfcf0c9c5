"""Fixtures and helpers for the bad-input table: a secret to hunt for, fast retries, and the two paths.

The sync path is the hook, operator or sensor called directly in the test's thread; the trigger path
is :class:`AlteryxJobTrigger` run on its own event loop (and the deferrable operator/sensor that would
hand over to it). Both are judged the same way: one ``AlteryxError`` subclass (or one ``error``
event), the key words of its message, what reached the Server, and no secret anywhere.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from airflow_provider_alteryx.emulator import RunningEmulator
from airflow_provider_alteryx.exceptions import AlteryxError
from airflow_provider_alteryx.hooks.alteryx import AlteryxServerHook
from airflow_provider_alteryx.hooks.transport import TRANSPORT
from airflow_provider_alteryx.operators.alteryx import AlteryxRunWorkflowOperator
from airflow_provider_alteryx.sensors.alteryx import AlteryxJobSensor
from airflow_provider_alteryx.triggers.alteryx import AlteryxJobTrigger
from tests.bad_input.fake_server import FakeServer, job_json, json_answer, run_fake_server
from tests.conftest import StartEmulator

# The connection password everywhere in this package: it must never leave the provider.
SECRET = "bad-input-S3cret-9f1c2e"
RETRY_LIMIT = 2
RETRY_DELAY = 0.01
# A trigger that neither fires nor fails within this long counts as hung (a failure, never a pass criterion).
HANG_GUARD_SECONDS = 60.0


def fast_hook(conn_id: str = AlteryxServerHook.default_conn_name) -> AlteryxServerHook:
    return AlteryxServerHook(conn_id, retry_limit=RETRY_LIMIT, retry_delay=RETRY_DELAY)


@pytest.fixture(autouse=True)
def _fast_trigger_retries(monkeypatch: pytest.MonkeyPatch) -> None:
    """Triggers retry 10 times with 1 s backoff in production; the table needs the verdict, not the patience."""

    def hook(self: AlteryxJobTrigger) -> AlteryxServerHook:
        return fast_hook(self.alteryx_conn_id)

    monkeypatch.setattr(AlteryxJobTrigger, "_hook", property(hook))


@pytest.fixture(autouse=True)
def _log_everything(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)


def trigger_events(trigger: AlteryxJobTrigger) -> list[dict[str, Any]]:
    """Every event the trigger's run() yields, on a fresh event loop (its pooled sessions closed after)."""

    async def collect() -> list[dict[str, Any]]:
        try:
            async with asyncio.timeout(HANG_GUARD_SECONDS):
                return [event.payload async for event in trigger.run()]
        except TimeoutError:
            pytest.fail(
                f"AlteryxJobTrigger.run() neither fired nor failed within {HANG_GUARD_SECONDS} s: it hangs"
            )
        finally:
            await TRANSPORT.aclose()

    return asyncio.run(collect())


def expect_error_event(make_trigger: Callable[[], AlteryxJobTrigger]) -> str:
    """The trigger path's verdict: the trigger refuses its arguments with an AlteryxError, or run() yields exactly
    one event, of status ``error``.

    :return: the text to check for key words and secrets (the error, or the event as JSON).
    """
    try:
        trigger = make_trigger()
    except AlteryxError as refused:
        return str(refused)
    events = trigger_events(trigger)
    assert [event.get("status") for event in events] == ["error"], f"expected one error event, got {events}"
    return json.dumps(events)


def expect_error(
    error_type: type[BaseException] | tuple[type[BaseException], ...], action: Callable[[], object]
) -> BaseException:
    """The sync path's verdict: ``action`` raises ``error_type`` (a raw exception or no exception fails the case)."""
    with pytest.raises(error_type) as caught:
        action()
    return caught.value


def assert_words(text: str, words: tuple[str, ...]) -> None:
    """Each word must appear as a whole word (``int`` in "point" does not count), in any case."""
    missing = [
        word for word in words if not re.search(rf"(?<!\w){re.escape(word)}(?!\w)", text, re.IGNORECASE)
    ]
    assert not missing, f"message lacks {missing}: {text}"


class FakeTaskInstance:
    """What the operator and sensor use of ``context["ti"]``: XCom pushes, kept for inspection."""

    def __init__(self) -> None:
        self.xcoms: dict[str, Any] = {}

    def xcom_push(self, key: str, value: Any) -> None:
        self.xcoms[key] = value


def run_operator(**kwargs: Any) -> Any:
    """Build and execute the operator as a worker would (construction inside, so either may refuse)."""
    operator = AlteryxRunWorkflowOperator(
        task_id="run", poll_interval=kwargs.pop("poll_interval", 0.1), **kwargs
    )
    operator.hook = fast_hook(operator.alteryx_conn_id)
    context: Any = {"ti": FakeTaskInstance()}
    return operator.execute(context)


def run_sensor(*, deferrable: bool, **kwargs: Any) -> Any:
    """Build the sensor and poke once (sync) or execute it (deferrable: it would defer to the trigger)."""
    sensor = AlteryxJobSensor(task_id="watch", deferrable=deferrable, poke_interval=0.1, timeout=10, **kwargs)
    sensor.hook = fast_hook(sensor.alteryx_conn_id)
    context: Any = {"ti": FakeTaskInstance()}
    return sensor.execute(context) if deferrable else sensor.poke(context)


class LeakCheck:
    """Looks for secrets in everything a case produced: error texts, events, log records and console output."""

    def __init__(self, caplog: pytest.LogCaptureFixture, capfd: pytest.CaptureFixture[str]) -> None:
        self.caplog = caplog
        self.capfd = capfd
        self.console = ""  # Airflow's task loggers may write to the console rather than through logging

    def logged(self) -> str:
        out, err = self.capfd.readouterr()
        self.console += out + err
        return "\n".join(
            [self.caplog.text, *(record.getMessage() for record in self.caplog.records), self.console]
        )

    def warned(self, word: str) -> bool:
        """Whether a warning mentioning ``word`` was logged (a log record, or a console line at warning level)."""
        self.logged()
        records = any(
            record.levelno >= logging.WARNING and word in record.getMessage()
            for record in self.caplog.records
        )
        return records or any("warn" in line.lower() and word in line for line in self.console.splitlines())

    def retried(self) -> bool:
        """Whether the provider logged a retry (it logs each one, with the failure that caused it)."""
        return "retrying" in self.logged().lower()

    def assert_clean(self, *texts: str, secrets: tuple[str, ...] = ()) -> None:
        haystack = "\n".join([*texts, self.logged()])
        for needle in (SECRET, *secrets):
            assert needle not in haystack, (
                f"a secret ({needle[:6]}...) leaked into an error, event or log line"
            )


@pytest.fixture
def leaks(caplog: pytest.LogCaptureFixture, capfd: pytest.CaptureFixture[str]) -> LeakCheck:
    return LeakCheck(caplog, capfd)


@pytest.fixture
def secret_emulator(start_emulator: StartEmulator, monkeypatch: pytest.MonkeyPatch) -> RunningEmulator:
    """A 2025.1 emulator whose API secret is :data:`SECRET`, with ``alteryx_default`` pointing at it."""
    emulator = start_emulator(api_secret=SECRET, time_scale=0.2)
    monkeypatch.setenv("AIRFLOW_CONN_ALTERYX_DEFAULT", emulator.connection())
    return emulator


def set_connection(monkeypatch: pytest.MonkeyPatch, connection: str, **changes: Any) -> None:
    """Point ``alteryx_default`` at ``connection`` (JSON) with ``changes``: top-level fields, or ``extra``'s keys merged."""
    fields = json.loads(connection)
    extra = {**fields.get("extra", {}), **changes.pop("extra", {})}
    monkeypatch.setenv("AIRFLOW_CONN_ALTERYX_DEFAULT", json.dumps({**fields, **changes, "extra": extra}))


@pytest.fixture
def fake(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeServer]:
    """A misbehaving Server (well-behaved until told otherwise), with ``alteryx_default`` pointing at it."""
    with run_fake_server(SECRET) as server:
        monkeypatch.setenv("AIRFLOW_CONN_ALTERYX_DEFAULT", server.connection())
        yield server


@pytest.fixture
def other_host() -> Iterator[FakeServer]:
    """Another origin that a redirect points to: it records whatever arrives and answers every request with a finished job."""
    with run_fake_server("not-the-secret", fallback=json_answer(job_json())) as server:
        yield server
