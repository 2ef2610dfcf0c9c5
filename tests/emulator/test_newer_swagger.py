"""Answers as the newer V3 swagger shows them (a Swashbuckle export from a 2025.1-or-later Server), over HTTP,
and the variants that let the emulator play either reading where that swagger leaves a behaviour open."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
import requests

from airflow_provider_alteryx.emulator import (
    CatalogueError,
    EmulatorConfig,
    RunningEmulator,
    load_catalogue,
    run_emulator,
)
from airflow_provider_alteryx.emulator.catalogue import PackageType, Workflow
from airflow_provider_alteryx.emulator.errors import DENIED
from airflow_provider_alteryx.emulator.server import _parser, config_from_args
from airflow_provider_alteryx.emulator.variants import CancelAnswer, PackageTypeForm, Variants
from tests.conftest import QUICK, REGIONAL, SLOW, WARNS, StartEmulator
from tests.emulator.signing import signed_url_by_hand
from tests.emulator.test_app import Legacy, WebApi
from tests.emulator.test_behaviours import ArtisanApi


def control_job(emulator: RunningEmulator, job_id: str) -> dict[str, object]:
    return next(job for job in emulator.jobs() if job["id"] == job_id)


class TestCancel:
    """``DELETE /v3/jobs/{id}``: "Cancel the running job or delete a queued job"."""

    def queued_behind_a_running_job(self, call: WebApi) -> tuple[str, str]:
        running = call("POST", f"/v3/workflows/{SLOW}/jobs", json={}).json()["id"]
        queued = call("POST", f"/v3/workflows/{QUICK}/jobs", json={}).json()["id"]
        return running, queued

    def test_by_default_a_queued_job_is_cancelled_and_stays_readable(
        self, start_emulator: StartEmulator
    ) -> None:
        emulator = start_emulator(workers=1)
        call = WebApi(emulator)
        _, queued = self.queued_behind_a_running_job(call)
        assert control_job(emulator, queued)["status"] == "Queued"
        answer = call("DELETE", f"/v3/jobs/{queued}")
        assert (answer.status_code, answer.json()["status"]) == (200, "Cancelled")
        job = call("GET", f"/v3/jobs/{queued}").json()
        assert (job["status"], job["disposition"]) == ("Cancelled", "Cancelled")

    def test_a_deleted_queued_job_answers_no_body_and_is_gone(self, start_emulator: StartEmulator) -> None:
        emulator = start_emulator(workers=1, variants=Variants(cancel_queued_deletes=True))
        call = WebApi(emulator)
        running, queued = self.queued_behind_a_running_job(call)
        deleted = call("DELETE", f"/v3/jobs/{queued}")
        assert (deleted.status_code, deleted.content) == (200, b"")
        assert call("GET", f"/v3/jobs/{queued}").status_code == 404
        assert call("GET", f"/v1/jobs/{queued}").status_code == 404
        assert call("DELETE", f"/v3/jobs/{queued}").status_code == 404
        assert [j["id"] for j in call("GET", f"/v3/workflows/{QUICK}/jobs").json()] == []
        assert [j["jobId"] for j in call("GET", "/v3/jobs").json()["data"]] == [running]
        # The emulator's own listing still shows it, so a test can see what happened.
        seen = control_job(emulator, queued)
        assert (seen["deleted"], seen["status"]) == (True, "Cancelled")
        # A running job is cancelled either way, and stays readable.
        cancelled = call("DELETE", f"/v3/jobs/{running}")
        assert (cancelled.status_code, cancelled.json()["status"]) == (200, "Cancelled")
        assert call("GET", f"/v3/jobs/{running}").json()["disposition"] == "Cancelled"

    def test_a_created_job_is_deleted_too(self, start_emulator: StartEmulator) -> None:
        emulator = start_emulator(created_seconds=30, variants=Variants(cancel_queued_deletes=True))
        call = WebApi(emulator)
        created = call("POST", f"/v3/workflows/{QUICK}/jobs", json={}).json()["id"]
        assert control_job(emulator, created)["status"] == "Created"
        assert call("DELETE", f"/v3/jobs/{created}").content == b""
        assert call("GET", f"/v3/jobs/{created}").status_code == 404

    def test_the_cancel_answer_can_have_no_body(self, start_emulator: StartEmulator) -> None:
        call = WebApi(start_emulator(variants=Variants(cancel_answer=CancelAnswer.EMPTY)))
        running = call("POST", f"/v3/workflows/{SLOW}/jobs", json={}).json()["id"]
        answer = call("DELETE", f"/v3/jobs/{running}")
        assert (answer.status_code, answer.content, "Content-Type" in answer.headers) == (200, b"", False)
        assert call("GET", f"/v3/jobs/{running}").json()["status"] == "Cancelled"

    def test_a_deleted_job_stays_deleted_across_a_restart(
        self, workflows: tuple[Workflow, ...], tmp_path: Path
    ) -> None:
        config = EmulatorConfig(
            workflows=workflows,
            workers=1,
            state_file=tmp_path / "state.json",
            variants=Variants(cancel_queued_deletes=True),
        )
        with run_emulator(config) as before:
            call = WebApi(before)
            _, queued = self.queued_behind_a_running_job(call)
            call("DELETE", f"/v3/jobs/{queued}")
        with run_emulator(config) as after:
            again = WebApi(after)
            again.headers = call.headers  # the token outlives the restart
            assert again("GET", f"/v3/jobs/{queued}").status_code == 404
            assert control_job(after, queued)["deleted"] is True


class TestForbidden:
    """403 where the newer swagger lists it: running a workflow, or reading its questions, without access."""

    @staticmethod
    def start(workflows: tuple[Workflow, ...], version: str) -> AbstractContextManager[RunningEmulator]:
        """An emulator on which Regional is not shared for execution."""
        private = tuple(replace(w, others_can_execute=w.id != REGIONAL) for w in workflows)
        return run_emulator(EmulatorConfig(workflows=private, server_version=version))

    def test_v3_answers_an_artisan_403(self, workflows: tuple[Workflow, ...]) -> None:
        with self.start(workflows, "2025.1") as emulator:
            artisan, curator = ArtisanApi(emulator), WebApi(emulator)
            refused = artisan("POST", f"/v3/workflows/{REGIONAL}/jobs", json={})
            assert (refused.status_code, refused.json()) == (
                403,
                {"message": "The authenticated user does not have access to execute the workflow."},
            )
            questions = artisan("GET", f"/v3/workflows/{REGIONAL}/questions")
            assert (questions.status_code, set(questions.json())) == (403, {"message"})
            assert emulator.jobs() == []
            assert artisan("POST", f"/v3/workflows/{QUICK}/jobs", json={}).status_code == 200
            # A Curator runs it and reads its questions as ever.
            ran = curator(
                "POST",
                f"/v3/workflows/{REGIONAL}/jobs",
                json={"questions": [{"name": "region", "value": "EU"}]},
            )
            assert ran.status_code == 200
            assert curator("GET", f"/v3/workflows/{REGIONAL}/questions").status_code == 200
            assert curator("GET", f"/v3/workflows/{REGIONAL}").json()["othersCanExecute"] is False
            assert curator("GET", f"/v3/workflows/{QUICK}").json()["othersCanExecute"] is True

    def test_webapi_v1_and_the_legacy_api_answer_401(self, workflows: tuple[Workflow, ...]) -> None:
        with self.start(workflows, "2021.4") as emulator:
            artisan = ArtisanApi(emulator)
            for answer in (
                artisan("POST", f"/v1/workflows/{REGIONAL}/jobs", json={}),
                artisan("GET", f"/v1/workflows/{REGIONAL}/questions"),
            ):
                assert (answer.status_code, answer.json()) == (401, {"message": DENIED})
            legacy = requests.post(
                signed_url_by_hand(
                    "POST",
                    f"{emulator.url}/gallery/api/v1/workflows/{REGIONAL}/jobs/",
                    emulator.artisan_key,
                    emulator.artisan_secret,
                ),
                json={},
                timeout=10,
            )
            assert (legacy.status_code, legacy.json()["message"]) == (401, DENIED)
            assert artisan("POST", f"/v1/workflows/{QUICK}/jobs", json={}).status_code == 200
            assert [job["workflowId"] for job in emulator.jobs()] == [QUICK]


def test_others_can_execute_must_be_true_or_false(tmp_path: Path) -> None:
    path = tmp_path / "c.yaml"
    path.write_text("workflows:\n  - {name: A, others_can_execute: nobody}\n")
    with pytest.raises(
        CatalogueError, match=r"workflows\[0\]\.others_can_execute: expected true or false, got 'nobody'"
    ):
        load_catalogue(path)
    path.write_text("workflows:\n  - {name: A, others_can_execute: false}\n  - {name: B}\n")
    assert [w.others_can_execute for w in load_catalogue(path)] == [False, True]


class TestPackageType:
    """``packageType``: an integer in real legacy answers, unverified on ``/webapi/v1``."""

    TYPES = {QUICK: PackageType.APP, REGIONAL: PackageType.WORKFLOW, WARNS: PackageType.MACRO}

    def subscription(self, call: Callable[..., requests.Response], path: str) -> list[object]:
        """The packageType of Quick, Regional and Warns, in that order."""
        by_id = {w["id"]: w["packageType"] for w in call("GET", path).json()}
        return [by_id[workflow_id] for workflow_id in self.TYPES]

    def start(
        self, workflows: tuple[Workflow, ...], **settings: Any
    ) -> AbstractContextManager[RunningEmulator]:
        typed = tuple(replace(w, package_type=self.TYPES.get(w.id, PackageType.APP)) for w in workflows)
        return run_emulator(EmulatorConfig(workflows=typed, server_version="2021.4", **settings))

    def test_the_legacy_api_numbers_them_and_v1_names_them(self, workflows: tuple[Workflow, ...]) -> None:
        with self.start(workflows) as emulator:
            assert self.subscription(Legacy(emulator), "/workflows/subscription/") == [0, 1, 2]
            assert self.subscription(WebApi(emulator), "/v1/workflows/subscription") == [
                "App",
                "Module",
                "Macro",
            ]

    def test_v1_may_number_them_too(self, workflows: tuple[Workflow, ...]) -> None:
        variants = Variants(v1_package_type=PackageTypeForm.INTEGER)
        with self.start(workflows, variants=variants) as emulator:
            assert self.subscription(WebApi(emulator), "/v1/workflows/subscription") == [0, 1, 2]
            assert self.subscription(Legacy(emulator), "/workflows/subscription/") == [0, 1, 2]

    def test_v3_workflows_name_them_at_the_top_and_in_each_version(
        self, workflows: tuple[Workflow, ...]
    ) -> None:
        with self.start(workflows) as emulator:
            macro = WebApi(emulator)("GET", f"/v3/workflows/{WARNS}").json()
            assert (macro["packageWorkflowType"], macro["versions"][0]["packageWorkflowType"]) == (
                "Macro",
                "Macro",
            )

    def test_the_catalogue_checks_them(self, tmp_path: Path) -> None:
        path = tmp_path / "c.yaml"
        path.write_text(
            "workflows:\n  - {name: A, package_type: macro}\n  - {name: B, package_type: module}\n"
        )
        with pytest.raises(
            CatalogueError, match=r"workflows\[1\]\.package_type: 'module' is not one of app, workflow, macro"
        ):
            load_catalogue(path)


def test_info_lists_the_variants_in_force(start_emulator: StartEmulator) -> None:
    emulator = start_emulator(variants=Variants(cancel_queued_deletes=True))
    variants = emulator.info()["variants"]
    assert (variants["cancel_queued_deletes"], variants["cancel_answer"]) == (True, "job")
    assert set(variants) == set(vars(Variants()))


def test_every_variant_is_a_command_line_flag() -> None:
    config = config_from_args(
        _parser().parse_args(
            ["--cancel-queued-deletes", "--cancel-answer", "empty", "--v1-package-type", "integer"]
        )
    )
    assert config.variants == Variants(
        cancel_queued_deletes=True,
        cancel_answer=CancelAnswer.EMPTY,
        v1_package_type=PackageTypeForm.INTEGER,
    )
    assert config_from_args(_parser().parse_args([])).variants == Variants()


def test_the_help_describes_every_variant() -> None:
    text = " ".join(_parser().format_help().split())
    for flag, words in {
        "--cancel-queued-deletes": "delete a queued job",
        "--cancel-answer job|empty": "the swagger declares none",
        "--v1-package-type string|integer": "the integer real legacy answers carry",
    }.items():
        assert flag in text and words in text, flag


def test_unknown_variant_values_are_refused(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        _parser().parse_args(["--cancel-answer", "nothing"])
    assert exited.value.code == 2 and "'nothing' is not one of job, empty" in capsys.readouterr().err
