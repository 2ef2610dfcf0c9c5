"""Reading the Server's answers, for both drivers: a body within its limits, then a value or the error it maps to.

:func:`read_answer` is the one place an HTTP status and body become a decoded answer or an
:class:`~airflow_provider_alteryx.exceptions.AlteryxError`; :func:`error_from_response` chooses the error
and its hint. Every Server text an error quotes passes through
:func:`~airflow_provider_alteryx.utils.server_text.display`.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable, Mapping
from typing import Any

from airflow_provider_alteryx.constants import ApiFamily
from airflow_provider_alteryx.exceptions import (
    AlteryxApiError,
    AlteryxAuthenticationError,
    AlteryxBadRequestError,
    AlteryxNotFoundError,
    AlteryxPermissionError,
    AlteryxProtocolError,
)
from airflow_provider_alteryx.hooks.steps import ApiCall
from airflow_provider_alteryx.utils.scrub import scrub
from airflow_provider_alteryx.utils.server_text import display, quoted

# How much of an unusable answer an error quotes: enough to recognise it, too little to flood a log.
EXCERPT_CHARS = 200
_OAUTH2_KEYS_HINT = (
    "OAuth 2.0 needs the API Access Key and Secret from My Profile > Keys in the Gallery (shown only after an "
    "admin sets API Access = Yes for the user; the Private Studio key does not work)."
)
_PERMISSION_HINT = (
    "The key's user lacks the permission this request needs: to run a workflow or read its questions, the "
    "workflow must be shared for execution with that user (its sharing settings in the Gallery) or the user (an "
    "Artisan) be in the workflow's studio or collection; a Curator's key may run any workflow."
)
_OAUTH1_KEYS_HINT = (
    "OAuth 1.0a needs the Private Studio API key and secret from My Profile > Keys; the signature is also "
    "rejected when the connection's scheme, host or port differ from the Gallery's Base Address."
)


def unusable_answer(
    call: ApiCall, expected: str, found: str, *, status: int | None = None, body: bytes = b""
) -> AlteryxProtocolError:
    """The error for an answer to ``call`` that the provider cannot use, saying what was expected."""
    http = f", HTTP {status}" if status is not None else ""
    return unusable(f"{call.method} {call.url} ({call.family}{http})", expected, found, body)


def unusable(where: str, expected: str, found: str, body: bytes = b"") -> AlteryxProtocolError:
    """The error for an answer the provider cannot use: where it came from, what was expected and what came."""
    began = f"; the answer began {excerpt(body)}" if body else ""
    return AlteryxProtocolError(
        f"Alteryx Server's answer to {where} is unusable: expected {expected}, found {found}{began}. "
        "Check that the connection's host and webapi_path point at the Server itself, not at a login page or proxy."
    )


class BodyReader:
    """Collects an answer's body for a driver, within the call's size limit and the connection's time limit.

    The time limit counts from the answer's first bytes, so a Server trickling an answer cannot hold a
    call for longer than the connection's ``timeout`` (socket timeouts alone count per read).

    :param timeout: seconds the whole body may take.
    :param clock: the transport's monotonic clock, on which every deadline is read.
    """

    CHUNK_BYTES = 64 * 1024

    def __init__(
        self, call: ApiCall, headers: Mapping[str, str], timeout: float, clock: Callable[[], float]
    ) -> None:
        self.call = call
        self.clock = clock
        self.deadline = clock() + timeout
        self.timeout = timeout
        self.limit = call.max_bytes
        self.parts: list[bytes] = []
        self.size = 0
        self.sink = call.sink
        if self.sink is not None:  # a retry starts the file again
            self.sink.seek(0)
            self.sink.truncate()
        declared = str(headers.get("Content-Length", ""))
        if declared.isdigit() and int(declared) > self.limit:
            raise self._too_large(f"Content-Length {declared}")

    def add(self, chunk: bytes) -> None:
        """Take the next chunk.

        :raises AlteryxProtocolError: the body grew past the limit.
        :raises TimeoutError: the body took longer than the timeout (the driver reports it as a connection failure).
        """
        self.size += len(chunk)
        if self.size > self.limit:
            raise self._too_large(f"more than {self.limit} bytes")
        if (
            self.sink is None and self.clock() > self.deadline
        ):  # a streamed download may take as long as it needs
            raise TimeoutError(
                f"the answer's body took longer than the connection's timeout of {self.timeout:g} s"
            )
        if self.sink is not None:
            self.sink.write(chunk)
        else:
            self.parts.append(chunk)

    def whole(self) -> bytes:
        """The body read (empty when it was streamed into the call's sink)."""
        return b"".join(self.parts)

    def _too_large(self, found: str) -> AlteryxProtocolError:
        return unusable_answer(self.call, f"an answer of at most {self.limit} bytes", found)


def read_answer(call: ApiCall, status: int, headers: Mapping[str, str], body: bytes) -> Any:
    """Decode a 2xx answer as the call expects, or raise the error a non-2xx answer maps to.

    :raises AlteryxApiError: a non-2xx answer (a redirect included: drivers never follow one).
    :raises AlteryxProtocolError: a 2xx answer that is not the JSON the call expects.
    """
    if not 200 <= status < 300:
        raise error_from_response(call, status, headers, body)
    if call.expect == "bytes":
        return body
    try:
        text = body.decode("utf-8-sig")  # some Servers start JSON with a byte order mark
        return json.loads(text) if text.strip() else None
    except ValueError:
        content_type = headers.get("Content-Type", "no content type").split(";")[0]
        raise unusable_answer(
            call,
            "JSON",
            f"{len(body)} bytes of {content_type} that is not valid JSON",
            status=status,
            body=body,
        ) from None


def error_from_response(
    call: ApiCall, status: int, headers: Mapping[str, str], body: bytes
) -> AlteryxApiError:
    """Map a non-2xx answer to the matching exception, with the Server's message and a hint where one helps.

    The text names the call by method and URL without its query string (which never carries a secret:
    OAuth 1.0a parameters travel in the ``Authorization`` header).
    """
    payload = _json_or_none(body)
    server_message, model_state = (
        _server_message(payload) if payload is not None else (_summarise_non_json(headers, body), {})
    )
    if 300 <= status < 400:
        server_message = f"a redirect to {_origin(headers.get('Location', ''))}"
    text = f"Alteryx Server answered {status} to {call.method} {call.url} ({call.family}): {server_message}"
    hint = _hint(status, call.family, headers)
    if hint:
        text = f"{text} {hint}"
    kwargs: dict[str, Any] = {
        "status": status,
        "server_message": server_message,
        "model_state": model_state,
        "retry_after": _retry_after(headers),
        "family": call.family,
    }
    if status == 401 or (status == 400 and call.family is ApiFamily.TOKEN):
        return AlteryxAuthenticationError(text, **kwargs)
    if status == 403:
        return AlteryxPermissionError(text, **kwargs)
    if status == 404:
        return AlteryxNotFoundError(text, **kwargs)
    if status == 400:
        return AlteryxBadRequestError(text, **kwargs)
    return AlteryxApiError(text, **kwargs)


def _hint(status: int, family: ApiFamily, headers: Mapping[str, str]) -> str:
    if 300 <= status < 400:
        return (
            "Redirects are not followed, because the request carries credentials that must not reach another address. "
            f"Set the connection's host to the Server's real address ({_origin(headers.get('Location', ''))}, if that is the Server)."
        )
    if status == 405 and family is ApiFamily.LEGACY:
        return (
            "This Server no longer serves the legacy API that OAuth 1.0a uses (removed in Server 2022.1): "
            'set the connection extra "auth_type" to "oauth2" and use the API Access Key and Secret.'
        )
    if status == 401 or (status == 400 and family is ApiFamily.TOKEN):
        return f"Check the connection's API key (login) and secret (password). {_OAUTH1_KEYS_HINT if family is ApiFamily.LEGACY else _OAUTH2_KEYS_HINT}"
    if status == 403:
        return _PERMISSION_HINT
    if status == 407:
        return (
            "A proxy on the way to the Server asks for credentials: put them in its URL, in the connection extra "
            "proxy (http://user:password@proxy.example.com:3128) or in HTTPS_PROXY or HTTP_PROXY."
        )
    if status == 404 and family is ApiFamily.TOKEN:
        return (
            'This Server has no OAuth 2.0 token endpoint (it arrived in 2021.4): set the connection extra "auth_type" '
            'to "oauth1" for older Servers, or correct "webapi_path" if the Web API address differs.'
        )
    return ""


def _origin(url: str) -> str:
    """Scheme, host and port of a URL: where a redirect points, without a path or query that might carry anything."""
    match = re.match(r"^([a-z][a-z0-9+.-]*://[^/?#]*)", url.strip(), re.IGNORECASE)
    if match:
        return display(match.group(1), EXCERPT_CHARS)
    return "a relative address" if url else "an address the Server did not give"


def excerpt(body: bytes) -> str:
    """A short, one-line, secret-free quote of an answer body, for errors about answers the provider cannot use."""
    text = " ".join(body[: EXCERPT_CHARS * 4].decode("utf-8", errors="replace").split())
    return quoted(scrub(text)[:EXCERPT_CHARS]) if text else "an empty body"


def _json_or_none(body: bytes) -> Any:
    try:
        return json.loads(body.decode("utf-8-sig")) if body.strip() else None
    except ValueError:
        return None


def _server_message(payload: Any) -> tuple[str, dict[str, list[str]]]:
    if not isinstance(payload, dict):
        return display(payload, EXCERPT_CHARS), {}
    model_state = payload.get("modelState") or payload.get("ModelState") or {}
    if not isinstance(model_state, dict):
        model_state = {}
    model_state = {
        str(k): [str(m) for m in (v if isinstance(v, list) else [v])] for k, v in model_state.items()
    }
    message = (
        payload.get("message")
        or payload.get("Message")
        or payload.get("error_description")
        or payload.get("error")
        or ""
    )
    details = "; ".join(m for messages in model_state.values() for m in messages)
    summary = " ".join(part for part in (str(message), details) if part) or json.dumps(payload)
    return display(summary), model_state


def _summarise_non_json(headers: Mapping[str, str], body: bytes) -> str:
    """A one-line account of an HTML or text answer, instead of dumping a whole page into the log."""
    text = body.decode("utf-8", errors="replace")
    content_type = headers.get("Content-Type", "unknown content type").split(";")[0]
    title = re.search(r"<title>(.*?)</title>", text, re.IGNORECASE | re.DOTALL)
    summary = title.group(1) if title else re.sub(r"<[^>]+>", " ", text)
    summary = display(" ".join(summary.split()), EXCERPT_CHARS) or "empty body"
    return f"a non-JSON answer ({content_type}, {len(body)} bytes): {summary}"


def _retry_after(headers: Mapping[str, str]) -> float | None:
    """Seconds the Server asked to wait, if it gave a finite number (a date, "nan" or "inf" count as not given)."""
    value = headers.get("Retry-After")
    try:
        seconds = float(value) if value is not None else math.nan
    except ValueError:
        return None
    return max(seconds, 0.0) if math.isfinite(seconds) else None
