"""What a failed connection means, for both drivers: retry or not, and whether the Server may have the request.

Each driver says only whether the failure happened while connecting (its library's own exception
types tell); the rest is read from the chain of causes, which ``requests`` and ``aiohttp`` both keep.
"""

from __future__ import annotations

import re
import socket
import ssl
from collections.abc import Iterator

from airflow_provider_alteryx.constants import Received
from airflow_provider_alteryx.exceptions import AlteryxConnectionError
from airflow_provider_alteryx.hooks.config import ServerConfig, shown_proxy
from airflow_provider_alteryx.hooks.steps import ApiCall
from airflow_provider_alteryx.utils.scrub import scrub

# getaddrinfo's answers for a name that does not exist (as opposed to a resolver that failed for now).
_NO_SUCH_NAME = {socket.EAI_NONAME, getattr(socket, "EAI_NODATA", socket.EAI_NONAME)}
PROXY_AUTHENTICATION_REQUIRED = 407
# How urllib3 reports a proxy that answered CONNECT with an error status.
_TUNNEL_REFUSED = re.compile(r"Tunnel connection failed: (\d{3})")


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
    refusal = _proxy_refusal(causes) if proxy is not None else None
    if proxy is not None and refusal == PROXY_AUTHENTICATION_REQUIRED:
        hint = (
            f"The proxy {shown_proxy(proxy)} asks for credentials (407) to connect to the Server: put them in its "
            "URL (http://user:password@proxy.example.com:3128), in the connection extra proxy or in HTTPS_PROXY."
        )
        received, retryable = Received.NO, False
    elif proxy is not None:
        refused_by = f" (it answered {refusal})" if refusal is not None else ""
        hint = (
            f"The proxy {shown_proxy(proxy)} could not be reached or would not connect to the Server{refused_by}: "
            "check the connection extra proxy, or HTTPS_PROXY, HTTP_PROXY and NO_PROXY."
        )
        # A proxy that refuses the Server's address (4xx) will refuse it again; one that is down may come back.
        received, retryable = Received.NO, refusal is None or refusal >= 500
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
    # Scrubbed before it is cut, so a cut cannot leave part of a secret (aiohttp's proxy errors quote the proxy's
    # URL with its user and password).
    reason = scrub(" ".join(str(error).split()))[:200] or "no answer"
    return AlteryxConnectionError(
        f"Could not get an answer from Alteryx Server for {call.method} {call.url} ({call.family}): {type(error).__name__}: {reason}. {hint}".rstrip(),
        received=received,
        retryable=retryable,
        family=call.family,
    )


def _proxy_refusal(causes: list[BaseException]) -> int | None:
    """The status a proxy answered the tunnel to the Server with (aiohttp keeps it on its error, urllib3 in its
    text), or None when the proxy gave none (it could not be reached)."""
    for cause in causes:
        status = getattr(cause, "status", None)
        if isinstance(status, int) and type(cause).__name__ == "ClientHttpProxyError":
            return status
        found = _TUNNEL_REFUSED.search(str(cause))
        if found:
            return int(found.group(1))
    return None


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
