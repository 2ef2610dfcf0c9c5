"""What a failed connection means, for both drivers: retry or not, and whether the Server may have the request.

Each driver says only whether the failure happened while connecting (its library's own exception
types tell); the rest is read from the chain of causes, which ``requests`` and ``aiohttp`` both keep.
"""

from __future__ import annotations

import socket
import ssl
from collections.abc import Iterator

from airflow_provider_alteryx.constants import Received
from airflow_provider_alteryx.exceptions import AlteryxConnectionError
from airflow_provider_alteryx.hooks.config import ServerConfig, shown_proxy
from airflow_provider_alteryx.hooks.steps import ApiCall

# getaddrinfo's answers for a name that does not exist (as opposed to a resolver that failed for now).
_NO_SUCH_NAME = {socket.EAI_NONAME, getattr(socket, "EAI_NODATA", socket.EAI_NONAME)}


def connection_failure(
    call: ApiCall, config: ServerConfig, error: BaseException, *, connecting: bool, proxy: str | None = None
) -> AlteryxConnectionError:
    """The error for a request that got no usable answer.

    :param connecting: the failure happened before the request was sent (connect timeout, refused,
        DNS, TLS handshake): the Server surely did not receive it.
    :param proxy: the proxy the request could not get through, when the failure is the proxy's (the driver's
        library tells): the request never reached the Server.
    """
    causes = list(_causes(error))
    tls = next((c for c in causes if isinstance(c, (ssl.SSLError, ssl.CertificateError))), None)
    dns = next((c for c in causes if isinstance(c, socket.gaierror)), None)
    refused = any(isinstance(c, ConnectionRefusedError) for c in causes)
    if proxy is not None:
        hint = (
            f"The proxy {shown_proxy(proxy)} could not be reached or would not connect to the Server: check the "
            "connection extra proxy, or HTTPS_PROXY, HTTP_PROXY and NO_PROXY."
        )
        received, retryable = Received.NO, True
    elif tls is not None:
        hint = "TLS failed: check the Server's certificate, or set the connection extra verify to the CA bundle (PEM) that signed it."
        received, retryable = Received.NO, False
    elif dns is not None:
        missing = dns.errno in _NO_SUCH_NAME
        hint = (
            "The host name does not exist: check the connection's host."
            if missing
            else "The host name could not be resolved for now."
        )
        received, retryable = Received.NO, not missing
    elif refused or connecting:
        hint = "Nothing answered at that address: check the connection's host and port, and that the Server is up."
        received, retryable = Received.NO, True
    else:
        hint = ""
        received, retryable = Received.MAYBE, True
    if config.scheme_assumed and (tls is not None or refused):
        hint += f" https was assumed because the host has no scheme; if the Server is served over plain http, write http:// in the host ({config.base_url})."
    reason = " ".join(str(error).split())[:200] or "no answer"
    return AlteryxConnectionError(
        f"Could not get an answer from Alteryx Server for {call.method} {call.url} ({call.family}): {type(error).__name__}: {reason}. {hint}".rstrip(),
        received=received,
        retryable=retryable,
        family=call.family,
    )


def _causes(error: BaseException) -> Iterator[BaseException]:
    """``error`` and everything it wraps: ``__cause__``/``__context__``, urllib3's ``reason``, aiohttp's ``os_error``."""
    seen: set[int] = set()
    pending = [error]
    while pending:
        current = pending.pop()
        if id(current) in seen:
            continue
        seen.add(id(current))
        yield current
        linked = [
            current.__cause__,
            current.__context__,
            getattr(current, "reason", None),
            getattr(current, "os_error", None),
        ]
        linked += [arg for arg in current.args if isinstance(arg, BaseException)]
        pending += [e for e in linked if isinstance(e, BaseException)]
