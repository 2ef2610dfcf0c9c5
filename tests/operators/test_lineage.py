"""OpenLineage events of an Alteryx task carry the job and its outputs (with the OpenLineage provider installed),
whatever the Server called them: names only as shown safely, outputs only as the files the task saves.

The suite's conftest points OpenLineage's file transport at ``LINEAGE_LOG`` for the whole session.
"""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from airflow_provider_alteryx.emulator import RunningEmulator
from airflow_provider_alteryx.emulator.catalogue import Workflow
from airflow_provider_alteryx.models import AlteryxJob, JobOutput
from airflow_provider_alteryx.operators.lineage import operator_lineage
from tests.conftest import LINEAGE_LOG, NAMED_OUTPUTS, REGIONAL, RunDag, StartEmulator, UseConnection

pytest.importorskip(
    "airflow.providers.openlineage", reason="the OpenLineage provider is not installed in this environment"
)


JOB = "0000000000000000000000f1"


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


# A workflow name and output names a workflow author could write, and the names the outputs are saved under.
WORKFLOW_NAME = "Named\n\x1b[31m\u202e" + "w" * 10_000
OUTPUT_NAMES = {
    "../../../escaped.csv": "escaped.csv",
    "a\x00b\nc.csv": "a_b_c.csv",
    "\x1b[31mred\u202e.csv": "_[31mred_.csv",
    '"""q.csv': "___q.csv",
    "y" * 10_000 + ".csv": "y" * 251 + ".csv",
    "e\u0301t\u00e9.csv": "\u00e9t\u00e9.csv",
}


@pytest.fixture
def hostile_workflow(
    start_emulator: StartEmulator, workflows: tuple[Workflow, ...], use_connection: UseConnection
) -> RunningEmulator:
    """The test catalogue with the named-outputs workflow renamed WORKFLOW_NAME."""
    renamed = tuple(replace(w, name=WORKFLOW_NAME) if w.id == NAMED_OUTPUTS else w for w in workflows)
    running = start_emulator(workflows=renamed, time_scale=0.5, seed=5)
    use_connection(running)
    return running


@pytest.mark.parametrize("downloaded", [True, False])
def test_hostile_names_reach_lineage_only_shown_safely_and_as_the_files_the_task_saves(
    hostile_workflow: RunningEmulator, run_dag: RunDag, tmp_path: Path, downloaded: bool
) -> None:
    conf = {f"o{n}": name for n, name in enumerate(OUTPUT_NAMES, 1)}
    conf["output_dir"] = str(tmp_path) if downloaded else ""
    assert run_dag("named_outputs_sync", conf).state == "success"
    (job,) = hostile_workflow.jobs()
    event = completed_event_of(job["id"])
    shown = event["run"]["facets"]["alteryx"]["workflowName"]
    assert shown.startswith("Named\\n\\x1b[31m\\u202ewww") and shown.isprintable() and len(shown) <= 500
    host = hostile_workflow.url.split("://")[1]
    expected = [
        ("file", str(tmp_path / job["id"] / name))
        if downloaded
        else (f"alteryx://{host}", f"{NAMED_OUTPUTS}/{job['id']}/{name}")
        for name in OUTPUT_NAMES.values()
    ]
    assert [(o["namespace"], o["name"]) for o in event["outputs"]] == expected


def test_outputs_not_downloaded_are_named_as_the_task_would_save_them() -> None:
    """Only outputs with a format are saved, so one without a format takes no name from another."""
    job = AlteryxJob(
        id=JOB,
        workflow_id=REGIONAL,
        status="Completed",
        disposition="Success",
        outputs=(
            JobOutput(id="0" * 24, name="sales.csv", formats=()),
            JobOutput(id="1" * 24, name="sales.csv", formats=("Csv",)),
        ),
    )
    lineage = operator_lineage(
        server="https://gallery.example.com", api="Web API v3", workflow_name=None, job=job, saved=[]
    )
    assert [(o.namespace, o.name) for o in lineage.outputs] == [
        ("alteryx://gallery.example.com", f"{REGIONAL}/{JOB}/sales.csv")
    ]
