"""The provider in the Airflow UI, driven by Chromium through the UI's own controls against ``airflow standalone``.

One ``airflow standalone`` (with the emulator, the example DAGs and tests/ui/dags) serves the whole module; the
tests run in file order, and the task-log test reads the run the clear test left behind.
"""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.ui.stack import AirflowStack
from tests.ui.tooling import AIRFLOW_3_UI

if not AIRFLOW_3_UI:
    pytest.skip("the browser test drives the Airflow 3 UI", allow_module_level=True)

from playwright.sync_api import Page, expect

from tests.ui.airflow_pages import (
    RUN_TIMEOUT_MS,
    header_state,
    log_text,
    open_dag,
    open_grid_cell,
    open_tab,
    open_task_instance,
    trigger,
    unpause,
    wait_until_finished,
)
from tests.ui.dags.alteryx_ui_flaky import FAILS_ON_FIRST_TRY

pytestmark = [pytest.mark.slow, pytest.mark.ui]

FLAKY_DAG, FLAKY_TASK = "alteryx_ui_flaky", "flaky"
CONNECTION_ID = "alteryx_ui_form"

# extract_orders' workflow in example_dags/alteryx_sequential.py (the demo catalogue's "Extract orders").
EXTRACT_ORDERS = "6a1f0c2b3d4e5f60718293a4"


def jobs_of(stack: AirflowStack, workflow_id: str) -> list[dict[str, Any]]:
    """The emulator's jobs of one workflow, oldest first."""
    return [job for job in stack.emulator.jobs() if job["workflowId"] == workflow_id]


def test_sequential_run_and_alteryx_server_button(page: Page, airflow_ui: AirflowStack) -> None:
    open_dag(page, "alteryx_sequential")
    unpause(page)
    run_id = trigger(page)
    state = wait_until_finished(page, f"alteryx_sequential run {run_id}")
    assert state == "Success", (
        f"alteryx_sequential run {run_id} ended {state}; its task logs are in the Airflow home named below"
    )

    open_task_instance(page, run_id, "extract_orders")
    open_tab(page, "Details")
    button = page.get_by_role("link", name="Alteryx Server", exact=True)
    expect(button, "the task's Details tab has no 'Alteryx Server' extra link").to_be_visible()
    workflow_page = f"{airflow_ui.emulator.url}/gallery/app/workflow/{EXTRACT_ORDERS}"
    href = button.get_attribute("href")
    assert href == workflow_page, (
        f"the 'Alteryx Server' button points at {href!r}, not the workflow's page {workflow_page!r}"
    )

    with page.context.expect_page() as opened:
        button.click()
    server_page = opened.value
    server_page.wait_for_load_state()
    assert server_page.url == workflow_page
    expect(
        server_page.get_by_role("heading", name="Extract orders"),
        "the button did not open the workflow's page",
    ).to_be_visible()


def test_clear_reruns_the_failed_task_with_one_new_job(page: Page, airflow_ui: AirflowStack) -> None:
    open_dag(page, FLAKY_DAG)
    unpause(page)
    run_id = trigger(page)
    assert wait_until_finished(page, f"{FLAKY_DAG} run {run_id} (try 1)") == "Failed", (
        "try 1 should fail: its job runs with attempt=1"
    )
    first_jobs = jobs_of(airflow_ui, FAILS_ON_FIRST_TRY)
    assert [(job["questions"], job["disposition"]) for job in first_jobs] == [({"attempt": "1"}, "Error")]

    open_task_instance(page, run_id, FLAKY_TASK)
    expect(header_state(page)).to_have_text("Failed")
    page.get_by_role("button", name="Press shift+c to clear").click()
    dialog = page.get_by_role("dialog")
    expect(dialog, "the Clear button opened no confirmation dialog").to_contain_text(
        f"Clear Task Instance: {FLAKY_TASK}"
    )
    expect(dialog).to_contain_text("Affected Tasks: 1")
    dialog.get_by_role("button", name="Confirm").click()
    expect(dialog).to_be_hidden()
    expect(header_state(page), "Clear did not reset the failed task").not_to_have_text(
        "Failed", timeout=RUN_TIMEOUT_MS
    )

    state = wait_until_finished(page, f"{FLAKY_TASK} after Clear (try 2)")
    jobs = jobs_of(airflow_ui, FAILS_ON_FIRST_TRY)
    new_jobs = [(job["questions"], job["disposition"]) for job in jobs[len(first_jobs) :]]
    assert state == "Success", f"try 2 ended {state}; its job(s): {new_jobs}"
    assert new_jobs == [({"attempt": "2"}, "Success")], (
        f"the cleared try should run exactly one new job with attempt=2, ran {new_jobs}"
    )
    try_number = page.get_by_test_id("header-card").get_by_test_id("stat").filter(has_text="Try Number")
    expect(try_number, "the task instance is not on try 2").to_have_text(re.compile(r"Try Number\s*2$"))


def test_task_log_shows_the_job_its_statuses_and_engine_messages(
    page: Page, airflow_ui: AirflowStack
) -> None:
    jobs = jobs_of(airflow_ui, FAILS_ON_FIRST_TRY)
    assert len(jobs) == 2, (
        f"needs the run test_clear_reruns_the_failed_task_with_one_new_job leaves (a failed try and a cleared one); jobs: {jobs}"
    )
    failed_job, passed_job = (job["id"] for job in jobs)
    open_dag(page, FLAKY_DAG)
    open_grid_cell(page, page.get_by_test_id(re.compile(rf"^grid-.+-{FLAKY_TASK}$")))

    latest = log_text(page, f"Alteryx job {passed_job}")
    # The job's statuses as the task saw them: at creation (operator), then at the end (trigger, then operator).
    statuses = [
        f"Created Alteryx job {passed_job} for workflow {FAILS_ON_FIRST_TRY} (Queued)",
        f"Alteryx job {passed_job} finished: Success",
        f"Engine messages of Alteryx job {passed_job}:",
        "Info: Check (2): attempt 2 passed",
        f"Alteryx job {passed_job} of workflow {FAILS_ON_FIRST_TRY} succeeded (Success)",
    ]
    for line in statuses:
        assert line in latest, f"the Logs tab of try 2 lacks {line!r}; it shows:\n{latest}"
    assert [latest.index(line) for line in statuses] == sorted(latest.index(line) for line in statuses), (
        f"try 2's log is out of order:\n{latest}"
    )

    page.get_by_test_id("log-attempt-select-button-1").click()
    first = log_text(page, f"Alteryx job {failed_job}")
    for line in (
        f"Alteryx job {failed_job} finished: Error",
        "Error: Check (2): attempt 1 fails on purpose",
        f"AlteryxJobError: Alteryx job {failed_job}",
    ):
        assert line in first, f"the Logs tab of try 1 lacks {line!r}; it shows:\n{first}"


def test_connection_form_and_test_button(page: Page, airflow_ui: AirflowStack) -> None:
    server = airflow_ui.emulator
    page.goto("/", wait_until="networkidle")
    page.get_by_role("button", name="Admin").click()
    page.get_by_role("menuitem", name="Connections").click()
    page.wait_for_url(re.compile(r"/connections$"))

    page.get_by_role("button", name="Add Connection").click()
    form = page.get_by_role("dialog")
    form.get_by_label("Connection ID").fill(CONNECTION_ID)
    form.get_by_role("combobox").click()
    page.get_by_role("option", name="Alteryx Server", exact=True).click()
    for label in ("Server URL", "API key", "API secret"):
        expect(
            form.get_by_label(label, exact=True), f"the Alteryx Server form has no {label!r} field"
        ).to_be_visible()
    expect(form.get_by_label("API secret", exact=True), "the API secret is typed in clear").to_have_attribute(
        "type", "password"
    )
    form.get_by_label("Server URL", exact=True).fill(server.url)
    form.get_by_label("API key", exact=True).fill(server.api_key)
    form.get_by_label("API secret", exact=True).fill(server.api_secret)
    # An accordion: opening the extra fields folds the standard ones away.
    form.get_by_role("button", name="Extra Fields", exact=True).click()
    for label in (
        "Auth type",
        "Web API path",
        "Gallery path",
        "Verify TLS",
        "Request timeout (seconds)",
        "Workflow page URL",
    ):
        expect(form.get_by_text(label, exact=True), f"the form's extra fields lack {label!r}").to_be_visible()
    form.get_by_role("button", name="Save").click()
    expect(form).to_be_hidden()

    row = page.get_by_role("row").filter(has_text=CONNECTION_ID)
    expect(row).to_contain_text(server.url)
    row.get_by_role("button", name="Test Connection").click()
    success = page.get_by_role("status").filter(has_text="Test Connection Successful")
    expect(success, "the Test button did not report success for the right credentials").to_contain_text(
        f"Connected to Alteryx Server at {server.url}"
    )
    assert server.api_secret not in page.content(), "the API secret is shown on the connection list"

    row.get_by_role("button", name="Edit Connection").click()
    secret = page.get_by_role("dialog").get_by_label("API secret", exact=True)
    expect(secret, "the stored secret is not masked in the edit form").to_have_value("***")
    secret.fill("not-the-secret")
    page.get_by_role("dialog").get_by_role("button", name="Save").click()
    expect(page.get_by_role("dialog")).to_be_hidden()
    row.get_by_role("button", name="Test Connection").click()
    failure = page.get_by_role("status").filter(has_text="Test Connection Failed")
    expect(failure, "the Test button did not report the wrong secret").to_contain_text(
        "Check the connection's API key (login) and secret (password)."
    )
    assert "not-the-secret" not in failure.inner_text(), "the failure text shows the secret"
