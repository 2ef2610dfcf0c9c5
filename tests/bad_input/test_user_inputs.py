"""A careless user's inputs, on the sync path and the trigger path, against the emulator over real HTTP.

Every case must end in :class:`AlteryxInputError` (or one ``error`` event) naming the parameter,
before anything is sent: the emulator proves it by having served no request and created no job.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import pytest

from airflow_provider_alteryx.emulator import RunningEmulator
from airflow_provider_alteryx.exceptions import AlteryxInputError
from airflow_provider_alteryx.triggers.alteryx import AlteryxJobTrigger
from tests.bad_input.conftest import (
    LeakCheck,
    assert_words,
    expect_error,
    expect_error_event,
    fast_hook,
    run_operator,
    run_sensor,
    set_connection,
)
from tests.conftest import QUICK, REGIONAL

UNKNOWN_JOB = "f" * 24
MISSING_CA = "/nonexistent/alteryx-ca.pem"
# A proxy's password, in the spoiled proxy URLs: the refusal names the proxy without it.
PROXY_PASSWORD = "pr0xy-Pa55"


class Param(StrEnum):
    """The input a case spoils; it decides which calls make up each path."""

    WORKFLOW_ID = "workflow_id"
    JOB_ID = "job_id"
    QUESTIONS = "questions"
    PRIORITY = "priority"
    POLL_INTERVAL = "poll_interval"
    TIMEOUT = "timeout"
    EXTRA_TIMEOUT = "extra timeout"
    EXTRA_VERIFY = "extra verify"
    EXTRA_PROXY = "extra proxy"


@dataclass(frozen=True)
class Case:
    id: str
    param: Param
    value: Any
    words: tuple[str, ...]  # key words the message must contain (case-insensitive)


CASES = [
    Case("workflow_id-dotdot", Param.WORKFLOW_ID, f"{UNKNOWN_JOB}/../{QUICK}", ("workflow_id",)),
    # None may mean "not given" where workflow_name is the alternative, so the type name is not required here.
    Case("workflow_id-None", Param.WORKFLOW_ID, None, ("workflow_id",)),
    Case("workflow_id-int", Param.WORKFLOW_ID, 42, ("workflow_id", "int")),
    Case("workflow_id-empty", Param.WORKFLOW_ID, "", ("workflow_id",)),
    Case("workflow_id-query", Param.WORKFLOW_ID, f"{QUICK}?x=1", ("workflow_id",)),
    Case("workflow_id-percent", Param.WORKFLOW_ID, f"%2e%2e%2f{QUICK}", ("workflow_id",)),
    Case("job_id-None", Param.JOB_ID, None, ("job_id", "NoneType")),
    Case("job_id-int", Param.JOB_ID, 42, ("job_id", "int")),
    Case("job_id-dotdot", Param.JOB_ID, f"../{UNKNOWN_JOB}", ("job_id",)),
    Case("job_id-slash", Param.JOB_ID, f"{UNKNOWN_JOB}/output", ("job_id",)),
    Case("job_id-empty", Param.JOB_ID, "", ("job_id",)),
    Case("question-None", Param.QUESTIONS, {"region": "EMEA", "as_of": None}, ("questions", "as_of")),
    Case(
        "question-None-list",
        Param.QUESTIONS,
        [{"name": "region", "value": "EMEA"}, {"name": "as_of", "value": None}],
        ("questions", "as_of"),
    ),
    Case("questions-str", Param.QUESTIONS, "region=EMEA", ("questions", "str")),
    Case("questions-int", Param.QUESTIONS, 42, ("questions", "int")),
    Case(
        "question-list-value", Param.QUESTIONS, {"region": ["EMEA", "APAC"]}, ("questions", "region", "list")
    ),
    Case(
        "question-dict-value", Param.QUESTIONS, {"region": {"name": "EMEA"}}, ("questions", "region", "dict")
    ),
    Case("question-object-value", Param.QUESTIONS, {"region": object()}, ("questions", "region", "object")),
    Case("question-int-name", Param.QUESTIONS, {1: "EMEA"}, ("questions", "int")),
    Case("question-item-no-name", Param.QUESTIONS, [{"value": "EMEA"}], ("questions",)),
    Case("priority-Urgent", Param.PRIORITY, "Urgent", ("priority", "Urgent")),
    Case("priority-int", Param.PRIORITY, 3, ("priority", "int")),
    Case("poll_interval-0", Param.POLL_INTERVAL, 0, ("poll_interval",)),
    Case("poll_interval-negative", Param.POLL_INTERVAL, -1, ("poll_interval",)),
    Case("poll_interval-nan", Param.POLL_INTERVAL, math.nan, ("poll_interval",)),
    Case("poll_interval-inf", Param.POLL_INTERVAL, math.inf, ("poll_interval",)),
    Case("poll_interval-below-floor", Param.POLL_INTERVAL, 0.01, ("poll_interval",)),
    Case("timeout-0", Param.TIMEOUT, 0, ("timeout",)),
    Case("timeout-negative", Param.TIMEOUT, -5, ("timeout",)),
    Case("timeout-nan", Param.TIMEOUT, math.nan, ("timeout",)),
    Case("timeout-inf", Param.TIMEOUT, math.inf, ("timeout",)),
    Case("extra-timeout-nan", Param.EXTRA_TIMEOUT, "nan", ("extra timeout",)),
    Case("extra-timeout-inf", Param.EXTRA_TIMEOUT, "inf", ("extra timeout",)),
    Case("extra-timeout-0", Param.EXTRA_TIMEOUT, 0, ("extra timeout",)),
    Case("extra-timeout-negative", Param.EXTRA_TIMEOUT, -1, ("extra timeout",)),
    Case("extra-timeout-abc", Param.EXTRA_TIMEOUT, "abc", ("extra timeout",)),
    Case("extra-verify-missing-file", Param.EXTRA_VERIFY, MISSING_CA, ("extra verify", MISSING_CA)),
    Case(
        "extra-proxy-socks",
        Param.EXTRA_PROXY,
        f"socks5://user:{PROXY_PASSWORD}@proxy.example.com:1080",
        ("extra proxy", "socks5://***@proxy.example.com:1080", "SOCKS"),
    ),
    Case(
        "extra-proxy-without-a-scheme",
        Param.EXTRA_PROXY,
        f"user:{PROXY_PASSWORD}@proxy.example.com:3128",
        ("extra proxy", "'***@proxy.example.com:3128'"),
    ),
    Case(
        "extra-proxy-password-with-a-slash",
        Param.EXTRA_PROXY,
        f"http://user:{PROXY_PASSWORD}/x@proxy.example.com:3128",
        ("extra proxy", "http://***@proxy.example.com:3128"),
    ),
    Case("extra-proxy-with-a-path", Param.EXTRA_PROXY, "http://proxy.example.com:3128/pac", ("extra proxy",)),
    Case("extra-proxy-without-a-host", Param.EXTRA_PROXY, "http://:3128", ("extra proxy",)),
    Case(
        "extra-proxy-not-a-url", Param.EXTRA_PROXY, ["http://proxy.example.com:3128"], ("extra proxy", "list")
    ),
]
EXTRAS = (Param.EXTRA_TIMEOUT, Param.EXTRA_VERIFY, Param.EXTRA_PROXY)

SYNC, TRIGGER = "sync", "trigger"
Action = Callable[[Any], object]


def _operator_with(param: Param, value: Any, *, deferrable: bool) -> object:
    """The operator with one spoiled argument (extras are spoiled on the connection instead)."""
    arguments: dict[str, Any] = {
        "workflow_id": REGIONAL,
        "questions": {"region": "EMEA"},
        "deferrable": deferrable,
    }
    if param is Param.WORKFLOW_ID:
        arguments["workflow_id"] = value
    elif param in (Param.QUESTIONS, Param.PRIORITY, Param.POLL_INTERVAL, Param.TIMEOUT):
        arguments[param.value] = value
    return run_operator(**arguments)


def _hook_call(param: Param, value: Any) -> object:
    hook = fast_hook()
    if param is Param.WORKFLOW_ID:
        return hook.run_workflow(value)
    if param is Param.JOB_ID:
        return hook.get_job(value)
    if param is Param.QUESTIONS:
        return hook.run_workflow(REGIONAL, value)
    if param is Param.PRIORITY:
        return hook.run_workflow(REGIONAL, {"region": "EMEA"}, priority=value)
    if param is Param.POLL_INTERVAL:
        return hook.wait_for_job(UNKNOWN_JOB, poll_interval=value)
    return hook.get_job(UNKNOWN_JOB)  # the connection extras are what is wrong


def _trigger(param: Param, value: Any) -> AlteryxJobTrigger:
    if param is Param.JOB_ID:
        return AlteryxJobTrigger(job_id=value, poll_interval=0.1)
    if param is Param.POLL_INTERVAL:
        return AlteryxJobTrigger(job_id=UNKNOWN_JOB, poll_interval=value)
    return AlteryxJobTrigger(job_id=UNKNOWN_JOB, poll_interval=0.1)  # the connection extras are what is wrong


def sync_actions(param: Param) -> list[Action]:
    """The worker-side calls that must refuse the input: the hook method, and the operator or sensor."""
    actions: list[Action] = []
    if param not in (Param.TIMEOUT,):
        actions.append(lambda value: _hook_call(param, value))
    if param is Param.JOB_ID:
        actions.append(lambda value: run_sensor(deferrable=False, job_id=value))
    else:
        actions.append(lambda value: _operator_with(param, value, deferrable=False))
    return actions


def trigger_actions(param: Param) -> list[Callable[[Any], str]]:
    """The deferrable side: the operator or sensor about to defer, and the trigger itself where it sees the input."""
    actions: list[Callable[[Any], str]] = []
    if param is Param.JOB_ID:
        actions.append(
            lambda value: str(
                expect_error(AlteryxInputError, lambda: run_sensor(deferrable=True, job_id=value))
            )
        )
    else:
        actions.append(
            lambda value: str(
                expect_error(AlteryxInputError, lambda: _operator_with(param, value, deferrable=True))
            )
        )
    if param in (Param.JOB_ID, Param.POLL_INTERVAL, *EXTRAS):
        actions.append(lambda value: expect_error_event(lambda: _trigger(param, value)))
    return actions


def _spoil_connection(monkeypatch: pytest.MonkeyPatch, emulator: RunningEmulator, case: Case) -> None:
    if case.param in EXTRAS:
        set_connection(
            monkeypatch, emulator.connection(), extra={case.param.value.removeprefix("extra "): case.value}
        )


@pytest.mark.parametrize("path", [SYNC, TRIGGER])
@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_bad_input_is_refused_before_anything_is_sent(
    secret_emulator: RunningEmulator, monkeypatch: pytest.MonkeyPatch, leaks: LeakCheck, case: Case, path: str
) -> None:
    _spoil_connection(monkeypatch, secret_emulator, case)
    texts: list[str] = []
    if path == SYNC:
        for action in sync_actions(case.param):
            error = expect_error(AlteryxInputError, lambda: action(case.value))  # noqa: B023 - called at once
            texts.append(f"{error!r} {error}")
    else:
        texts.extend(action(case.value) for action in trigger_actions(case.param))
    for text in texts:
        assert_words(text, case.words)
    served = secret_emulator.info()
    assert (served["requestsServed"], served["jobsCreated"]) == (0, 0), (
        f"the Server was asked before the input was refused: {served}"
    )
    assert secret_emulator.jobs() == []
    leaks.assert_clean(*texts, json.dumps(texts), secrets=(PROXY_PASSWORD,))


EXTRA_CASES = [case for case in CASES if case.param in EXTRAS]


@pytest.mark.parametrize("case", EXTRA_CASES, ids=[case.id for case in EXTRA_CASES])
def test_connection_test_reports_bad_extras_without_raising(
    secret_emulator: RunningEmulator, monkeypatch: pytest.MonkeyPatch, leaks: LeakCheck, case: Case
) -> None:
    _spoil_connection(monkeypatch, secret_emulator, case)
    ok, message = fast_hook().test_connection()
    assert not ok, message
    assert_words(message, case.words)
    assert secret_emulator.info()["requestsServed"] == 0
    leaks.assert_clean(message, secrets=(PROXY_PASSWORD,))
