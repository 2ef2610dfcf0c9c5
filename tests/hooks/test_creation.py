"""Job creation under failures, over real HTTP: resend what the Server surely never got, reconcile the rest.

Each test makes one creation fail in one way through :mod:`tests.hooks.fault_proxy`, and checks the
emulator's own job list: exactly the jobs that should exist, and the one the hook returned is its own.
"""

from __future__ import annotations

import itertools
import json
import os
import threading
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Literal

import pytest
import requests

from airflow_provider_alteryx.emulator import RunningEmulator
from airflow_provider_alteryx.exceptions import AlteryxAmbiguousJobError
from airflow_provider_alteryx.hooks.alteryx import AlteryxServerHook
from airflow_provider_alteryx.hooks.jobs import JobRequest
from tests.conftest import QUICK, REGIONAL, RedisServer
from tests.hooks.fault_proxy import FaultProxy, Rule, fault_proxy

JOBS = f"/workflows/{REGIONAL}/jobs"


@pytest.fixture
def proxy(emulator: RunningEmulator, monkeypatch: pytest.MonkeyPatch) -> Iterator[FaultProxy]:
    """``alteryx_default`` pointing at a fault proxy in front of the emulator."""
    with fault_proxy(emulator.url) as running:
        connection = json.loads(emulator.connection())
        monkeypatch.setenv("AIRFLOW_CONN_ALTERYX_DEFAULT", json.dumps({**connection, "host": running.url}))
        yield running


def hook() -> AlteryxServerHook:
    return AlteryxServerHook(retry_limit=4, retry_delay=0.01)


def create_elsewhere(emulator: RunningEmulator, region: str) -> str:
    """Another caller's job of the same workflow, created straight on the emulator (not through this process's hook)."""
    form = {
        "grant_type": "client_credentials",
        "client_id": emulator.api_key,
        "client_secret": emulator.api_secret,
    }
    token = requests.post(f"{emulator.url}/webapi/oauth2/token", data=form, timeout=10).json()["access_token"]
    body = {"questions": [{"name": "region", "value": region}]}
    answer = requests.post(
        f"{emulator.url}/webapi/v3{JOBS}", json=body, headers={"Authorization": f"Bearer {token}"}, timeout=10
    )
    return str(answer.json()["id"])


def jobs_by_region(emulator: RunningEmulator) -> dict[str, str]:
    return {job["questions"]["region"]: job["id"] for job in emulator.jobs() if job["workflowId"] == REGIONAL}


@pytest.mark.parametrize("answer", [503, 429])
def test_a_refusal_before_processing_is_resent_without_reconciling(
    emulator: RunningEmulator, proxy: FaultProxy, answer: int
) -> None:
    proxy.rules.append(Rule("POST", JOBS, "before", answer))
    job = hook().run_workflow(REGIONAL, {"region": "EMEA"})
    assert jobs_by_region(emulator) == {"EMEA": job.id}
    assert proxy.count("POST", JOBS) == 2
    assert proxy.count("GET", JOBS) == 2  # one snapshot per try, no reconciliation


@pytest.mark.parametrize("answer", [500, 502, 504, "drop"])
def test_a_failure_that_may_hide_a_job_is_reconciled_before_resending(
    emulator: RunningEmulator, proxy: FaultProxy, answer: int | Literal["drop"]
) -> None:
    proxy.rules.append(Rule("POST", JOBS, "before", answer))
    job = hook().run_workflow(REGIONAL, {"region": "EMEA"})
    assert jobs_by_region(emulator) == {"EMEA": job.id}
    assert proxy.count("POST", JOBS) == 2
    # Snapshot, reconciliation (twice for a cut connection: the Server may still be creating), snapshot again.
    assert proxy.count("GET", JOBS) == (4 if answer == "drop" else 3)


@pytest.mark.parametrize("answer", [500, 502, 504, "drop"])
def test_a_lost_answer_after_processing_adopts_the_job_it_created(
    emulator: RunningEmulator, proxy: FaultProxy, answer: int | Literal["drop"]
) -> None:
    proxy.rules.append(Rule("POST", JOBS, "after", answer))
    job = hook().run_workflow(REGIONAL, {"region": "EMEA"})
    assert jobs_by_region(emulator) == {"EMEA": job.id}
    assert (proxy.count("POST", JOBS), job.workflow_id) == (1, REGIONAL)


def test_adoption_is_refused_while_another_callers_job_is_unaccounted_for(
    emulator: RunningEmulator, proxy: FaultProxy
) -> None:
    proxy.rules.append(
        Rule("POST", JOBS, "after", "drop", meanwhile=lambda: create_elsewhere(emulator, "APAC"))
    )
    with pytest.raises(AlteryxAmbiguousJobError, match="cannot be told apart") as caught:
        hook().run_workflow(REGIONAL, {"region": "EMEA"})
    created = jobs_by_region(emulator)
    assert set(created) == {"EMEA", "APAC"}  # nothing created on top of the two
    assert set(caught.value.candidates) == set(created.values())


class Claimed:
    """Claims of other callers as a test states them."""

    shared = False
    owner = "dag/run/task[0]"

    def __init__(self, taken: Sequence[str] = (), contested: Sequence[str] = ()) -> None:
        self._taken, self._contested = set(taken), set(contested)

    def taken(self) -> set[str]:
        return self._taken

    def contested(self) -> set[str]:
        return self._contested

    def announce(self, candidates: Sequence[str]) -> None:
        pass


def test_a_job_another_caller_claims_does_not_stop_adoption(
    emulator: RunningEmulator, proxy: FaultProxy
) -> None:
    foreign: list[str] = []
    proxy.rules.append(
        Rule(
            "POST",
            JOBS,
            "after",
            "drop",
            meanwhile=lambda: foreign.append(create_elsewhere(emulator, "APAC")),
        )
    )
    claims = _LateClaims(foreign)
    job = hook().create_job(JobRequest.build(REGIONAL, {"region": "EMEA"}), claims=claims)
    assert jobs_by_region(emulator) == {"EMEA": job.id, "APAC": foreign[0]}


class _LateClaims(Claimed):
    """Claims that learn the other caller's job once it exists (it is created while the answer is lost)."""

    def __init__(self, foreign: list[str]) -> None:
        super().__init__()
        self.foreign = foreign

    def taken(self) -> set[str]:
        return set(self.foreign)


def test_jobs_this_process_created_are_never_candidates(emulator: RunningEmulator, proxy: FaultProxy) -> None:
    other = hook().run_workflow(REGIONAL, {"region": "APAC"})
    proxy.rules.append(Rule("POST", JOBS, "after", 502))
    job = hook().run_workflow(REGIONAL, {"region": "EMEA"})
    assert jobs_by_region(emulator) == {"APAC": other.id, "EMEA": job.id}


class TestResumingAnAmbiguousCreation:
    """A retry of a task whose creation stayed ambiguous examines the candidates again instead of creating."""

    def test_the_one_candidate_nobody_claims_is_adopted(
        self, emulator: RunningEmulator, use_connection_to: None
    ) -> None:
        mine, theirs = create_elsewhere(emulator, "EMEA"), create_elsewhere(emulator, "APAC")
        job = hook().resume_creation(REGIONAL, [mine, theirs], claims=Claimed(taken=[theirs]))
        assert job is not None and (job.id, job.workflow_id) == (mine, REGIONAL)

    def test_when_every_candidate_is_claimed_the_creation_never_happened(
        self, emulator: RunningEmulator, use_connection_to: None
    ) -> None:
        a, b = create_elsewhere(emulator, "EMEA"), create_elsewhere(emulator, "APAC")
        assert hook().resume_creation(REGIONAL, [a, b], claims=Claimed(taken=[a, b])) is None

    def test_a_candidate_another_caller_also_holds_stays_ambiguous(
        self, emulator: RunningEmulator, use_connection_to: None
    ) -> None:
        a = create_elsewhere(emulator, "EMEA")
        with pytest.raises(AlteryxAmbiguousJobError) as caught:
            hook().resume_creation(REGIONAL, [a], claims=Claimed(contested=[a]))
        assert caught.value.candidates == (a,)


@pytest.fixture
def use_connection_to(emulator: RunningEmulator, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AIRFLOW_CONN_ALTERYX_DEFAULT", emulator.connection())


def test_creations_of_one_workflow_take_turns_and_others_do_not_wait(
    emulator: RunningEmulator, proxy: FaultProxy
) -> None:
    """Concurrent creations in one process, some answers lost: each gets its own job, none is duplicated."""
    from concurrent.futures import ThreadPoolExecutor

    proxy.rules += [
        Rule("POST", JOBS, "after", "drop", times=3),
        Rule("POST", f"/workflows/{QUICK}/jobs", "after", 502),
    ]
    regions = [f"R{i}" for i in range(8)]
    with ThreadPoolExecutor(8) as pool:
        returned = dict(
            zip(
                regions,
                pool.map(lambda r: hook().run_workflow(REGIONAL, {"region": r}).id, regions),
                strict=True,
            )
        )
        quick = pool.submit(lambda: hook().run_workflow(QUICK).id).result()
    assert jobs_by_region(emulator) == returned
    assert [j["id"] for j in emulator.jobs() if j["workflowId"] == QUICK] == [quick]


def _create_in_another_process(environment: dict[str, str], region: str) -> str:
    import os
    import tempfile

    os.environ.update(environment)
    tempfile.tempdir = None  # the TMPDIR of this "host"
    return AlteryxServerHook(retry_limit=4, retry_delay=0.01).run_workflow(REGIONAL, {"region": region}).id


def _create_in_two_processes(environments: list[dict[str, str]]) -> dict[str, str | BaseException]:
    """One creation in each of two processes (spawned, as task processes of separate hosts or one)."""
    import multiprocessing

    with multiprocessing.get_context("spawn").Pool(2) as pool:
        pending = {
            region: pool.apply_async(_create_in_another_process, (environment, region))
            for region, environment in zip(["EMEA", "APAC"], environments, strict=True)
        }
        outcomes: dict[str, str | BaseException] = {}
        for region, result in pending.items():
            try:
                outcomes[region] = result.get(timeout=120)
            except Exception as error:
                outcomes[region] = error
    return outcomes


def _lose_both_answers_at_once(proxy: FaultProxy) -> None:
    # Each lost answer is held for a second, so that without shared turns the two creations overlap for sure.
    proxy.rules.append(Rule("POST", JOBS, "after", "drop", times=2, meanwhile=lambda: time.sleep(1.0)))


def test_processes_on_one_machine_take_turns_so_lost_answers_stay_attributable(
    emulator: RunningEmulator, proxy: FaultProxy
) -> None:
    """As LocalExecutor's task processes do: both answers are lost, and each process still gets its own job."""
    _lose_both_answers_at_once(proxy)
    connection = {"AIRFLOW_CONN_ALTERYX_DEFAULT": os.environ["AIRFLOW_CONN_ALTERYX_DEFAULT"]}
    returned = _create_in_two_processes([connection, connection])
    assert jobs_by_region(emulator) == returned


def _separate_hosts(tmp_path: Path, extra: dict[str, str]) -> list[dict[str, str]]:
    """Two environments that share no temporary directory, as two hosts, with the connection's ``extra``."""
    connection = json.loads(os.environ["AIRFLOW_CONN_ALTERYX_DEFAULT"])
    connection["extra"] = {**connection.get("extra", {}), **extra}
    hosts = []
    for name in ("host-a", "host-b"):
        (tmp_path / name).mkdir()
        hosts.append({"AIRFLOW_CONN_ALTERYX_DEFAULT": json.dumps(connection), "TMPDIR": str(tmp_path / name)})
    return hosts


def test_hosts_that_share_a_redis_take_turns_so_lost_answers_stay_attributable(
    emulator: RunningEmulator, proxy: FaultProxy, redis_server: RedisServer, tmp_path: Path
) -> None:
    _lose_both_answers_at_once(proxy)
    hosts = _separate_hosts(tmp_path, {"coordination_conn_id": "redis_turns"})
    for host in hosts:
        host["AIRFLOW_CONN_REDIS_TURNS"] = f"redis://127.0.0.1:{redis_server.port}/0"
    returned = _create_in_two_processes(hosts)
    assert jobs_by_region(emulator) == returned


def test_hosts_that_share_nothing_cannot_attribute_answers_lost_together_and_create_nothing_more(
    emulator: RunningEmulator, proxy: FaultProxy, tmp_path: Path
) -> None:
    """What a deployment without coordination loses: the two creations overlap, so both lost answers stay
    ambiguous; still, no job is created twice."""
    _lose_both_answers_at_once(proxy)
    # Both POSTs are held until both have arrived, so each snapshot precedes both creations.
    both_posted = threading.Barrier(2)
    held = itertools.count()
    proxy.hold = lambda method, path: (
        both_posted.wait(timeout=60) if method == "POST" and JOBS in path and next(held) < 2 else None
    )
    outcomes = _create_in_two_processes(_separate_hosts(tmp_path, {}))
    assert all(isinstance(outcome, AlteryxAmbiguousJobError) for outcome in outcomes.values()), outcomes
    assert set(jobs_by_region(emulator)) == {"EMEA", "APAC"}
