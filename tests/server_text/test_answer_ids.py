"""Ids that a Server answers (a workflow's, a schedule's and the workflow a schedule runs) never reach a URL unchecked.

Over real HTTP against the misbehaving fake Server of ``tests/bad_input``: the hook reads the answer, and
the test proves that using the id it holds is refused before any request is sent.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from aiohttp import web

from airflow_provider_alteryx.exceptions import AlteryxInputError, AlteryxProtocolError
from airflow_provider_alteryx.hooks.alteryx import AlteryxServerHook
from tests.bad_input.fake_server import WORKFLOW_ID, FakeServer, Route, json_answer, run_fake_server
from tests.test_models import HOSTILE_IDS

SCHEDULE_ID = "5f0c3a1b2c3d4e5f6a7b8c9d"


def schedule(schedule_id: str = SCHEDULE_ID, workflow_id: str = WORKFLOW_ID) -> dict[str, Any]:
    """A schedule as the V3 list shows it."""
    return {"id": schedule_id, "name": "Nightly", "workflowId": workflow_id, "ownerId": "u1"}


@pytest.fixture
def schedules(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[FakeServer, list[dict[str, Any]]]]:
    """A fake Server whose schedules (a list the test fills) are what GET /v3/schedules and /v3/schedules/{id}
    answer; ``alteryx_default`` points at it. Its routes have no schedules, so one handler answers everything:
    a token for the token request, the schedules for the rest."""
    listed: list[dict[str, Any]] = []

    async def answer(request: web.Request) -> web.StreamResponse:
        if request.path.endswith("/oauth2/token"):
            return web.json_response(
                {"access_token": "fake-token", "token_type": "bearer", "expires_in": 3600}
            )
        if request.path.endswith("/schedules"):
            return web.json_response(listed)
        return web.json_response(listed[0])

    with run_fake_server("not-a-secret", fallback=answer) as fake:
        monkeypatch.setenv("AIRFLOW_CONN_ALTERYX_DEFAULT", fake.connection())
        yield fake, listed


@pytest.mark.parametrize("hostile", [i for i in HOSTILE_IDS if i])
def test_a_schedule_id_from_an_answer_is_refused_before_it_reaches_a_url(
    schedules: tuple[FakeServer, list[dict[str, Any]]], hostile: str
) -> None:
    fake, listed = schedules
    listed.append(schedule(schedule_id=hostile))
    hook = AlteryxServerHook()
    (read,) = hook.list_schedules()
    answered = len(fake.received)
    with pytest.raises(AlteryxInputError, match="schedule_id is .* which is not an Alteryx Server id"):
        hook.get_schedule(read["id"])
    assert len(fake.received) == answered, "a request was sent with the Server's id in it"


@pytest.mark.parametrize("hostile", [i for i in HOSTILE_IDS if i])
def test_the_workflow_id_of_a_schedule_from_an_answer_is_refused_before_it_reaches_a_url(
    schedules: tuple[FakeServer, list[dict[str, Any]]], hostile: str
) -> None:
    fake, listed = schedules
    listed.append(schedule(workflow_id=hostile))
    hook = AlteryxServerHook()
    read = hook.get_schedule(SCHEDULE_ID)
    answered = len(fake.received)
    for use in (hook.get_workflow, hook.get_workflow_questions):
        with pytest.raises(AlteryxInputError, match="workflow_id is .* which is not an Alteryx Server id"):
            use(read["workflowId"])
    assert len(fake.received) == answered, "a request was sent with the Server's id in it"


@pytest.mark.parametrize("hostile", [i for i in HOSTILE_IDS if i])
def test_a_workflows_own_id_from_an_answer_is_refused_as_unusable(
    monkeypatch: pytest.MonkeyPatch, hostile: str
) -> None:
    with run_fake_server("not-a-secret") as fake:
        monkeypatch.setenv("AIRFLOW_CONN_ALTERYX_DEFAULT", fake.connection())
        fake.behave(Route.WORKFLOWS, json_answer([{"id": hostile, "name": "Sales"}]))
        hook = AlteryxServerHook()
        with pytest.raises(
            AlteryxProtocolError, match="a workflow's id is .* which is not an Alteryx Server id"
        ):
            hook.find_workflow("Sales")
        assert fake.received[-1].path_qs.split("?")[0] == "/webapi/v3/workflows"  # nothing asked after it
