"""A misbehaving Server's answers, on the sync path and the trigger path, against the fake Server.

Every case must end in one ``AlteryxError`` subclass (or one ``error`` event) naming the endpoint and
what was wrong, without retrying what another try cannot cure, without following a redirect with
credentials, and without a secret (the connection password, or a token the fake issued) anywhere.
"""

from __future__ import annotations

import json
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest

from airflow_provider_alteryx.constants import Received
from airflow_provider_alteryx.exceptions import (
    AlteryxApiError,
    AlteryxAuthenticationError,
    AlteryxConnectionError,
    AlteryxError,
    AlteryxProtocolError,
)
from airflow_provider_alteryx.hooks import api
from airflow_provider_alteryx.triggers.alteryx import AlteryxJobTrigger
from tests.bad_input.conftest import (
    RETRY_LIMIT,
    SECRET,
    LeakCheck,
    assert_words,
    expect_error,
    expect_error_event,
    fast_hook,
    run_sensor,
    set_connection,
)
from tests.bad_input.fake_server import (
    FAKE_API_KEY,
    JOB_ID,
    WORKFLOW_ID,
    FakeServer,
    Handler,
    Route,
    answer,
    echo_request,
    job_json,
    json_answer,
    redirect,
    trickle,
)

JOB_PATH = f"/webapi/v3/jobs/{JOB_ID}"
TOKEN_PATH = "/webapi/oauth2/token"
SSO_PAGE = (
    "<!DOCTYPE html><html><head><title>Sign in to your account</title></head><body>"
    '<form method="post" action="https://login.microsoftonline.com/common/oauth2/authorize">'
    '<input type="hidden" name="ctx" value="rQQIARAA"/></form></body></html>'
)
FIFTY_MB = 50 * 1024 * 1024
NO_SUCH_HOST = "alteryx-bad-input.invalid"  # RFC 6761: .invalid names never resolve
POLL = 0.1
# Polls of a status never seen before the provider gives up (the interface's constant; 20 if not there yet).
UNKNOWN_STATUS_POLLS = int(getattr(api, "UNKNOWN_STATUS_LIMIT", 20))
# How long a wait may last before the test stops it (a safety net, so that a failing case does not hang the suite).
WAIT_GUARD = 3 * UNKNOWN_STATUS_POLLS * POLL + 10
# The interface's words for an unusable answer: what was expected, and what was found instead.
PROTOCOL_WORDS = ("expected", "found")

# What each path calls: the sync hook (a single read, or a wait) and the trigger waiting for the job.
GET_JOB, WAIT_FOR_JOB, TEST_CONNECTION, TRIGGER = (
    "hook.get_job",
    "hook.wait_for_job",
    "hook.test_connection",
    "trigger",
)
SENSOR_POKE = "sensor.poke"
JOB_PATHS = (GET_JOB, WAIT_FOR_JOB, SENSOR_POKE, TRIGGER)
TOKEN_PATHS = (GET_JOB, TEST_CONNECTION, TRIGGER)


@dataclass(frozen=True)
class Case:
    """One misbehaviour: the route it affects, its answer, the expected error and the key words of its message.

    :param answer: the route's answer; None with ``redirect_status``: a redirect to the same path on another host.
    :param tries: how many requests the route may receive per path: 1 for what another try cannot cure.
    """

    id: str
    route: Route
    answer: Handler | None
    error: type[AlteryxError] | tuple[type[AlteryxError], ...]
    words: tuple[str, ...]
    paths: tuple[str, ...]
    tries: int | None = 1
    redirect_status: int = 0


CASES = [
    Case(
        "job-200-html-sso-page",
        Route.JOB,
        answer(SSO_PAGE, content_type="text/html"),
        AlteryxProtocolError,
        (*PROTOCOL_WORDS, JOB_ID),
        JOB_PATHS,
    ),
    Case(
        "job-200-plain-text",
        Route.JOB,
        answer("OK", content_type="text/plain"),
        AlteryxProtocolError,
        (*PROTOCOL_WORDS, JOB_ID),
        JOB_PATHS,
    ),
    Case(
        "job-200-truncated-json",
        Route.JOB,
        answer('{"id": "89abcdef01234567', content_type="application/json"),
        AlteryxProtocolError,
        (*PROTOCOL_WORDS, JOB_ID),
        JOB_PATHS,
    ),
    Case(
        "job-200-list-not-object",
        Route.JOB,
        json_answer([job_json()]),
        AlteryxProtocolError,
        (*PROTOCOL_WORDS, JOB_ID),
        JOB_PATHS,
    ),
    Case(
        "job-200-without-id",
        Route.JOB,
        json_answer(job_json(id=None)),
        AlteryxProtocolError,
        (*PROTOCOL_WORDS, JOB_ID, "id"),
        JOB_PATHS,
    ),
    Case(
        "job-200-without-status",
        Route.JOB,
        json_answer(job_json(status=None)),
        AlteryxProtocolError,
        (*PROTOCOL_WORDS, JOB_ID, "status"),
        JOB_PATHS,
    ),
    Case(
        "job-200-empty-body",
        Route.JOB,
        answer(b""),
        AlteryxProtocolError,
        (*PROTOCOL_WORDS, JOB_ID),
        JOB_PATHS,
    ),
    Case(
        "job-200-50MB",
        Route.JOB,
        json_answer(job_json(padding="x" * FIFTY_MB)),
        AlteryxProtocolError,
        (*PROTOCOL_WORDS, JOB_ID),
        JOB_PATHS,
    ),
    Case(
        "job-status-never-seen",
        Route.JOB,
        json_answer(job_json(status="Exploding", disposition=None)),
        AlteryxProtocolError,
        ("Exploding", "status"),
        (WAIT_FOR_JOB, TRIGGER),
        tries=None,
    ),
    Case(
        "job-200-outputs-not-a-list",
        Route.JOB,
        json_answer(job_json(outputs="sales.csv")),
        AlteryxProtocolError,
        (*PROTOCOL_WORDS, JOB_ID),
        JOB_PATHS,
    ),
    Case(
        "job-200-message-level-not-a-number",
        Route.JOB,
        json_answer(job_json(messages=[{"status": "high", "text": "Done"}])),
        AlteryxProtocolError,
        (*PROTOCOL_WORDS, JOB_ID),
        JOB_PATHS,
    ),
    Case(
        "job-500-echoes-the-token",
        Route.JOB,
        echo_request(status=500),
        AlteryxApiError,
        ("500", JOB_ID),
        JOB_PATHS,
        tries=RETRY_LIMIT,
    ),
    Case(
        "job-400-echoes-the-token",
        Route.JOB,
        echo_request(status=400),
        AlteryxApiError,
        ("400", JOB_ID),
        JOB_PATHS,
    ),
    Case(
        "job-200-id-is-a-path",
        Route.JOB,
        json_answer(job_json(job_id="../../../etc/passwd")),
        AlteryxProtocolError,
        (*PROTOCOL_WORDS, JOB_ID, "not an Alteryx Server id"),
        JOB_PATHS,
    ),
    Case(
        "job-200-output-id-is-a-query",
        Route.JOB,
        json_answer(
            job_json(outputs=[{"id": "x?format=Raw&", "availableFormats": ["Csv"], "fileName": "a.csv"}])
        ),
        AlteryxProtocolError,
        (*PROTOCOL_WORDS, JOB_ID, "an output's id"),
        JOB_PATHS,
    ),
    Case(
        "job-503-retry-after-nan",
        Route.JOB,
        answer('{"message": "busy"}', status=503, headers={"Retry-After": "nan"}),
        AlteryxApiError,
        ("503", JOB_ID, "busy"),
        JOB_PATHS,
        tries=RETRY_LIMIT,
    ),
    Case(
        "job-301-to-another-host",
        Route.JOB,
        None,
        AlteryxApiError,
        ("redirect",),
        JOB_PATHS,
        redirect_status=301,
    ),
    Case(
        "token-200-without-access_token",
        Route.TOKEN,
        json_answer({"token_type": "bearer", "expires_in": 3600}),
        (AlteryxAuthenticationError, AlteryxProtocolError),
        ("access_token", "oauth2/token"),
        TOKEN_PATHS,
    ),
    Case(
        "token-200-html-sso-page",
        Route.TOKEN,
        answer(SSO_PAGE, content_type="text/html"),
        (AlteryxAuthenticationError, AlteryxProtocolError),
        (*PROTOCOL_WORDS, "oauth2/token"),
        TOKEN_PATHS,
    ),
    Case(
        "token-200-expires_in-not-a-number",
        Route.TOKEN,
        json_answer({"access_token": "fake-token-odd", "token_type": "bearer", "expires_in": "soon"}),
        (AlteryxAuthenticationError, AlteryxProtocolError),
        ("expires_in", "oauth2/token"),
        TOKEN_PATHS,
    ),
    Case(
        "token-200-with-a-line-break",
        Route.TOKEN,
        json_answer(
            {"access_token": "fake-token\r\nX-Injected: yes", "token_type": "bearer", "expires_in": 3600}
        ),
        AlteryxProtocolError,
        (*PROTOCOL_WORDS, "access_token", "oauth2/token"),
        TOKEN_PATHS,
    ),
    Case(
        "token-400-echoes-the-form",
        Route.TOKEN,
        echo_request(status=400),
        AlteryxAuthenticationError,
        ("400", "oauth2/token"),
        TOKEN_PATHS,
    ),
    Case(
        "token-307-to-another-host",
        Route.TOKEN,
        None,
        AlteryxApiError,
        ("redirect",),
        TOKEN_PATHS,
        redirect_status=307,
    ),
    Case(
        "token-308-to-another-host",
        Route.TOKEN,
        None,
        AlteryxApiError,
        ("redirect",),
        TOKEN_PATHS,
        redirect_status=308,
    ),
    Case(
        "workflows-200-html-sso-page",
        Route.WORKFLOWS,
        answer(SSO_PAGE, content_type="text/html"),
        AlteryxProtocolError,
        (*PROTOCOL_WORDS, "workflows"),
        (TEST_CONNECTION,),
    ),
    Case(
        "workflows-200-item-without-id",
        Route.WORKFLOWS,
        json_answer([{"name": "Fake"}]),
        AlteryxProtocolError,
        (*PROTOCOL_WORDS, "workflows"),
        (TEST_CONNECTION,),
    ),
    Case(
        "workflows-200-object-not-list",
        Route.WORKFLOWS,
        json_answer({"id": WORKFLOW_ID}),
        AlteryxProtocolError,
        (*PROTOCOL_WORDS, "workflows"),
        (TEST_CONNECTION,),
    ),
]
ROWS = [pytest.param(case, path, id=f"{case.id}-{path}") for case in CASES for path in case.paths]


def _sync(case: Case, path: str) -> str:
    """Run the sync path, check the error's type, and return its text."""
    hook = fast_hook()
    if path == TEST_CONNECTION:
        ok, message = hook.test_connection()
        assert not ok, f"test_connection() reported success: {message}"
        return message
    if path == WAIT_FOR_JOB:
        return _text(
            expect_error(
                case.error, lambda: hook.wait_for_job(JOB_ID, poll_interval=POLL, timeout=WAIT_GUARD)
            )
        )
    if path == SENSOR_POKE:
        return _text(expect_error(case.error, lambda: run_sensor(deferrable=False, job_id=JOB_ID)))
    return _text(expect_error(case.error, lambda: hook.get_job(JOB_ID)))


def _text(error: BaseException) -> str:
    return f"{error!r} {error}"


def _route_suffix(route: Route) -> str:
    return {Route.JOB: JOB_PATH, Route.TOKEN: TOKEN_PATH, Route.WORKFLOWS: "/webapi/v3/workflows"}[route]


@pytest.mark.parametrize(("case", "path"), ROWS)
def test_misbehaving_server_gives_one_clear_error(
    fake: FakeServer, other_host: FakeServer, leaks: LeakCheck, case: Case, path: str
) -> None:
    suffix = _route_suffix(case.route)
    fake.behave(case.route, case.answer or redirect(f"{other_host.url}{suffix}", status=case.redirect_status))
    if path == TRIGGER:
        text = expect_error_event(
            lambda: AlteryxJobTrigger(job_id=JOB_ID, poll_interval=POLL, deadline=time.time() + WAIT_GUARD)
        )
    else:
        text = _sync(case, path)
    assert_words(text, case.words)
    if case.redirect_status:
        assert_words(text, (other_host.url.removeprefix("http://"),))
        sent_away = "\n".join(request.text() for request in other_host.received)
        assert not [needle for needle in (SECRET, *fake.tokens) if needle in sent_away], (
            "credentials were sent to another host"
        )
        assert other_host.received == [], f"a redirect was followed to another host: {other_host.received}"
    if case.tries is not None:
        tries = len(fake.requests_to(suffix))
        sent = [f"{request.method} {request.path_qs}" for request in fake.received]
        assert tries <= case.tries, (
            f"{tries} requests to {case.route} for an answer another try cannot cure; all requests: {sent}"
        )
    if case.id == "job-status-never-seen":
        assert leaks.warned("Exploding"), (
            "a status never seen must be logged as a warning while it is tolerated"
        )
    assert not [r for r in fake.requests_to(f"/workflows/{WORKFLOW_ID}/jobs") if r.method == "POST"], (
        "a job was created"
    )
    leaks.assert_clean(text, secrets=tuple(fake.tokens))


class TestConnectionFaults:
    """No usable answer at all: refused, a TLS handshake with a plain-HTTP Server, a name that does not resolve, a trickle."""

    @pytest.mark.parametrize("path", [GET_JOB, TEST_CONNECTION, TRIGGER])
    def test_unreachable_port_is_refused_fast_and_not_received(
        self, monkeypatch: pytest.MonkeyPatch, leaks: LeakCheck, path: str
    ) -> None:
        url = f"http://127.0.0.1:{_closed_port()}"
        set_connection(monkeypatch, _connection_json(url))
        text = self._fail(path, AlteryxConnectionError, check=lambda error: error.received is Received.NO)
        assert_words(text, (url.removeprefix("http://"),))
        leaks.assert_clean(text)

    @pytest.mark.parametrize("path", [GET_JOB, TEST_CONNECTION, TRIGGER])
    def test_host_without_scheme_hints_that_https_was_assumed(
        self, fake: FakeServer, monkeypatch: pytest.MonkeyPatch, leaks: LeakCheck, path: str
    ) -> None:
        port = int(fake.url.rsplit(":", 1)[1])
        set_connection(monkeypatch, fake.connection(), host="127.0.0.1", port=port)
        text = self._fail(path, AlteryxConnectionError, check=lambda error: error.retryable is False)
        assert_words(text, ("https was assumed",))
        assert not leaks.retried(), "a TLS failure is not transient, yet it was retried"
        leaks.assert_clean(text)

    @pytest.mark.parametrize("path", [GET_JOB, TEST_CONNECTION, TRIGGER])
    def test_host_that_does_not_exist_fails_fast(
        self, monkeypatch: pytest.MonkeyPatch, leaks: LeakCheck, path: str
    ) -> None:
        set_connection(monkeypatch, _connection_json(f"https://{NO_SUCH_HOST}"))
        text = self._fail(
            path,
            AlteryxConnectionError,
            check=lambda error: error.retryable is False and error.received is Received.NO,
        )
        assert_words(text, (NO_SUCH_HOST,))
        assert not leaks.retried(), (
            "a name that does not exist will not exist on the next try either, yet it was retried"
        )
        leaks.assert_clean(text)

    @pytest.mark.parametrize("path", [GET_JOB, TRIGGER])
    def test_trickled_answer_fails_within_the_connection_timeout(
        self, fake: FakeServer, monkeypatch: pytest.MonkeyPatch, leaks: LeakCheck, path: str
    ) -> None:
        timeout = 1.0
        set_connection(monkeypatch, fake.connection(), extra={"timeout": timeout})
        fake.behave(Route.JOB, trickle(job_json(), seconds=10.0))
        started = time.monotonic()
        text = self._fail(path, AlteryxConnectionError)
        elapsed = time.monotonic() - started
        # The deadline is per answer (connect + whole body), so RETRY_LIMIT tries cost about RETRY_LIMIT * timeout;
        # a per-read timeout would wait for the whole 10 s trickle on every try.
        assert elapsed < 3 * RETRY_LIMIT * timeout, (
            f"took {elapsed:.1f} s with extra timeout {timeout} s and {RETRY_LIMIT} tries"
        )
        leaks.assert_clean(text, secrets=tuple(fake.tokens))

    @staticmethod
    def _fail(path: str, error_type: type[AlteryxError], check: Callable[[Any], bool] | None = None) -> str:
        if path == TRIGGER:
            return expect_error_event(
                lambda: AlteryxJobTrigger(
                    job_id=JOB_ID, poll_interval=POLL, deadline=time.time() + WAIT_GUARD
                )
            )
        if path == TEST_CONNECTION:
            ok, message = fast_hook().test_connection()
            assert not ok, message
            return message
        error = expect_error(error_type, lambda: fast_hook().get_job(JOB_ID))
        if check is not None:
            assert check(error), f"unexpected attributes on {error!r}: {vars(error)}"
        return _text(error)


def _closed_port() -> int:
    """A port nothing listens on: bound by the OS, then released."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _connection_json(url: str) -> str:
    return json.dumps(
        {
            "conn_type": "alteryx",
            "host": url,
            "login": FAKE_API_KEY,
            "password": SECRET,
            "extra": {"auth_type": "oauth2"},
        }
    )
