"""Errors keep their fields across process boundaries, never carry a secret, and stay bounded with their cause and fix."""

from __future__ import annotations

import pickle
from dataclasses import replace

import pytest

from airflow_provider_alteryx.constants import ApiFamily, Received
from airflow_provider_alteryx.emulator.catalogue import Workflow
from airflow_provider_alteryx.exceptions import (
    AlteryxAmbiguousJobError,
    AlteryxApiError,
    AlteryxConnectionError,
    AlteryxError,
    AlteryxInputError,
    AlteryxJobError,
    AlteryxNotFoundError,
)
from airflow_provider_alteryx.hooks.alteryx import AlteryxServerHook
from airflow_provider_alteryx.models import AlteryxJob
from airflow_provider_alteryx.utils.server_text import ERROR_LIMIT
from tests.conftest import StartEmulator, UseConnection


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


# Names as long as a workflow author may make them, with a line break and an ANSI escape inside.
LONG_NAME = "Sales\n\x1b[31m" + "z" * 10_000


@pytest.fixture
def long_named(
    start_emulator: StartEmulator, workflows: tuple[Workflow, ...], use_connection: UseConnection
) -> None:
    """A Server with 20 workflows of 10,000-character names, five of them named LONG_NAME."""
    names = [f"{n:02d}\n" + "y" * 10_000 for n in range(15)] + [LONG_NAME] * 5
    served = tuple(replace(workflows[0], id=f"{n:024x}", name=name) for n, name in enumerate(names, 1))
    use_connection(start_emulator(workflows=served))


@pytest.mark.parametrize(
    ("name", "error", "cause", "fix", "cut"),
    [
        # No such name: the error lists the 20 names there are (200,000 characters of them), each cut short.
        (
            "Missing",
            AlteryxNotFoundError,
            "No workflow named 'Missing' is visible to this API key on ",
            " more characters].",
            False,  # the names are cut, so the text fits whole
        ),
        # Five have it: the error lists them and says what to pass instead.
        (
            LONG_NAME,
            AlteryxInputError,
            "5 workflows are named 'Sales\\n\\x1b[31mzzz",
            "Pass the one you mean as workflow_id instead.",
            True,  # the five listed in full would not fit: the middle goes
        ),
    ],
)
def test_an_error_quoting_many_long_server_texts_is_bounded_and_keeps_its_cause_and_fix(
    long_named: None, name: str, error: type[AlteryxError], cause: str, fix: str, cut: bool
) -> None:
    with pytest.raises(error) as raised:
        AlteryxServerHook().find_workflow(name)
    text = str(raised.value)
    assert len(text) <= ERROR_LIMIT and text.isprintable()
    assert text.startswith(cause) and text.endswith(fix)
    assert (" more characters] " in text) is cut  # where the middle went, and how much of it
