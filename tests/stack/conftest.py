"""Fixtures of the stack scenarios: one stack per module (LocalExecutor, CeleryExecutor), and a summary table of figures."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from importlib.metadata import version

import pytest

from tests.stack.driver import Driver, Figures

# The stack is Airflow 3's topology (API server, DAG processor, Task SDK); Airflow 2 has none of it.
if tuple(int(part) for part in version("apache-airflow").split(".")[:2]) < (3, 3):
    collect_ignore_glob = ["test_*.py"]

FIGURES: list[Figures] = []


@pytest.fixture(scope="module")
def local_stack() -> Iterator[Driver]:
    from dev.stack import Executor, running_stack

    with running_stack(Executor.LOCAL) as stack:
        driver = Driver(stack)
        driver.wait_for_dags()
        yield driver


@pytest.fixture(scope="module")
def celery_stack() -> Iterator[Driver]:
    from dev.stack import Executor, running_stack

    with running_stack(Executor.CELERY) as stack:
        driver = Driver(stack)
        driver.wait_for_dags()
        yield driver


@pytest.fixture
def record(request: pytest.FixtureRequest) -> Figures:
    """The current scenario's figures, shown in the summary whether or not the test passes."""
    figures = Figures(scenario=request.node.name.removeprefix("test_"))
    FIGURES.append(figures)
    return figures


def _seconds(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f}"


# The summary's columns: heading, width, and the cell of one scenario's figures.
COLUMNS: list[tuple[str, int, Callable[[Figures], str]]] = [
    ("tasks ok", 9, lambda f: f"{f.succeeded}/{f.tasks}"),
    ("retried", 8, lambda f: str(f.retried)),
    ("jobs/expected", 14, lambda f: f"{f.jobs_created}/{f.jobs_expected}"),
    ("cancelled", 10, lambda f: str(f.cancelled)),
    ("dupes", 6, lambda f: str(f.duplicates)),
    ("wrong job", 10, lambda f: str(f.wrong_jobs)),
    ("kept on move", 13, lambda f: str(f.kept_on_move)),
    ("reassign s", 11, lambda f: _seconds(f.reassigned_after)),
    ("cancel s", 9, lambda f: _seconds(f.cancelled_after)),
    ("in flight/pool", 15, lambda f: "-" if f.pool_slots is None else f"{f.in_flight_peak}/{f.pool_slots}"),
    ("total s", 8, lambda f: f"{f.seconds:.0f}"),
]


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if not FIGURES:
        return
    width = max(len(f.scenario) for f in FIGURES) + 2
    terminalreporter.section("stack scenarios")
    terminalreporter.write_line(
        "scenario".ljust(width) + "".join(heading.rjust(size) for heading, size, _ in COLUMNS) + "  note"
    )
    for figures in FIGURES:
        terminalreporter.write_line(
            figures.scenario.ljust(width)
            + "".join(cell(figures).rjust(size) for _, size, cell in COLUMNS)
            + f"  {figures.note}"
        )
