"""The I/O-free core, stepped: each operation's generator is driven by hand with scripted answers and a
fake clock, so timing logic (retry budgets, backoff, waits for claims, turns) is checked without sockets
or sleeps. Behaviour over real HTTP is in the other test modules."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pytest

from airflow_provider_alteryx.exceptions import AlteryxAmbiguousJobError
from airflow_provider_alteryx.hooks.creation import CLAIM_WAIT_SECONDS, TURN_POLL_SECONDS, CreationLedger
from airflow_provider_alteryx.hooks.jobs import JobRequest
from airflow_provider_alteryx.hooks.steps import ApiCall, Sleep
from tests.hooks.stepping import JOB, OTHER, WORKFLOW, FakeClock, Script, Stepper, api, job, server_error


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
