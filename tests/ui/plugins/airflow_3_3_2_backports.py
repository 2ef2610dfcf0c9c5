"""Two Airflow fixes, backported into the browser test's ``airflow standalone`` only (tests/ui/stack.py sets this folder).

Each patch applies only to an Airflow whose code still has the bug, and does nothing elsewhere. Remove this
module once the project requires an Airflow with both fixes.

1. apache/airflow#73298 (API server): the connection list's **Test** button sends ``port: Number(null)``, i.e. 0,
   for a connection without a port - every Alteryx Server connection, whose form hides the port. Airflow 3.3.2
   takes 0 for "another host or port" and answers 400 "Bad Request" without testing anything.
2. apache/airflow#72716, fix proposed in #72767 (scheduler): a deferrable task whose trigger fires quickly is
   marked FAILED ("finished with state success, but the task instance's state attribute is queued/running")
   when the scheduler drains the stale executor event of the try's defer-exit after the resumed attempt was
   queued. On a busy 2-core machine the example DAGs' short Alteryx jobs hit it in most runs.
"""

from __future__ import annotations
import __future__

import inspect
import textwrap

from airflow.plugins_manager import AirflowPlugin


def _same_endpoint(requested: str | int | None, stored: str | int | None) -> bool:
    """Whether the host/port to test is the stored one; blank and 0 both mean "no port" (the #73298 fix)."""

    def norm(value: str | int | None) -> str | int | None:
        return None if value is None or value == "" or value == 0 else value

    return norm(requested) == norm(stored)


def _patch_test_button() -> None:
    try:
        from airflow.api_fastapi.core_api.routes.public import connections
    except ImportError:  # an Airflow without these routes
        return
    if hasattr(connections, "_same_endpoint") and not connections._same_endpoint(0, None):
        connections._same_endpoint = _same_endpoint


# The resume-after-defer guard of SchedulerJobRunner.process_executor_events, before and after #72767.
_GUARD_BEFORE = "ti.state == TaskInstanceState.SCHEDULED\n"
_GUARD_AFTER = (
    "ti.state in (TaskInstanceState.SCHEDULED, TaskInstanceState.QUEUED, TaskInstanceState.RUNNING)\n"
)


def _patch_stale_defer_exit() -> None:
    try:
        from airflow.jobs import scheduler_job_runner
    except ImportError:
        return
    runner = scheduler_job_runner.SchedulerJobRunner
    source = textwrap.dedent(inspect.getsource(runner.process_executor_events))
    if source.count(_GUARD_BEFORE) != 1 or "and ti.next_method is not None" not in source:
        return  # fixed, or changed beyond what this backport knows
    # Blank lines in front keep tracebacks pointing at the right lines of Airflow's file.
    source = "\n" * (inspect.getsourcelines(runner.process_executor_events)[1] - 1) + source
    namespace: dict[str, object] = {}
    code = compile(
        source.replace(_GUARD_BEFORE, _GUARD_AFTER),
        inspect.getsourcefile(runner) or "<backport>",
        "exec",
        __future__.annotations.compiler_flag,
        True,
    )
    exec(code, vars(scheduler_job_runner), namespace)  # noqa: S102 - Airflow's own method, one condition widened
    runner.process_executor_events = namespace["process_executor_events"]  # type: ignore[assignment,method-assign]


_patch_test_button()
_patch_stale_defer_exit()


class Airflow332Backports(AirflowPlugin):
    """Named so that Admin > Plugins shows the backports are loaded."""

    name = "alteryx_ui_airflow_3_3_2_backports"
