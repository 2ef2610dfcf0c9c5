"""One retry budget per operation, stepped on a fake clock: what ends the retries, and what never nests.

The driver's side (a token fetch is one request inside the try that needs it) is what these scripts
stand for when they answer a call with a token-endpoint failure; over real sockets the same bounds
are checked in tests/hooks/test_transport.py.
"""

from __future__ import annotations

import logging
from typing import Any

import pytest

from airflow_provider_alteryx.constants import ApiFamily, CallKind, Received
from airflow_provider_alteryx.exceptions import (
    AlteryxApiError,
    AlteryxConnectionError,
    AlteryxError,
)
from airflow_provider_alteryx.hooks.params import DEFAULT_ATTEMPTS, RetryPolicy
from airflow_provider_alteryx.hooks.retry import Budget, should_retry
from airflow_provider_alteryx.hooks.steps import ApiCall
from tests.hooks.stepping import JOB, FakeClock, Script, Stepper, api, creation, job, server_error

DEFAULTS = RetryPolicy()
TRIES = DEFAULT_ATTEMPTS
_LOG = logging.getLogger("test_retry")


def token_down(status: int = 503) -> AlteryxApiError:
    """What a request's try fails with when the token endpoint answers ``status``: the request itself was never sent."""
    return AlteryxApiError(f"token endpoint answered {status}", status=status, family=ApiFamily.TOKEN)


def token_silent() -> AlteryxConnectionError:
    """A token request that timed out after it was sent (so it may have been received, but the job request was not)."""
    return AlteryxConnectionError("token read timed out", received=Received.MAYBE, family=ApiFamily.TOKEN)


class TestTheBudget:
    def test_retries_stop_when_the_time_budget_is_spent_not_only_the_count(self) -> None:
        clock = FakeClock()
        policy = RetryPolicy(attempts=100, delay=10.0, max_delay=10.0, budget=35.0)
        stepper = Stepper(lambda call: server_error(500), clock)
        with pytest.raises(AlteryxApiError):
            stepper.run(api(clock, policy).get_job(JOB))
        assert sum(stepper.sleeps) <= 35.0 + 1e-9  # the last try starts at the deadline at the latest
        assert len(stepper.calls) < 100  # the budget, not the count, ended it

    def test_a_down_token_endpoint_under_a_read_fails_it_within_the_bound_and_the_try_count(self) -> None:
        clock = FakeClock()
        stepper = Stepper(lambda call: token_down(), clock)
        with pytest.raises(AlteryxApiError, match="token endpoint answered 503"):
            stepper.run(api(clock, DEFAULTS).get_job(JOB))
        # Each try's token fetch is that try (one request): never 10 token tries inside each of 10 tries.
        assert len(stepper.calls) <= TRIES
        assert stepper.elapsed <= DEFAULTS.budget

    def test_a_silent_token_endpoint_under_a_read_spends_the_same_deadline(self) -> None:
        clock, timeout = FakeClock(), 60.0
        stepper = Stepper(lambda call: token_silent(), clock, answer_seconds=timeout)
        with pytest.raises(AlteryxConnectionError):
            stepper.run(api(clock, DEFAULTS).get_job(JOB))
        # budget + one request timeout: the last try starts before the deadline and takes its timeout.
        assert stepper.elapsed <= DEFAULTS.budget + timeout
        assert len(stepper.calls) <= TRIES

    def test_a_down_token_endpoint_under_a_creation_fails_at_the_first_step_once(self) -> None:
        clock = FakeClock()
        stepper = Stepper(lambda call: token_down(), clock)
        with pytest.raises(AlteryxApiError, match="token endpoint"):
            stepper.run(creation(clock, DEFAULTS))
        # The snapshot's tries were the creation's: no POST, and no second budget for a later step.
        assert all(call.method == "GET" for call in stepper.calls)
        assert (len(stepper.calls), stepper.elapsed <= DEFAULTS.budget) == (TRIES, True)

    def test_steps_of_one_operation_share_its_deadline(self) -> None:
        """The snapshot recovers only late in the budget: the POST then has what is left of it, not a fresh one."""
        clock = FakeClock()
        policy = RetryPolicy(attempts=100, delay=20.0, max_delay=20.0, budget=100.0)

        def answer(call: ApiCall) -> Any:
            if call.method == "POST":
                return server_error(503)
            return server_error(503) if clock.now < 1000.0 + 80.0 else []

        stepper = Stepper(answer, clock)
        with pytest.raises(AlteryxApiError):
            stepper.run(creation(clock, policy))
        assert stepper.elapsed <= policy.budget + 1e-9  # one deadline for the snapshot and the POST together
        assert [c.method for c in stepper.calls].count("POST") >= 1

    def test_a_creation_whose_token_fetch_failed_is_resent_without_reconciling(self) -> None:
        """Its POST was never sent, even where the token request itself may have reached the Server."""
        clock = FakeClock()
        stepper = Stepper(Script([[]], [token_silent(), job(JOB)]), clock)
        created = stepper.run(creation(clock, DEFAULTS))
        assert created.id == JOB
        assert ["POST" if c.method == "POST" else "list" for c in stepper.calls] == [
            "list",
            "POST",
            "list",
            "POST",
        ]


class TestWaits:
    def wait(
        self, clock: FakeClock, policy: RetryPolicy, down: list[tuple[float, float]]
    ) -> tuple[Stepper, Any]:
        """Wait for a job that finishes after 1,000 s, polled every 10 s, with the Server down in each (from, to) window."""

        def answer(call: ApiCall) -> Any:
            moment = clock.now - 1000.0
            if any(start <= moment < end for start, end in down):
                return server_error(503)
            return {
                **job(JOB),
                "status": "Completed" if moment >= 1000.0 else "Running",
                "disposition": "Success",
            }

        stepper = Stepper(answer, clock)
        operation = api(clock, policy).wait_for_job(JOB, poll_interval=10.0, deadline=None)
        try:
            return stepper, stepper.run(operation)
        except AlteryxError as error:
            return stepper, error

    def test_a_wait_rides_out_blips_and_each_outage_gets_its_own_tries(self) -> None:
        clock = FakeClock()
        _, outcome = self.wait(clock, DEFAULTS, down=[(100.0 + 100 * k, 105.0 + 100 * k) for k in range(8)])
        assert getattr(outcome, "status", None) == "Completed"  # 8 blips of 5 s: 40 s down, never for long

    def test_with_the_defaults_a_wait_fails_like_any_operation_once_an_outage_outlasts_its_tries(
        self,
    ) -> None:
        clock = FakeClock()
        stepper, outcome = self.wait(clock, DEFAULTS, down=[(100.0, 10_000.0)])
        assert isinstance(outcome, AlteryxApiError)
        in_outage = [call for call, at in zip(stepper.calls, stepper.at, strict=True) if at - 1000.0 >= 100.0]
        assert len(in_outage) == TRIES and stepper.elapsed <= 100.0 + DEFAULTS.budget + 10.0

    def test_a_wait_given_its_own_budget_rides_out_every_outage_shorter_than_it(self) -> None:
        clock = FakeClock()
        policy = RetryPolicy(attempts=None, budget=120.0)
        _, outcome = self.wait(clock, policy, down=[(100.0, 200.0), (300.0, 400.0), (500.0, 600.0)])
        assert getattr(outcome, "status", None) == "Completed"  # 300 s down in all, 100 s at a time

    def test_a_wait_given_its_own_budget_fails_within_it_once_an_outage_lasts(self) -> None:
        clock = FakeClock()
        policy = RetryPolicy(attempts=None, budget=120.0)
        stepper, outcome = self.wait(clock, policy, down=[(100.0, 10_000.0)])
        assert isinstance(outcome, AlteryxApiError)
        # It failed between 100 s (the outage began, right after a poll at most 10 s earlier) and 100 + budget.
        assert 100.0 < stepper.elapsed <= 100.0 + policy.budget + 10.0


class TestTheDecision:
    def test_retry_after_is_honoured_and_capped(self) -> None:
        budget = Budget(RetryPolicy(max_delay=5.0), FakeClock().monotonic)
        assert budget.wait_before_retry(1, AlteryxApiError("429", status=429, retry_after=2.0)) == 2.0
        assert budget.wait_before_retry(1, AlteryxApiError("429", status=429, retry_after=600.0)) == 5.0

    def test_no_wait_reaches_past_the_deadline_or_the_tries(self) -> None:
        clock = FakeClock()
        budget = Budget(RetryPolicy(attempts=3, budget=10.0), clock.monotonic)
        throttled = AlteryxApiError("429", status=429, retry_after=4.0)
        assert budget.wait_before_retry(3, throttled) is None  # the step's tries are spent
        clock.now += 7.0
        assert budget.wait_before_retry(1, throttled) == 3.0  # cut: the last try starts at the deadline
        clock.now += 3.0
        assert budget.wait_before_retry(1, throttled) is None  # the deadline has passed
        budget.renew()
        assert budget.wait_before_retry(1, throttled) == 4.0

    def test_a_creation_is_resent_only_when_surely_not_received(self) -> None:
        create = ApiCall("POST", "http://x/jobs", ApiFamily.V3, kind=CallKind.CREATE)
        read = ApiCall("GET", "http://x/jobs/1", ApiFamily.V3)
        maybe = AlteryxConnectionError("reset", received=Received.MAYBE, family=ApiFamily.V3)
        surely_not = AlteryxConnectionError("refused", received=Received.NO, family=ApiFamily.V3)
        assert (should_retry(read, maybe), should_retry(create, maybe), should_retry(create, surely_not)) == (
            True,
            False,
            True,
        )
        assert should_retry(create, token_silent())  # the POST itself was never sent
        assert not should_retry(read, AlteryxApiError("bad", status=400))

    def test_a_non_transient_failure_is_not_retried(self) -> None:
        clock = FakeClock()
        stepper = Stepper(
            lambda call: AlteryxConnectionError("TLS", received=Received.NO, retryable=False), clock
        )
        with pytest.raises(AlteryxError, match="TLS"):
            stepper.run(api(clock).get_job(JOB))
        assert (len(stepper.calls), stepper.sleeps) == (1, [])
