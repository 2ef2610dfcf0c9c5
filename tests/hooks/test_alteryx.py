"""AlteryxServerHook against the emulator over real HTTP: every operation, Server generation and failure mode."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import logging
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from airflow_provider_alteryx.emulator import Role, RunningEmulator
from airflow_provider_alteryx.emulator.catalogue import Workflow
from airflow_provider_alteryx.exceptions import (
    AlteryxApiError,
    AlteryxAuthenticationError,
    AlteryxBadRequestError,
    AlteryxConnectionError,
    AlteryxInputError,
    AlteryxJobTimeoutError,
    AlteryxNotFoundError,
    AlteryxPermissionError,
    AlteryxUnsupportedError,
)
from airflow_provider_alteryx.get_provider_info import CONNECTION_FIELDS, get_provider_info
from airflow_provider_alteryx.hooks import auth
from airflow_provider_alteryx.hooks.alteryx import AlteryxServerHook
from airflow_provider_alteryx.hooks.config import ServerConfig
from airflow_provider_alteryx.hooks.transport import TRANSPORT
from airflow_provider_alteryx.models import AlteryxJob
from tests.conftest import (
    QUICK,
    REGIONAL,
    SLOW,
    VERSION_AUTH,
    WARNS,
    WORKFLOW_NAMES,
    StartEmulator,
    UseConnection,
    on_a_loop,
)


def fast_hook() -> AlteryxServerHook:
    return AlteryxServerHook(retry_limit=5, retry_delay=0.01)


@pytest.mark.parametrize(("version", "auth_type"), VERSION_AUTH)
def test_every_operation_on_every_server_version(
    start_emulator: StartEmulator, use_connection: UseConnection, tmp_path: Path, version: str, auth_type: str
) -> None:
    emulator = start_emulator(server_version=version, time_scale=0.2)
    use_connection(emulator, auth_type)
    hook = fast_hook()

    assert {w.name for w in hook.list_workflows()} == WORKFLOW_NAMES
    assert hook.get_workflow(REGIONAL).name == "Regional"
    assert [q["name"] for q in hook.get_workflow_questions(REGIONAL)] == ["region", "as_of"]

    job = hook.run_workflow(REGIONAL, {"region": "EMEA"}, priority="High")
    assert job.workflow_id == REGIONAL and job.status in ("Queued", "Running")
    (created,) = emulator.jobs()
    assert created["questions"] == {"region": "EMEA", "as_of": "2026-11-27"} and created["priority"] == "High"
    assert [j.id for j in hook.list_workflow_jobs(REGIONAL)] == [job.id]

    finished = hook.wait_for_job(job.id, poll_interval=0.05)
    assert (finished.status, finished.disposition, finished.succeeded()) == ("Completed", "Success", True)
    assert [m.text for m in hook.get_job_messages(job.id)] == ["Read EMEA"]
    output = finished.outputs[0]
    assert (output.name, output.formats) == ("sales_EMEA.csv", ("Csv", "Raw"))
    saved = hook.download_job_output(job.id, output.id, "Csv", tmp_path / "out" / output.name)
    assert Path(saved).read_text() == "region,total\nEMEA,42\n"
    assert [p.name for p in (tmp_path / "out").iterdir()] == [output.name]  # no partial file left behind

    assert on_a_loop(lambda: AlteryxServerHook().aget_job(job.id)).disposition == "Success"

    running = hook.run_workflow(SLOW)
    if version == "2025.1":
        assert hook.cancel_job(running.id).outcome == "Cancelled"
        assert hook.cancel_job(running.id).outcome == "Cancelled"  # idempotent
    else:
        with pytest.raises(AlteryxUnsupportedError, match="cancel"):
            hook.cancel_job(running.id)
        assert hook.get_job(running.id).status == "Running"


def test_oauth2_uses_v3_where_it_exists_and_v1_where_not(
    start_emulator: StartEmulator, use_connection: UseConnection, capfd: pytest.CaptureFixture[str]
) -> None:
    use_connection(start_emulator(server_version="2022.1"))
    hook = fast_hook()
    hook.get_job(hook.run_workflow(QUICK).id)
    hook.get_job(hook.run_workflow(QUICK).id)
    assert (
        capfd.readouterr().out.count("offers no V3 API to this key; using /webapi/v1") == 1
    )  # remembered, asked once


def test_worker_tag_and_credential_need_the_v3_api(
    start_emulator: StartEmulator, use_connection: UseConnection
) -> None:
    emulator = start_emulator(server_version="2022.1")
    use_connection(emulator)
    with pytest.raises(AlteryxUnsupportedError, match="worker_tag cannot be set through this Server version"):
        fast_hook().run_workflow(QUICK, worker_tag="eu")
    assert emulator.jobs() == []
    v3 = start_emulator(server_version="2025.1")
    use_connection(v3)
    fast_hook().run_workflow(QUICK, worker_tag="eu", credential_id="cred-1")
    assert (v3.jobs()[0]["workerTag"], v3.jobs()[0]["credentialId"]) == ("eu", "cred-1")


def test_async_wait_and_cancel(emulator: RunningEmulator, use_connection: UseConnection) -> None:
    use_connection(emulator)
    hook = fast_hook()
    quick, slow = hook.run_workflow(WARNS), hook.run_workflow(SLOW)

    async def scenario() -> tuple[AlteryxJob, AlteryxJob]:
        async_hook = AlteryxServerHook()
        finished = await async_hook.await_job(quick.id, poll_interval=0.05, deadline=None)
        return finished, await async_hook.acancel_job(slow.id)

    finished, cancelled = on_a_loop(scenario)
    assert (finished.disposition, finished.succeeded(), finished.succeeded(fail_on_warning=True)) == (
        "Warning",
        True,
        False,
    )
    assert cancelled.outcome == "Cancelled"


def test_a_workflow_not_shared_with_the_keys_user_is_refused_naming_the_permission(
    workflows: tuple[Workflow, ...], start_emulator: StartEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    """V3 answers an Artisan 403 for a workflow not shared for execution: creating a job, reading its questions
    (also as the check of a run's answers); refused at once, no job created, nothing retried."""
    unshared = tuple(
        dataclasses.replace(w, others_can_execute=False) if w.id == REGIONAL else w for w in workflows
    )
    emulator = start_emulator(workflows=unshared)
    monkeypatch.setenv("AIRFLOW_CONN_ALTERYX_DEFAULT", emulator.connection(role=Role.ARTISAN))
    hook = fast_hook()
    refusals: list[Callable[[], object]] = [
        lambda: hook.run_workflow(REGIONAL),
        lambda: hook.run_workflow(REGIONAL, {"region": "EMEA"}),
        lambda: hook.get_workflow_questions(REGIONAL),
    ]
    for refused in refusals:
        with pytest.raises(AlteryxPermissionError, match="answered 403") as caught:
            refused()
        assert "shared for execution with that user" in str(caught.value) and "Curator" in str(caught.value)
        assert (caught.value.status, caught.value.retryable) == (403, False)
    assert emulator.jobs() == []
    # The token, then per refusal: the job-list snapshot and the POST; the questions; the questions.
    assert emulator.info()["requestsServed"] == 1 + 2 + 1 + 1


def test_wait_times_out_with_the_last_known_job(
    emulator: RunningEmulator, use_connection: UseConnection
) -> None:
    use_connection(emulator)
    hook = fast_hook()
    job = hook.run_workflow(SLOW)
    started = time.monotonic()
    with pytest.raises(AlteryxJobTimeoutError, match="still Running") as caught:
        hook.wait_for_job(job.id, poll_interval=0.1, timeout=0.5)
    assert time.monotonic() - started >= 0.5  # the wait cannot end before its timeout
    assert caught.value.job.id == job.id


class TestTokens:
    def test_one_token_request_for_100_concurrent_async_callers(
        self, emulator: RunningEmulator, use_connection: UseConnection
    ) -> None:
        use_connection(emulator)
        job = fast_hook().run_workflow(QUICK)
        TRANSPORT.tokens.clear()
        before = emulator.info()["tokensIssued"]

        async def many() -> list[AlteryxJob]:
            return await asyncio.gather(*(AlteryxServerHook().aget_job(job.id) for _ in range(100)))

        jobs = on_a_loop(many)
        assert {j.id for j in jobs} == {job.id}
        assert emulator.info()["tokensIssued"] - before == 1

    def test_sync_callers_share_the_cached_token(
        self, emulator: RunningEmulator, use_connection: UseConnection
    ) -> None:
        use_connection(emulator)
        for _ in range(3):
            fast_hook().list_workflows()
        assert emulator.info()["tokensIssued"] == 1

    def test_a_refused_token_is_fetched_again_once(
        self, emulator: RunningEmulator, use_connection: UseConnection
    ) -> None:
        use_connection(emulator)
        hook = fast_hook()
        hook.list_workflows()
        emulator.reset()  # the Server forgets every token, as after a restart
        assert len(hook.list_workflows()) == len(WORKFLOW_NAMES)
        assert emulator.info()["tokensIssued"] == 2


class TestRetries:
    def test_5xx_answers_are_retried(
        self, start_emulator: StartEmulator, use_connection: UseConnection
    ) -> None:
        emulator = start_emulator(seed=2)
        use_connection(emulator)
        hook = AlteryxServerHook(retry_limit=10, retry_delay=0.01)
        hook.list_workflows()  # token first, while the Server behaves
        emulator.set_faults(error_rate=0.5)
        assert all(len(hook.list_workflows()) == len(WORKFLOW_NAMES) for _ in range(10))

    def test_429_retry_after_is_honoured(
        self, emulator: RunningEmulator, use_connection: UseConnection
    ) -> None:
        use_connection(emulator)
        hook = AlteryxServerHook(retry_limit=3, retry_delay=0.01)
        hook.list_workflows()
        emulator.set_faults(throttle_rate=1.0, retry_after=0.3)
        started = time.monotonic()
        with pytest.raises(AlteryxApiError, match="answered 429") as caught:
            hook.list_workflows()
        assert (
            time.monotonic() - started >= 0.6
        )  # two waits of Retry-After between three tries, not 0.01 s backoff
        assert (caught.value.status, caught.value.retry_after, caught.value.retryable) == (429, 0.3, True)

    def test_dropped_connections_are_retried_then_reported(
        self, emulator: RunningEmulator, use_connection: UseConnection
    ) -> None:
        use_connection(emulator)
        hook = AlteryxServerHook(retry_limit=3, retry_delay=0.01)
        hook.list_workflows()
        emulator.set_faults(drop_rate=1.0)
        with pytest.raises(
            AlteryxConnectionError, match="Could not get an answer from Alteryx Server for GET"
        ):
            hook.list_workflows()

    def test_async_path_retries_too(
        self, start_emulator: StartEmulator, use_connection: UseConnection
    ) -> None:
        emulator = start_emulator(seed=3)
        use_connection(emulator)
        job = fast_hook().run_workflow(QUICK)
        emulator.set_faults(error_rate=0.4, drop_rate=0.2)
        jobs = on_a_loop(
            lambda: asyncio.gather(
                *(AlteryxServerHook(retry_limit=10, retry_delay=0.01).aget_job(job.id) for _ in range(20))
            )
        )
        assert {j.id for j in jobs} == {job.id}


class TestNoDuplicateJobs:
    @pytest.mark.parametrize(
        ("version", "auth_type"), [("2021.3", "oauth1"), ("2022.1", "oauth2"), ("2025.1", "oauth2")]
    )
    def test_a_lost_response_adopts_the_job_it_created(
        self, start_emulator: StartEmulator, use_connection: UseConnection, version: str, auth_type: str
    ) -> None:
        emulator = start_emulator(server_version=version)
        use_connection(emulator, auth_type)
        hook = fast_hook()
        hook.list_workflows()
        emulator.set_faults(drop_job_responses=1)
        job = hook.run_workflow(REGIONAL, {"region": "EMEA"})
        (only,) = emulator.jobs()
        assert job.id == only["id"] and job.workflow_id == REGIONAL

    def test_faults_before_creation_resend_without_duplicates(
        self, start_emulator: StartEmulator, use_connection: UseConnection
    ) -> None:
        emulator = start_emulator(seed=11)
        use_connection(emulator)
        hook = AlteryxServerHook(retry_limit=12, retry_delay=0.01)
        hook.list_workflows()
        emulator.set_faults(error_rate=0.3, drop_rate=0.2, throttle_rate=0.1, retry_after=0.01)
        created = [hook.run_workflow(QUICK).id for _ in range(10)]
        emulator.set_faults(error_rate=0, drop_rate=0, throttle_rate=0)
        assert sorted(created) == sorted(
            j["id"] for j in emulator.jobs()
        )  # ten calls, ten jobs, each returned once

    def test_async_callers_of_other_workflows_do_not_confuse_adoption(
        self, emulator: RunningEmulator, use_connection: UseConnection
    ) -> None:
        use_connection(emulator)
        hook = fast_hook()
        hook.run_workflow(WARNS)
        emulator.set_faults(drop_job_responses=1)
        job = hook.run_workflow(QUICK)
        assert [j["id"] for j in emulator.jobs() if j["workflowName"] == "Quick"] == [job.id]


class TestErrors:
    def test_unknown_job_and_workflow_are_not_found(
        self, emulator: RunningEmulator, use_connection: UseConnection
    ) -> None:
        use_connection(emulator)
        with pytest.raises(AlteryxNotFoundError, match="answered 404 .*NotFound"):
            fast_hook().get_job("f" * 24)
        with pytest.raises(AlteryxNotFoundError):
            fast_hook().run_workflow("f" * 24)

    def test_unknown_question_fails_before_any_job_listing_valid_names(
        self, emulator: RunningEmulator, use_connection: UseConnection
    ) -> None:
        use_connection(emulator)
        with pytest.raises(
            AlteryxInputError, match="has no question.s. regoin; its questions are: region, as_of"
        ):
            fast_hook().run_workflow(REGIONAL, {"regoin": "EMEA"})
        assert emulator.jobs() == []

    def test_missing_required_question_fails_before_any_job(
        self, emulator: RunningEmulator, use_connection: UseConnection
    ) -> None:
        use_connection(emulator)
        with pytest.raises(
            AlteryxBadRequestError,
            match="Required question.s. missing: region. The workflow's questions are: region, as_of",
        ) as caught:
            fast_hook().run_workflow(REGIONAL, {"as_of": "2026-01-01"})
        assert caught.value.model_state == {"questions": ["Required question(s) missing: region."]}
        assert emulator.jobs() == []

    @pytest.mark.parametrize(
        ("questions", "fragment"),
        [
            ("region=EMEA", "questions is 'region=EMEA' .str.; pass a dict"),
            ({"region": ["a", "b"]}, "the value of 'region' is .'a', 'b'. .list."),
            ([{"value": 1}], "is not a {'name'"),
        ],
    )
    def test_malformed_questions_and_priority_fail_before_any_request(
        self, emulator: RunningEmulator, use_connection: UseConnection, questions: Any, fragment: str
    ) -> None:
        use_connection(emulator)
        with pytest.raises(
            AlteryxInputError, match=fragment.replace("(", ".").replace("{", ".").replace("[", ".")
        ):
            fast_hook().run_workflow(REGIONAL, questions)
        with pytest.raises(
            AlteryxInputError,
            match="priority is 'Urgent' .str.; use one of Default, Low, Medium, High, Critical",
        ):
            fast_hook().run_workflow(REGIONAL, {"region": "x"}, priority="Urgent")
        assert emulator.jobs() == [] and emulator.info()["tokensIssued"] == 0

    def test_oauth1_against_a_server_without_it_hints_at_oauth2(
        self, start_emulator: StartEmulator, use_connection: UseConnection
    ) -> None:
        use_connection(start_emulator(server_version="2022.1"), "oauth1")
        with pytest.raises(
            AlteryxApiError,
            match='answered 405 .*non-JSON answer .text/html.*removed in Server 2022.1.* "auth_type" to "oauth2"',
        ) as caught:
            fast_hook().list_workflows()
        assert "<html>" not in str(caught.value)

    def test_oauth2_against_a_server_without_it_hints_at_oauth1(
        self, start_emulator: StartEmulator, use_connection: UseConnection
    ) -> None:
        use_connection(start_emulator(server_version="2021.3"), "oauth2")
        with pytest.raises(
            AlteryxNotFoundError, match='no OAuth 2.0 token endpoint .* "auth_type" to "oauth1"'
        ):
            fast_hook().list_workflows()

    @pytest.mark.parametrize(
        ("version", "auth_type", "hint"),
        [("2025.1", "oauth2", "API Access Key and Secret"), ("2021.3", "oauth1", "Private Studio API key")],
    )
    def test_wrong_secret_explains_which_key_to_use(
        self,
        start_emulator: StartEmulator,
        monkeypatch: pytest.MonkeyPatch,
        version: str,
        auth_type: str,
        hint: str,
    ) -> None:
        emulator = start_emulator(server_version=version)
        conn = json.loads(emulator.connection(auth_type)) | {"password": "wrong-secret"}
        monkeypatch.setenv("AIRFLOW_CONN_ALTERYX_DEFAULT", json.dumps(conn))
        with pytest.raises(AlteryxAuthenticationError, match=hint):
            fast_hook().list_workflows()

    def test_html_error_pages_are_summarised(
        self, emulator: RunningEmulator, use_connection: UseConnection
    ) -> None:
        use_connection(emulator)
        hook = AlteryxServerHook(retry_limit=1)
        hook.list_workflows()
        emulator.set_faults(error_rate=1.0)
        with pytest.raises(
            AlteryxApiError, match=r"non-JSON answer \(text/html, \d+ bytes\): 50\d Server Error$"
        ):
            hook.list_workflows()


def test_secrets_tokens_and_signatures_never_reach_logs_or_errors(
    start_emulator: StartEmulator,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    capfd: pytest.CaptureFixture[str],
) -> None:
    secret = "s3cr3t-Value-42"
    signatures: list[str] = []
    real_sign = auth.oauth1_headers

    def spy(config: ServerConfig, call: Any) -> dict[str, str]:
        headers = real_sign(config, call)
        signatures.append(headers["Authorization"].split('oauth_signature="')[1].split('"')[0])
        return headers

    monkeypatch.setattr("airflow_provider_alteryx.hooks.transport.oauth1_headers", spy)
    texts: list[str] = []
    with caplog.at_level(logging.DEBUG):
        for version, auth_type in [("2021.3", "oauth1"), ("2025.1", "oauth2")]:
            emulator = start_emulator(server_version=version, api_secret=secret, seed=1)
            monkeypatch.setenv("AIRFLOW_CONN_ALTERYX_DEFAULT", emulator.connection(auth_type))
            hook = AlteryxServerHook(retry_limit=2, retry_delay=0.01)
            hook.wait_for_job(hook.run_workflow(QUICK).id, poll_interval=0.05)
            texts.append(repr(hook) + repr(hook.config))
            emulator.set_faults(error_rate=0.5, drop_rate=0.3)
            for operation, argument in (
                (hook.get_job, "f" * 24),
                (hook.cancel_job, "f" * 24),
                (hook.get_workflow, "f" * 24),
            ):
                try:
                    operation(argument)
                except Exception as error:
                    texts.append(f"{error!r} {error}")
    tokens = [t.value for t in TRANSPORT.tokens._tokens.values()]
    assert signatures and tokens and len(texts) > 2
    logged = capfd.readouterr()
    assert (
        "failed (try 1 of" in logged.out + caplog.text
    )  # the retries were logged, so the check below reads real log lines
    haystack = "\n".join(
        [*texts, *(r.getMessage() for r in caplog.records), caplog.text, logged.out, logged.err]
    )
    for needle in [secret, *tokens, *signatures]:
        assert needle not in haystack


class TestConnection:
    def test_uri_form_of_the_environment_variable(self, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setenv(
            "AIRFLOW_CONN_ALTERYX_URI",
            "alteryx://my%2Bkey:my%2Fsecret@alteryx.example.com:8443/?auth_type=oauth1&verify=false",
        )
        config = AlteryxServerHook("alteryx_uri").config
        assert (config.base_url, config.api_key, config.api_secret, config.auth_type, config.verify) == (
            "https://alteryx.example.com:8443",
            "my+key",
            "my/secret",
            "oauth1",
            False,
        )
        monkeypatch.setenv("AIRFLOW_CONN_ALTERYX_HTTP", "alteryx://key:secret@http%3A%2F%2Flocalhost:8585/")
        assert AlteryxServerHook("alteryx_http").config.base_url == "http://localhost:8585"

    def test_test_connection_reports_truthfully(
        self, emulator: RunningEmulator, use_connection: UseConnection, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        use_connection(emulator)
        assert fast_hook().test_connection() == (
            True,
            f"Connected to Alteryx Server at {emulator.url} (oauth2); {len(WORKFLOW_NAMES)} workflow(s) visible.",
        )
        monkeypatch.setenv(
            "AIRFLOW_CONN_ALTERYX_DEFAULT",
            json.dumps(json.loads(emulator.connection()) | {"password": "nope"}),
        )
        ok, message = AlteryxServerHook(retry_limit=1).test_connection()
        assert not ok and "answered 400" in message and "API Access Key" in message

    def test_form_fields_are_declared_both_ways_with_the_same_keys(self) -> None:
        (connection_type,) = get_provider_info()["connection-types"]
        assert (
            connection_type["connection-type"] == "alteryx"
            and connection_type["conn-fields"] is CONNECTION_FIELDS
        )
        behaviour = AlteryxServerHook.get_ui_field_behaviour()
        assert (
            connection_type["ui-field-behaviour"]["relabeling"]
            == behaviour["relabeling"]
            == {"host": "Server URL", "login": "API key", "password": "API secret"}
        )
        assert set(behaviour["placeholders"]) - {"host", "login", "password"} == set(CONNECTION_FIELDS)
