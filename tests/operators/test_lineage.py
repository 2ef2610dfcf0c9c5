"""OpenLineage events of an Alteryx task carry the job and its outputs (with the OpenLineage provider installed).

The suite's conftest points OpenLineage's file transport at ``LINEAGE_LOG`` for the whole session.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from airflow_provider_alteryx.emulator import RunningEmulator
from tests.conftest import LINEAGE_LOG, REGIONAL, RunDag

pytest.importorskip(
    "airflow.providers.openlineage", reason="the OpenLineage provider is not installed in this environment"
)


def completed_event_of(job_id: str) -> dict[str, Any]:
    """The COMPLETE event whose ``alteryx`` facet names ``job_id``."""
    events = [
        json.loads(line)
        for path in LINEAGE_LOG.parent.glob(f"{LINEAGE_LOG.name}*")
        for line in path.read_text().splitlines()
        if line.strip()
    ]
    (event,) = [
        e
        for e in events
        if e.get("eventType") == "COMPLETE"
        and e.get("run", {}).get("facets", {}).get("alteryx", {}).get("jobId") == job_id
    ]
    return event


@pytest.mark.parametrize("downloaded", [True, False])
def test_events_carry_the_alteryx_facet_and_the_outputs(
    connected_emulator: RunningEmulator,
    run_dag: RunDag,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    downloaded: bool,
) -> None:
    monkeypatch.setenv("AIRFLOW_VAR_ALTERYX_TEST_OUTPUTS", str(tmp_path / "outputs"))
    assert run_dag("success_sync" if downloaded else "lineage_without_download").state == "success"
    (job,) = connected_emulator.jobs()
    event = completed_event_of(job["id"])
    facet = event["run"]["facets"]["alteryx"]
    assert (
        facet["workflowId"],
        facet["workflowName"],
        facet["disposition"],
        facet["api"],
        facet["server"],
    ) == (
        REGIONAL,
        "Regional",
        "Success",
        "Web API v3",
        connected_emulator.url,
    )
    outputs = [(o["namespace"], o["name"]) for o in event["outputs"]]
    host = connected_emulator.url.split("://")[1]
    expected = (
        ("file", str(tmp_path / "outputs" / job["id"] / "sales_EMEA.csv"))
        if downloaded
        else (f"alteryx://{host}", f"{REGIONAL}/{job['id']}/sales_EMEA.csv")
    )
    assert outputs == [expected]
