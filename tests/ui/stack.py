"""``airflow standalone`` for the browser test: the emulator, the example DAGs and tests/ui/dags in a throwaway home.

It reuses dev/demo.py's helpers (emulator process, Airflow environment, pool, health wait, group stop), so the
test drives the same set-up as ``make standalone``, on free loopback ports instead of 8080/8585.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

import yaml

from airflow_provider_alteryx.emulator.catalogue import default_catalogue_path
from airflow_provider_alteryx.emulator.server import RunningEmulator
from dev.demo import BIN, REPO, airflow_env, emulator, prepare, stop_group, wait_until_healthy
from tests.ui.users import OUTSIDER, READER, USER

HERE = Path(__file__).parent
TEST_CATALOGUE = HERE / "catalogue.yaml"
TEST_DAGS = HERE / "dags"
# Backports of two Airflow 3.3.2 fixes (the Test button; a deferred-task race), loaded by the API server and
# scheduler, and the per-DAG narrowing of the simple auth manager for READER (see tests/ui/users.py).
TEST_PLUGINS = HERE / "plugins"
STOP_GRACE = 5.0


@dataclass(frozen=True)
class AirflowStack:
    """A running ``airflow standalone`` and the emulator its ``alteryx_default`` connection points at."""

    url: str
    password: str
    outsider_password: str
    reader_password: str
    home: Path
    log: Path
    emulator: RunningEmulator


def free_port() -> int:
    """A loopback port nobody listens on right now (the OS picks it)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def merged_catalogue(target: Path) -> Path:
    """The bundled demo catalogue (the example DAGs' workflows) plus the test-only workflows, written to ``target``."""
    demo = yaml.safe_load(default_catalogue_path().read_text(encoding="utf-8"))
    extra = yaml.safe_load(TEST_CATALOGUE.read_text(encoding="utf-8"))
    target.write_text(
        yaml.safe_dump({"workflows": demo["workflows"] + extra["workflows"]}, sort_keys=False),
        encoding="utf-8",
    )
    return target


def dags_folder(target: Path) -> Path:
    """One DAG folder holding the example DAGs and the test DAGs (symlinked, so tracebacks name the real files)."""
    target.mkdir()
    for source in sorted((REPO / "example_dags").glob("*.py")) + sorted(TEST_DAGS.glob("alteryx_*.py")):
        (target / source.name).symlink_to(source)
    return target


def standalone_env(alteryx_server: RunningEmulator, home: Path, port: int) -> dict[str, str]:
    """dev/demo.py's environment (parallelism 4), moved to free ports, with new DAGs paused and the Test button on."""
    url = f"http://127.0.0.1:{port}"
    return {
        **airflow_env(alteryx_server, home),
        "AIRFLOW__CORE__DAGS_FOLDER": str(dags_folder(home / "dags")),
        # The test unpauses through the UI, as a user would.
        "AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION": "True",
        "AIRFLOW__CORE__TEST_CONNECTION": "Enabled",
        "AIRFLOW__CORE__PLUGINS_FOLDER": str(TEST_PLUGINS),
        # The per-DAG narrowing plugin reads its users from this checkout's tests package.
        "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")])),
        "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS": f"{USER}:admin,{OUTSIDER}:,{READER}:viewer",
        "AIRFLOW__API__HOST": "127.0.0.1",
        "AIRFLOW__API__PORT": str(port),
        "AIRFLOW__API__BASE_URL": url,
        "AIRFLOW__LOGGING__WORKER_LOG_SERVER_PORT": str(free_port()),
        "AIRFLOW__LOGGING__TRIGGER_LOG_SERVER_PORT": str(free_port()),
    }


@contextmanager
def airflow_standalone(home: Path) -> Iterator[AirflowStack]:
    """Start the emulator and ``airflow standalone`` in ``home``; stop both process groups whatever happens.

    :param home: an empty directory for AIRFLOW_HOME, the DAG folder, the catalogue and the logs.
    :raises SystemExit: (from dev/demo.py) when Airflow cannot be prepared or does not become healthy.
    """
    with ExitStack() as stack:
        alteryx_server = stack.enter_context(
            emulator(port=0, catalogue=merged_catalogue(home / "catalogue.yaml"))
        )
        port = free_port()
        env = standalone_env(alteryx_server, home, port)
        prepare(env)
        log = home / "standalone.log"
        server = subprocess.Popen(
            [str(BIN / "airflow"), "standalone"],
            env=env,
            stdout=stack.enter_context(log.open("w")),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        # A throwaway home needs no clean shutdown: a short grace, then SIGKILL for whatever still runs.
        stack.callback(stop_group, server, grace=STOP_GRACE)
        url = env["AIRFLOW__API__BASE_URL"]
        wait_until_healthy(server, url=url, log=log)
        passwords = json.loads((home / "simple_auth_manager_passwords.json.generated").read_text())
        yield AirflowStack(
            url=url,
            password=passwords[USER],
            outsider_password=passwords[OUTSIDER],
            reader_password=passwords[READER],
            home=home,
            log=log,
            emulator=alteryx_server,
        )
