"""``make stack``: Airflow as it runs in production, natively on this machine, against the bundled emulator.

PostgreSQL (Debian's, in a temporary data directory), ``airflow db migrate``, a scheduler, a DAG processor,
an API server, two triggerers and the emulator, each in its own process group on free loopback ports, with
a temporary AIRFLOW_HOME. ``--executor celery`` adds Debian's Redis and three Celery workers (queues
``worker-1`` to ``worker-3``) that share no disk, as on separate hosts: each has its own ``TMPDIR`` and
``HOME``, and their job creations take turns through Redis (the connection's ``coordination_conn_id``).
Everything is stopped on exit, Ctrl-C or SIGTERM.

The topology (components, their commands, the settings they share) is declared once here;
``docker-compose.yaml`` runs the same components with the same settings, and tests/test_docker_compose.py
checks that the two agree.
"""

from __future__ import annotations

import argparse
import json
import os
import pwd
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import ExitStack, closing, contextmanager, suppress
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import requests

from airflow_provider_alteryx.emulator.server import RunningEmulator
from dev.demo import BIN, REPO, emulator, stop_group, wait_until_healthy


class StackError(RuntimeError):
    """A part of the stack could not be started; the message names it and its log."""


class Executor(StrEnum):
    LOCAL = "local"
    CELERY = "celery"


EXECUTOR_CLASSES = {Executor.LOCAL: "LocalExecutor", Executor.CELERY: "CeleryExecutor"}

# Every Airflow process of the stack as ``airflow <command>``, by component name. docker-compose.yaml has one
# service ``airflow-<name>`` per entry, with this command.
COMPONENTS: dict[str, tuple[str, ...]] = {
    "scheduler": ("scheduler",),
    "dag-processor": ("dag-processor",),
    "api-server": ("api-server",),
    # Two triggerers, for high availability: either one takes over the other's triggers.
    "triggerer-1": ("triggerer",),
    "triggerer-2": ("triggerer",),
}
# The Celery profile's workers: each consumes the default queue and one of its own, so a DAG can send a
# task to a given worker (the outputs test reads on worker-2 what worker-1 wrote). Three, so that creations
# of one workflow come from more than two hosts at once.
CELERY_WORKERS: dict[str, tuple[str, ...]] = {
    f"celery-worker-{n}": (
        "celery",
        "worker",
        "--queues",
        f"default,worker-{n}",
        "--concurrency",
        "4",
        "--celery-hostname",
        f"worker-{n}@%h",
    )
    for n in (1, 2, 3)
}
# The Celery profile's Redis connection for job creations' turns (Redis database 1; the broker uses 0).
COORDINATION_CONN_ID = "alteryx_turns"
COORDINATION_DATABASE = 1
# Settings every Airflow component gets, here and in docker-compose.yaml.
AIRFLOW_SETTINGS: dict[str, str] = {
    "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
    "AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION": "False",
    # Local development only: every user is an admin, no login.
    "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_ALL_ADMINS": "True",
    # Enough for dozens of deferred tasks (a deferred task holds no slot) on a small machine.
    "AIRFLOW__CORE__PARALLELISM": "12",
}
API_SERVER = "api-server"
TRIGGERERS = tuple(name for name, command in COMPONENTS.items() if command == ("triggerer",))
PG_BIN = Path("/usr/lib/postgresql/15/bin")
DEBIAN_PACKAGES = {"postgresql": PG_BIN / "postgres", "redis-server": Path("/usr/bin/redis-server")}
STACK_CATALOGUE = REPO / "tests" / "stack" / "catalogue.yaml"
STACK_DAGS = REPO / "tests" / "stack" / "dags"
KEEP_VARIABLE = "ALTERYX_STACK_KEEP"
EMULATOR_WORKERS = 64  # the emulated Server runs every job of a 50-task mapped run at once


def free_port() -> int:
    """A loopback port nothing listens on now (the OS picks it)."""
    with closing(socket.socket()) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def ensure_debian_package(package: str) -> Path:
    """The package's main binary, installing the package with apt-get first when it is missing.

    :raises StackError: when it is missing and cannot be installed (not root, or apt-get failed).
    """
    binary = DEBIAN_PACKAGES[package]
    if binary.exists():
        return binary
    print(f"Installing Debian's {package} (needed by the stack) ...", flush=True)
    install = ["apt-get", "install", "-y", "--no-install-recommends", package]
    as_root = [] if os.geteuid() == 0 else ["sudo", "-n"]
    done = subprocess.run([*as_root, *install], capture_output=True, text=True, check=False)
    if done.returncode:  # a fresh machine may have no package lists yet
        subprocess.run([*as_root, "apt-get", "update"], capture_output=True, check=False)
        done = subprocess.run([*as_root, *install], capture_output=True, text=True, check=False)
    if done.returncode or not binary.exists():
        raise StackError(
            f"{binary} is missing and `{' '.join(install)}` failed ({done.returncode}); install {package} and retry:\n{done.stderr[-2000:]}"
        )
    return binary


def _spawn(
    argv: list[str], log: Path, env: Mapping[str, str] | None = None, user: str | None = None
) -> subprocess.Popen[bytes]:
    """Start a process in its own process group (so stopping it stops its children too), logging to ``log``."""
    with log.open("ab") as out:
        return subprocess.Popen(
            argv, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True, user=user
        )


def _wait_for(
    what: str, ready: Callable[[], bool], process: subprocess.Popen[bytes], log: Path, seconds: float = 120
) -> None:
    deadline = time.monotonic() + seconds
    while not ready():
        if process.poll() is not None:
            raise StackError(f"{what} exited with {process.returncode} while starting; see {log}")
        if time.monotonic() > deadline:
            raise StackError(f"{what} was not ready after {seconds:.0f} s; see {log}")
        time.sleep(0.3)


def _accepts(port: int) -> bool:
    with closing(socket.socket()) as probe:
        return probe.connect_ex(("127.0.0.1", port)) == 0


@contextmanager
def postgres(workdir: Path) -> Iterator[str]:
    """Debian's PostgreSQL 15 on a free loopback port, in a data directory under ``workdir``; yields the Airflow URL."""
    ensure_debian_package("postgresql")
    # PostgreSQL refuses to run as root: as root, run it as the postgres user Debian's package created.
    user = "postgres" if os.geteuid() == 0 else None
    data = workdir / "postgres"
    data.mkdir()
    if user is not None:
        account = pwd.getpwnam(user)
        os.chown(data, account.pw_uid, account.pw_gid)
        workdir.chmod(0o711)  # it may pass through the workdir, not list it
    log = workdir / "postgres.log"
    init = subprocess.run(
        [str(PG_BIN / "initdb"), "-D", str(data), "-U", "airflow", "--auth=trust", "-E", "UTF8"],
        capture_output=True,
        text=True,
        user=user,
        check=False,
    )
    if init.returncode:
        raise StackError(f"initdb failed ({init.returncode}):\n{init.stdout}{init.stderr}")
    port = free_port()
    # No durability needed for a throwaway database: fsync off makes migrations and heartbeats cheap.
    settings = [
        "-c",
        "listen_addresses=127.0.0.1",
        "-c",
        f"unix_socket_directories={data}",
        "-c",
        "fsync=off",
        "-c",
        "max_connections=300",
    ]
    server = _spawn([str(PG_BIN / "postgres"), "-D", str(data), "-p", str(port), *settings], log, user=user)
    try:
        _wait_for("PostgreSQL", lambda: _accepts(port), server, log)
        created = subprocess.run(
            [str(PG_BIN / "createdb"), "-h", "127.0.0.1", "-p", str(port), "-U", "airflow", "airflow"],
            capture_output=True,
            text=True,
            check=False,
        )
        if created.returncode:
            raise StackError(f"createdb failed: {created.stderr}")
        yield f"postgresql+psycopg2://airflow@127.0.0.1:{port}/airflow"
    finally:
        # SIGINT is PostgreSQL's fast shutdown (SIGTERM would wait for every client to leave).
        with suppress(ProcessLookupError):
            os.killpg(server.pid, signal.SIGINT)
        with suppress(subprocess.TimeoutExpired):
            server.wait(timeout=30)
        stop_group(server)


@contextmanager
def redis(workdir: Path) -> Iterator[str]:
    """Debian's Redis on a free loopback port, without persistence; yields the broker URL."""
    binary = ensure_debian_package("redis-server")
    port = free_port()
    log = workdir / "redis.log"
    server = _spawn(
        [
            str(binary),
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            str(workdir),
        ],
        log,
    )
    try:
        _wait_for("Redis", lambda: _accepts(port), server, log)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        stop_group(server)


@dataclass
class Component:
    """One running Airflow process (and its children, in its process group)."""

    name: str
    process: subprocess.Popen[bytes]
    log: Path

    def signal(self, signum: signal.Signals) -> None:
        """Send ``signum`` to the whole process group, as a container runtime would to a container."""
        os.killpg(self.process.pid, signum)


@dataclass
class Stack:
    """A running stack: where everything listens, and control over each component.

    :param executor: ``local`` or ``celery``.
    """

    executor: Executor
    workdir: Path
    env: dict[str, str]
    emulator: RunningEmulator
    database_url: str
    api_url: str
    components: dict[str, Component] = field(default_factory=dict)

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(COMPONENTS) + (tuple(CELERY_WORKERS) if self.executor is Executor.CELERY else ())

    def command(self, name: str) -> list[str]:
        """The command line of component ``name`` (the shared command, plus where it listens here)."""
        base = {**COMPONENTS, **CELERY_WORKERS}[name]
        local = (
            ["--host", "127.0.0.1", "--port", self.api_url.rsplit(":", 1)[1]] if name == API_SERVER else []
        )
        return [str(BIN / "airflow"), *base, *local]

    def start(self, name: str) -> Component:
        """Start (or restart) component ``name``; its log is ``<workdir>/<name>.log``."""
        # The name lets a task tell which component ran it (the Celery outputs scenario).
        env = {**self.env, "ALTERYX_STACK_COMPONENT": name}
        if name in CELERY_WORKERS:
            env.update(self._own_disk(name))
        # Each process that serves its task logs needs a port of its own on this one host.
        env["AIRFLOW__LOGGING__WORKER_LOG_SERVER_PORT"] = str(free_port())
        env["AIRFLOW__LOGGING__TRIGGER_LOG_SERVER_PORT"] = str(free_port())
        log = self.workdir / f"{name}.log"
        component = self.components[name] = Component(name, _spawn(self.command(name), log, env), log)
        return component

    def _own_disk(self, name: str) -> dict[str, str]:
        """A worker's own ``TMPDIR`` and ``HOME``, as on a host of its own: nothing it keeps there is seen by the others."""
        host = self.workdir / "hosts" / name
        for folder in ("tmp", "home"):
            (host / folder).mkdir(parents=True, exist_ok=True)
        return {"TMPDIR": str(host / "tmp"), "HOME": str(host / "home")}

    def stop(self, name: str) -> None:
        """Stop component ``name`` gracefully (SIGTERM to its group, SIGKILL if it lingers)."""
        stop_group(self.components[name].process)

    def stop_all(self) -> None:
        """Stop every component still running: all are told at once, then each is waited for (SIGKILL if it lingers)."""
        running = [name for name in self.components if self.is_running(name)]
        for name in running:
            with suppress(ProcessLookupError):
                self.components[name].signal(signal.SIGTERM)
                self.components[name].signal(
                    signal.SIGCONT
                )  # a paused process acts on SIGTERM only once resumed
        for name in running:
            self.stop(name)

    def is_running(self, name: str) -> bool:
        return name in self.components and self.components[name].process.poll() is None

    def api(self, method: str, path: str, **kwargs: Any) -> Any:
        """Call the REST API (``/api/v2`` + ``path``) and return the decoded answer.

        :raises requests.HTTPError: on an error answer.
        """
        response = requests.request(method, f"{self.api_url}/api/v2{path}", timeout=30, **kwargs)
        response.raise_for_status()
        return response.json() if response.content else None

    def wait_until_healthy(self, seconds: float = 180) -> None:
        """Until the API server answers and reports every component healthy, and none has exited.

        :raises StackError: naming the log of a component that exited, or what stayed unhealthy.
        """
        api = self.components[API_SERVER]
        wait_until_healthy(api.process, seconds, url=self.api_url, log=api.log)
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            exited = [
                component for component in self.components.values() if component.process.poll() is not None
            ]
            if exited:
                raise StackError(
                    f"{exited[0].name} exited with {exited[0].process.returncode} while the stack started; see {exited[0].log}"
                )
            health = self.api("GET", "/monitor/health")
            if all(part.get("status") == "healthy" for part in health.values() if isinstance(part, dict)):
                return
            time.sleep(1)
        raise StackError(f"Airflow components not healthy after {seconds:.0f} s: {health}")


def stack_env(
    executor: Executor,
    home: Path,
    database_url: str,
    server: RunningEmulator,
    api_url: str,
    broker_url: str | None,
) -> dict[str, str]:
    """The environment of every Airflow component: the shared settings plus where this machine's services listen."""
    env = {
        **os.environ,
        **AIRFLOW_SETTINGS,
        "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}",
        "AIRFLOW_HOME": str(home),
        "AIRFLOW__CORE__EXECUTOR": EXECUTOR_CLASSES[executor],
        "AIRFLOW__CORE__DAGS_FOLDER": str(STACK_DAGS),
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": database_url,
        "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"{api_url}/execution/",
        # All components must sign and check task tokens with the same secret.
        "AIRFLOW__API_AUTH__JWT_SECRET": secrets.token_urlsafe(32),
        "AIRFLOW_CONN_ALTERYX_DEFAULT": server.connection(),
        # The stack DAGs name the workflows' assets by the Server's address (tests/stack/dags/stack_dags.py).
        "ALTERYX_STACK_SERVER": server.url,
        "AIRFLOW_VAR_STACK_OUTPUT_DIR": f"file://{home / 'outputs'}",
        # The stack DAGs' own trigger module (tests/stack/dags) must import in the triggerers.
        "PYTHONPATH": os.pathsep.join(filter(None, [str(STACK_DAGS), os.environ.get("PYTHONPATH")])),
    }
    if broker_url is not None:
        env["AIRFLOW__CELERY__BROKER_URL"] = broker_url
        env["AIRFLOW__CELERY__RESULT_BACKEND"] = "db+" + database_url
        broker = urlsplit(broker_url)
        env.update(coordination_env(server.connection(), str(broker.hostname), int(broker.port or 6379)))
    return env


def coordination_env(alteryx_connection: str, redis_host: str, redis_port: int) -> dict[str, str]:
    """The Celery profile's connections: the Alteryx one names the Redis its workers' creations take turns through."""
    connection = json.loads(alteryx_connection)
    connection["extra"]["coordination_conn_id"] = COORDINATION_CONN_ID
    redis_connection = {
        "conn_type": "redis",
        "host": redis_host,
        "port": redis_port,
        "extra": {"db": COORDINATION_DATABASE},
    }
    return {
        "AIRFLOW_CONN_ALTERYX_DEFAULT": json.dumps(connection),
        f"AIRFLOW_CONN_{COORDINATION_CONN_ID.upper()}": json.dumps(redis_connection),
    }


@contextmanager
def running_stack(executor: Executor = Executor.LOCAL) -> Iterator[Stack]:
    """Start the whole stack, yield it when every component is healthy, and stop everything afterwards.

    Its working directory (logs, database, AIRFLOW_HOME) is removed at the end, unless ``ALTERYX_STACK_KEEP=1``
    or the stack failed to start (its logs say why).
    """
    workdir = Path(tempfile.mkdtemp(prefix=f"alteryx-stack-{executor}-"))
    keep = os.environ.get(KEEP_VARIABLE) == "1"
    try:
        with ExitStack() as cleanup:
            database_url = cleanup.enter_context(postgres(workdir))
            broker_url = cleanup.enter_context(redis(workdir)) if executor is Executor.CELERY else None
            server = cleanup.enter_context(
                emulator(port=0, catalogue=STACK_CATALOGUE, workers=EMULATOR_WORKERS)
            )
            api_url = f"http://127.0.0.1:{free_port()}"
            home = workdir / "airflow"
            home.mkdir()
            env = stack_env(executor, home, database_url, server, api_url, broker_url)
            migrate = subprocess.run(
                [str(BIN / "airflow"), "db", "migrate"], env=env, capture_output=True, text=True, check=False
            )
            if migrate.returncode:
                raise StackError(
                    f"airflow db migrate failed:\n{migrate.stdout[-3000:]}{migrate.stderr[-3000:]}"
                )
            stack = Stack(executor, workdir, env, server, database_url, api_url)
            cleanup.callback(stack.stop_all)
            for name in stack.names:
                stack.start(name)
            stack.wait_until_healthy()
            yield stack
    except StackError:
        keep = True
        raise
    finally:
        if keep:
            print(f"Kept the stack's logs, database and AIRFLOW_HOME in {workdir}", file=sys.stderr)
        else:
            shutil.rmtree(workdir, ignore_errors=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--executor", choices=list(Executor), default=Executor.LOCAL)
    args = parser.parse_args(argv)
    # Ctrl-C, SIGTERM or a closed terminal all leave through the cleanup of running_stack.
    for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, lambda _signum, _frame: sys.exit(0))
    try:
        return serve(Executor(args.executor))
    except StackError as error:
        print(f"make stack: {error}", file=sys.stderr)
        return 1


def serve(executor: Executor) -> int:
    """Run the stack until a component exits by itself (returns 1) or the process is told to stop."""
    with running_stack(executor) as stack:
        print(f"\nAirflow ({EXECUTOR_CLASSES[stack.executor]}): {stack.api_url}  (no login)")
        print(
            f"Alteryx Server emulator: {stack.emulator.url}\nPostgreSQL: {stack.database_url}\nLogs: {stack.workdir}/<component>.log"
        )
        print(f"Components: {', '.join(stack.names)}. Ctrl-C stops everything.", flush=True)
        while all(stack.is_running(name) for name in stack.names):
            time.sleep(1)
        stopped = [name for name in stack.names if not stack.is_running(name)]
        print(
            f"{', '.join(stopped)} exited by itself; see {stack.workdir}/<component>.log. Stopping the stack."
        )
        return 1


if __name__ == "__main__":
    sys.exit(main())
