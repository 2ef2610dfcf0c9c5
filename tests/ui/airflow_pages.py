"""What a user does in the Airflow 3 UI, as small steps over its own controls (buttons, dialogs, links, test ids)."""

from __future__ import annotations

import re

from playwright.sync_api import Locator, Page, expect

# Runs of the example DAGs take 10-40 s here; on a busy 2-core machine give them room.
RUN_TIMEOUT_MS = 120_000
FINISHED = re.compile(r"^(Success|Failed)$")


def log_in(page: Page, user: str, password: str) -> None:
    """Sign in through Airflow's login form."""
    page.goto("/", wait_until="networkidle")
    page.fill("input[name=username]", user)
    page.fill("input[name=password]", password)
    page.click("button:has-text('Sign in')")
    page.wait_for_url(re.compile(r"^(?!.*auth/login).*$"))


def open_dag(page: Page, dag_id: str) -> None:
    """Open the DAG's page from the DAG list, as a user would."""
    page.goto("/dags", wait_until="networkidle")
    page.get_by_role("link", name=dag_id, exact=True).click()
    page.wait_for_url(re.compile(rf"/dags/{re.escape(dag_id)}$"))
    # The DAG list (a pause toggle per DAG) lingers for a moment after the URL changed.
    expect(page.get_by_test_id("header-card"), f"the page of DAG {dag_id} did not open").to_contain_text(
        dag_id
    )


def unpause(page: Page) -> None:
    """Flip the DAG's pause toggle on its page; new DAGs start paused here."""
    toggle = page.get_by_test_id("header-card").get_by_test_id("toggle-pause")
    switch = toggle.locator("input")
    expect(switch, "the DAG should start paused (dags_are_paused_at_creation)").not_to_be_checked()
    toggle.click()
    expect(switch, "the pause toggle did not unpause the DAG").to_be_checked()


def trigger(page: Page) -> str:
    """Trigger a run with the Trigger button and its dialog.

    :return: the new run's id, from the heading of the run page the UI moves to.
    """
    page.get_by_test_id("trigger-dag-button").click()
    dialog = page.get_by_role("dialog")
    dialog.get_by_role("button", name=re.compile(r"^Trigger$")).click()
    expect(dialog, "the Trigger dialog stayed open: the run was not created").to_be_hidden(
        timeout=RUN_TIMEOUT_MS
    )
    # The UI moves to the run's page; its heading is the run id (page.url lags behind this client-side move).
    heading = page.get_by_test_id("header-card").get_by_text(re.compile(r"^manual__"))
    expect(heading, "the UI did not open the new run's page after Trigger").to_be_visible()
    return heading.inner_text().strip()


def header_state(page: Page) -> Locator:
    """The state badge of the run or task instance the page shows."""
    return page.get_by_test_id("header-card").get_by_test_id("state-badge")


def wait_until_finished(page: Page, what: str) -> str:
    """Wait (the page refreshes itself) until the header shows Success or Failed.

    :return: the final state as the UI writes it.
    """
    badge = header_state(page)
    expect(badge, f"{what} did not finish within {RUN_TIMEOUT_MS // 1000} s").to_have_text(
        FINISHED, timeout=RUN_TIMEOUT_MS
    )
    return badge.inner_text().strip()


def open_task_instance(page: Page, run_id: str, task_id: str) -> None:
    """Open a task instance from the grid's cell for that run and task."""
    open_grid_cell(page, page.get_by_test_id(f"grid-{run_id}-{task_id}"))


def open_grid_cell(page: Page, cell: Locator) -> None:
    """Click a grid cell, then move the mouse off the grid: the cell's tooltip would cover the page's buttons."""
    cell.click()
    expect(
        page.get_by_role("link", name="Logs", exact=True), "the task instance page did not open"
    ).to_be_visible()
    page.mouse.move(0, 0)


def open_tab(page: Page, name: str) -> None:
    """Open one of a task instance's tabs (Logs, Details, ...)."""
    page.get_by_role("link", name=name, exact=True).click()
    page.wait_for_load_state("networkidle")


def log_text(page: Page, expected: str) -> str:
    """The task log as the Logs tab shows it, once it mentions ``expected`` (the list is virtualised: keep the viewport tall)."""
    log = page.get_by_test_id("virtualized-list")
    expect(log, f"the Logs tab never mentions {expected!r}").to_contain_text(expected)
    return log.inner_text()
