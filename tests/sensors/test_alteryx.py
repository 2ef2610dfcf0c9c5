"""AlteryxJobSensor in real DAG runs (poke and deferrable) against the emulator."""

from __future__ import annotations

import pytest

from airflow_provider_alteryx.emulator import RunningEmulator
from tests.conftest import RunDag

MODES = ["sync", "deferred"]


@pytest.mark.parametrize("mode", MODES)
def test_sensor_succeeds_when_the_job_succeeds(
    connected_emulator: RunningEmulator, run_dag: RunDag, mode: str
) -> None:
    result = run_dag(f"sensor_{mode}")
    assert result.state == "success"
    (job,) = connected_emulator.jobs()
    assert result.xcom("return_value", task_id="start") == job["id"]
    assert result.xcom("job", task_id="watch")["disposition"] == "Success"  # type: ignore[index]


@pytest.mark.parametrize("mode", MODES)
def test_sensor_fails_on_error_with_the_operators_message(
    connected_emulator: RunningEmulator, run_dag: RunDag, mode: str
) -> None:
    result = run_dag(f"sensor_{mode}", run_conf={"region": "Atlantis"})
    assert result.state == "failed" and result.tasks[("watch", -1)][0] == "failed"
    (job,) = connected_emulator.jobs()
    assert (
        f"Alteryx job {job['id']} of workflow 0000000000000000000000a2 ended with disposition Error: Error: No sales table for Atlantis"
        in result.log
    )


@pytest.mark.parametrize("mode", MODES)
def test_sensor_timeout_fails_but_leaves_the_job_alone(
    connected_emulator: RunningEmulator, run_dag: RunDag, mode: str
) -> None:
    result = run_dag(f"sensor_timeout_{mode}")
    assert result.tasks[("watch", -1)][0] == "failed"
    assert "AirflowSensorTimeout" in result.log
    assert connected_emulator.jobs()[0]["status"] == "Running"
