"""Retrying transient failures, written once for both drivers, under one budget per operation.

An operation (one read, a wait, a creation, a download) gets one :class:`Budget` when it starts: a
deadline, from which every step inside it spends (the token a request needs, a creation's snapshot,
its POST, its reconciliation). No step starts a budget of its own, so retries never nest: against a
Server that stays down, an operation fails within ``budget`` plus one request's timeout, having sent
at most ``attempts`` requests for the step that failed. A wait renews its budget whenever the Server
answers, so each outage during a long job gets a whole budget (and a wait given a budget of its own,
``wait_retry_budget``, rides out any outage shorter than it, retrying as the backoff spaces the tries).

Whether a failure is worth another try is :func:`should_retry`, a pure function of the call and the
error; the wait before it is tenacity's full-jitter exponential backoff, or the Server's
``Retry-After``, capped; the waiting itself is a :class:`~airflow_provider_alteryx.hooks.steps.Sleep`
step that the sync or async driver performs.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from airflow_provider_alteryx.constants import ApiFamily, CallKind, Received
from airflow_provider_alteryx.exceptions import AlteryxError
from airflow_provider_alteryx.hooks.params import RetryPolicy
from airflow_provider_alteryx.hooks.steps import ApiCall, Operation, Sleep
from airflow_provider_alteryx.utils.log import Log

T = TypeVar("T")


def surely_not_received(error: AlteryxError) -> bool:
    """Whether the Server surely never acted on the request that failed with ``error``: it refused it before
    acting (429, 503, a refused connection), or the request was never sent because its token could not be had."""
    return error.received is Received.NO or error.family is ApiFamily.TOKEN


def should_retry(call: ApiCall, error: AlteryxError) -> bool:
    """Whether ``error`` is worth another try of ``call``: a transient failure, and, for a job creation, one
    the Server surely never received (otherwise a job may exist, and the creation reconciles instead:
    :mod:`~airflow_provider_alteryx.hooks.creation`)."""
    return error.retryable and (call.kind is not CallKind.CREATE or surely_not_received(error))


@dataclass(frozen=True)
class Retry:
    """What a try returns when another try may cure its failure (the failure it had)."""

    error: AlteryxError


class Budget:
    """One operation's retry budget: the deadline every step spends from, and the wait before each retry.

    :param clock: a monotonic clock; stepped tests use a fake one.
    """

    def __init__(self, policy: RetryPolicy, clock: Callable[[], float]) -> None:
        self.policy = policy
        self.clock = clock
        self.deadline = clock() + policy.budget
        self._backoff: Callable[[int], float] | None = (
            None  # built on the first failure: most operations never fail
        )

    def _wait_after(self, failed_tries: int) -> float:
        if self._backoff is None:
            from tenacity import RetryCallState, wait_random_exponential

            strategy = wait_random_exponential(multiplier=self.policy.delay, max=self.policy.max_delay)
            # tenacity's strategies read the number of the try that failed from a call state.
            state = RetryCallState(retry_object=None, fn=None, args=(), kwargs=())  # type: ignore[arg-type]

            def backoff(tries: int) -> float:
                state.attempt_number = tries
                return float(strategy(state))

            self._backoff = backoff
        return self._backoff(failed_tries)

    def renew(self) -> None:
        """Start the budget again, as a wait does when the Server answered: an outage after it gets a budget of its own."""
        self.deadline = self.clock() + self.policy.budget

    def wait_before_retry(self, failed_tries: int, error: AlteryxError) -> float | None:
        """Seconds to wait before another try of a step that failed ``failed_tries`` times, the last with ``error``;
        None when the step's tries are spent or the deadline has passed. The wait ends at the deadline at the
        latest, so the last try starts there: the operation ends within its budget and one request's timeout."""
        remaining = self.deadline - self.clock()
        if remaining <= 0 or (self.policy.attempts is not None and failed_tries >= self.policy.attempts):
            return None
        wait = (
            min(error.retry_after, self.policy.max_delay)
            if error.retry_after is not None
            else self._wait_after(failed_tries)
        )
        return min(wait, remaining)


def with_retries(
    call: ApiCall, attempt: Callable[[], Operation[T | Retry]], budget: Budget, log: Log
) -> Operation[T]:
    """Run ``attempt`` (one try of ``call``) until it succeeds or fails for good; waits are yielded as Sleep.

    A try asks for another by returning :class:`Retry`; whatever it raises is final. So a step nested in a
    try (a creation's snapshot, which retries on its own) never has its retries retried again.
    """
    failed = 0
    while True:
        outcome = yield from attempt()
        if not isinstance(outcome, Retry):
            return outcome
        failed += 1
        wait = budget.wait_before_retry(failed, outcome.error)
        if wait is None:
            raise outcome.error
        log.warning(
            "Alteryx request %s %s failed (try %d of %s), retrying in %.1f s: %s",
            call.method,
            call.url,
            failed,
            budget.policy.attempts or "as many as fit its budget",
            wait,
            outcome.error,
        )
        yield Sleep(wait)


def sent(call: ApiCall) -> Operation[Any]:
    """One try of ``call``: its answer, or :class:`Retry` for a failure :func:`should_retry` accepts."""
    try:
        return (yield call)
    except AlteryxError as error:
        if should_retry(call, error):
            return Retry(error)
        raise
