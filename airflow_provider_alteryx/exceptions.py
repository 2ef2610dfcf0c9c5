"""Errors raised by the Alteryx provider, and the one place that turns a Server answer into one of them."""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from airflow.providers.common.compat.sdk import AirflowException

from airflow_provider_alteryx.constants import ApiFamily, Received
from airflow_provider_alteryx.utils.scrub import scrub
from airflow_provider_alteryx.utils.server_text import WORD_LIMIT, display, quoted

if TYPE_CHECKING:
    from airflow_provider_alteryx.hooks.api import ApiCall
    from airflow_provider_alteryx.models import AlteryxJob

# Statuses worth another try. 429 and 503 say the Server refused the request before acting on it;
# 408, 500, 502 and 504 say nothing about whether it acted (see :class:`Received`).
RETRYABLE_STATUSES = frozenset({408, 429, 500, 502, 503, 504})
NOT_RECEIVED_STATUSES = frozenset({429, 503})
# How much of an unusable answer an error quotes: enough to recognise it, too little to flood a log.
EXCERPT_CHARS = 200
_OAUTH2_KEYS_HINT = (
    "OAuth 2.0 needs the API Access Key and Secret from My Profile > Keys in the Gallery (shown only after an "
    "admin sets API Access = Yes for the user; the Private Studio key does not work)."
)
_OAUTH1_KEYS_HINT = (
    "OAuth 1.0a needs the Private Studio API key and secret from My Profile > Keys; the signature is also "
    "rejected when the connection's scheme, host or port differ from the Gallery's Base Address."
)


class AlteryxError(AirflowException):
    """Base class of every error this provider raises. Its text never carries a secret (see :func:`scrub`), and
    it is one line with nothing hidden (:func:`display`), whatever Server text it quotes."""

    def __init__(self, message: str = "") -> None:
        super().__init__(display(scrub(str(message)), limit=None))

    def __reduce__(self) -> tuple[Any, ...]:
        # Subclasses take keyword-only fields, which pickle's default (cls(*args)) would drop; errors cross
        # process boundaries (multiprocessing, executors), so they rebuild from their text and attributes.
        return (_rebuild, (type(self), self.args, self.__dict__))


def _rebuild(cls: type[AlteryxError], args: tuple[Any, ...], state: dict[str, Any]) -> AlteryxError:
    error = cls.__new__(cls, *args)
    Exception.__init__(error, *args)
    error.__dict__.update(state)
    return error


class AlteryxInputError(AlteryxError, ValueError):
    """Arguments or connection settings that cannot work; raised before anything is sent to the Server."""


class AlteryxConnectionError(AlteryxError):
    """The Server could not be reached, or the connection broke before a whole answer arrived.

    :param received: whether the Server may have received the request (a job creation may then exist).
    :param retryable: False for failures another try cannot cure (TLS verification, a host name that does not exist).
    """

    retry_after: float | None = None

    def __init__(self, message: str, *, received: Received, retryable: bool = True) -> None:
        super().__init__(message)
        self.received = received
        self.retryable = retryable


class AlteryxProtocolError(AlteryxError):
    """The Server answered, but not with something the provider can use (HTML instead of JSON, a job without
    an id or status, an answer over the size limit...). Another try would get the same answer: not retried."""

    retryable = False


class AlteryxApiError(AlteryxError):
    """The Server answered with an error status.

    :param status: the HTTP status.
    :param server_message: the Server's own explanation, from ``message``, ``Message`` or ``modelState``.
    :param model_state: per-field validation messages of a 400 answer.
    :param retry_after: seconds the Server asked to wait (``Retry-After``), if any.
    :param family: the API that answered (a token request's failure surfaces through the call that needed the token).
    """

    def __init__(
        self,
        message: str,
        *,
        status: int,
        server_message: str = "",
        model_state: Mapping[str, list[str]] | None = None,
        retry_after: float | None = None,
        family: ApiFamily | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.family = family
        self.server_message = display(scrub(server_message))
        self.model_state = {
            display(name, WORD_LIMIT): [display(scrub(m)) for m in messages]
            for name, messages in (model_state or {}).items()
        }
        self.retry_after = retry_after
        # Whether the Server may have acted on the request; a caller that proves otherwise may set it to NO.
        self.received = Received.NO if status in NOT_RECEIVED_STATUSES else Received.MAYBE

    @property
    def retryable(self) -> bool:
        return self.status in RETRYABLE_STATUSES


class AlteryxAuthenticationError(AlteryxApiError):
    """The Server refused the credentials (401, or a token request that failed)."""


class AlteryxNotFoundError(AlteryxApiError):
    """The workflow, job, output or endpoint does not exist on this Server (404)."""


class AlteryxBadRequestError(AlteryxApiError):
    """The Server rejected the request's content (400), e.g. an unknown question or priority."""


class AlteryxUnsupportedError(AlteryxError):
    """This Server version does not offer the operation (e.g. cancel before 2025.1)."""


class AlteryxAmbiguousJobError(AlteryxError):
    """A job creation may or may not have reached the Server, and its job cannot be told apart from others.

    :param candidates: the jobs that may be this creation's (none of them accounted for by another caller).
    """

    def __init__(self, message: str, *, candidates: tuple[str, ...]) -> None:
        super().__init__(message)
        self.candidates = candidates


class AlteryxJobError(AlteryxError):
    """A job ended unsuccessfully (or ran out of time); ``job`` holds its last known state."""

    def __init__(self, message: str, job: AlteryxJob) -> None:
        super().__init__(message)
        self.job = job


class AlteryxJobTimeoutError(AlteryxJobError):
    """Waiting for a job ran past its deadline."""


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
