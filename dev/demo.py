"""``make demo`` and ``make standalone``: the example DAGs through Airflow, against the bundled emulator.

Both keep Airflow's state in ``.airflow/`` (ignored by git): a SQLite database, an ``alteryx_default``
connection pointing at the emulator, and the ``alteryx`` pool the simultaneous example uses.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
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
def emulator(
    port: int, catalogue: Path | None = None, workers: int = POOL_SLOTS, time_scale: float = 1.0
) -> Iterator[RunningEmulator]:
    """Run ``alteryx-server-emulator`` (default credentials) in its own process group and stop it whatever happens.

    :param catalogue: the workflows to serve; the bundled demo catalogue when None.
    :param workers: jobs the emulated Server runs at once.
    :param time_scale: multiplies the catalogue's run times.
    """
    options = ["--catalogue", str(catalogue)] if catalogue is not None else []
    options += ["--time-scale", str(time_scale)]
    process = subprocess.Popen(
        [str(BIN / "alteryx-server-emulator"), "--port", str(port), "--workers", str(workers), *options],
        stdout=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline().strip()
        if " listening on " not in line:
            raise SystemExit(f"the emulator did not start (exit code {process.wait(timeout=10)})")
        print(line, flush=True)
        yield RunningEmulator(
            url=line.rsplit(" ", 1)[1],
            api_key=DEFAULT_API_KEY,
            api_secret=DEFAULT_API_SECRET,
            server_version=line.split()[3],
        )
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


# The pool counts deferred tasks, so it caps the jobs on the Server, not only their creation.
POOL_COMMAND = (
    "pools",
    "set",
    "alteryx",
    str(POOL_SLOTS),
    "Alteryx Server worker slots",
    "--include-deferred",
)


def prepare(env: dict[str, str], *, pool: bool = True) -> None:
    """Create the metadata database and (for standalone) the ``alteryx`` pool in ``env``'s AIRFLOW_HOME."""
    Path(env["AIRFLOW_HOME"]).mkdir(exist_ok=True)
    steps = [("db", "migrate"), POOL_COMMAND]
    for args in steps if pool else steps[:1]:
        done = airflow(env, *args, capture_output=True)
        if done.returncode:
            raise SystemExit(f"airflow {' '.join(args)} failed:\n{done.stdout}{done.stderr}")


@dataclass
class DemoRow:
    dag_id: str
    tasks: int
    jobs: int
    outcome: str
    seconds: float


def run_demo() -> int:
    log = HOME / "demo.log"
    # Quarter-time runs: the demo shows the orchestration, not the length of the jobs.
    with emulator(port=0, time_scale=0.25) as alteryx_server:
        env = airflow_env(alteryx_server)
        prepare(env, pool=False)  # dev/demo_dags.py creates the pool in its own Airflow process
        print(f"Running {', '.join(EXAMPLE_DAGS)} through dag.test() (log: {log}) ...", flush=True)
        with log.open("w") as output:
            command = [
                str(BIN / "python"),
                "-m",
                "dev.demo_dags",
                alteryx_server.url,
                str(POOL_SLOTS),
                *EXAMPLE_DAGS,
            ]
            done = subprocess.run(
                command, env=env, cwd=REPO, stdout=subprocess.PIPE, stderr=output, text=True, check=False
            )
        output_lines = done.stdout.splitlines()
        with log.open("a") as output:
            output.write(done.stdout)
    rows = [
        DemoRow(**json.loads(line.split(" ", 1)[1])) for line in output_lines if line.startswith("DEMO-ROW ")
    ]
    rows += [DemoRow(dag_id, 0, 0, "failed", 0.0) for dag_id in EXAMPLE_DAGS[len(rows) :]]
    print()
    print(f"{'DAG':<24}{'tasks':>6}{'Alteryx jobs':>14}  {'outcome':<9}{'seconds':>8}")
    for row in rows:
        print(f"{row.dag_id:<24}{row.tasks:>6}{row.jobs:>14}  {row.outcome:<9}{row.seconds:>8.1f}")
    failed = [row.dag_id for row in rows if row.outcome != "success"]
    if failed or done.returncode:
        print(f"\nFailed: {', '.join(failed) or 'the DAG runner'}; see {log}")
    return 1 if failed or done.returncode else 0


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
            [str(BIN / "airflow"), "standalone"],
            env=env,
            stdout=(HOME / "standalone.log").open("w"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            wait_until_healthy(server)
            password = json.loads((HOME / "simple_auth_manager_passwords.json.generated").read_text())[
                "admin"
            ]
            print(
                f"\nAirflow UI: {STANDALONE_URL}  login: admin / {password}\nAlteryx Server emulator: {alteryx_server.url}  (log: {HOME / 'standalone.log'})"
            )
            print("Trigger alteryx_* DAGs from the UI; Ctrl-C stops everything.", flush=True)
            returncode = server.wait()
            print(f"airflow standalone exited by itself ({returncode}); see {HOME / 'standalone.log'}")
            return returncode or 1
        finally:
            stop_group(server)


def wait_until_healthy(
    server: subprocess.Popen[bytes],
    seconds: float = 180,
    *,
    url: str = STANDALONE_URL,
    log: Path = HOME / "standalone.log",
) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"airflow standalone exited with {server.returncode}; see {log}")
        with suppress(OSError), urllib.request.urlopen(f"{url}/api/v2/monitor/health", timeout=2) as answer:  # noqa: S310
            if answer.status == 200:
                return
        time.sleep(1)
    raise SystemExit(f"Airflow was not healthy after {seconds:.0f} s; see {log}")


def stop_group(process: subprocess.Popen[bytes], grace: float = 30) -> None:
    """SIGTERM the whole group at once (stopping only the parent orphans its 30+ children), SIGKILL what lingers.

    Waits for every member, not just the leader: the scheduler and the triggerer outlive it by several seconds.

    :param grace: seconds the group gets to stop after SIGTERM before it is killed.
    """
    for signum, seconds in ((signal.SIGTERM, grace), (signal.SIGKILL, 10)):
        with suppress(ProcessLookupError):
            os.killpg(process.pid, signum)
        if group_gone(process, seconds):
            return


def group_gone(process: subprocess.Popen[bytes], seconds: float) -> bool:
    """Whether no process of ``process``'s group is left within ``seconds``."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        process.poll()  # reap the leader: a zombie still counts as a member
        try:
            os.killpg(process.pid, 0)
        except ProcessLookupError:
            return True
        time.sleep(0.2)
    return False


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("command", choices=["demo", "standalone"])
    return run_demo() if parser.parse_args().command == "demo" else run_standalone()


if __name__ == "__main__":
    sys.exit(main())
