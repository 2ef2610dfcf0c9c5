"""Fixtures shared by the whole suite: emulators over real HTTP and an Airflow connection pointing at them."""

from __future__ import annotations

import asyncio
import atexit
import gc
import json
import logging
import os
import shutil
import socket
import tempfile
from collections.abc import Awaitable, Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

# Airflow reads its home and DAG folder when first imported: a throwaway home, and the test DAGs.
_AIRFLOW_HOME = tempfile.mkdtemp(prefix="alteryx-tests-airflow-")
atexit.register(shutil.rmtree, _AIRFLOW_HOME, ignore_errors=True)
os.environ["AIRFLOW_HOME"] = _AIRFLOW_HOME
os.environ["AIRFLOW__CORE__DAGS_FOLDER"] = str(Path(__file__).with_name("dags"))
os.environ["AIRFLOW__CORE__LOAD_EXAMPLES"] = "False"
# OpenLineage (where its provider is installed) writes every DAG test's events here; its plugin reads this once.
LINEAGE_LOG = Path(_AIRFLOW_HOME, "lineage", "events.jsonl")
LINEAGE_LOG.parent.mkdir()
os.environ["AIRFLOW__OPENLINEAGE__TRANSPORT"] = json.dumps(
    {"type": "file", "log_file_path": str(LINEAGE_LOG), "append": True}
)
os.environ["AIRFLOW__OPENLINEAGE__NAMESPACE"] = "tests"

import pytest  # noqa: E402

from airflow_provider_alteryx.emulator import EmulatorConfig, RunningEmulator, load_catalogue, run_emulator  # noqa: E402
from airflow_provider_alteryx.emulator.catalogue import Workflow  # noqa: E402

# The provider's emulator fixture (alteryx_emulator) is opt-in, as for users' own DAG tests.
pytest_plugins = ["airflow_provider_alteryx.emulator.pytest_plugin"]

T = TypeVar("T")
TEST_CATALOGUE = Path(__file__).with_name("catalogue.yaml")
QUICK, REGIONAL, WARNS, SLOW, MEDIUM, NAMED_OUTPUTS = (f"0000000000000000000000a{i}" for i in range(1, 7))
WORKFLOW_NAMES = {"Quick", "Regional", "Warns", "Slow", "Medium", "Named outputs"}
# Server versions and the auth type a client uses with each.
VERSION_AUTH = [
    ("2021.3", "oauth1"),
    ("2021.4", "oauth1"),
    ("2021.4", "oauth2"),
    ("2022.1", "oauth2"),
    ("2023.1", "oauth2"),
    ("2025.1", "oauth2"),
]


@pytest.fixture(scope="session")
def workflows() -> tuple[Workflow, ...]:
    return load_catalogue(TEST_CATALOGUE)


StartEmulator = Callable[..., RunningEmulator]


@pytest.fixture
def start_emulator(workflows: tuple[Workflow, ...]) -> Iterator[StartEmulator]:
    """Start emulators (stopped after the test): ``start_emulator(server_version="2022.1", workers=1, ...)``."""
    with ExitStack() as stack:

        def start(**overrides: object) -> RunningEmulator:
            config = EmulatorConfig(**{"workflows": workflows, **overrides})  # type: ignore[arg-type]
            return stack.enter_context(run_emulator(config))

        yield start


@pytest.fixture
def emulator(start_emulator: StartEmulator) -> RunningEmulator:
    """A 2025.1 emulator serving the test catalogue."""
    return start_emulator()


@dataclass
class RedisServer:
    """Debian's Redis on a free loopback port (dev/stack.py starts it), for the coordination store's tests."""

    port: int

    def client(self, password: str | None = None) -> Any:
        import redis

        return redis.Redis(host="127.0.0.1", port=self.port, password=password, socket_timeout=5)

    @staticmethod
    def down_port() -> int:
        """A loopback port nothing listens on: a Redis that is down."""
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            return int(probe.getsockname()[1])

    def flush(self) -> None:
        self.client().flushall()

    @contextmanager
    def password(self, password: str) -> Iterator[None]:
        """Require ``password`` while the block runs."""
        self.client().config_set("requirepass", password)
        try:
            yield
        finally:
            self.client(password).config_set("requirepass", "")


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisServer]:
    from dev.stack import redis

    with redis(tmp_path_factory.mktemp("redis")) as url:
        yield RedisServer(int(url.rsplit(":", 1)[1].split("/")[0]))


class _UnclosedPools(logging.Handler):
    """Collects what aiohttp reports when a session or connector is garbage-collected open."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.reports: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        if record.getMessage().startswith(("Unclosed client session", "Unclosed connector")):
            self.reports.append(record.getMessage())


@pytest.fixture(scope="session", autouse=True)
def _no_pool_left_open() -> Iterator[_UnclosedPools]:
    """Fail the run if an aiohttp session or connector was left open (aiohttp only logs it when collected).

    What reference counting frees is reported during the test that left it (see :func:`_pools_closed`); the
    rest when the run ends and everything is collected (a collection after every test would cost minutes).
    """
    unclosed = _UnclosedPools()
    logger = logging.getLogger("asyncio")
    logger.addHandler(unclosed)
    yield unclosed
    gc.collect()
    logger.removeHandler(unclosed)
    assert unclosed.reports == [], "an aiohttp pool was left open"


@pytest.fixture(autouse=True)
def _pools_closed(_no_pool_left_open: _UnclosedPools) -> Iterator[None]:
    before = len(_no_pool_left_open.reports)
    yield
    assert _no_pool_left_open.reports[before:] == [], "this test left an aiohttp pool open"


@pytest.fixture(autouse=True)
def _fresh_process_state() -> Iterator[None]:
    """Every test starts as a fresh process would: no token, capability, creation record, session or mark."""
    from airflow_provider_alteryx.hooks.transport import TRANSPORT

    yield
    TRANSPORT.reset()


UseConnection = Callable[..., None]


@pytest.fixture
def use_connection(monkeypatch: pytest.MonkeyPatch) -> UseConnection:
    """Point ``alteryx_default`` at an emulator: ``use_connection(emulator, auth_type="oauth1")``."""

    def point(
        emulator: RunningEmulator, auth_type: str | None = None, conn_id: str = "alteryx_default"
    ) -> None:
        monkeypatch.setenv(f"AIRFLOW_CONN_{conn_id.upper()}", emulator.connection(auth_type))

    return point


@pytest.fixture
def connected_emulator(start_emulator: StartEmulator, use_connection: UseConnection) -> RunningEmulator:
    """A 2025.1 emulator running jobs at double speed, with ``alteryx_default`` pointing at it."""
    running = start_emulator(time_scale=0.5, seed=5)
    use_connection(running)
    return running


def on_a_loop(work: Callable[[], Awaitable[T]]) -> T:
    """``work()`` on an event loop of its own, as a triggerer runs it; the loop's pools close before it ends."""
    from airflow_provider_alteryx.hooks.transport import TRANSPORT

    async def body() -> T:
        try:
            return await work()
        finally:
            await TRANSPORT.aclose()

    return asyncio.run(body())


def trigger_events(trigger: Any) -> list[dict[str, Any]]:
    """Every event a trigger's ``run()`` yields, on an event loop of its own."""

    async def collect() -> list[dict[str, Any]]:
        return [event.payload async for event in trigger.run()]

    return on_a_loop(collect)


@pytest.fixture(scope="session")
def airflow_db() -> None:
    """A migrated metadata database in the throwaway AIRFLOW_HOME, for dag.test()."""
    import subprocess
    import sys

    airflow = Path(sys.executable).with_name("airflow")
    subprocess.run([str(airflow), "db", "migrate"], check=True, capture_output=True, timeout=300)


def _airflow_version() -> tuple[int, int]:
    from importlib.metadata import version

    major, minor = version("apache-airflow").split(".")[:2]
    return int(major), int(minor)


# Task state (durable retries) arrived in Airflow 3.3; links stored as XCom in Airflow 3.
HAS_TASK_STATE = _airflow_version() >= (3, 3)
LINKS_IN_XCOM = _airflow_version() >= (3, 0)


class DagRunResult:
    """What a dag.test() run left behind: states, tries, XComs, and everything it logged."""

    def __init__(
        self,
        state: str,
        tasks: dict[tuple[str, int], tuple[str, int]],
        xcoms: dict[tuple[str, int, str], object],
        log: str,
    ) -> None:
        self.state = state
        self.tasks = tasks
        self.xcoms = xcoms
        self.log = log

    def xcom(self, key: str, task_id: str = "run", map_index: int = -1) -> object:
        return self.xcoms[(task_id, map_index, key)]

    def link(self, task_id: str = "run", map_index: int = -1) -> object:
        """The "Alteryx Server" button's URL: stored as XCom by Airflow 3, else what get_link() reads."""
        return self.xcom("_link_AlteryxWorkflowLink" if LINKS_IN_XCOM else "workflow_url", task_id, map_index)


RunDag = Callable[..., DagRunResult]


def _xcom_value(model: Any, row: Any) -> object:
    try:
        return model.deserialize_value(row)
    except AttributeError:  # Airflow 2: the row's value is already deserialized
        return row.value


@pytest.fixture
def run_dag(airflow_db: None, capfd: pytest.CaptureFixture[str]) -> RunDag:
    """Run a DAG of tests/dags through Airflow's dag.test() (triggers run inline) and collect the outcome."""

    def run(dag_id: str, run_conf: dict[str, Any] | None = None) -> DagRunResult:
        from airflow.models import TaskInstance

        try:
            from airflow.models.xcom import XComModel
        except ImportError:  # Airflow 2
            from airflow.models.xcom import BaseXCom as XComModel  # type: ignore[no-redef]
        from airflow.utils.session import create_session

        from tests.dags import scenarios

        dag = scenarios.DAGS[dag_id]
        capfd.readouterr()
        dag_run = dag.test(run_conf=run_conf)
        log = capfd.readouterr().out
        with create_session() as session:
            tasks = {
                (ti.task_id, ti.map_index): (str(ti.state), ti.try_number)
                for ti in session.query(TaskInstance).filter_by(dag_id=dag_id, run_id=dag_run.run_id)
            }
            rows = session.query(XComModel).filter_by(dag_id=dag_id, run_id=dag_run.run_id)
            xcoms = {(x.task_id, x.map_index, x.key): _xcom_value(XComModel, x) for x in rows}
        return DagRunResult(str(dag_run.state), tasks, xcoms, log)

    return run
