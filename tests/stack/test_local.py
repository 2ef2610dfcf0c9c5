"""The scenarios of a real deployment on the LocalExecutor stack: two triggerers, PostgreSQL, mapped deferrable tasks.

Every scenario checks the task instance table and the emulator's job list: tasks succeeded, one job per
input, no duplicate, and jobs cancelled only where a user asked. Its figures go to the summary table.
"""

from __future__ import annotations

import signal
import time
from datetime import UTC, datetime

import pytest

from tests.stack.driver import (
    LONG,
    LONGEST,
    MEDIUM,
    SHORT,
    TASKS,
    Driver,
    Figures,
    assert_nothing_lost,
    finish,
    run_under_faults,
    wait_until,
)

pytestmark = [pytest.mark.stack, pytest.mark.slow]

HOLDER, OTHER = "triggerer-1", "triggerer-2"
# Scenario (i): the stack_pooled DAG's pool (the one the simultaneous example documents), its size, and more
# tasks than slots, so the pool has to hold some back.
POOL, POOL_SLOTS, POOLED_TASKS = "alteryx", 3, 10
# The blocking trigger starts blocking this long after it is created (once the other triggerer is up), and blocks
# until the test releases it once the triggers moved, or BLOCK_LIMIT seconds at most.
BLOCK_DELAY, BLOCK_LIMIT = 20, 180


def held_by_one_triggerer(driver: Driver, scenario: str, workflow: str) -> tuple[str, int]:
    """Defer TASKS tasks while only HOLDER runs, then start OTHER: every trigger is on HOLDER, and OTHER can take over."""
    holder = driver.only_triggerer(HOLDER)
    run_id = driver.trigger("stack_mapped", scenario, count=TASKS, workflow=workflow)
    assert driver.wait_deferred("stack_mapped", run_id, TASKS) == {holder: TASKS}
    driver.start_triggerer(OTHER, besides=holder)
    return run_id, holder


def seconds_until_moved(driver: Driver, run_id: str, holder: int, since: float) -> float:
    """Seconds from ``since`` (``time.time()``) until no trigger of ``run_id`` is on ``holder`` or unassigned."""

    def moved() -> bool:
        holders = set(driver.holders(run_id))
        return bool(holders) and not holders & {holder, None}

    wait_until("the triggers to move to the other triggerer", moved)
    return time.time() - since


def test_a_baseline_20_mapped_deferrable_tasks(local_stack: Driver, record: Figures) -> None:
    run_id = local_stack.trigger("stack_mapped", "baseline", count=TASKS, workflow=SHORT)
    assert_nothing_lost(finish(local_stack, record, run_id))
    assert record.tasks == TASKS


def test_b_kill_9_of_the_triggerer_holding_the_triggers(local_stack: Driver, record: Figures) -> None:
    run_id, holder = held_by_one_triggerer(local_stack, "kill9", MEDIUM)
    killed = time.time()
    local_stack.stack.components[HOLDER].signal(signal.SIGKILL)
    record.reassigned_after = seconds_until_moved(local_stack, run_id, holder, killed)
    assert_nothing_lost(finish(local_stack, record, run_id))


def test_c_sigterm_of_the_triggerer_holding_the_triggers(local_stack: Driver, record: Figures) -> None:
    run_id, holder = held_by_one_triggerer(local_stack, "sigterm", MEDIUM)
    stopped = time.time()
    local_stack.stack.components[HOLDER].signal(signal.SIGTERM)
    record.reassigned_after = seconds_until_moved(local_stack, run_id, holder, stopped)
    assert_nothing_lost(finish(local_stack, record, run_id))


def test_d_the_holding_triggerer_stalls_then_resumes(local_stack: Driver, record: Figures) -> None:
    run_id, holder = held_by_one_triggerer(local_stack, "sigstop", LONG)
    stalled = time.time()
    local_stack.stack.components[HOLDER].signal(signal.SIGSTOP)
    try:
        record.reassigned_after = seconds_until_moved(local_stack, run_id, holder, stalled)
        time.sleep(3)  # stalled past the move, as a long GC pause or an overloaded host would be
    finally:
        local_stack.stack.components[HOLDER].signal(signal.SIGCONT)
    record.note = f"stalled {time.time() - stalled:.0f} s"
    assert_nothing_lost(finish(local_stack, record, run_id))
    assert (
        record.kept_on_move > 0
    )  # the resumed triggerer did call on_kill on the triggers it lost, and they kept their jobs


def test_e_another_providers_trigger_blocks_the_holding_triggerer(
    local_stack: Driver, record: Figures
) -> None:
    holder = local_stack.only_triggerer(HOLDER)
    run_id = local_stack.trigger("stack_mapped", "blocked", count=TASKS, workflow=LONGEST)
    assert local_stack.wait_deferred("stack_mapped", run_id, TASKS) == {holder: TASKS}
    marker, release = (local_stack.stack.workdir / f"{name}-{run_id}" for name in ("blocked", "released"))
    blocker = local_stack.trigger(
        "stack_blocker",
        "blocker",
        seconds=BLOCK_LIMIT,
        delay=BLOCK_DELAY,
        marker=str(marker),
        release=str(release),
    )
    assert local_stack.wait_deferred("stack_blocker", blocker, 1) == {holder: 1}
    local_stack.start_triggerer(OTHER, besides=holder)
    wait_until("the blocking trigger to block its triggerer", marker.exists)
    try:
        record.reassigned_after = seconds_until_moved(local_stack, run_id, holder, marker.stat().st_mtime)
        time.sleep(3)  # blocked past the move
    finally:
        release.write_text("released")
    record.note = f"event loop blocked {time.time() - marker.stat().st_mtime:.0f} s"
    assert_nothing_lost(finish(local_stack, record, run_id))
    assert (
        record.kept_on_move > 0
    )  # the resumed triggerer did call on_kill on the triggers it lost, and they kept their jobs
    assert set(local_stack.wait_finished("stack_blocker", blocker, "block").values()) == {("success", 1)}


def test_f_kill_9_of_the_scheduler_and_restart(local_stack: Driver, record: Figures) -> None:
    run_id = local_stack.trigger("stack_mapped", "scheduler", count=TASKS, workflow=MEDIUM)
    local_stack.wait_deferred("stack_mapped", run_id, TASKS)
    local_stack.stack.components["scheduler"].signal(signal.SIGKILL)
    local_stack.stack.components["scheduler"].process.wait()
    time.sleep(5)
    local_stack.stack.start("scheduler")
    record.note = "scheduler down 5 s while all tasks deferred"
    assert_nothing_lost(finish(local_stack, record, run_id))


def test_g_mark_failed_with_a_slow_server_cancels_the_job(local_stack: Driver, record: Figures) -> None:
    emulator = local_stack.stack.emulator
    run_id = local_stack.trigger("stack_kill", "markfailed", count=1, workflow=LONG)
    local_stack.wait_deferred("stack_kill", run_id, 1)
    emulator.set_faults(latency=1.5)
    try:
        marked = datetime.now(UTC)
        local_stack.stack.api(
            "PATCH", f"/dags/stack_kill/dagRuns/{run_id}/taskInstances/run/0", json={"new_state": "failed"}
        )
        (job,) = wait_until(
            "the job to be cancelled",
            lambda: [job for job in local_stack.jobs(run_id) if job["status"] == "Cancelled"],
        )
    finally:
        emulator.set_faults(latency=0)
    record.cancelled_after = (datetime.fromisoformat(job["finishedAt"]) - marked).total_seconds()
    (on_kill, *_) = local_stack.logged(
        "stack_kill", run_id, "was killed (now failed): cancelling Alteryx job"
    )
    record.note = f"poll_interval 5 s, Server answers in 1.5 s; on_kill began {(on_kill - marked).total_seconds():.1f} s after the mark"
    finish(local_stack, record, run_id, "stack_kill")
    assert (record.tasks, record.succeeded, record.jobs_created, record.cancelled, record.duplicates) == (
        1,
        0,
        1,
        1,
        0,
    )


def test_h_50_mapped_tasks_under_faults(local_stack: Driver, record: Figures) -> None:
    assert_nothing_lost(run_under_faults(local_stack, record, "faults", count=50))
    assert (record.tasks, record.retried) == (50, 0)


def test_i_a_pool_counting_deferred_tasks_caps_jobs_in_flight(local_stack: Driver, record: Figures) -> None:
    """A deferred task keeps its slot while it waits, so the emulator never has more of the run's jobs than the pool's slots."""
    local_stack.create_pool(POOL, POOL_SLOTS, include_deferred=True)
    run_id = local_stack.trigger("stack_pooled", "pool", count=POOLED_TASKS, workflow=SHORT)
    tasks, record.in_flight_peak = local_stack.wait_finished_counting_in_flight("stack_pooled", run_id)
    record.pool_slots = POOL_SLOTS
    assert_nothing_lost(local_stack.figures(record, tasks, run_id, "stack_pooled"))
    assert record.tasks == POOLED_TASKS
    # Filled, never exceeded: the jobs did overlap, and the pool held the surplus back.
    assert record.in_flight_peak == POOL_SLOTS
