"""The provider's own views in the Airflow UI: the "Alteryx job" tab and the "Alteryx jobs" page, and the
workflow's asset, driven in Chromium against ``airflow standalone`` and the emulator.

The emulator's two worker slots are held by jobs this test creates, so the task's job waits ``Queued`` until
the test cancels them; then it runs for 8 s. The tab must show each status without a reload. Meanwhile a
task of another DAG leaves its job queued and ends: the jobs page lists that job too, and it is all that
``reader`` (a viewer refused the watched DAG: tests/ui/plugins/per_dag_reader.py) sees there.
"""

from __future__ import annotations

import os
import re
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest
import requests

from airflow_provider_alteryx.hooks.jobs import JobRequest
from tests.ui.stack import AirflowStack
from tests.ui.tooling import AIRFLOW_3_UI
from tests.ui.users import HIDDEN_FROM_READER, OUTSIDER, READER, USER

if not AIRFLOW_3_UI:
    pytest.skip("the browser test drives the Airflow 3 UI", allow_module_level=True)

from playwright.sync_api import Frame, FrameLocator, Page, expect

from airflow_provider_alteryx.hooks.alteryx import AlteryxServerHook
from dev.demo import REPO
from tests.ui.airflow_pages import RUN_TIMEOUT_MS, log_in, open_dag, open_task_instance, trigger, unpause
from tests.ui.dags.alteryx_ui_job import HOLDER, WATCHED

pytestmark = [pytest.mark.slow, pytest.mark.ui]

DAG_ID, TASK_ID, PLAIN_TASK = "alteryx_ui_job", "watched", "plain"
DOWNSTREAM = "alteryx_ui_downstream"
# Its task creates a job and ends at once; READER may read it.
LEFT_RUNNING = "alteryx_ui_left_running"
# Set on the job view's window and on the UI's once the view is open: a reload would lose them.
MARKER = "window.alteryxNotReloaded"
# Where the screenshots of the views are kept for people to look at (ALTERYX_UI_SCREENSHOTS overrides it).
SCREENSHOTS = Path(os.environ.get("ALTERYX_UI_SCREENSHOTS", REPO / "tmp" / "ui-screenshots"))
WORKER_SLOTS = 2


@pytest.fixture
def server(airflow_ui: AirflowStack, monkeypatch: pytest.MonkeyPatch) -> AlteryxServerHook:
    """The hook, in this process, on the emulator's main (Curator) key."""
    monkeypatch.setenv("AIRFLOW_CONN_ALTERYX_DEFAULT", airflow_ui.emulator.connection())
    return AlteryxServerHook()


def token(stack: AirflowStack, user: str, password: str) -> str:
    answer = requests.post(
        f"{stack.url}/auth/token", json={"username": user, "password": password}, timeout=30
    )
    answer.raise_for_status()
    return str(answer.json()["access_token"])


def api(stack: AirflowStack, method: str, path: str, **kwargs: Any) -> Any:
    headers = {"Authorization": f"Bearer {token(stack, USER, stack.password)}"}
    answer = requests.request(method, f"{stack.url}/api/v2{path}", headers=headers, timeout=30, **kwargs)
    answer.raise_for_status()
    return answer.json()


def run_to_the_end(stack: AirflowStack, dag_id: str) -> str:
    """Unpause the DAG, run it through the REST API and wait for the run's end.

    :return: the run's final state.
    """
    api(stack, "PATCH", f"/dags/{dag_id}", json={"is_paused": False})
    run_id = api(stack, "POST", f"/dags/{dag_id}/dagRuns", json={"logical_date": None})["dag_run_id"]
    deadline = time.monotonic() + RUN_TIMEOUT_MS / 1000
    while time.monotonic() < deadline:
        state = str(api(stack, "GET", f"/dags/{dag_id}/dagRuns/{run_id}")["state"])
        if state in ("success", "failed"):
            return state
        time.sleep(1)
    raise AssertionError(f"the run {run_id} of {dag_id} did not end within {RUN_TIMEOUT_MS // 1000} s")


def job_frame(page: Page) -> Frame:
    """The open job view's frame (to run script in it, which a FrameLocator cannot)."""
    frame = page.frame(url=re.compile(r"/alteryx/job\?"))
    assert frame is not None, f"no job view among the frames {[f.url for f in page.frames]}"
    return frame


def assert_not_reloaded(page: Page, status: str) -> None:
    assert page.evaluate(MARKER) is True, f"the Airflow UI reloaded before the job view showed {status}"
    assert job_frame(page).evaluate(MARKER) is True, f"the job view reloaded to show {status}"


def job_tab(page: Page) -> FrameLocator:
    """Open the task instance's "Alteryx job" tab: the view is a page of the API server in an iframe."""
    page.get_by_role("link", name="Alteryx job", exact=True).click()
    return page.frame_locator("iframe")


def shot(page: Page, name: str) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    target = (SCREENSHOTS / f"{name}.png").resolve()
    page.screenshot(path=str(target), full_page=True)
    return target


def routes(run_id: str, output_id: str) -> list[str]:
    """The routes that name the watched task (the jobs page names none)."""
    query = urlencode({"dag_id": DAG_ID, "run_id": run_id, "task_id": TASK_ID, "map_index": "{MAP_INDEX}"})
    return [
        f"/alteryx/job?{query}",
        f"/alteryx/job/panel?{query}",
        f"/alteryx/job/outputs/{output_id}?{query}",
        # The DAG named twice, a readable one first: the permission check and the route read the same one.
        f"/alteryx/job?dag_id={LEFT_RUNNING}&{query}",
    ]


def test_job_view_follows_the_job_and_the_asset_starts_the_downstream_dag(
    page: Page, airflow_ui: AirflowStack, server: AlteryxServerHook
) -> None:
    api(airflow_ui, "PATCH", f"/dags/{DOWNSTREAM}", json={"is_paused": False})
    holders = [server.create_job(JobRequest.build(HOLDER, None)) for _ in range(WORKER_SLOTS)]
    open_dag(page, DAG_ID)
    unpause(page)
    run_id = trigger(page)

    open_task_instance(page, run_id, PLAIN_TASK)
    expect(job_tab(page).get_by_test_id("not-alteryx"), "a plain task's tab").to_have_text(
        "Not an Alteryx task."
    )
    not_alteryx = shot(page, "0-plain-task-not-alteryx")

    open_task_instance(page, run_id, TASK_ID)
    view = job_tab(page)
    expect(view.get_by_test_id("status"), "the job never showed Queued").to_contain_text(
        "Queued for", timeout=RUN_TIMEOUT_MS
    )
    expect(view.get_by_test_id("queue")).to_have_text("position 1 of 1 in the Server's queue")
    expect(view.get_by_test_id("priority")).to_have_text("High")
    expect(view.get_by_test_id("task-state")).to_have_text("deferred", timeout=RUN_TIMEOUT_MS)
    job_id = view.get_by_test_id("job-id").inner_text()
    page.evaluate(f"{MARKER} = true")
    job_frame(page).evaluate(f"{MARKER} = true")
    queued = shot(page, "1-job-view-queued")

    # A job whose task has ended: listed as long as the Server says it is queued or running.
    assert run_to_the_end(airflow_ui, LEFT_RUNNING) == "success"
    (left_job,) = [job for job in airflow_ui.emulator.jobs() if job["workflowId"] == HOLDER][WORKER_SLOTS:]
    in_flight = page.context.new_page()
    in_flight.goto("/", wait_until="networkidle")
    in_flight.get_by_role("button", name="Browse").click()
    in_flight.get_by_role("menuitem", name="Alteryx jobs").click()
    listed = in_flight.frame_locator("iframe")
    row = listed.get_by_test_id(f"workflow-{WATCHED}").get_by_role("row").filter(has_text=job_id)
    for cell in ("Queued", DAG_ID, run_id, TASK_ID):
        expect(
            row, "the Alteryx jobs page does not list the queued job with its run and task"
        ).to_contain_text(cell)
    left_row = listed.get_by_test_id(f"workflow-{HOLDER}").get_by_role("row").filter(has_text=left_job["id"])
    for cell in ("Queued", LEFT_RUNNING, "start"):
        expect(left_row, "the Alteryx jobs page does not list a job whose task has ended").to_contain_text(
            cell
        )
    jobs_page = shot(in_flight, "2-alteryx-jobs-page")
    in_flight.close()

    # READER may read LEFT_RUNNING but not DAG_ID: the page lists the one job and nothing of the other DAG.
    assert DAG_ID in HIDDEN_FROM_READER and LEFT_RUNNING not in HIDDEN_FROM_READER
    reader_context = page.context.browser.new_context(  # type: ignore[union-attr]
        viewport=page.viewport_size, base_url=airflow_ui.url
    )
    reader_page = reader_context.new_page()
    log_in(reader_page, READER, airflow_ui.reader_password)
    reader_page.goto("/alteryx/jobs")
    expect(reader_page.get_by_test_id(f"workflow-{HOLDER}"), f"{READER}'s jobs page").to_contain_text(
        left_job["id"]
    )
    for hidden in (job_id, DAG_ID, run_id):
        expect(
            reader_page.locator("body"), f"{READER} sees {hidden} of a DAG it may not read"
        ).not_to_contain_text(hidden)
    jobs_page_reader = shot(reader_page, "2b-alteryx-jobs-page-reader")
    reader_context.close()
    server.cancel_job(left_job["id"])

    for holder in holders:
        server.cancel_job(holder.id)
    expect(view.get_by_test_id("status"), "the tab did not show the job Running").to_contain_text(
        "Running for", timeout=RUN_TIMEOUT_MS
    )
    assert_not_reloaded(page, "Running")
    expect(view.get_by_test_id("queue")).to_contain_text("not in the queue: the job is Running")
    running = shot(page, "3-job-view-running")
    expect(view.get_by_test_id("status"), "the tab did not show the job Completed").to_contain_text(
        "Completed for", timeout=RUN_TIMEOUT_MS
    )
    assert_not_reloaded(page, "Completed")
    expect(view.get_by_test_id("disposition")).to_contain_text("Success for")
    messages = view.get_by_test_id("messages")
    expect(messages, "the engine messages are missing").to_contain_text(
        f"Read <b>batch</b> {run_id} & wrote it"
    )
    expect(messages).to_contain_text(f"Batch {run_id}: 2 rows had no amount")
    expect(messages.locator("b"), "an engine message became markup").to_have_count(0)
    completed = shot(page, "4-job-view-completed")

    job = server.get_job(job_id)
    (output,) = job.outputs
    with page.expect_download() as download:
        view.get_by_test_id("outputs").get_by_role("link", name="Csv").click()
    downloaded = Path(download.value.path()).read_bytes()
    reference = airflow_ui.home / "reference-output.csv"
    server.download_job_output(job.id, output.id, "Csv", reference)
    assert downloaded == reference.read_bytes(), (
        f"the downloaded output is not job {job.id}'s {output.name}: got {downloaded[:200]!r}, expected {reference.read_bytes()[:200]!r}"
    )
    print(
        f"screenshots: {not_alteryx}, {queued}, {jobs_page}, {jobs_page_reader}, {running}, {completed}; "
        f"download matched {len(downloaded)} bytes"
    )

    # Another job's output through this task's route: refused, whatever the id.
    other = server.wait_for_job(
        server.create_job(JobRequest.build(WATCHED, {"batch": "other"})).id, poll_interval=0.5
    )
    admin = {"Authorization": f"Bearer {token(airflow_ui, USER, airflow_ui.password)}"}
    stolen = requests.get(airflow_ui.url + routes(run_id, other.outputs[0].id)[2], headers=admin, timeout=30)
    assert stolen.status_code == 404, (
        f"another job's output was served: {stolen.status_code} {stolen.content[:200]!r}"
    )

    # Sessions: none is refused (401); a user who may read no DAG, or some DAGs but not this one, is refused
    # (403); the admin is served.
    outsider = {"Authorization": f"Bearer {token(airflow_ui, OUTSIDER, airflow_ui.outsider_password)}"}
    reader = {"Authorization": f"Bearer {token(airflow_ui, READER, airflow_ui.reader_password)}"}
    for route in [*routes(run_id, output.id), "/alteryx/jobs"]:
        url = airflow_ui.url + route
        anonymous = requests.get(url, timeout=30)
        assert anonymous.status_code == 401, f"{route} without a session answered {anonymous.status_code}"
        refused = requests.get(url, headers=outsider, timeout=30)
        assert refused.status_code == 403, f"{route} for {OUTSIDER} answered {refused.status_code}"
        assert job_id not in refused.text and job_id not in anonymous.text
        served = requests.get(url, headers=admin, timeout=30)
        assert served.status_code == 200, (
            f"{route} for {USER} answered {served.status_code}: {served.text[:300]}"
        )
        assert airflow_ui.emulator.api_secret not in served.text, f"{route} shows the Server's secret"
    for route in routes(run_id, output.id):
        refused = requests.get(airflow_ui.url + route, headers=reader, timeout=30)
        assert refused.status_code == 403, f"{route} for {READER} answered {refused.status_code}"
        assert job_id not in refused.text

    # The workflow's asset event landed with the job's id and disposition, and started the downstream DAG.
    deadline = time.monotonic() + RUN_TIMEOUT_MS / 1000
    runs: list[dict[str, Any]] = []
    while time.monotonic() < deadline:
        runs = api(airflow_ui, "GET", f"/dags/{DOWNSTREAM}/dagRuns")["dag_runs"]
        if runs and runs[0]["state"] in ("success", "failed"):
            break
        time.sleep(2)
    assert runs and runs[0]["state"] == "success", f"{DOWNSTREAM} did not run after the asset event: {runs}"
    downstream_run = runs[0]["dag_run_id"]
    extras = api(
        airflow_ui,
        "GET",
        f"/dags/{DOWNSTREAM}/dagRuns/{downstream_run}/taskInstances/report/xcomEntries/return_value",
    )["value"]
    assert {"job_id": job_id, "disposition": "Success"} in [
        {k: extra.get(k) for k in ("job_id", "disposition")} for extra in extras
    ], f"the downstream run's triggering events carry {extras}"
