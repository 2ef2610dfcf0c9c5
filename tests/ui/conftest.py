"""Fixtures of the browser test: the tools, one ``airflow standalone`` per module, a logged-in page, screenshots on failure."""

from __future__ import annotations

from collections.abc import Generator, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from tests.ui.stack import USER, AirflowStack, airflow_standalone
from tests.ui.tooling import AIRFLOW_3_UI, ensure_chromium, ensure_playwright

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

# Playwright's default for each action and expectation (a busy machine renders Airflow's pages slowly);
# waits for Airflow runs pass their own.
ACTION_TIMEOUT_MS = 20_000

if AIRFLOW_3_UI:
    # The test module imports playwright, so it must exist before collection (a ToolingError here names the fix).
    ensure_playwright()
    from playwright.sync_api import expect

    from tests.ui.airflow_pages import log_in

    expect.set_options(timeout=ACTION_TIMEOUT_MS)

# Chromium as root in a container: no sandbox, no GPU, and nothing that phones home while the test runs.
CHROMIUM_ARGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
)
VIEWPORT = {"width": 1400, "height": 1200}


@pytest.fixture(scope="session")
def chromium() -> Path:
    """Debian's Chromium, installed when missing (only when a browser test runs: it is about 350 MB)."""
    return ensure_chromium()


@pytest.fixture(scope="module")
def airflow_ui(chromium: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[AirflowStack]:
    """``airflow standalone`` with the emulator, the example DAGs and tests/ui/dags, for one test module."""
    home = tmp_path_factory.mktemp("airflow-ui-home")
    try:
        with airflow_standalone(home) as stack:
            yield stack
    except SystemExit as error:  # dev/demo.py's helpers end `make standalone` this way
        pytest.fail(f"airflow standalone did not start: {error}", pytrace=False)


@pytest.fixture(scope="module")
def browser(chromium: Path) -> Iterator[Browser]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=str(chromium), headless=True, args=list(CHROMIUM_ARGS)
        )
        try:
            yield launched
        finally:
            launched.close()


@pytest.fixture
def page(browser: Browser, airflow_ui: AirflowStack, tmp_path: Path) -> Iterator[Page]:
    """A fresh browser context, logged in through the login form (``tmp_path``: where failures leave screenshots)."""
    context = browser.new_context(viewport=VIEWPORT, base_url=airflow_ui.url)  # type: ignore[arg-type]
    context.set_default_timeout(ACTION_TIMEOUT_MS)
    opened = context.new_page()
    try:
        log_in(opened, USER, airflow_ui.password)
        yield opened
    finally:
        context.close()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Generator[None, Any, None]:
    """On a failed browser test, save every open page as a PNG and name the folder in the failure report."""
    outcome = yield
    report: pytest.TestReport = outcome.get_result()
    funcargs: dict[str, Any] = getattr(item, "funcargs", {})
    if report.when != "call" or not report.failed or "page" not in funcargs:
        return
    folder: Path = funcargs["tmp_path"] / "ui-screenshots"
    folder.mkdir(exist_ok=True)
    saved = []
    for number, open_page in enumerate(funcargs["page"].context.pages):
        target = folder / f"{item.name}-{number}.png"
        try:
            open_page.screenshot(path=str(target), full_page=True)
        except Exception as error:
            saved.append(f"{target.name}: not saved ({type(error).__name__}: {error})")
        else:
            saved.append(f"{target.name}: {open_page.url}")
    stack: AirflowStack | None = funcargs.get("airflow_ui")
    logs = f"\nairflow standalone log: {stack.log}\nAirflow task logs: {stack.home / 'logs'}" if stack else ""
    report.sections.append(("UI screenshots", f"saved to {folder}\n" + "\n".join(saved) + logs))
