"""Drive scenarios on a running stack (dev/stack.py) and read what happened from the metadata DB and the emulator."""

from __future__ import annotations

import json
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterable
from contextlib import suppress
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import psycopg2

from airflow_provider_alteryx.constants import XComKey
from airflow_provider_alteryx.models import TERMINAL_STATUSES
from dev.stack import TRIGGERERS, Stack

# Workflows of tests/stack/catalogue.yaml: 12 s, 45 s, 75 s and 120 s jobs, each outlasting its scenario's disruption.
SHORT, MEDIUM, LONG, LONGEST = (f"5a000000000000000000000{i}" for i in range(1, 5))
# Mapped tasks per scenario: enough to spread over both triggerers and to overlap a disruption.
TASKS = 20
# Scenario (h)'s faults: about 20 % of requests fail before or after the Server acts, and 5 creation answers are lost.
FAULTS = {
    "error_rate": 0.1,
    "throttle_rate": 0.05,
    "drop_rate": 0.05,
    "latency": 0.05,
    "drop_job_responses": 5,
}
# What AlteryxJobTrigger.on_kill logs when it keeps the job of a trigger that moved to another triggerer.
MOVED = "this trigger moved to another triggerer"
STACK_DAG_IDS = {
    "stack_assets",
    "stack_mapped",
    "stack_kill",
    "stack_pooled",
    "stack_blocker",
    "stack_outputs",
}
TERMINAL = {"success", "failed", "upstream_failed", "skipped", "removed"}
# How long a scenario may wait for something before the test fails (a hang guard, not a speed check).
PATIENCE = 600.0
# A triggerer counts as alive while its heartbeat is this fresh (it beats every 5 s).
ALIVE_WITHIN = 10
# Seconds between two counts of the jobs in flight: far shorter than any job, so no overlap goes unseen.
SAMPLE_EVERY = 0.25


class StackTimeoutError(AssertionError):
    """A scenario waited longer than :data:`PATIENCE` for the stack to reach a state."""


def wait_until(what: str, check: Callable[[], Any], seconds: float = PATIENCE, every: float = 0.5) -> Any:
    """Poll ``check`` until it returns something truthy, and return that.

    :raises StackTimeoutError: naming ``what`` when ``seconds`` pass first.
    """
    deadline = time.monotonic() + seconds
    while not (result := check()):
        if time.monotonic() > deadline:
            raise StackTimeoutError(f"waited {seconds:.0f} s for {what}")
        time.sleep(every)
    return result


@dataclass
class Figures:
    """What one scenario did: the numbers the summary table shows."""

    scenario: str
    tasks: int = 0
    succeeded: int = 0
    retried: int = 0
    jobs_created: int = 0
    jobs_expected: int = 0
    cancelled: int = 0
    kept_on_move: int = 0
    duplicates: int = 0
    wrong_jobs: int = 0
    reassigned_after: float | None = None
    cancelled_after: float | None = None
    in_flight_peak: int | None = None
    pool_slots: int | None = None
    seconds: float = 0.0
    note: str = ""
    # What the logs of each task that did not succeed say went wrong, so a failed scenario shows why.
    failures: list[str] = field(default_factory=list)
    started: float = field(default_factory=time.monotonic)


class Driver:
    """Scenario steps on one stack: runs, task instances, triggers, and the emulator's jobs."""

    def __init__(self, stack: Stack) -> None:
        self.stack = stack

    def wait_for_dags(self) -> None:
        """Until the DAG processor has parsed every DAG of tests/stack/dags (a fresh stack starts with none)."""

        def parsed() -> bool:
            listed = {dag["dag_id"] for dag in self.stack.api("GET", "/dags", params={"limit": 100})["dags"]}
            return listed >= STACK_DAG_IDS

        wait_until("the stack DAGs to be parsed", parsed)

    def sql(self, query: str, *params: Any) -> list[tuple[Any, ...]]:
        with (
            psycopg2.connect(self.stack.database_url.replace("+psycopg2", "")) as connection,
            connection.cursor() as cursor,
        ):
            cursor.execute(query, params)
            return list(cursor.fetchall())

    def trigger(self, dag_id: str, scenario: str, **conf: Any) -> str:
        """Start a run of ``dag_id``; its run id (``<scenario>-<random>``) prefixes every job's ``item`` answer."""
        run_id = f"{scenario}-{uuid.uuid4().hex[:8]}"
        self.stack.api(
            "POST", f"/dags/{dag_id}/dagRuns", json={"logical_date": None, "dag_run_id": run_id, "conf": conf}
        )
        return run_id

    def tasks(self, dag_id: str, run_id: str, task_id: str = "run") -> dict[int, tuple[str | None, int]]:
        """State and try number of each (mapped) instance of ``task_id``, by map index."""
        rows = self.sql(
            "SELECT map_index, state, try_number FROM task_instance WHERE dag_id = %s AND run_id = %s AND task_id = %s",
            dag_id,
            run_id,
            task_id,
        )
        return {index: (state, tries) for index, state, tries in rows}

    def wait_deferred(self, dag_id: str, run_id: str, count: int) -> dict[int, int]:
        """Until ``count`` instances are deferred with their trigger assigned; returns trigger holders: triggerer job id -> triggers."""

        def holders() -> dict[int, int] | None:
            rows = self.sql(
                "SELECT t.triggerer_id FROM task_instance ti JOIN trigger t ON t.id = ti.trigger_id "
                "WHERE ti.dag_id = %s AND ti.run_id = %s AND ti.state = 'deferred' AND t.triggerer_id IS NOT NULL",
                dag_id,
                run_id,
            )
            return dict(Counter(holder for (holder,) in rows)) if len(rows) == count else None

        return wait_until(f"{count} deferred tasks of {run_id} with a triggerer", holders)

    def holders(self, run_id: str) -> dict[int | None, int]:
        rows = self.sql(
            "SELECT t.triggerer_id FROM task_instance ti JOIN trigger t ON t.id = ti.trigger_id WHERE ti.run_id = %s",
            run_id,
        )
        return dict(Counter(holder for (holder,) in rows))

    def finished(
        self, dag_id: str, run_id: str, task_id: str = "run"
    ) -> dict[int, tuple[str | None, int]] | None:
        """The instances of ``task_id`` as :meth:`tasks` returns them once every one has finished, else None."""
        tasks = self.tasks(dag_id, run_id, task_id)
        return tasks if tasks and all(state in TERMINAL for state, _ in tasks.values()) else None

    def wait_finished(
        self, dag_id: str, run_id: str, task_id: str = "run"
    ) -> dict[int, tuple[str | None, int]]:
        """Until every instance of ``task_id`` has finished; returns them as :meth:`tasks` does."""
        return wait_until(
            f"every {task_id} task of {run_id} to finish",
            lambda: self.finished(dag_id, run_id, task_id),
            every=1,
        )

    def in_flight(self, run_id: str) -> int:
        """How many of the run's jobs the emulator has not finished (created, queued or running)."""
        return sum(job["status"] not in TERMINAL_STATUSES for job in self.jobs(run_id))

    def wait_finished_counting_in_flight(
        self, dag_id: str, run_id: str
    ) -> tuple[dict[int, tuple[str | None, int]], int]:
        """Until every ``run`` task has finished, counting the run's jobs in flight every :data:`SAMPLE_EVERY` seconds.

        :return: the tasks as :meth:`tasks` returns them, and the most jobs seen in flight at once.
        """
        counts = [0]

        def finished() -> dict[int, tuple[str | None, int]] | None:
            counts.append(self.in_flight(run_id))
            return self.finished(dag_id, run_id)

        tasks = wait_until(f"every run task of {run_id} to finish", finished, every=SAMPLE_EVERY)
        return tasks, max(counts)

    def create_pool(self, name: str, slots: int, *, include_deferred: bool) -> None:
        """Create pool ``name`` through the REST API (tasks in a pool that does not exist are never scheduled)."""
        self.stack.api(
            "POST",
            "/pools",
            json={
                "name": name,
                "slots": slots,
                "description": "stack scenario",
                "include_deferred": include_deferred,
            },
        )

    def alive_triggerers(self) -> set[int]:
        """Job ids of triggerers with a fresh heartbeat."""
        rows = self.sql(
            "SELECT id FROM job WHERE job_type = 'TriggererJob' AND state = 'running' AND latest_heartbeat > now() - make_interval(secs => %s)",
            ALIVE_WITHIN,
        )
        return {job_id for (job_id,) in rows}

    def only_triggerer(self, name: str) -> int:
        """Leave only triggerer ``name`` running (started if needed) and return its job id."""
        for other in TRIGGERERS:
            if other != name and self.stack.is_running(other):
                self.stack.stop(other)
        if not self.stack.is_running(name):
            self.stack.start(name)

        def single() -> set[int] | None:
            # A killed triggerer's row stays "running" until its heartbeat is stale: wait for exactly one fresh one.
            alive = self.alive_triggerers()
            return alive if len(alive) == 1 else None

        (job_id,) = wait_until(f"{name} to be the only live triggerer", single)
        return int(job_id)

    def start_triggerer(self, name: str, besides: int) -> int:
        """Start triggerer ``name`` and return its job id once it heartbeats (``besides`` is the one already running)."""
        self.stack.start(name)
        (job_id,) = wait_until(f"{name} to heartbeat", lambda: self.alive_triggerers() - {besides})
        return int(job_id)

    def logged(self, dag_id: str, run_id: str, text: str) -> list[datetime]:
        """When the run's task and trigger logs say ``text`` (Airflow 3 writes them as JSON lines), earliest first."""
        found = []
        for log in (
            Path(self.stack.env["AIRFLOW_HOME"]) / "logs" / f"dag_id={dag_id}" / f"run_id={run_id}"
        ).rglob("*.log*"):
            for line in log.read_text(errors="replace").splitlines():
                if text in line:
                    with suppress(ValueError, KeyError):
                        found.append(datetime.fromisoformat(json.loads(line)["timestamp"]))
        return sorted(found)

    def failure(self, dag_id: str, run_id: str, map_index: int, state: str | None) -> str:
        """Why one task instance did not succeed: the error lines of its log, else the log's last lines."""
        folder = (
            Path(self.stack.env["AIRFLOW_HOME"])
            / "logs"
            / f"dag_id={dag_id}"
            / f"run_id={run_id}"
            / "task_id=run"
        )
        lines = [
            line
            for log in sorted(
                (folder / f"map_index={map_index}" if map_index >= 0 else folder).glob("*.log*")
            )
            for line in log.read_text(errors="replace").splitlines()
        ]
        errors = [line for line in lines if '"level":"error"' in line or '"level":"critical"' in line]
        return f"map index {map_index} ended {state}: " + (
            "\n".join((errors or lines)[-5:]) or "(no task log)"
        )

    def jobs(self, run_id: str) -> list[dict[str, Any]]:
        """The emulator's jobs whose ``item`` answer belongs to ``run_id``."""
        return [
            job
            for job in self.stack.emulator.jobs()
            if str(job["questions"].get("item", "")).startswith(f"{run_id}/")
        ]

    def wrong_jobs(self, dag_id: str, run_id: str, jobs: list[dict[str, Any]], indexes: Iterable[int]) -> int:
        """Task instances whose ``job_id`` XCom is missing or names a job created for another (another map index's answer)."""
        items = {job["id"]: job["questions"]["item"] for job in jobs}
        rows = self.sql(
            "SELECT map_index, value #>> '{}' FROM xcom WHERE dag_id = %s AND run_id = %s AND task_id = 'run' AND key = %s",
            dag_id,
            run_id,
            XComKey.JOB_ID.value,
        )
        owned = dict(rows)
        return sum(items.get(owned.get(index)) != f"{run_id}/{max(index, 0)}" for index in indexes)

    def figures(
        self, figures: Figures, tasks: dict[int, tuple[str | None, int]], run_id: str, dag_id: str
    ) -> Figures:
        """Fill in ``figures`` from the finished run's task instances and its jobs."""
        jobs = self.jobs(run_id)
        answers = Counter(job["questions"]["item"] for job in jobs)
        figures.tasks = len(tasks)
        figures.succeeded = sum(state == "success" for state, _ in tasks.values())
        figures.retried = sum(tries > 1 for _, tries in tasks.values())
        figures.jobs_created = len(jobs)
        figures.jobs_expected = len(tasks)
        figures.cancelled = sum(job["status"] == "Cancelled" for job in jobs)
        figures.duplicates = sum(count - 1 for count in answers.values())
        figures.wrong_jobs = self.wrong_jobs(dag_id, run_id, jobs, tasks)
        figures.kept_on_move = len(self.logged("stack_mapped", run_id, MOVED))
        figures.failures = [
            self.failure(dag_id, run_id, index, state)
            for index, (state, _) in tasks.items()
            if state != "success"
        ]
        figures.seconds = time.monotonic() - figures.started
        return figures


def run_under_faults(driver: Driver, figures: Figures, scenario: str, count: int) -> Figures:
    """Run ``count`` mapped tasks of the short workflow under :data:`FAULTS` and fill in ``figures``."""
    emulator = driver.stack.emulator
    emulator.set_faults(**FAULTS)
    try:
        run_id = driver.trigger("stack_mapped", scenario, count=count, workflow=SHORT)
        finish(driver, figures, run_id)
    finally:
        emulator.set_faults(**dict.fromkeys(FAULTS, 0))
    figures.note = "20% faults, 5 lost creation answers"
    return figures


def finish(driver: Driver, figures: Figures, run_id: str, dag_id: str = "stack_mapped") -> Figures:
    """Wait for the run's ``run`` tasks to finish and fill in ``figures``."""
    return driver.figures(figures, driver.wait_finished(dag_id, run_id), run_id, dag_id)


def assert_nothing_lost(figures: Figures) -> None:
    """Every task succeeded, one job per task, none cancelled, none duplicated, each task holding its own job."""
    assert (
        figures.succeeded,
        figures.jobs_created,
        figures.cancelled,
        figures.duplicates,
        figures.wrong_jobs,
    ) == (figures.tasks, figures.tasks, 0, 0, 0), "\n".join(figures.failures)
