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


PROXY = "http://proxyuser:pw-secret@proxy.example.com:3128"


def aiohttp_proxy_refusal(status: int) -> Exception:
    """What aiohttp raises when the proxy answers CONNECT with ``status``: its text quotes the proxy's URL."""
    import aiohttp
    from yarl import URL

    return aiohttp.ClientHttpProxyError(
        aiohttp.RequestInfo(URL(PROXY), "CONNECT", {}, URL(PROXY)),  # type: ignore[arg-type]
        (),
        status=status,
        message="refused",
    )


@pytest.mark.parametrize(
    ("error", "retryable", "hint"),
    [
        (aiohttp_proxy_refusal(407), False, "asks for credentials (407)"),
        (wrapped(OSError("Tunnel connection failed: 407 Proxy Authentication Required")), False, "(407)"),
        (aiohttp_proxy_refusal(403), False, "(it answered 403)"),
        (aiohttp_proxy_refusal(502), True, "(it answered 502)"),
        (wrapped(ConnectionRefusedError(111, "refused")), True, "could not be reached"),
    ],
)
def test_a_proxy_that_refuses_the_tunnel_says_why_and_never_shows_its_password(
    error: Exception, retryable: bool, hint: str
) -> None:
    failure = connection_failure(CALL, ASSUMED, error, connecting=True, proxy=PROXY)
    assert (failure.received, failure.retryable) == (Received.NO, retryable)
    assert hint in str(failure) and "proxy.example.com:3128" in str(failure)
    assert "pw-secret" not in str(failure) and "proxyuser" not in str(failure)
