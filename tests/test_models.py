"""One job model for every Server generation's shapes, and what it refuses to read."""

from __future__ import annotations

import json
from typing import Any

import pytest

from airflow_provider_alteryx.models import MESSAGE_LIMIT, AlteryxJob, AlteryxWorkflow

JOB, WORKFLOW, OUTPUT = "66ebf6ee8d3b0000c2002a81", "66ebf6d08d3b0000c2002a7f", "66ebf6f18d3b0000c2002a83"


def test_job_model_reads_every_shape_and_round_trips() -> None:
    legacy = AlteryxJob.from_api(
        {
            "id": JOB,
            "appId": WORKFLOW,
            "createDate": "2026-01-01T00:00:00Z",
            "status": "Completed",
            "disposition": "Error",
            "outputs": [{"id": OUTPUT, "formats": ["Csv"], "name": "a.csv"}],
            "messages": [{"status": 3, "text": "bad", "toolId": 4}],
            "priority": "Low",
        }
    )
    v3 = AlteryxJob.from_api(
        {
            "id": JOB,
            "appId": WORKFLOW,
            "createDateTime": "2026-01-01T00:00:00Z",
            "status": "Completed",
            "disposition": "Error",
            "outputs": [{"id": OUTPUT, "availableFormats": ["Csv"], "fileName": "a.csv"}],
            "messages": [{"status": 3, "text": "bad", "toolId": 4}],
            "priority": "Low",
        }
    )
    assert legacy == v3 and legacy.is_terminal and not legacy.succeeded()
    assert [str(m) for m in legacy.problems] == ["Error: bad (tool 4)"]
    assert AlteryxJob.from_dict(json.loads(json.dumps(legacy.to_dict()))) == legacy


def test_real_legacy_shapes_are_read() -> None:
    """Legacy answers give the priority as a number and appId as null (reference section 9)."""
    job = AlteryxJob.from_api(
        {
            "id": JOB,
            "appId": None,
            "status": "Queued",
            "priority": 3,
            "runWithE2": True,
            "workerTag": None,
            "outputs": [],
        }
    )
    assert (job.workflow_id, job.priority, job.status_known) == (None, "Critical", True)
    assert not AlteryxJob.from_api({"id": JOB, "status": "Paused"}).status_known


@pytest.mark.parametrize(
    ("data", "problem"),
    [
        ([{"id": JOB}], "must be a JSON object"),
        ({"status": "Queued"}, "needs 'id'"),
        ({"id": JOB}, "needs 'status'"),
        ({"id": JOB, "status": "Queued", "outputs": {"id": OUTPUT}}, "'outputs' must be a list"),
        ({"id": JOB, "status": "Queued", "messages": ["text"]}, "a message must be a JSON object"),
    ],
)
def test_what_is_not_a_job_is_refused_with_the_reason(data: Any, problem: str) -> None:
    with pytest.raises(ValueError, match=problem):
        AlteryxJob.from_api(data)


def test_workflows_carry_owner_and_version_from_either_shape() -> None:
    v3 = AlteryxWorkflow.from_api(
        {"id": WORKFLOW, "name": "Sales", "ownerId": "u1", "publishedVersionNumber": 4}
    )
    legacy = AlteryxWorkflow.from_api(
        {"id": WORKFLOW, "metaInfo": {"name": "Sales", "author": "u1"}, "version": 4}
    )
    assert v3 == legacy == AlteryxWorkflow(id=WORKFLOW, name="Sales", owner="u1", version="4")


# Ids a Server (or a proxy) could answer that would be a path, a query, or another resource once in a URL or on disk.
HOSTILE_IDS = [
    "../../etc",
    "a/../b",
    "1?x=2",
    "%2e%2e%2f" + "0" * 15,
    f"{JOB}/../{JOB}",
    JOB[:-1] + "\x00",
    JOB + "\n/jobs",
    "\uff10" * 24,  # full-width zeros: digits to str.isdigit, not to a Server
    "C:\\" + JOB[3:],
    "",
]


@pytest.mark.parametrize("hostile", HOSTILE_IDS)
@pytest.mark.parametrize(
    ("model", "place", "field"),
    [
        (AlteryxJob, lambda i: {"id": i or " ", "status": "Queued"}, "a job's id"),
        (AlteryxJob, lambda i: {"id": JOB, "appId": i, "status": "Queued"}, "a job's appId"),
        (
            AlteryxJob,
            lambda i: {"id": JOB, "status": "Queued", "outputs": [{"id": i or " ", "formats": ["Csv"]}]},
            "an output's id",
        ),
        (AlteryxWorkflow, lambda i: {"id": i or " ", "name": "Sales"}, "a workflow's id"),
    ],
    ids=["job", "job's workflow", "output", "workflow"],
)
def test_ids_from_an_answer_are_checked_before_they_can_reach_a_path_or_url(
    hostile: str, model: Any, place: Any, field: str
) -> None:
    with pytest.raises(ValueError, match=f"{field} is .* which is not an Alteryx Server id"):
        model.from_api(place(hostile))


def test_texts_only_shown_are_made_safe_to_show_and_survive_xcom_unchanged() -> None:
    job = AlteryxJob.from_api(
        {
            "id": JOB,
            "status": "Runn\x1b[2Jing",
            "disposition": "None\n",
            "messages": [{"status": 3, "text": "boom\x1b]0;pwned\x07" + "!" * 10_000}],
            "outputs": [{"id": OUTPUT, "formats": ["Csv\r\n"], "name": "../a.csv"}],
        }
    )
    assert (job.status, job.disposition, job.outputs[0].formats) == (
        "Runn\\x1b[2Jing",
        "None\\n",
        ("Csv\\r\\n",),
    )
    (message,) = job.messages
    assert message.text.startswith("boom\\x1b]0;pwned\\x07!!") and len(message.text) == MESSAGE_LIMIT
    assert (
        job.outputs[0].name == "../a.csv"
    )  # names stay as the Server wrote them; where they land is made safe
    assert AlteryxJob.from_dict(json.loads(json.dumps(job.to_dict()))) == job
