"""Claims of other task instances, so that a lost job creation is never attributed to their job.

Every instance of an Alteryx task pushes its job's id to XCom (``job_id``) the moment it has it, and,
while it reconciles a lost creation, the jobs it holds as candidates (``job_candidates``). Another
instance of the same DAG run reconciling at the same time reads them here. Airflow 3 only: Airflow 2's
XCom API cannot read every map index of a task, so there the hook relies on this process's own record.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from airflow_provider_alteryx.constants import XComKey


class TaskInstanceClaims:
    """The job ids that the Alteryx tasks of one DAG run hold, read from their XComs.

    :param ti: the task instance that is creating a job.
    :param task_ids: the DAG's tasks that create Alteryx jobs (all their map indexes are read).
    """

    shared = True

    def __init__(self, ti: Any, task_ids: Iterable[str]) -> None:
        self.ti = ti
        self.task_ids = sorted(set(task_ids))
        self.me = f"{ti.task_id}[{ti.map_index}]"
        # The same on every try of this task instance, so a retry recognises the candidates its earlier try recorded.
        self.owner = f"{ti.dag_id}/{ti.run_id}/{self.me}"

    def taken(self) -> set[str]:
        return {str(value) for value in self._pull(XComKey.JOB_ID) if isinstance(value, str)}

    def contested(self) -> set[str]:
        # Candidates are pushed as {"by": "<task>[<map index>]", "jobs": [...]}; this instance's own do not count.
        held: set[str] = set()
        for value in self._pull(XComKey.JOB_CANDIDATES):
            if isinstance(value, dict) and value.get("by") != self.me:
                held.update(str(job_id) for job_id in value.get("jobs") or ())
        return held

    def announce(self, candidates: Sequence[str]) -> None:
        self.ti.xcom_push(key=XComKey.JOB_CANDIDATES, value={"by": self.me, "jobs": list(candidates)})

    def _pull(self, key: str) -> list[Any]:
        # Several task ids and no map_indexes: Airflow 3 returns every map index's value, None where none was pushed.
        values = self.ti.xcom_pull(task_ids=self.task_ids, key=key)
        return [v for v in (values if isinstance(values, list) else [values]) if v is not None]
