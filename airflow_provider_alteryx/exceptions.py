"""Errors raised by the Alteryx provider, and the one place that turns a Server answer into one of them."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from airflow.providers.common.compat.sdk import AirflowException

if TYPE_CHECKING:
    from airflow_provider_alteryx.models import AlteryxJob

RETRYABLE_STATUSES = frozenset({429, 500, 502, 503, 504})
_OAUTH2_KEYS_HINT = (
    "OAuth 2.0 needs the API Access Key and Secret from My Profile > Keys in the Gallery (shown only after an "
    "admin sets API Access = Yes for the user; the Private Studio key does not work)."
)
_OAUTH1_KEYS_HINT = (
    "OAuth 1.0a needs the Private Studio API key and secret from My Profile > Keys; the signature is also "
    "rejected when the connection's scheme, host or port differ from the Gallery's Base Address."
)


class AlteryxError(AirflowException):
    """Base class of every error this provider raises."""


class AlteryxInputError(AlteryxError, ValueError):
    """Arguments or connection settings that cannot work; raised before anything is sent to the Server."""


class AlteryxConnectionError(AlteryxError):
    """The Server could not be reached, or the connection broke before an answer arrived."""

    retryable = True
    retry_after: float | None = None


class AlteryxApiError(AlteryxError):
    """The Server answered with an error status.

    :param status: the HTTP status.
    :param server_message: the Server's own explanation, from ``message``, ``Message`` or ``modelState``.
    :param model_state: per-field validation messages of a 400 answer.
    :param retry_after: seconds the Server asked to wait (``Retry-After``), if any.
    """

    def __init__(
        self,
        message: str,
        *,
        status: int,
        server_message: str = "",
        model_state: Mapping[str, list[str]] | None = None,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.server_message = server_message
        self.model_state = dict(model_state or {})
        self.retry_after = retry_after

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
    """A job creation may or may not have reached the Server, and its job cannot be told apart from others."""


class AlteryxJobError(AlteryxError):
    """A job ended unsuccessfully (or ran out of time); ``job`` holds its last known state."""

    def __init__(self, message: str, job: AlteryxJob) -> None:
        super().__init__(message)
        self.job = job


class AlteryxJobTimeoutError(AlteryxJobError):
    """Waiting for a job ran past its deadline."""


def error_from_response(status: int, headers: Mapping[str, str], body: bytes, *, method: str, url: str) -> AlteryxApiError:
    """Map a non-2xx answer to the matching exception, with the Server's message and a hint where one helps.

    :param url: the request URL without its query string (which never carries a secret: OAuth 1.0a
        parameters travel in the ``Authorization`` header).
    """
    payload = _json_or_none(body)
    server_message, model_state = _server_message(payload) if payload is not None else (_summarise_non_json(headers, body), {})
    where = f"{method} {url}"
    text = f"Alteryx Server answered {status} to {where}: {server_message}"
    hint = _hint(status, url)
    if hint:
        text = f"{text} {hint}"
    kwargs: dict[str, Any] = {"status": status, "server_message": server_message, "model_state": model_state, "retry_after": _retry_after(headers)}
    if status == 401 or (status == 400 and "/oauth2/token" in url):
        return AlteryxAuthenticationError(text, **kwargs)
    if status == 404:
        return AlteryxNotFoundError(text, **kwargs)
    if status == 400:
        return AlteryxBadRequestError(text, **kwargs)
    return AlteryxApiError(text, **kwargs)


def _hint(status: int, url: str) -> str:
    legacy = "/api/v1/" in url and "/webapi/" not in url
    if status == 405 and legacy:
        return (
            "This Server no longer serves the legacy API that OAuth 1.0a uses (removed in Server 2022.1): "
            'set the connection extra "auth_type" to "oauth2" and use the API Access Key and Secret.'
        )
    if status == 401 or (status == 400 and "/oauth2/token" in url):
        return f"Check the connection's API key (login) and secret (password). {_OAUTH1_KEYS_HINT if legacy else _OAUTH2_KEYS_HINT}"
    if status == 404 and "/oauth2/token" in url:
        return (
            'This Server has no OAuth 2.0 token endpoint (it arrived in 2021.4): set the connection extra "auth_type" '
            'to "oauth1" for older Servers, or correct "webapi_path" if the Web API address differs.'
        )
    return ""


def _json_or_none(body: bytes) -> Any:
    try:
        return json.loads(body.decode("utf-8-sig")) if body.strip() else None
    except ValueError:
        return None


def _server_message(payload: Any) -> tuple[str, dict[str, list[str]]]:
    if not isinstance(payload, dict):
        return str(payload)[:300], {}
    model_state = payload.get("modelState") or payload.get("ModelState") or {}
    if not isinstance(model_state, dict):
        model_state = {}
    model_state = {str(k): [str(m) for m in (v if isinstance(v, list) else [v])] for k, v in model_state.items()}
    message = payload.get("message") or payload.get("Message") or payload.get("error_description") or payload.get("error") or ""
    details = "; ".join(m for messages in model_state.values() for m in messages)
    return " ".join(part for part in (str(message), details) if part) or json.dumps(payload)[:300], model_state


def _summarise_non_json(headers: Mapping[str, str], body: bytes) -> str:
    """A one-line account of an HTML or text answer, instead of dumping a whole page into the log."""
    text = body.decode("utf-8", errors="replace")
    content_type = headers.get("Content-Type", "unknown content type").split(";")[0]
    title = re.search(r"<title>(.*?)</title>", text, re.IGNORECASE | re.DOTALL)
    summary = title.group(1) if title else re.sub(r"<[^>]+>", " ", text)
    summary = " ".join(summary.split())[:200] or "empty body"
    return f"a non-JSON answer ({content_type}, {len(body)} bytes): {summary}"


def _retry_after(headers: Mapping[str, str]) -> float | None:
    value = headers.get("Retry-After")
    try:
        return max(float(value), 0.0) if value is not None else None
    except ValueError:
        return None
