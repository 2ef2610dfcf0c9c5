"""The I/O-free core, stepped: each operation's generator is driven by hand with scripted answers and a
fake clock, so timing logic (retry budgets, backoff, waits for claims, turns) is checked without sockets
or sleeps. Behaviour over real HTTP is in the other test modules."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from typing import Any

import pytest

from airflow_provider_alteryx.constants import ApiFamily, CallKind, Received
from airflow_provider_alteryx.exceptions import (
    AlteryxAmbiguousJobError,
    AlteryxApiError,
    AlteryxConnectionError,
    AlteryxError,
)
from airflow_provider_alteryx.hooks.api import AlteryxApi, Capabilities
from airflow_provider_alteryx.hooks.config import ServerConfig
from airflow_provider_alteryx.hooks.creation import CLAIM_WAIT_SECONDS, TURN_POLL_SECONDS, CreationLedger
from airflow_provider_alteryx.hooks.jobs import JobRequest
from airflow_provider_alteryx.hooks.retry import Retries, RetryPolicy
from airflow_provider_alteryx.hooks.steps import ApiCall, Operation, Sleep, drive

WORKFLOW = "0000000000000000000000a1"
JOB, OTHER = "00000000000000000000000a", "00000000000000000000000b"
CONFIG = ServerConfig(base_url="http://alteryx.invalid", api_key="k", api_secret="s")
Answer = Callable[[ApiCall], Any]


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def time(self) -> float:
        return self.now

    def monotonic(self) -> float:
        return self.now


class Stepper:
    """Drives an operation: answers each ApiCall with ``answer`` (a value, or an exception to throw in),
    and advances the fake clock by each Sleep."""

    def __init__(self, answer: Answer, clock: FakeClock) -> None:
        self.answer = answer
        self.clock = clock
        self.calls: list[ApiCall] = []
        self.sleeps: list[float] = []

    def run(self, operation: Operation[Any]) -> Any:
        return drive(operation, self.perform)

    def perform(self, step: ApiCall | Sleep) -> Any:
        if isinstance(step, Sleep):
            self.sleeps.append(step.seconds)
            self.clock.now += step.seconds
            return None
        self.calls.append(step)
        outcome = self.answer(step)
        if isinstance(outcome, BaseException):
            raise outcome
        return outcome


def api(
    clock: FakeClock, policy: RetryPolicy | None = None, ledger: CreationLedger | None = None
) -> AlteryxApi:
    return AlteryxApi(
        CONFIG,
        policy or RetryPolicy(delay=1.0),
        logging.getLogger("test"),
        clock=clock,
        capabilities=Capabilities(),
        ledger=ledger or CreationLedger(),
    )


def server_error(status: int) -> AlteryxApiError:
    return AlteryxApiError(f"HTTP {status}", status=status)


def job(job_id: str) -> dict[str, Any]:
    return {"id": job_id, "status": "Queued", "appId": WORKFLOW}


class Script:
    """Answers creation traffic: job lists from ``listed`` (one list per list call, the last repeated), and the
    POST with ``post`` outcomes in turn."""

    def __init__(self, listed: Sequence[Sequence[str]], post: Sequence[Any]) -> None:
        self.listed = [list(ids) for ids in listed]
        self.post = list(post)

    def __call__(self, call: ApiCall) -> Any:
        if call.method == "POST":
            return self.post.pop(0)
        if call.url.endswith(f"/workflows/{WORKFLOW}/jobs"):
            ids = self.listed.pop(0) if len(self.listed) > 1 else self.listed[0]
            return [job(i) for i in ids]
        return job(call.url.rsplit("/", 1)[1])


def creation_kinds(stepper: Stepper) -> list[str]:
    return [
        "POST" if c.method == "POST" else "list" if c.url.endswith("/jobs") else "get" for c in stepper.calls
    ]


class TestCreation:
    def test_a_refusal_is_resent_without_looking_for_a_job(self) -> None:
        clock = FakeClock()
        stepper = Stepper(Script([[]], [server_error(503), job(JOB)]), clock)
        created = stepper.run(api(clock).run_workflow(JobRequest.build(WORKFLOW)))
        assert created.id == JOB
        assert creation_kinds(stepper) == ["list", "POST", "list", "POST"]

    def test_a_500_with_no_new_job_is_resent(self) -> None:
        clock = FakeClock()
        stepper = Stepper(Script([[]], [server_error(500), job(JOB)]), clock)
        assert stepper.run(api(clock).run_workflow(JobRequest.build(WORKFLOW))).id == JOB
        assert creation_kinds(stepper) == ["list", "POST", "list", "list", "POST"]

    def test_a_500_with_one_new_job_adopts_it(self) -> None:
        clock = FakeClock()
        stepper = Stepper(Script([[], [JOB]], [server_error(502)]), clock)
        assert stepper.run(api(clock).run_workflow(JobRequest.build(WORKFLOW))).id == JOB
        assert creation_kinds(stepper) == ["list", "POST", "list", "get"]

    def test_two_new_jobs_are_ambiguous_at_once_without_shared_claims(self) -> None:
        clock = FakeClock()
        stepper = Stepper(Script([[], [JOB, OTHER]], [server_error(504)]), clock)
        with pytest.raises(AlteryxAmbiguousJobError) as caught:
            stepper.run(api(clock).run_workflow(JobRequest.build(WORKFLOW)))
        assert set(caught.value.candidates) == {JOB, OTHER}
        assert "POST" not in creation_kinds(stepper)[2:]  # never sent again

    def test_with_shared_claims_it_announces_then_waits_for_claims_before_giving_up(self) -> None:
        clock = FakeClock()
        claims = SharedClaims(contested={JOB})
        stepper = Stepper(Script([[], [JOB]], [server_error(500)]), clock)
        with pytest.raises(AlteryxAmbiguousJobError):
            stepper.run(api(clock).run_workflow(JobRequest.build(WORKFLOW), claims))
        assert claims.announced == [[JOB]]
        assert sum(stepper.sleeps) == pytest.approx(CLAIM_WAIT_SECONDS, abs=1.0)

    def test_with_shared_claims_a_claim_that_arrives_while_waiting_settles_it(self) -> None:
        clock = FakeClock()
        claims = SharedClaims()
        script = Script([[], [JOB, OTHER]], [server_error(500)])

        def answer(call: ApiCall) -> Any:
            if claims.announced:  # the other caller's answer arrives: it pushes its job id
                claims.taken_ids = {OTHER}
            return script(call)

        stepper = Stepper(answer, clock)
        assert stepper.run(api(clock).run_workflow(JobRequest.build(WORKFLOW), claims)).id == JOB

    def test_a_second_creation_of_the_workflow_waits_for_its_turn(self) -> None:
        clock, ledger = FakeClock(), CreationLedger()
        first = api(clock, ledger=ledger).run_workflow(JobRequest.build(WORKFLOW))
        second = api(clock, ledger=ledger).run_workflow(JobRequest.build(WORKFLOW))
        assert isinstance(next(first), ApiCall)  # the first holds the turn: its snapshot goes out
        assert next(second) == Sleep(TURN_POLL_SECONDS)  # the second waits
        first.close()  # abandoned (e.g. the task was killed): the turn passes on
        assert isinstance(second.send(None), ApiCall)


class SharedClaims:
    shared = True

    def __init__(self, taken: set[str] | None = None, contested: set[str] | None = None) -> None:
        self.taken_ids = taken or set()
        self.contested_ids = contested or set()
        self.announced: list[list[str]] = []

    def taken(self) -> set[str]:
        return self.taken_ids

    def contested(self) -> set[str]:
        return self.contested_ids

    def announce(self, candidates: Sequence[str]) -> None:
        self.announced.append(list(candidates))


class TestRetries:
    def test_retries_stop_when_the_time_budget_is_spent_not_only_the_count(self) -> None:
        clock = FakeClock()
        policy = RetryPolicy(attempts=100, delay=10.0, max_delay=10.0, budget=35.0)
        stepper = Stepper(lambda call: server_error(500), clock)
        with pytest.raises(AlteryxApiError):
            stepper.run(api(clock, policy).get_job(JOB))
        assert sum(stepper.sleeps) < 35.0  # no try starts once the next wait would pass the budget
        assert len(stepper.calls) < policy.attempts  # the budget, not the count, ended it

    def test_retry_after_is_honoured_and_capped(self) -> None:
        retries = Retries(RetryPolicy(max_delay=5.0), FakeClock().monotonic)
        throttled = AlteryxApiError("429", status=429, retry_after=2.0)
        assert retries.next_wait(throttled) == 2.0
        assert retries.next_wait(AlteryxApiError("429", status=429, retry_after=600.0)) == 5.0

    def test_a_creation_is_resent_only_when_surely_not_received(self) -> None:
        policy = RetryPolicy()
        create = ApiCall("POST", "http://x/jobs", ApiFamily.V3, kind=CallKind.CREATE)
        read = ApiCall("GET", "http://x/jobs/1", ApiFamily.V3)
        maybe = AlteryxConnectionError("reset", received=Received.MAYBE)
        surely_not = AlteryxConnectionError("refused", received=Received.NO)
        assert (
            policy.may_retry(read, maybe),
            policy.may_retry(create, maybe),
            policy.may_retry(create, surely_not),
        ) == (True, False, True)
        assert not policy.may_retry(read, AlteryxApiError("bad", status=400))

    def test_a_non_transient_failure_is_not_retried(self) -> None:
        clock = FakeClock()
        stepper = Stepper(
            lambda call: AlteryxConnectionError("TLS", received=Received.NO, retryable=False), clock
        )
        with pytest.raises(AlteryxError, match="TLS"):
            stepper.run(api(clock).get_job(JOB))
        assert (len(stepper.calls), stepper.sleeps) == (1, [])


def test_cancel_sends_the_delete_first_and_reads_the_job_once_after() -> None:
    clock = FakeClock()
    stepper = Stepper(
        lambda call: (
            None
            if call.method == "DELETE"
            else {**job(JOB), "status": "Cancelled", "disposition": "Cancelled"}
        ),
        clock,
    )
    cancelled = stepper.run(api(clock).cancel_job(JOB))
    assert [c.method for c in stepper.calls] == ["DELETE", "GET"]
    assert cancelled.outcome == "Cancelled"
