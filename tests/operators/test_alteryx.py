"""AlteryxRunWorkflowOperator inside real DAG runs (dag.test(), triggers inline) against the emulator."""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path

import pytest
from airflow.providers.common.compat.version_compat import AIRFLOW_V_3_0_PLUS

from airflow_provider_alteryx.emulator import RunningEmulator
from airflow_provider_alteryx.exceptions import AlteryxInputError
from airflow_provider_alteryx.hooks.alteryx import AlteryxServerHook
from airflow_provider_alteryx.operators.alteryx import AlteryxRunWorkflowOperator
from tests.conftest import HAS_TASK_STATE, REGIONAL, SLOW, RunDag, StartEmulator

MODES = ["sync", "deferred"]


@pytest.mark.parametrize("mode", MODES)
def test_success_pushes_ids_link_summary_and_outputs(
    connected_emulator: RunningEmulator,
    run_dag: RunDag,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    mode: str,
) -> None:
    monkeypatch.setenv("AIRFLOW_VAR_ALTERYX_TEST_OUTPUTS", str(tmp_path))
    result = run_dag(f"success_{mode}")
    assert result.state == "success"
    (job,) = connected_emulator.jobs()
    assert (job["questions"]["region"], job["disposition"]) == ("EMEA", "Success")
    assert result.xcom("return_value") == result.xcom("job_id") == job["id"]
    assert result.xcom("job_url") == f"{connected_emulator.url}/webapi/v1/jobs/{job['id']}"
    workflow_page = f"{connected_emulator.url}/gallery/app/workflow/{REGIONAL}"
    assert result.xcom("workflow_url") == result.link() == workflow_page
    summary = result.xcom("job")
    assert isinstance(summary, dict) and (summary["id"], summary["disposition"]) == (job["id"], "Success")
    saved = tmp_path / job["id"] / "sales_EMEA.csv"
    assert result.xcom("output_files") == [str(saved)] and saved.read_text() == "region,total\nEMEA,42\n"
    # What a person sees in the task log: the status changes with durations, and the engine messages.
    assert (
        f"Alteryx job {job['id']} finished: Success" in result.log
        and "Info: Read EMEA (tool 1)" in result.log
    )


@pytest.mark.parametrize("mode", MODES)
def test_warning_succeeds_unless_fail_on_warning(
    connected_emulator: RunningEmulator, run_dag: RunDag, mode: str
) -> None:
    assert run_dag(f"warning_{mode}").state == "success"
    failed = run_dag(f"warning_fails_{mode}")
    assert failed.state == "failed"
    job_id = connected_emulator.jobs()[-1]["id"]
    assert (
        f"Alteryx job {job_id} of workflow 0000000000000000000000a3 ended with warnings and fail_on_warning is set: Warning: 3 rows had no id"
        in failed.log
    )


@pytest.mark.parametrize("mode", MODES)
def test_error_fails_the_task_with_the_servers_messages(
    connected_emulator: RunningEmulator, run_dag: RunDag, mode: str
) -> None:
    result = run_dag(f"error_{mode}")
    assert (result.state, result.tasks[("run", -1)][0]) == ("failed", "failed")
    (job,) = connected_emulator.jobs()
    assert (
        f"Alteryx job {job['id']} of workflow {REGIONAL} ended with disposition Error: Error: No sales table for Atlantis (tool 2)"
        in result.log
    )
    assert result.xcom("job")["disposition"] == "Error"  # type: ignore[index]


@pytest.mark.parametrize("mode", MODES)
def test_a_job_cancelled_on_the_server_fails_the_task(
    connected_emulator: RunningEmulator, run_dag: RunDag, mode: str
) -> None:
    def cancel_when_created() -> None:
        for _ in range(200):
            if connected_emulator.jobs():
                AlteryxServerHook().cancel_job(connected_emulator.jobs()[0]["id"])
                return
            time.sleep(0.05)

    canceller = threading.Thread(target=cancel_when_created)
    canceller.start()
    result = run_dag(f"slow_{mode}")
    canceller.join()
    assert result.state == "failed"
    assert "was cancelled" in result.log and connected_emulator.jobs()[0]["status"] == "Cancelled"


@pytest.mark.parametrize("mode", MODES)
def test_timeout_cancels_the_job_and_fails_the_task(
    connected_emulator: RunningEmulator, run_dag: RunDag, mode: str
) -> None:
    result = run_dag(f"timeout_{mode}")
    assert result.state == "failed"
    (job,) = connected_emulator.jobs()  # cancelled, not completed: the wait did not outlast the timeout
    assert (job["status"], job["disposition"]) == ("Cancelled", "Cancelled")
    assert (
        f"Job {job['id']} was still Running when its time ran out" in result.log
        and "the job was cancelled" in result.log
    )


@pytest.mark.parametrize("mode", MODES)
def test_mapped_run_of_three_runs_three_jobs_each_linked(
    connected_emulator: RunningEmulator, run_dag: RunDag, mode: str
) -> None:
    result = run_dag(f"mapped_{mode}")
    assert result.state == "success"
    jobs = connected_emulator.jobs()
    assert sorted(j["questions"]["region"] for j in jobs) == ["AMER", "APAC", "EMEA"]
    assert {result.xcom("job_id", map_index=i) for i in range(3)} == {j["id"] for j in jobs}
    assert all(
        result.link(map_index=i) == f"{connected_emulator.url}/gallery/app/workflow/{REGIONAL}"
        for i in range(3)
    )


@pytest.mark.parametrize("mode", MODES)
def test_retry_after_a_failed_job_submits_a_second_job(
    connected_emulator: RunningEmulator, run_dag: RunDag, mode: str
) -> None:
    result = run_dag(f"retry_failed_job_{mode}")
    assert result.state == "failed" and result.tasks[("run", -1)][1] == 2
    jobs = connected_emulator.jobs()
    assert len(jobs) == 2 and {j["disposition"] for j in jobs} == {"Error"}
    if HAS_TASK_STATE:
        assert (
            f"The earlier try's job {jobs[0]['id']} has finished (Error); submitting a new one" in result.log
        )


@pytest.mark.skipif(not HAS_TASK_STATE, reason="re-attaching needs Airflow 3.3 task state")
@pytest.mark.parametrize("mode", MODES)
def test_retry_while_the_first_job_runs_reattaches_without_a_second_job(
    connected_emulator: RunningEmulator, run_dag: RunDag, mode: str
) -> None:
    result = run_dag(f"retry_running_job_{mode}")
    assert result.state == "success" and result.tasks[("run", -1)][1] == 2
    (job,) = connected_emulator.jobs()  # the emulator's job list proves it: one job for two tries
    assert job["disposition"] == "Success"
    assert "simulated worker crash" in result.log
    assert f"Re-attaching to job {job['id']} of an earlier try, which is still Running" in result.log
    assert result.xcom("return_value") == job["id"]


@pytest.mark.skipif(HAS_TASK_STATE, reason="documents what Airflow before 3.3 does")
@pytest.mark.parametrize("mode", MODES)
def test_before_airflow_3_3_a_retry_submits_a_new_job_even_while_the_first_runs(
    connected_emulator: RunningEmulator, run_dag: RunDag, mode: str
) -> None:
    result = run_dag(f"retry_running_job_{mode}")
    assert result.state == "success" and result.tasks[("run", -1)][1] == 2
    first, second = connected_emulator.jobs()
    assert first["id"] != second["id"] and second["disposition"] == "Success"
    assert result.xcom("return_value") == second["id"]
    assert "Re-attaching" not in result.log


def test_unknown_question_fails_before_any_job_exists(
    connected_emulator: RunningEmulator, run_dag: RunDag
) -> None:
    result = run_dag("unknown_question")
    assert result.state == "failed"
    assert connected_emulator.jobs() == []
    assert "has no question(s) regoin; its questions are: region, as_of" in result.log


def test_link_follows_the_connections_url_template(
    start_emulator: StartEmulator, run_dag: RunDag, monkeypatch: pytest.MonkeyPatch
) -> None:
    emulator = start_emulator(time_scale=0.5)
    conn = json.loads(emulator.connection())
    conn["extra"]["workflow_url_template"] = "{base_url}/designer/{workflow_id}"
    monkeypatch.setenv("AIRFLOW_CONN_ALTERYX_DEFAULT", json.dumps(conn))
    result = run_dag("warning_sync")
    assert result.link() == f"{emulator.url}/designer/0000000000000000000000a3"


def test_on_kill_cancels_the_job_once_and_is_idempotent(connected_emulator: RunningEmulator) -> None:
    operator = AlteryxRunWorkflowOperator(task_id="t", workflow_id=SLOW)
    operator.job_id = AlteryxServerHook().run_workflow(SLOW).id
    operator.on_kill()
    operator.on_kill()  # Airflow may call it more than once
    (job,) = connected_emulator.jobs()
    assert job["status"] == "Cancelled"
    untouched = AlteryxRunWorkflowOperator(task_id="u", workflow_id=SLOW, cancel_on_kill=False)
    untouched.job_id = AlteryxServerHook().run_workflow(SLOW).id
    untouched.on_kill()
    assert connected_emulator.jobs()[1]["status"] == "Running"


def test_execution_timeout_holds_while_deferred_and_cancels_the_job(
    connected_emulator: RunningEmulator, run_dag: RunDag
) -> None:
    result = run_dag("execution_timeout_deferred")
    assert result.state == "failed"
    (job,) = connected_emulator.jobs()
    assert (job["status"], job["disposition"]) == ("Cancelled", "Cancelled")
    assert "(the execution_timeout of 0:00:02 passed); the job was cancelled" in result.log


def test_a_workflow_named_instead_of_its_id_is_resolved_before_the_job(
    connected_emulator: RunningEmulator, run_dag: RunDag
) -> None:
    result = run_dag("by_name")
    assert result.state == "success"
    (job,) = connected_emulator.jobs()
    assert job["workflowId"] == REGIONAL
    assert result.xcom("workflow_url") == f"{connected_emulator.url}/gallery/app/workflow/{REGIONAL}"


def test_an_unknown_workflow_name_fails_before_any_job_listing_the_names(
    connected_emulator: RunningEmulator, run_dag: RunDag
) -> None:
    result = run_dag("by_name", {"name": "Regionall"})
    assert result.state == "failed"
    assert connected_emulator.jobs() == []
    assert (
        "No workflow named 'Regionall' is visible to this API key" in result.log
        and "'Regional'" in result.log
    )


def test_hook_params_reach_the_trigger_and_bad_ones_fail_at_parse_time(
    connected_emulator: RunningEmulator, run_dag: RunDag
) -> None:
    assert run_dag("hook_params_deferred").state == "success"
    with pytest.raises(AlteryxInputError, match="hook_params has unknown name.s. retries"):
        AlteryxRunWorkflowOperator(task_id="t", workflow_id=REGIONAL, hook_params={"retries": 3})
    with pytest.raises(AlteryxInputError, match="retry_limit is 0"):
        AlteryxRunWorkflowOperator(task_id="t", workflow_id=REGIONAL, hook_params={"retry_limit": 0})
    with pytest.raises(AlteryxInputError, match="exactly one of workflow_id"):
        AlteryxRunWorkflowOperator(task_id="t", workflow_id=REGIONAL, workflow_name="Regional")


@pytest.mark.skipif(not AIRFLOW_V_3_0_PLUS, reason="the operator adds asset events on Airflow 3")
def test_success_adds_asset_events_for_the_workflow_and_each_saved_output(
    connected_emulator: RunningEmulator, run_dag: RunDag, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from airflow.models.asset import AssetEvent, AssetModel
    from airflow.utils.session import create_session

    from airflow_provider_alteryx.assets.alteryx import workflow_uri

    monkeypatch.setenv("AIRFLOW_VAR_ALTERYX_TEST_OUTPUTS", str(tmp_path))
    assert run_dag("success_deferred").state == "success"
    (job,) = connected_emulator.jobs()
    extra = {"job_id": job["id"], "disposition": "Success"}
    with create_session() as session:
        rows = session.query(AssetModel.uri, AssetEvent.extra).join(
            AssetEvent, AssetEvent.asset_id == AssetModel.id
        )
        # The session's database also holds other tests' runs of this DAG: this run's events name its job.
        events = sorted(
            (uri, event_extra) for uri, event_extra in rows if event_extra.get("job_id") == job["id"]
        )
    assert events == [
        (workflow_uri(connected_emulator.url, REGIONAL), extra),
        (f"file://{tmp_path / job['id'] / 'sales_EMEA.csv'}", extra),
    ]
