"""One job model for every Server generation's shapes, and what it refuses to read."""

from __future__ import annotations

import json
from typing import Any

import pytest

from airflow_provider_alteryx.models import AlteryxJob, AlteryxWorkflow


def test_job_model_reads_every_shape_and_round_trips() -> None:
    legacy = AlteryxJob.from_api(
        {
            "id": "j",
            "appId": "w",
            "createDate": "2026-01-01T00:00:00Z",
            "status": "Completed",
            "disposition": "Error",
            "outputs": [{"id": "o", "formats": ["Csv"], "name": "a.csv"}],
            "messages": [{"status": 3, "text": "bad", "toolId": 4}],
            "priority": "Low",
        }
    )
    v3 = AlteryxJob.from_api(
        {
            "id": "j",
            "appId": "w",
            "createDateTime": "2026-01-01T00:00:00Z",
            "status": "Completed",
            "disposition": "Error",
            "outputs": [{"id": "o", "availableFormats": ["Csv"], "fileName": "a.csv"}],
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
            "id": "j",
            "appId": None,
            "status": "Queued",
            "priority": 3,
            "runWithE2": True,
            "workerTag": None,
            "outputs": [],
        }
    )
    assert (job.workflow_id, job.priority, job.status_known) == (None, "Critical", True)
    assert not AlteryxJob.from_api({"id": "j", "status": "Paused"}).status_known


@pytest.mark.parametrize(
    ("data", "problem"),
    [
        ([{"id": "j"}], "must be a JSON object"),
        ({"status": "Queued"}, "needs 'id'"),
        ({"id": "j"}, "needs 'status'"),
        ({"id": "j", "status": "Queued", "outputs": {"id": "o"}}, "'outputs' must be a list"),
        ({"id": "j", "status": "Queued", "messages": ["text"]}, "a message must be a JSON object"),
    ],
)
def test_what_is_not_a_job_is_refused_with_the_reason(data: Any, problem: str) -> None:
    with pytest.raises(ValueError, match=problem):
        AlteryxJob.from_api(data)


def test_workflows_carry_owner_and_version_from_either_shape() -> None:
    v3 = AlteryxWorkflow.from_api({"id": "w", "name": "Sales", "ownerId": "u1", "publishedVersionNumber": 4})
    legacy = AlteryxWorkflow.from_api(
        {"id": "w", "metaInfo": {"name": "Sales", "author": "u1"}, "version": 4}
    )
    assert v3 == legacy == AlteryxWorkflow(id="w", name="Sales", owner="u1", version="4")
