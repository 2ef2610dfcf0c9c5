"""Answers as the newer V3 swagger shows them (a Swashbuckle export from a 2025.1-or-later Server), over HTTP,
and the variants that let the emulator play either reading where that swagger leaves a behaviour open."""

from __future__ import annotations

import re
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
import requests

from airflow_provider_alteryx.emulator import (
    CatalogueError,
    EmulatorConfig,
    RunningEmulator,
    Variants,
    load_catalogue,
    run_emulator,
)
from airflow_provider_alteryx.emulator.catalogue import PackageType, Workflow
from airflow_provider_alteryx.emulator.errors import DENIED
from airflow_provider_alteryx.emulator.server import _parser, config_from_args
from airflow_provider_alteryx.emulator.variants import (
    CancelAnswer,
    PackageTypeForm,
    ScheduleIteration,
    ScheduleTimes,
    ScheduleZones,
)
from airflow_provider_alteryx.emulator.views import timespan
from tests.conftest import QUICK, REGIONAL, SLOW, WARNS, StartEmulator
from tests.emulator.signing import signed_url_by_hand
from tests.emulator.test_app import Legacy, WebApi, wait_until_finished
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


class TestAllJobs:
    """``GET /v3/jobs``: paged, with the filters and item fields the newer swagger declares."""

    def finished(self, call: WebApi, workflow: str, count: int, **body: Any) -> list[str]:
        ids = [call("POST", f"/v3/workflows/{workflow}/jobs", json=body).json()["id"] for _ in range(count)]
        for job_id in ids:
            wait_until_finished(lambda i: call("GET", f"/v3/jobs/{i}").json(), job_id)
        return ids

    def test_pages_by_offset_and_limit(self, start_emulator: StartEmulator) -> None:
        call = WebApi(start_emulator(time_scale=0.05, variants=Variants(jobs_page_size=2)))
        ids = self.finished(call, QUICK, 5)
        first = call("GET", "/v3/jobs").json()
        assert [j["jobId"] for j in first["data"]] == ids[:2]
        assert first["pagination"] == {
            "currentPage": 1,
            "pageSize": 2,
            "totalItems": 5,
            "totalPages": 3,
            "hasNextPage": True,
            "hasPreviousPage": False,
        }
        last = call("GET", "/v3/jobs", params={"offset": "3", "limit": "3"}).json()
        assert [j["jobId"] for j in last["data"]] == ids[3:]
        assert (last["pagination"]["currentPage"], last["pagination"]["totalPages"]) == (2, 2)
        assert (last["pagination"]["hasNextPage"], last["pagination"]["hasPreviousPage"]) == (False, True)
        refused = call("GET", "/v3/jobs", params={"limit": "0"})
        assert refused.status_code == 400 and "at least 1" in refused.json()["modelState"]["limit"][0]

    def test_items_have_the_swaggers_fields(self, start_emulator: StartEmulator) -> None:
        call = WebApi(start_emulator(workers=1, time_scale=0.05))
        (done,) = self.finished(call, QUICK, 1)
        running = call("POST", f"/v3/workflows/{SLOW}/jobs", json={"priority": "High"}).json()["id"]
        queued = call("POST", f"/v3/workflows/{QUICK}/jobs", json={}).json()["id"]
        items = {j["jobId"]: j for j in call("GET", "/v3/jobs").json()["data"]}
        finished = items[done]
        assert set(finished) == {
            "jobId", "status", "workflowName", "workflowId", "submittedBy",
            "startTime", "queueTime", "executionTime", "priority",
        }  # fmt: skip
        assert (finished["status"], finished["workflowName"], finished["workflowId"]) == (
            "Completed",
            "Quick",
            QUICK,
        )
        assert finished["queueTime"] <= finished["startTime"] and finished["startTime"].endswith("Z")
        assert re.fullmatch(r"00:00:00\.\d{7}", finished["executionTime"]), finished["executionTime"]
        assert (items[running]["priority"], items[running]["executionTime"] is not None) == ("High", True)
        assert (items[queued]["startTime"], items[queued]["executionTime"]) == (None, None)
        assert items[queued]["queueTime"] is not None
        assert len({item["submittedBy"] for item in items.values()}) == 1

    def test_filters(self, start_emulator: StartEmulator) -> None:
        emulator = start_emulator(time_scale=0.05)
        curator, artisan = WebApi(emulator), ArtisanApi(emulator)
        (high,) = self.finished(curator, QUICK, 1, priority="High")
        (mine,) = self.finished(curator, WARNS, 1)
        (theirs,) = self.finished(artisan, QUICK, 1)

        def listed(**params: str) -> list[str]:
            answer = curator("GET", "/v3/jobs", params=params)
            assert answer.status_code == 200, answer.text
            return [j["jobId"] for j in answer.json()["data"]]

        today = date.fromisoformat(str(control_job(emulator, high)["finishedAt"])[:10])
        assert listed(priorities="High") == listed(priorities="2") == [high]
        assert listed(priorities="Low,Critical") == [mine, theirs]  # Default ranks with Low
        assert listed(workflowNames="warns", statuses="Complete") == [mine]
        assert listed(completedAfter=f"{today}") == [high, mine, theirs]
        assert listed(completedBefore=f"{today}") == []
        assert listed(completedAfter=f"{today + timedelta(days=1)}") == []
        assert listed(allUsers="false") == [high, mine]
        artisan_id = next(
            j["submittedBy"] for j in curator("GET", "/v3/jobs").json()["data"] if j["jobId"] == theirs
        )
        assert listed(allUsers="true", users=artisan_id) == [theirs]
        assert listed(users=artisan_id) == [high, mine, theirs]  # "filters only if allUsers = true"
        assert listed() == [high, mine, theirs]
        for params, field in (
            ({"completedAfter": "30/06/2025"}, "completedAfter"),
            ({"priorities": "Urgent"}, "priorities"),
        ):
            refused = curator("GET", "/v3/jobs", params=params)
            assert refused.status_code == 400 and field in refused.json()["modelState"], params


def test_durations_are_written_as_dotnet_writes_a_timespan() -> None:
    assert timespan(timedelta(seconds=3)) == "00:00:03"
    assert timespan(timedelta(minutes=2, seconds=5, microseconds=312_500)) == "00:02:05.3125000"
    assert timespan(timedelta(days=1, hours=2, minutes=3, seconds=4)) == "1.02:03:04"


def test_info_lists_the_variants_in_force(start_emulator: StartEmulator) -> None:
    emulator = start_emulator(variants=Variants(cancel_queued_deletes=True))
    variants = emulator.info()["variants"]
    assert (variants["cancel_queued_deletes"], variants["cancel_answer"]) == (True, "job")
    assert set(variants) == set(vars(Variants()))


def test_every_variant_is_a_command_line_flag() -> None:
    config = config_from_args(
        _parser().parse_args(
            [
                "--cancel-queued-deletes",
                "--cancel-answer",
                "empty",
                "--v1-package-type",
                "integer",
                "--jobs-page-size",
                "25",
                "--schedule-iteration",
                "swagger",
                "--schedule-time-zones",
                "windows",
                "--schedule-times",
                "local",
            ]
        )
    )
    assert config.variants == Variants(
        cancel_queued_deletes=True,
        cancel_answer=CancelAnswer.EMPTY,
        v1_package_type=PackageTypeForm.INTEGER,
        jobs_page_size=25,
        schedule_iteration=ScheduleIteration.SWAGGER,
        schedule_time_zones=ScheduleZones.WINDOWS,
        schedule_times=ScheduleTimes.LOCAL,
    )
    unexercised = [
        name for name in vars(Variants()) if getattr(config.variants, name) == getattr(Variants(), name)
    ]
    assert not unexercised, f"give {unexercised} a value other than the default above"
    assert config_from_args(_parser().parse_args([])).variants == Variants()


def test_the_help_describes_every_variant() -> None:
    text = " ".join(_parser().format_help().split())
    for flag, words in {
        "--cancel-queued-deletes": "delete a queued job",
        "--cancel-answer job|empty": "the swagger declares none",
        "--v1-package-type string|integer": "the integer real legacy answers carry",
        "--jobs-page-size N": "declares no default",
        "--schedule-iteration full|swagger": "only startTime and endTime",
        "--schedule-time-zones iana|windows": "W. Europe Standard Time",
        "--schedule-times utc|local": "without an offset",
    }.items():
        assert flag in text and words in text, flag


def test_unknown_variant_values_are_refused(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        _parser().parse_args(["--cancel-answer", "nothing"])
    assert exited.value.code == 2 and "'nothing' is not one of job, empty" in capsys.readouterr().err
