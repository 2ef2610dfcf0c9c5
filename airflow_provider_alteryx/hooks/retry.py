"""Retrying transient failures, written once for both drivers.

The decision (retry or not, and how long to wait) is tenacity's, through its ``wait`` strategies and
:class:`tenacity.RetryCallState`; the waiting itself is a :class:`~airflow_provider_alteryx.hooks.api.Sleep`
step that the sync or async driver performs. Retries are bounded by a count *and* by a time budget, so a
sustained fault rate is ridden out while a Server that is down fails the task in predictable time.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from airflow_provider_alteryx.constants import CallKind, Received
from airflow_provider_alteryx.exceptions import AlteryxError, AlteryxInputError
from airflow_provider_alteryx.hooks.steps import ApiCall, Operation, Sleep
from airflow_provider_alteryx.utils.log import Log
from airflow_provider_alteryx.utils.validation import describe, seconds

T = TypeVar("T")


@dataclass(frozen=True)
class RetryPolicy:
    """How transient failures (connection errors, timeouts, 408, 429, 500, 502, 503, 504) are retried.

    At a sustained 20 % failure rate, 10 tries fail a request with probability 0.2**10 (about 1 in 10
    million); the budget keeps a Server that stays down from holding a task for longer than it says.

    :param attempts: tries per request, the first included.
    :param delay: base of the exponential backoff with full jitter, in seconds.
    :param max_delay: longest single wait, in seconds (a ``Retry-After`` asking for more is capped to it).
    :param budget: seconds from the first try after which no further try starts.
    """

    attempts: int = 10
    delay: float = 0.5
    max_delay: float = 30.0
    budget: float = 300.0

    @classmethod
    def build(cls, *, attempts: Any, delay: Any, budget: Any) -> RetryPolicy:
        """A policy from user-given values (a hook's ``retry_limit``, ``retry_delay``, ``retry_budget``).

        :raises AlteryxInputError: a value that cannot work, named as the hook's parameter.
        """
        if isinstance(attempts, bool) or not isinstance(attempts, int) or attempts < 1:
            raise AlteryxInputError(
                f"retry_limit is {describe(attempts)}; use a whole number of tries >= 1 (the first try included)."
            )
        if isinstance(delay, bool) or not isinstance(delay, (int, float)) or not 0 <= delay < math.inf:
            raise AlteryxInputError(f"retry_delay is {describe(delay)}; use a finite number of seconds >= 0.")
        return cls(attempts=attempts, delay=float(delay), budget=seconds(budget, "retry_budget"))

    def may_retry(self, call: ApiCall, error: AlteryxError) -> bool:
        """Whether ``error`` is worth another try of ``call``.

        A job creation is sent again only when the Server surely never received it; otherwise a job may
        exist and the caller must reconcile instead (:mod:`~airflow_provider_alteryx.hooks.creation`).
        """
        if not is_retryable(error):
            return False
        return call.kind is not CallKind.CREATE or getattr(error, "received", Received.MAYBE) is Received.NO


def is_retryable(error: BaseException) -> bool:
    """Whether another try may cure ``error`` (a transient fault, not a refusal or a broken answer)."""
    return bool(getattr(error, "retryable", False))


class Retries:
    """The retry state of one request: counts tries and time, and says how long to wait before the next.

    :param clock: a monotonic clock; tests step a fake one.
    """

    def __init__(self, policy: RetryPolicy, clock: Callable[[], float] = time.monotonic) -> None:
        from tenacity import RetryCallState, wait_random_exponential  # only once a try failed

        self.policy = policy
        self.clock = clock
        self.started = clock()
        self._backoff = wait_random_exponential(multiplier=policy.delay, max=policy.max_delay)
        self._state = RetryCallState(retry_object=None, fn=None, args=(), kwargs=())  # type: ignore[arg-type]

    @property
    def attempt(self) -> int:
        """The number of the try that just failed."""
        return self._state.attempt_number

    def next_wait(self, error: AlteryxError) -> float | None:
        """Seconds to wait before the next try, or None when the tries or the time budget are spent."""
        retry_after: Any = getattr(error, "retry_after", None)
        wait = (
            min(float(retry_after), self.policy.max_delay)
            if retry_after is not None
            else float(self._backoff(self._state))
        )
        spent = self.clock() - self.started
        if self._state.attempt_number >= self.policy.attempts or spent + wait >= self.policy.budget:
            return None
        self._state.prepare_for_next_attempt()
        return wait


def with_retries(
    call: ApiCall,
    attempt: Callable[[], Operation[T]],
    policy: RetryPolicy,
    log: Log,
    clock: Callable[[], float],
) -> Operation[T]:
    """Run ``attempt`` (one try of ``call``) until it succeeds or its failure is final; waits are yielded as Sleep.

    No retry state is allocated unless a try fails: the common path costs nothing extra.
    """
    retries: Retries | None = None
    while True:
        try:
            return (yield from attempt())
        except AlteryxError as error:
            if not policy.may_retry(call, error):
                raise
            retries = retries or Retries(policy, clock)
            failed_try = retries.attempt
            wait = retries.next_wait(error)
            if wait is None:
                raise
            log.warning(
                "Alteryx request %s %s failed (try %d of %d), retrying in %.1f s: %s",
                call.method,
                call.url,
                failed_try,
                policy.attempts,
                wait,
                error,
            )
            yield Sleep(wait)
