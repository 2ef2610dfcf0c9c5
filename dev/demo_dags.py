"""Run example DAGs through ``dag.test()`` in one Airflow process (``make demo`` starts it).

One process instead of an ``airflow dags test`` per DAG: Airflow's start-up (5-10 s a process on
this kind of machine) is paid once. Prints one JSON line per DAG for ``dev/demo.py``'s table.

    python -m dev.demo_dags EMULATOR_URL POOL_SLOTS DAG_ID [DAG_ID ...]
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Any

from airflow.dag_processing.dagbag import DagBag
from airflow.models.pool import Pool

from airflow_provider_alteryx.emulator.server import RunningEmulator

EXAMPLES = Path(__file__).resolve().parents[1] / "example_dags"


def load_dag(dag_id: str) -> Any:
    """The DAG ``dag_id`` from ``example_dags/<dag_id>.py``."""
    return DagBag(dag_folder=EXAMPLES / f"{dag_id}.py").dags[dag_id]


def main(url: str, pool_slots: str, *dag_ids: str) -> int:
    server = RunningEmulator(
        url=url, api_key="", api_secret="", server_version=""
    )  # only its control endpoints are used
    Pool.create_or_update_pool(
        "alteryx", int(pool_slots), "Alteryx Server worker slots", include_deferred=True
    )
    failed = 0
    for dag_id in dag_ids:
        jobs_before, started = len(server.jobs()), time.monotonic()
        run = load_dag(dag_id).test()
        state = str(getattr(run, "state", "failed"))
        failed += state != "success"
        tasks = len(run.get_task_instances()) if hasattr(run, "get_task_instances") else 0
        row = {
            "dag_id": dag_id,
            "tasks": tasks,
            "jobs": len(server.jobs()) - jobs_before,
            "outcome": state,
            "seconds": time.monotonic() - started,
        }
        print("DEMO-ROW " + json.dumps(row), flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:]))
