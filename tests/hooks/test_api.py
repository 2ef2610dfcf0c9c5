"""The I/O-free core, stepped: each operation's generator is driven by hand with scripted answers and a
fake clock, so timing logic (retry budgets, backoff, waits for claims, turns) is checked without sockets
or sleeps. Behaviour over real HTTP is in the other test modules."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pytest

from airflow_provider_alteryx.exceptions import AlteryxAmbiguousJobError, AlteryxCoordinationError
from airflow_provider_alteryx.hooks.coordination import LEASE_SECONDS
from airflow_provider_alteryx.hooks.creation import (
    CLAIM_WAIT_SECONDS,
    TURN_POLL_MAX_SECONDS,
    TURN_POLL_SECONDS,
    turn_poll_seconds,
)
from airflow_provider_alteryx.hooks.params import RetryPolicy
from airflow_provider_alteryx.hooks.steps import ApiCall, Operation, Sleep
from tests.hooks.stepping import (
    JOB,
    OTHER,
    WORKFLOW,
    FakeClock,
    Script,
    Stepper,
    api,
    creation,
    fresh_creations,
    job,
    server_error,
)


def creation_kinds(stepper: Stepper) -> list[str]:
    return [
        "POST" if c.method == "POST" else "list" if c.url.endswith("/jobs") else "get" for c in stepper.calls
    ]


class TestCreation:
    def test_a_refusal_is_resent_without_looking_for_a_job(self) -> None:
        clock = FakeClock()
        stepper = Stepper(Script([[]], [server_error(503), job(JOB)]), clock)
        created = stepper.run(creation(clock))
        assert created.id == JOB
        assert creation_kinds(stepper) == ["list", "POST", "list", "POST"]

    def test_a_500_with_no_new_job_is_resent(self) -> None:
        clock = FakeClock()
        stepper = Stepper(Script([[]], [server_error(500), job(JOB)]), clock)
        assert stepper.run(creation(clock)).id == JOB
        assert creation_kinds(stepper) == ["list", "POST", "list", "list", "POST"]

    def test_a_500_with_one_new_job_adopts_it(self) -> None:
        clock = FakeClock()
        stepper = Stepper(Script([[], [JOB]], [server_error(502)]), clock)
        assert stepper.run(creation(clock)).id == JOB
        assert creation_kinds(stepper) == ["list", "POST", "list", "get"]

    def test_two_new_jobs_are_ambiguous_at_once_without_shared_claims(self) -> None:
        clock = FakeClock()
        stepper = Stepper(Script([[], [JOB, OTHER]], [server_error(504)]), clock)
        with pytest.raises(AlteryxAmbiguousJobError) as caught:
            stepper.run(creation(clock))
        assert set(caught.value.candidates) == {JOB, OTHER}
        assert "POST" not in creation_kinds(stepper)[2:]  # never sent again

    def test_with_shared_claims_it_announces_then_waits_for_claims_before_giving_up(self) -> None:
        clock = FakeClock()
        claims = SharedClaims(contested={JOB})
        stepper = Stepper(Script([[], [JOB]], [server_error(500)]), clock)
        with pytest.raises(AlteryxAmbiguousJobError):
            stepper.run(creation(clock, claims=claims))
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
        assert stepper.run(creation(clock, claims=claims)).id == JOB


class TestTurns:
    """Creations of one workflow sharing a store: the snapshot while the one ahead is sent, one POST at a time."""

    def test_the_next_creation_lists_jobs_while_the_one_ahead_is_sent_then_sends_after_it(self) -> None:
        clock = FakeClock()
        creations = fresh_creations(clock)
        first, second, third = (creation(clock, creations=creations) for _ in range(3))
        assert kind(next(first)) == kind(next(second)) == "list"  # both snapshots go out at once
        assert next(third) == Sleep(TURN_POLL_SECONDS)  # two ahead: it waits
        assert kind(first.send([])) == "POST"
        assert second.send([]) == Sleep(TURN_POLL_SECONDS)  # its POST waits for the first's answer
        assert third.send(None) == Sleep(TURN_POLL_SECONDS)
        with pytest.raises(StopIteration):
            first.send(job(JOB))
        assert kind(second.send(None)) == "POST"
        assert (
            kind(third.send(None)) == "list"
        )  # one ahead now: its snapshot goes out while the second is sent

    def test_a_creation_further_back_looks_at_its_place_less_often(self) -> None:
        clock = FakeClock()
        creations = fresh_creations(clock)
        queue = [creation(clock, creations=creations) for _ in range(30)]
        for waiting in queue[:2]:
            assert kind(next(waiting)) == "list"
        # The third waits for one creation, the fifth for three (it may list jobs with one ahead), the last
        # for 28, which is past the longest pause.
        assert next(queue[2]) == Sleep(turn_poll_seconds(1)) == Sleep(TURN_POLL_SECONDS)
        assert [next(waiting) for waiting in queue[3:5]] == [
            Sleep(2 * TURN_POLL_SECONDS),
            Sleep(3 * TURN_POLL_SECONDS),
        ]
        for waiting in queue[5:-1]:
            next(waiting)
        assert next(queue[-1]) == Sleep(TURN_POLL_MAX_SECONDS)

    def test_an_abandoned_creation_passes_the_turn_on(self) -> None:
        clock = FakeClock()
        creations = fresh_creations(clock)
        first, second = creation(clock, creations=creations), creation(clock, creations=creations)
        next(first), next(second)
        assert kind(first.send([])) == "POST"
        assert second.send([]) == Sleep(TURN_POLL_SECONDS)
        first.close()  # e.g. the task was killed: its place is given up at once
        assert kind(second.send(None)) == "POST"

    def test_after_a_creator_died_while_sending_the_next_waits_a_lease_and_lists_jobs_again(self) -> None:
        clock = FakeClock()
        creations = fresh_creations(clock)
        first, second = creation(clock, creations=creations), creation(clock, creations=creations)
        next(first), next(second)
        assert kind(first.send([])) == "POST"
        creations.leases.forget()  # the first's process is gone: nobody renews its place
        step = sleep_through(second, second.send([]), clock)
        assert clock.now - 1000.0 == pytest.approx(LEASE_SECONDS, abs=0.1)
        assert kind(step) == "list"  # its snapshot predates the lapse: taken again before its POST
        assert kind(second.send([job(OTHER)])) == "POST"

    def test_the_wait_for_a_turn_ends_with_the_operation_budget_and_says_what_was_ahead(self) -> None:
        clock = FakeClock()
        creations = fresh_creations(clock)
        policy = RetryPolicy(budget=5.0)
        first, second = creation(clock, creations=creations), creation(clock, policy, creations=creations)
        next(first), next(second)
        assert kind(first.send([])) == "POST"  # and its answer never comes
        with pytest.raises(
            AlteryxCoordinationError, match=r"1 creation\(s\) of it were still ahead"
        ) as caught:
            sleep_through(second, second.send([]), clock)
        assert "Nothing was sent" in str(caught.value) and clock.now - 1000.0 == pytest.approx(5.0, abs=0.1)

    def test_a_lost_answer_is_not_given_the_job_of_the_creation_before_it(self) -> None:
        """The first's job appeared after the second's snapshot; it was recorded before the turn passed."""
        clock = FakeClock()
        creations = fresh_creations(clock)
        first, second = creation(clock, creations=creations), creation(clock, creations=creations)
        next(first), next(second)
        first.send([])
        second.send([])  # the second's snapshot: no jobs yet
        with pytest.raises(StopIteration):
            first.send(job(JOB))
        assert kind(second.send(None)) == "POST"
        assert kind(second.throw(server_error(502))) == "list"  # its answer is lost: reconcile
        assert (
            kind(second.send([job(JOB), job(OTHER)])) == f"get {OTHER}"
        )  # the job read is the one it created

    def test_candidates_of_an_ambiguous_creation_are_never_adopted_by_the_next(self) -> None:
        clock = FakeClock()
        creations = fresh_creations(clock)
        first, second = creation(clock, creations=creations), creation(clock, creations=creations)
        next(first), next(second)
        first.send([]), second.send([])
        first.throw(server_error(502))
        with pytest.raises(AlteryxAmbiguousJobError):
            first.send([job(JOB), job(OTHER)])  # two unknown jobs (one from outside Airflow): ambiguous
        assert kind(second.send(None)) == "POST"
        second.throw(server_error(502))
        with pytest.raises(AlteryxAmbiguousJobError) as caught:
            second.send([job(JOB), job(OTHER)])  # the same two, held by the first: not adopted
        assert set(caught.value.candidates) == {JOB, OTHER}


def kind(step: ApiCall | Sleep) -> str:
    """What a creation asks for: a ``list`` of the workflow's jobs, a ``POST``, a ``get <job>``, or a ``sleep``."""
    if isinstance(step, Sleep):
        return "sleep"
    if step.method == "POST":
        return "POST"
    return "list" if step.url.endswith(f"/workflows/{WORKFLOW}/jobs") else f"get {step.url.rsplit('/', 1)[1]}"


def sleep_through(operation: Operation[Any], step: ApiCall | Sleep, clock: FakeClock) -> ApiCall:
    """Sleep on the fake clock through every Sleep ``operation`` asks for, up to its next call."""
    while isinstance(step, Sleep):
        clock.now += step.seconds
        step = operation.send(None)
    return step


class SharedClaims:
    shared = True
    owner = "dag/run/task[0]"

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
