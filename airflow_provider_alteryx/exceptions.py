"""Errors raised by the Alteryx provider: the classes alone (which answer becomes which error is
:mod:`airflow_provider_alteryx.hooks.answers`'s business)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from airflow.providers.common.compat.sdk import AirflowException

from airflow_provider_alteryx.constants import ApiFamily, Received
from airflow_provider_alteryx.utils.scrub import scrub
from airflow_provider_alteryx.utils.server_text import WORD_LIMIT, display, error_text

# Statuses worth another try. 429 and 503 say the Server refused the request before acting on it;
# 408, 500, 502 and 504 say nothing about whether it acted (see :class:`Received`).
RETRYABLE_STATUSES = frozenset({408, 429, 500, 502, 503, 504})
NOT_RECEIVED_STATUSES = frozenset({429, 503})


class AlteryxError(AirflowException):
    """Base class of every error this provider raises. Its text never carries a secret (see :func:`scrub`), and
    it is one line with nothing hidden, bounded with its cause and fix kept (:func:`error_text`), whatever
    Server text it quotes and however much of it.

    What retries read from an error is declared here with its default, so every error answers it
    (:func:`~airflow_provider_alteryx.hooks.retry.should_retry` is the one reader):

    - ``retryable``: whether another try may cure it; by default not.
    - ``received``: whether the Server may have acted on the request; by default "maybe", the answer
      that never resends a job creation blindly.
    - ``retry_after``: seconds the Server asked to wait before another try; None when it did not say.
    - ``family``: the API the failed request went to; None when no request was involved.
    """

    retryable: bool = False
    received: Received = Received.MAYBE
    retry_after: float | None = None
    family: ApiFamily | None = None

    def __init__(self, message: str = "") -> None:
        super().__init__(error_text(scrub(str(message))))

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
    :param family: the API the request went to.
    """

    def __init__(
        self, message: str, *, received: Received, retryable: bool = True, family: ApiFamily | None = None
    ) -> None:
        super().__init__(message)
        self.received = received
        self.retryable = retryable
        self.family = family


class AlteryxProtocolError(AlteryxError):
    """The Server answered, but not with something the provider can use (HTML instead of JSON, a job without
    an id or status, an answer over the size limit...). Another try would get the same answer: not retried."""


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
        self.retryable = status in RETRYABLE_STATUSES
        self.received = Received.NO if status in NOT_RECEIVED_STATUSES else Received.MAYBE


class AlteryxAuthenticationError(AlteryxApiError):
    """The Server refused the credentials (401, or a token request that failed)."""


class AlteryxPermissionError(AlteryxApiError):
    """The Server refused the key's user a permission the request needs (403), e.g. running a workflow that is not
    shared for execution with that user."""


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


class AlteryxCoordinationError(AlteryxError):
    """Job creations could not take turns: their store is unreachable, or no turn came within the budget.

    It happens before the creation is sent, so the Server surely has no job from it.
    """

    received = Received.NO


class AlteryxJobError(AlteryxError):
    """A job ended unsuccessfully (or ran out of time); ``job`` holds its last known state (an
    :class:`~airflow_provider_alteryx.models.AlteryxJob`: typed loosely, as errors sit below the models)."""

    def __init__(self, message: str, job: Any) -> None:
        super().__init__(message)
        self.job = job


class AlteryxJobTimeoutError(AlteryxJobError):
    """Waiting for a job ran past its deadline."""
