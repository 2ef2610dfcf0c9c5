"""The steps an operation asks its driver to carry out, and how a driver turns an answer into a result.

An operation (see :mod:`~airflow_provider_alteryx.hooks.api`) is a generator: it yields an
:class:`ApiCall` to send or a :class:`Sleep` to wait, and gets back the decoded answer, or has the
mapped :class:`~airflow_provider_alteryx.exceptions.AlteryxError` thrown into it.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Generator, Mapping
from dataclasses import dataclass, field
from typing import IO, Any, Literal, Protocol, TypeVar
from urllib.parse import quote, urlencode

from airflow_provider_alteryx.constants import ApiFamily, CallKind
from airflow_provider_alteryx.exceptions import (
    AlteryxError,
    AlteryxProtocolError,
    error_from_response,
    excerpt,
)

T = TypeVar("T")
# The largest JSON answer read into memory. Real job and list answers are a few kilobytes to a few
# megabytes (a job with thousands of engine messages); anything far larger is not an answer to use.
MAX_JSON_BYTES = 16 * 1024 * 1024
# The largest output file downloaded; it streams to a file, never into memory.
MAX_OUTPUT_BYTES = 8 * 1024**3


class Log(Protocol):
    """What the core logs through: a stdlib logger, or Airflow's structlog one."""

    def info(self, msg: str, /, *args: Any) -> Any: ...
    def warning(self, msg: str, /, *args: Any) -> Any: ...
    def error(self, msg: str, /, *args: Any) -> Any: ...


@dataclass(frozen=True)
class ApiCall:
    """One HTTP request to the Server, before authentication is added.

    :param family: the API it goes to, which error hints are chosen by.
    :param kind: what repeating it would do, which decides whether a failure is retried or reconciled.
    :param expect: ``json`` (read whole, at most :data:`MAX_JSON_BYTES`) or ``bytes`` (read whole, or
        streamed into ``sink`` when one is given, at most :data:`MAX_OUTPUT_BYTES`).
    :param sink: a file the body is written to as it arrives (an output download).
    """

    method: str
    url: str
    family: ApiFamily
    kind: CallKind = CallKind.READ
    params: Mapping[str, str] = field(default_factory=dict)
    json: Any = None
    form: Mapping[str, str] | None = None
    expect: Literal["json", "bytes"] = "json"
    authenticated: bool = True
    sink: IO[bytes] | None = field(default=None, compare=False)

    @property
    def full_url(self) -> str:
        # RFC 3986 encoding (%20, not +), the form OAuth 1.0a signs, so the URL sent is the URL signed.
        return f"{self.url}?{urlencode(self.params, quote_via=quote)}" if self.params else self.url

    @property
    def max_bytes(self) -> int:
        """The largest body the driver takes for this call."""
        return MAX_JSON_BYTES if self.expect == "json" else MAX_OUTPUT_BYTES

    def unusable(
        self, expected: str, found: str, *, status: int | None = None, body: bytes = b""
    ) -> AlteryxProtocolError:
        """The error for an answer to this call that the provider cannot use, saying what was expected."""
        http = f", HTTP {status}" if status is not None else ""
        return unusable(f"{self.method} {self.url} ({self.family}{http})", expected, found, body)


def unusable(where: str, expected: str, found: str, body: bytes = b"") -> AlteryxProtocolError:
    """The error for an answer the provider cannot use: where it came from, what was expected and what came."""
    quoted = f"; the answer began {excerpt(body)}" if body else ""
    return AlteryxProtocolError(
        f"Alteryx Server's answer to {where} is unusable: expected {expected}, found {found}{quoted}. "
        "Check that the connection's host and webapi_path point at the Server itself, not at a login page or proxy."
    )


class BodyReader:
    """Collects an answer's body for a driver, within the call's size limit and the connection's time limit.

    The time limit counts from the answer's first bytes, so a Server trickling an answer cannot hold a
    call for longer than the connection's ``timeout`` (socket timeouts alone count per read).

    :param timeout: seconds the whole body may take.
    """

    CHUNK_BYTES = 64 * 1024

    def __init__(
        self,
        call: ApiCall,
        headers: Mapping[str, str],
        timeout: float,
        clock: Callable[[], float] = time.monotonic,
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
        return self.call.unusable(f"an answer of at most {self.limit} bytes", found)


@dataclass(frozen=True)
class Sleep:
    """Ask the driver to wait (``time.sleep`` or ``asyncio.sleep``) before the operation goes on."""

    seconds: float


Operation = Generator["ApiCall | Sleep", Any, T]


def drive(operation: Operation[T], perform: Callable[[ApiCall | Sleep], Any]) -> T:
    """Run an operation to its end: ``perform`` carries out each step and returns what to send back.

    An :class:`AlteryxError` that ``perform`` raises is thrown into the operation at the step that
    caused it, where the operation may retry, reconcile or let it propagate. (The async driver is this
    loop with ``await``.)
    """
    reply: Any = None
    error: AlteryxError | None = None
    while True:
        try:
            step = operation.throw(error) if error is not None else operation.send(reply)
        except StopIteration as done:
            return done.value
        reply, error = None, None
        try:
            reply = perform(step)
        except AlteryxError as failure:
            error = failure


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
        raise call.unusable(
            "JSON", f"{len(body)} bytes of {content_type} that is not valid JSON", status=status, body=body
        ) from None
