"""``make demo`` and ``make standalone``: the example DAGs through Airflow, against the bundled emulator.

Both keep Airflow's state in ``.airflow/`` (ignored by git): a SQLite database, an ``alteryx_default``
connection pointing at the emulator, and the ``alteryx`` pool the simultaneous example uses.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path

from airflow_provider_alteryx.emulator.app import DEFAULT_API_KEY, DEFAULT_API_SECRET
from airflow_provider_alteryx.emulator.server import RunningEmulator

REPO = Path(__file__).resolve().parents[1]
HOME = REPO / ".airflow"
BIN = Path(sys.executable).parent
EXAMPLE_DAGS = ("alteryx_sequential", "alteryx_simultaneous", "alteryx_nested")
POOL_SLOTS = 2  # the emulator's worker slots (--workers 2)
STANDALONE_URL = "http://localhost:8080"


@contextmanager
def emulator(port: int) -> Iterator[RunningEmulator]:
    """Run ``alteryx-server-emulator`` (default credentials) in its own process group and stop it whatever happens."""
    process = subprocess.Popen(
        [str(BIN / "alteryx-server-emulator"), "--port", str(port), "--workers", str(POOL_SLOTS)], stdout=subprocess.PIPE, text=True, start_new_session=True
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline().strip()
        if " listening on " not in line:
            raise SystemExit(f"the emulator did not start (exit code {process.wait(timeout=10)})")
        print(line, flush=True)
        yield RunningEmulator(url=line.rsplit(" ", 1)[1], api_key=DEFAULT_API_KEY, api_secret=DEFAULT_API_SECRET, server_version=line.split()[3])
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()


def airflow_env(server: RunningEmulator, home: Path = HOME) -> dict[str, str]:
    return {
        **os.environ,
        # airflow standalone starts its components as `airflow ...` from PATH.
        "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}",
        "AIRFLOW_HOME": str(home),
        "AIRFLOW__CORE__DAGS_FOLDER": str(REPO / "example_dags"),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION": "False",
        "AIRFLOW__CORE__PARALLELISM": "4",
        "AIRFLOW_CONN_ALTERYX_DEFAULT": server.connection(),
        "AIRFLOW_VAR_ALTERYX_OUTPUT_DIR": str(home / "outputs"),
    }


def airflow(env: dict[str, str], *args: str, **kwargs: object) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(BIN / "airflow"), *args], env=env, text=True, check=False, **kwargs)  # type: ignore[call-overload]


def prepare(env: dict[str, str]) -> None:
    """Create the metadata database and the ``alteryx`` pool in ``env``'s AIRFLOW_HOME."""
    Path(env["AIRFLOW_HOME"]).mkdir(exist_ok=True)
    for args in (("db", "migrate"), ("pools", "set", "alteryx", str(POOL_SLOTS), "Alteryx Server worker slots")):
        done = airflow(env, *args, capture_output=True)
        if done.returncode:
            raise SystemExit(f"airflow {' '.join(args)} failed:\n{done.stdout}{done.stderr}")


def task_count(dag_id: str) -> int:
    with sqlite3.connect(HOME / "airflow.db") as db:
        (count,) = db.execute(
            "SELECT count(*) FROM task_instance WHERE dag_id = ? AND run_id = (SELECT run_id FROM dag_run WHERE dag_id = ? ORDER BY id DESC LIMIT 1)",
            (dag_id, dag_id),
        ).fetchone()
    return int(count)


@dataclass
class DemoRow:
    dag_id: str
    tasks: int
    jobs: int
    outcome: str
    seconds: float


def run_demo() -> int:
    rows: list[DemoRow] = []
    logs = HOME / "demo-logs"
    with emulator(port=0) as alteryx_server:
        env = airflow_env(alteryx_server)
        prepare(env)
        logs.mkdir(exist_ok=True)
        for dag_id in EXAMPLE_DAGS:
            print(f"Running {dag_id} (airflow dags test; log: {logs / dag_id}.log) ...", flush=True)
            jobs_before, started = len(alteryx_server.jobs()), time.monotonic()
            with (logs / f"{dag_id}.log").open("w") as log:
                done = airflow(env, "dags", "test", dag_id, stdout=log, stderr=subprocess.STDOUT)
            outcome = "success" if done.returncode == 0 else "failed"
            rows.append(DemoRow(dag_id, task_count(dag_id), len(alteryx_server.jobs()) - jobs_before, outcome, time.monotonic() - started))
    print()
    print(f"{'DAG':<24}{'tasks':>6}{'Alteryx jobs':>14}  {'outcome':<9}{'seconds':>8}")
    for row in rows:
        print(f"{row.dag_id:<24}{row.tasks:>6}{row.jobs:>14}  {row.outcome:<9}{row.seconds:>8.1f}")
    failed = [row.dag_id for row in rows if row.outcome != "success"]
    if failed:
        print(f"\nFailed: {', '.join(failed)}; see {logs}/<dag>.log")
    return 1 if failed else 0


def run_standalone() -> int:
    """``airflow standalone`` with the emulator, until Ctrl-C; then the whole process group is stopped."""
    # Ctrl-C, a closed terminal or a plain kill all end the run through the cleanup below, even where
    # SIGINT arrives ignored (a background job of a non-interactive shell).
    for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, lambda _signum, _frame: sys.exit(0))
    with emulator(port=8585) as alteryx_server:
        env = airflow_env(alteryx_server)
        prepare(env)
        server = subprocess.Popen(
            [str(BIN / "airflow"), "standalone"], env=env, stdout=(HOME / "standalone.log").open("w"), stderr=subprocess.STDOUT, start_new_session=True
        )
        try:
            wait_until_healthy(server)
            password = json.loads((HOME / "simple_auth_manager_passwords.json.generated").read_text())["admin"]
            print(f"\nAirflow UI: {STANDALONE_URL}  login: admin / {password}\nAlteryx Server emulator: {alteryx_server.url}  (log: {HOME / 'standalone.log'})")
            print("Trigger alteryx_* DAGs from the UI; Ctrl-C stops everything.", flush=True)
            returncode = server.wait()
            print(f"airflow standalone exited by itself ({returncode}); see {HOME / 'standalone.log'}")
            return returncode or 1
        finally:
            stop_group(server)


def wait_until_healthy(server: subprocess.Popen[bytes], seconds: float = 180) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"airflow standalone exited with {server.returncode}; see {HOME / 'standalone.log'}")
        with suppress(OSError), urllib.request.urlopen(f"{STANDALONE_URL}/api/v2/monitor/health", timeout=2) as answer:  # noqa: S310
            if answer.status == 200:
                return
        time.sleep(1)
    raise SystemExit(f"Airflow was not healthy after {seconds:.0f} s; see {HOME / 'standalone.log'}")


def stop_group(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM the whole group at once (stopping only the parent orphans its 30+ children), SIGKILL if it lingers."""
    for signum, grace in ((signal.SIGTERM, 30), (signal.SIGKILL, 10)):
        with suppress(ProcessLookupError):
            os.killpg(process.pid, signum)
        try:
            process.wait(timeout=grace)
            return
        except subprocess.TimeoutExpired:
            continue


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("command", choices=["demo", "standalone"])
    return run_demo() if parser.parse_args().command == "demo" else run_standalone()


if __name__ == "__main__":
    sys.exit(main())
