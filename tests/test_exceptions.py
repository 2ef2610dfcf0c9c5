"""Errors keep their fields across process boundaries, and never carry a secret."""

from __future__ import annotations

import pickle

import pytest

from airflow_provider_alteryx.constants import ApiFamily, Received
from airflow_provider_alteryx.exceptions import (
    AlteryxAmbiguousJobError,
    AlteryxApiError,
    AlteryxConnectionError,
    AlteryxError,
    AlteryxJobError,
)
from airflow_provider_alteryx.models import AlteryxJob


@pytest.mark.parametrize(
    "error",
    [
        AlteryxAmbiguousJobError("lost answer", candidates=("a", "b")),
        AlteryxApiError("HTTP 502", status=502, retry_after=2.0, family=ApiFamily.V3),
        AlteryxConnectionError("reset", received=Received.MAYBE),
        AlteryxJobError(
            "failed", AlteryxJob(id="0000000000000000000000ff", status="Completed", disposition="Error")
        ),
    ],
)
def test_errors_survive_pickling_with_their_fields(error: AlteryxError) -> None:
    """multiprocessing and executors pickle errors; the default would call cls(*args) and lose keyword-only fields."""
    copy = pickle.loads(pickle.dumps(error))  # noqa: S301 - our own object, round-tripped
    assert (type(copy), str(copy), vars(copy)) == (type(error), str(error), vars(error))
