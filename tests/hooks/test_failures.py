"""What a failed connection means: resend, reconcile, or stop at once with a hint."""

from __future__ import annotations

import socket
import ssl

import pytest

from airflow_provider_alteryx.constants import ApiFamily, Received
from airflow_provider_alteryx.hooks.config import ServerConfig
from airflow_provider_alteryx.hooks.failures import connection_failure
from airflow_provider_alteryx.hooks.steps import ApiCall

CALL = ApiCall("POST", "https://alteryx.example.com/webapi/v3/workflows/x/jobs", ApiFamily.V3)
ASSUMED = ServerConfig(
    base_url="https://alteryx.example.com", api_key="k", api_secret="s", scheme_assumed=True
)


def wrapped(cause: BaseException) -> Exception:
    """A library error that wraps ``cause``, as requests and aiohttp do."""
    try:
        raise cause
    except BaseException as inner:
        error = OSError("connection failed")
        error.__cause__ = inner
        return error


@pytest.mark.parametrize(
    ("cause", "connecting", "received", "retryable", "hint"),
    [
        (ConnectionRefusedError(111, "refused"), True, Received.NO, True, "https was assumed"),
        (
            socket.gaierror(socket.EAI_NONAME, "Name or service not known"),
            True,
            Received.NO,
            False,
            "does not exist",
        ),
        (socket.gaierror(socket.EAI_AGAIN, "Temporary failure"), True, Received.NO, True, "for now"),
        (
            ssl.SSLError(1, "[SSL: WRONG_VERSION_NUMBER] wrong version number"),
            True,
            Received.NO,
            False,
            "https was assumed",
        ),
        (TimeoutError("timed out"), True, Received.NO, True, "Nothing answered"),
        (ConnectionResetError(104, "reset by peer"), False, Received.MAYBE, True, ""),
        (TimeoutError("read timed out"), False, Received.MAYBE, True, ""),
    ],
)
def test_failures_are_classified(
    cause: BaseException, connecting: bool, received: Received, retryable: bool, hint: str
) -> None:
    error = connection_failure(CALL, ASSUMED, wrapped(cause), connecting=connecting)
    assert (error.received, error.retryable) == (received, retryable)
    assert hint in str(error)
