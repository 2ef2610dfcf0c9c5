"""The hook against what real Servers answer, on every Server version: integer priorities and ``null``
appIds, statuses it does not know, engine lines, an Artisan's key, long queues, stranded and cancelled jobs, and
a Server restarting mid-run. The emulator answers as real Servers do (see ``tests/emulator/test_fidelity.py``)."""

from __future__ import annotations

import pytest

from airflow_provider_alteryx.emulator import EmulatorConfig, Role, RunningEmulator, run_emulator
from airflow_provider_alteryx.emulator.catalogue import Workflow
from airflow_provider_alteryx.exceptions import AlteryxJobTimeoutError
from airflow_provider_alteryx.hooks.alteryx import AlteryxServerHook
from tests.conftest import QUICK, REGIONAL, SLOW, VERSION_AUTH, StartEmulator, UseConnection


def fast_hook() -> AlteryxServerHook:
    return AlteryxServerHook(retry_limit=5, retry_delay=0.01)


@pytest.mark.parametrize(("version", "auth"), VERSION_AUTH)
def test_a_run_through_statuses_the_hook_does_not_know_with_engine_lines(
    start_emulator: StartEmulator, use_connection: UseConnection, version: str, auth: str
) -> None:
    emulator = start_emulator(
        server_version=version,
        created_seconds=0.2,
        initializing_seconds=0.2,
        time_scale=0.5,
        engine_messages=True,
    )
    use_connection(emulator, auth)
    hook = fast_hook()
    job = hook.run_workflow(REGIONAL, {"region": "EMEA"})
    assert job.status == "Queued" and job.workflow_id == REGIONAL
    finished = hook.wait_for_job(job.id, poll_interval=0.05)
    assert (finished.status, finished.disposition, finished.succeeded()) == ("Completed", "Success", True)
    assert [m.tool_id for m in finished.messages] == [-1, 1, -1] and finished.problems == ()


@pytest.mark.parametrize(("version", "auth"), VERSION_AUTH)
def test_the_priority_reads_as_a_name_on_every_version(
    start_emulator: StartEmulator, use_connection: UseConnection, version: str, auth: str
) -> None:
    use_connection(start_emulator(server_version=version), auth)
    job = fast_hook().run_workflow(QUICK, priority="High")
    assert job.priority == "High"
    assert fast_hook().get_job(job.id).priority == "High"


@pytest.mark.parametrize(
    ("version", "auth"), VERSION_AUTH
)  # on 2021.4 and 2022.1 V3 answers an Artisan 401: /webapi/v1 then
def test_an_artisans_key_runs_a_workflow(
    start_emulator: StartEmulator, monkeypatch: pytest.MonkeyPatch, version: str, auth: str
) -> None:
    emulator = start_emulator(server_version=version, time_scale=0.1)
    monkeypatch.setenv("AIRFLOW_CONN_ALTERYX_DEFAULT", emulator.connection(auth, role=Role.ARTISAN))
    hook = fast_hook()
    assert QUICK in {w.id for w in hook.list_workflows()}
    job = hook.run_workflow(REGIONAL, {"region": "EMEA"})
    assert hook.wait_for_job(job.id, poll_interval=0.05).succeeded()
    assert [j.id for j in hook.list_workflow_jobs(REGIONAL)] == [job.id]


def test_an_artisan_sees_only_their_own_jobs_when_reconciling(
    start_emulator: StartEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    emulator = start_emulator(worker_tags=())
    monkeypatch.setenv("AIRFLOW_CONN_ALTERYX_DEFAULT", emulator.connection())
    someone_elses = fast_hook().run_workflow(SLOW)
    monkeypatch.setenv("AIRFLOW_CONN_ALTERYX_DEFAULT", emulator.connection(role=Role.ARTISAN))
    mine = fast_hook().run_workflow(SLOW)
    assert [j.id for j in fast_hook().list_workflow_jobs(SLOW)] == [mine.id]
    assert someone_elses.id not in {j["id"] for j in emulator.jobs() if j["owner"] == emulator.artisan_key}


@pytest.mark.parametrize(("version", "auth"), VERSION_AUTH)
def test_a_job_waiting_behind_other_users_still_completes(
    start_emulator: StartEmulator, use_connection: UseConnection, version: str, auth: str
) -> None:
    emulator = start_emulator(server_version=version, workers=1, background_load=1, background_seconds=0.4)
    use_connection(emulator, auth)
    job = fast_hook().run_workflow(QUICK)
    assert fast_hook().wait_for_job(job.id, poll_interval=0.05).succeeded()
    started = next(j for j in emulator.jobs() if j["id"] == job.id)["startedAt"]
    assert started >= next(j for j in emulator.jobs() if j["owner"] == "other users")["finishedAt"]


@pytest.mark.parametrize(("version", "auth"), VERSION_AUTH)
def test_a_job_tagged_for_no_worker_times_out_still_queued(
    start_emulator: StartEmulator, use_connection: UseConnection, version: str, auth: str
) -> None:
    emulator = start_emulator(server_version=version, worker_tags=("eu",))
    use_connection(emulator, auth)
    if version != "2025.1" and version != "2023.1":
        pytest.skip("worker tags are set through V3 only")
    job = fast_hook().run_workflow(QUICK, worker_tag="gpu")
    with pytest.raises(AlteryxJobTimeoutError, match="was still Queued"):
        fast_hook().wait_for_job(job.id, poll_interval=0.05, timeout=0.5)


@pytest.mark.parametrize(("version", "auth"), VERSION_AUTH)
def test_a_job_cancelled_by_the_workers_time_limit_is_not_a_success(
    start_emulator: StartEmulator, use_connection: UseConnection, version: str, auth: str
) -> None:
    use_connection(start_emulator(server_version=version, cancel_after=0.3), auth)
    job = fast_hook().wait_for_job(fast_hook().run_workflow(SLOW).id, poll_interval=0.05)
    assert (job.status, job.outcome, job.succeeded()) == ("Cancelled", "Cancelled", False)
    assert any("ran longer than 0.3 seconds" in m.text for m in job.problems)


@pytest.mark.parametrize(("version", "auth"), VERSION_AUTH)
def test_the_server_restarting_mid_run_loses_no_job(
    workflows: tuple[Workflow, ...], use_connection: UseConnection, tmp_path: object, version: str, auth: str
) -> None:
    state = tmp_path / "state.json"  # type: ignore[operator]
    config = EmulatorConfig(workflows=workflows, server_version=version, state_file=state, time_scale=0.02)
    with run_emulator(config) as before:
        use_connection(before, auth)
        hook = fast_hook()
        job = hook.run_workflow(SLOW)
    port = int(before.url.rsplit(":", 1)[1])
    with run_emulator(config, port=port) as after:
        assert isinstance(after, RunningEmulator)
        finished = hook.wait_for_job(job.id, poll_interval=0.05)  # same hook, same token, restarted Server
        assert (finished.status, finished.disposition) == ("Completed", "Success")
