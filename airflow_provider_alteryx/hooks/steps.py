"""The steps an operation asks its driver to carry out, and the loop that carries them out synchronously.

An operation (see :mod:`~airflow_provider_alteryx.hooks.api`) is a generator: it yields an
:class:`ApiCall` to send or a :class:`Sleep` to wait, and gets back the decoded answer, or has the
mapped :class:`~airflow_provider_alteryx.exceptions.AlteryxError` thrown into it.
"""

from __future__ import annotations

from collections.abc import Callable, Generator, Mapping
from dataclasses import dataclass, field
from typing import IO, Any, Literal, TypeVar
from urllib.parse import quote, urlencode

from airflow_provider_alteryx.constants import ApiFamily, CallKind
from airflow_provider_alteryx.exceptions import AlteryxError

T = TypeVar("T")
# The largest JSON answer read into memory. Real job and list answers are a few kilobytes to a few
# megabytes (a job with thousands of engine messages); anything far larger is not an answer to use.
MAX_JSON_BYTES = 16 * 1024 * 1024
# The largest output file downloaded; it streams to a file, never into memory.
MAX_OUTPUT_BYTES = 8 * 1024**3


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
