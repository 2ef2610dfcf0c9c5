"""Turns and records of job creations, in both stores: this machine's SQLite file and a real Redis.

The queue logic is one (:mod:`~airflow_provider_alteryx.hooks.coordination`); each store must make its
changes atomic for every process that shares it, and say clearly when it cannot be used.
"""

from __future__ import annotations

import json
import logging
import multiprocessing
import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from airflow_provider_alteryx.exceptions import AlteryxCoordinationError, AlteryxInputError
from airflow_provider_alteryx.hooks import coordination
from airflow_provider_alteryx.hooks.config import ServerConfig
from airflow_provider_alteryx.hooks.coordination import Creations, LocalStore, Queue, Record, Store
from airflow_provider_alteryx.hooks.redis_store import redis_store
from airflow_provider_alteryx.hooks.transport import TRANSPORT
from tests.conftest import RedisServer

KEY = "http://alteryx.invalid/webapi 0000000000000000000000a1"
CONFIG = ServerConfig(base_url="http://alteryx.invalid", api_key="k", api_secret="s")


class Connection:
    """An Airflow connection as ``BaseHook.get_connection`` returns it, for a Redis."""

    def __init__(
        self, host: str, port: int, password: str | None = None, extra: dict[str, object] | None = None
    ):
        self.host, self.port, self.password = host, port, password
        self.login = self.schema = None
        self.extra_dejson = extra or {}


def build_store(kind: str, where: str) -> Store:
    if kind == "local":
        return LocalStore(Path(where))
    host, port = where.rsplit(":", 1)
    return redis_store("redis_turns", Connection(host, int(port)))


@pytest.fixture(params=["local", "redis"])
def store_spec(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[str, str]]:
    if request.param == "local":
        yield "local", str(tmp_path / "creations.sqlite3")
    else:
        server: RedisServer = request.getfixturevalue("redis_server")
        server.flush()
        yield "redis", f"127.0.0.1:{server.port}"


@pytest.fixture
def creations(store_spec: tuple[str, str]) -> Iterator[Creations]:
    found = Creations(build_store(*store_spec))
    yield found
    found.close()


def test_places_are_first_come_first_served(creations: Creations) -> None:
    turns = [creations.join(KEY) for _ in range(3)]
    assert [turn.position() for turn in turns] == [0, 1, 2]
    turns[0].leave()
    assert [turn.position() for turn in turns[1:]] == [0, 1]
    assert (turns[1].send(), turns[2].send()) == (True, False)  # only the head may send


def test_a_holder_that_stops_renewing_lapses_and_one_that_died_sending_starts_an_epoch(
    creations: Creations, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(coordination, "LEASE_SECONDS", 0.5)
    monkeypatch.setattr(coordination, "RENEW_SECONDS", 0.1)
    dead, waiting = creations.join(KEY), creations.join(KEY)
    assert dead.send() and waiting.position() == 1
    epoch = waiting.epoch
    creations.leases.release(dead)  # its process is gone: nobody renews its place
    for _ in range(50):
        if waiting.position() == 0:
            break
        time.sleep(0.1)
    assert (waiting.position(), waiting.epoch) == (0, epoch + 1)


def test_a_renewed_place_outlives_its_lease(creations: Creations, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(coordination, "LEASE_SECONDS", 0.6)
    monkeypatch.setattr(coordination, "RENEW_SECONDS", 0.2)
    held = creations.join(KEY)
    time.sleep(1.5)  # more than two leases: only the renewals kept it
    assert held.position() == 0 and held.epoch == 0


def test_records_are_shared_and_a_caller_is_told_apart_from_the_others(store_spec: tuple[str, str]) -> None:
    mine, theirs = Creations(build_store(*store_spec)), Creations(build_store(*store_spec))
    mine.record(KEY, Record.TAKEN, ["job-a"], "dag/run/a[0]")
    theirs.record(KEY, Record.CONTESTED, ["job-b", "job-c"], "dag/run/b[0]")
    mine.record(KEY, Record.CONTESTED, ["job-c"], "dag/run/a[0]")
    assert theirs.held(KEY, Record.TAKEN) == {"job-a"}
    assert mine.held(KEY, Record.CONTESTED, besides="dag/run/a[0]") == {"job-b", "job-c"}  # c: held by b too
    assert theirs.held(KEY, Record.CONTESTED, besides="dag/run/b[0]") == {"job-c"}
    assert mine.held("another workflow", Record.TAKEN) == set()


def _join_many(kind: str, where: str, count: int) -> list[str]:
    store = build_store(kind, where)
    holders = []
    for _ in range(count):
        holder = os.urandom(8).hex()
        store.update(KEY, _appending(holder))
        holders.append(holder)
    return holders


def _appending(holder: str) -> Callable[[Queue, float], None]:
    def append(queue: Queue, now: float) -> None:
        queue.places.append(coordination.Place(holder, now + 600))

    return append


def test_changes_from_many_processes_at_once_are_all_kept(store_spec: tuple[str, str]) -> None:
    with multiprocessing.get_context("spawn").Pool(4) as pool:
        joined = pool.starmap(_join_many, [(*store_spec, 25)] * 4)
    queue, _ = build_store(*store_spec).read(KEY)
    assert sorted(place.holder for place in queue.places) == sorted(h for holders in joined for h in holders)


def test_the_local_store_refuses_a_folder_others_may_write_to(tmp_path: Path) -> None:
    folder = tmp_path / "turns"
    folder.mkdir()
    folder.chmod(0o777)
    with pytest.raises(AlteryxCoordinationError, match="others may write to it; remove it"):
        Creations(LocalStore(folder / "creations.sqlite3")).join(KEY)


def test_the_local_store_lives_in_a_folder_of_its_users_own(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("tempfile.tempdir", str(tmp_path))
    store = LocalStore()
    Creations(store).join(KEY).leave()
    assert store.path.parent.parent == tmp_path and store.path.parent.stat().st_mode & 0o777 == 0o700


def test_the_provider_imports_where_fcntl_does_not_exist() -> None:
    """As on Windows: no POSIX-only module on the import path of the hook, the operator, the sensor, the trigger."""
    probe = (
        "import sys; sys.modules['fcntl'] = None\n"
        "import airflow_provider_alteryx.operators.alteryx, airflow_provider_alteryx.sensors.alteryx\n"
        "import airflow_provider_alteryx.triggers.alteryx, airflow_provider_alteryx.hooks.alteryx\n"
        "from airflow_provider_alteryx.hooks.coordination import Creations, LocalStore\n"
        "Creations(LocalStore()).join('k').leave()\n"
        "print('imported')"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=120, check=False
    )
    assert done.stdout.strip().endswith("imported"), done.stderr[-2000:]


class TestRedisStoreErrors:
    def test_an_unreachable_redis_is_named_with_its_fix_and_no_secret(
        self, redis_server: RedisServer
    ) -> None:
        down = redis_server.down_port()
        store = redis_store("redis_turns", Connection("127.0.0.1", down, "pa55-word"))
        with pytest.raises(AlteryxCoordinationError) as caught:
            Creations(store).join(KEY)
        message = str(caught.value)
        assert f"Redis at 127.0.0.1:{down}/0 (connection 'redis_turns')" in message
        assert "No job was created" in message and "coordination_conn_id" in message
        assert "pa55-word" not in message

    def test_a_wrong_password_is_refused_without_showing_it(self, redis_server: RedisServer) -> None:
        with redis_server.password("right-pa55") as _:
            store = redis_store("redis_turns", Connection("127.0.0.1", redis_server.port, "wrong-pa55"))
            with pytest.raises(AlteryxCoordinationError) as caught:
                Creations(store).join(KEY)
        assert "wrong-pa55" not in str(caught.value) and "right-pa55" not in str(caught.value)

    def test_a_connection_without_a_host_or_with_a_bad_db_names_the_field(self) -> None:
        with pytest.raises(AlteryxInputError, match="has no host"):
            redis_store("redis_turns", Connection("", 6379))
        with pytest.raises(AlteryxInputError, match="extra db is 'two'"):
            redis_store("redis_turns", Connection("127.0.0.1", 6379, extra={"db": "two"}))

    def test_without_the_redis_package_the_error_names_the_extra(
        self, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.setitem(sys.modules, "redis", None)
        with pytest.raises(AlteryxInputError, match=r"airflow-provider-alteryx\[redis\]"):
            redis_store("redis_turns", Connection("127.0.0.1", 6379))


class TestSingleHostWarning:
    @pytest.mark.parametrize(
        "executor", ["CeleryExecutor", "KubernetesExecutor", "airflow.providers.edge3.executors.EdgeExecutor"]
    )
    def test_executors_that_may_span_hosts_are_warned_about_once(
        self, executor: str, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
    ) -> None:
        monkeypatch.setenv("AIRFLOW__CORE__EXECUTOR", executor)
        log = logging.getLogger("test.coordination")
        with caplog.at_level(logging.WARNING, logger="test.coordination"):
            TRANSPORT.creations(CONFIG, lambda name: None, log)
            TRANSPORT.creations(CONFIG, lambda name: None, log)
        warnings = [
            r.getMessage() for r in caplog.records if "take turns on this machine only" in r.getMessage()
        ]
        assert len(warnings) == 1 and "Set coordination_conn_id to a Redis connection" in warnings[0]

    def test_the_local_executor_and_a_redis_are_not_warned_about(
        self, redis_server: RedisServer, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
    ) -> None:
        monkeypatch.setenv("AIRFLOW__CORE__EXECUTOR", "LocalExecutor")
        with caplog.at_level(logging.WARNING):
            TRANSPORT.creations(CONFIG, lambda name: None, logging.getLogger("test.coordination"))
        monkeypatch.setenv("AIRFLOW__CORE__EXECUTOR", "CeleryExecutor")
        shared = ServerConfig(
            base_url="http://alteryx.invalid", api_key="k", api_secret="s", coordination_conn_id="turns"
        )
        with caplog.at_level(logging.WARNING):
            found = TRANSPORT.creations(
                shared,
                lambda name: Connection("127.0.0.1", redis_server.port),
                logging.getLogger("test.coordination"),
            )
        assert found.shared_across_hosts
        assert not [r for r in caplog.records if "take turns on this machine only" in r.getMessage()]


def test_a_queue_survives_its_encoding() -> None:
    queue = Queue([coordination.Place("a", 12.5, True), coordination.Place("b", 13.0)], epoch=3)
    assert Queue.decode(queue.encode()) == queue and Queue.decode(None) == Queue()
    assert json.loads(queue.encode())["epoch"] == 3
