"""AlteryxWorkflowJobsTrigger run directly on an event loop against the emulator, with jobs created outside Airflow."""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import importlib.util
import json
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import requests

from airflow_provider_alteryx.emulator import RunningEmulator
from airflow_provider_alteryx.exceptions import AlteryxInputError
from airflow_provider_alteryx.hooks.transport import TRANSPORT
from tests.conftest import QUICK, REGIONAL

try:
    from airflow_provider_alteryx.triggers.workflow_events import AlteryxWorkflowJobsTrigger
except ImportError:  # Airflow 2 has no event triggers
    pytest.skip("event triggers need Airflow 3", allow_module_level=True)

# Polls are frequent so tests finish soon; the wait for an event that must not come lasts this many polls.
POLL = 0.1
QUIET_POLLS = 10


class AssetStateStore:
    """Stands in for the asset state store Airflow 3.3's triggerer gives an event trigger (``aget``/``aset``)."""

    def __init__(self) -> None:
        self.values: dict[str, Any] = {}

    async def aget(self, key: str, default: Any = None) -> Any:
        return self.values.get(key, default)

    async def aset(self, key: str, value: Any) -> None:
        self.values[key] = value


def create_job(emulator: RunningEmulator, workflow_id: str, questions: dict[str, str] | None = None) -> str:
    """Queue a job straight through the Server's V3 API, as a Server schedule or a Gallery user would: no Airflow involved."""
    token = requests.post(
        f"{emulator.url}/webapi/oauth2/token",
        data={
            "grant_type": "client_credentials",
            "client_id": emulator.api_key,
            "client_secret": emulator.api_secret,
        },
        timeout=10,
    ).json()["access_token"]
    body = {"questions": [{"name": name, "value": value} for name, value in (questions or {}).items()]}
    answer = requests.post(
        f"{emulator.url}/webapi/v3/workflows/{workflow_id}/jobs",
        json=body,
        headers={"Authorization": f"Bearer {token}"},
        timeout=10,
    )
    answer.raise_for_status()
    return str(answer.json()["id"])


def wait_finished(emulator: RunningEmulator, job_ids: list[str]) -> None:
    while {job["id"] for job in emulator.jobs() if job["status"] in ("Completed", "Cancelled")} < set(
        job_ids
    ):
        time.sleep(0.05)


def since_now() -> str:
    # The emulator stamps jobs in milliseconds: a moment just before now, so jobs created next are after it.
    return (datetime.now(UTC) - timedelta(milliseconds=5)).isoformat()


def watcher(since: str, **kwargs: Any) -> AlteryxWorkflowJobsTrigger:
    return AlteryxWorkflowJobsTrigger(
        workflow_id=kwargs.pop("workflow_id", QUICK), since=since, poll_interval=POLL, **kwargs
    )


async def take(stream: AsyncIterator[Any], count: int) -> list[dict[str, Any]]:
    """The next ``count`` events' payloads, then proof that no other comes for QUIET_POLLS polls."""
    taken = [(await anext(stream)).payload for _ in range(count)]
    with pytest.raises(TimeoutError):
        await asyncio.wait_for(anext(stream), timeout=POLL * QUIET_POLLS)
    return taken


def run(coroutine: Any) -> Any:
    async def main() -> Any:
        try:
            return await coroutine
        finally:
            await TRANSPORT.aclose()

    return asyncio.run(main())


def test_each_job_finished_outside_airflow_fires_one_event_with_its_summary(
    connected_emulator: RunningEmulator,
) -> None:
    trigger = watcher(since_now())
    created = [create_job(connected_emulator, QUICK) for _ in range(3)]

    payloads = run(take(trigger.run(), 3))

    assert [p["job_id"] for p in payloads] == created  # oldest first
    for payload in payloads:
        assert payload["workflow_id"] == QUICK and payload["disposition"] == "Success"
        assert (
            payload["job"]["status"] == "Completed"
            and payload["job"]["messages"][0]["text"] == "Done quickly"
        )


def test_a_restarted_trigger_reports_jobs_finished_meanwhile_and_none_twice(
    connected_emulator: RunningEmulator,
) -> None:
    store = AssetStateStore()
    since = since_now()

    async def scenario() -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        first = watcher(since)
        first.asset_state_store = store  # type: ignore[assignment]
        before = [create_job(connected_emulator, QUICK) for _ in range(2)]
        stream = first.run()
        reported_first = await take(stream, 2)
        await stream.aclose()  # type: ignore[attr-defined]  # the triggerer stops: a restart, or a move to another triggerer
        assert [p["job_id"] for p in reported_first] == before
        during = create_job(connected_emulator, QUICK)
        wait_finished(connected_emulator, [during])  # finished while no trigger ran
        second = watcher(since)  # Airflow re-creates it from the same kwargs
        second.asset_state_store = store  # type: ignore[assignment]
        assert second.serialize() == first.serialize()
        after = create_job(connected_emulator, QUICK)
        reported_second = await take(second.run(), 2)
        assert [p["job_id"] for p in reported_second] == [during, after]
        return reported_first, reported_second

    first_events, second_events = run(scenario())
    reported = [p["job_id"] for p in first_events + second_events]
    assert len(reported) == len(set(reported)) == len(connected_emulator.jobs()) == 4
    assert list(store.values) == [watcher(since).mark_key]


def test_only_the_chosen_dispositions_fire_and_the_others_never_do(
    connected_emulator: RunningEmulator,
) -> None:
    trigger = watcher(since_now(), workflow_id=REGIONAL, dispositions=["Error"])
    succeeded = create_job(connected_emulator, REGIONAL, {"region": "EMEA"})
    failed = create_job(connected_emulator, REGIONAL, {"region": "Atlantis"})

    (payload,) = run(take(trigger.run(), 1))

    assert payload["job_id"] == failed and payload["disposition"] == "Error"
    assert payload["job"]["messages"][-1]["text"] == "No sales table for Atlantis"
    assert {job["id"] for job in connected_emulator.jobs()} == {succeeded, failed}


def test_jobs_created_before_since_are_not_reported(connected_emulator: RunningEmulator) -> None:
    old = create_job(connected_emulator, QUICK)
    wait_finished(connected_emulator, [old])
    trigger = watcher(since_now())
    new = create_job(connected_emulator, QUICK)

    (payload,) = run(take(trigger.run(), 1))

    assert payload["job_id"] == new


def test_serialize_round_trip_and_stable_identity() -> None:
    trigger = AlteryxWorkflowJobsTrigger(
        workflow_id=QUICK,
        since="2026-11-01T01:00:00+01:00",
        alteryx_conn_id="c",
        dispositions=["Warning", "Error"],
        poll_interval=30,
        hook_params={"retry_limit": 3},
    )
    classpath, kwargs = trigger.serialize()
    module, _, name = classpath.rpartition(".")
    rebuilt = getattr(importlib.import_module(module), name)(**kwargs)
    assert rebuilt.serialize() == (classpath, kwargs)
    assert kwargs == {
        "workflow_id": QUICK,
        "since": "2026-11-01T00:00:00+00:00",
        "alteryx_conn_id": "c",
        "dispositions": ["Error", "Warning"],
        "poll_interval": 30.0,
        "hook_params": {"retry_limit": 3},
    }
    # Airflow identifies an asset watcher's trigger by this hash: the same DAG file must give the same one.
    assert AlteryxWorkflowJobsTrigger.hash(classpath, kwargs) == AlteryxWorkflowJobsTrigger.hash(
        *rebuilt.serialize()
    )
    assert rebuilt.mark_key == trigger.mark_key


@pytest.mark.parametrize(
    ("kwargs", "names"),
    [
        ({"since": "yesterday"}, "since"),
        ({"since": "2026-11-01", "dispositions": ["Sucess"]}, "Sucess"),
        ({"since": "2026-11-01", "dispositions": "Error"}, "dispositions"),
        ({"since": "2026-11-01", "workflow_id": "Sales refresh"}, "workflow_id"),
    ],
)
def test_bad_arguments_fail_when_the_dag_is_parsed(kwargs: dict[str, Any], names: str) -> None:
    with pytest.raises(AlteryxInputError, match=names):
        AlteryxWorkflowJobsTrigger(**{"workflow_id": QUICK, **kwargs})


def test_the_example_dag_watches_with_fixed_kwargs_and_serializes() -> None:
    from airflow.dag_processing.dagbag import DagBag
    from airflow.serialization.serialized_objects import DagSerialization

    from tests.test_example_dags import EXAMPLES

    def watchers() -> list[Any]:
        spec = importlib.util.spec_from_file_location(
            "alteryx_server_events", EXAMPLES / "alteryx_server_events.py"
        )
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        return list(module.regional_sales_jobs.watchers)

    (first,), (second,) = watchers(), watchers()
    assert isinstance(first.trigger, AlteryxWorkflowJobsTrigger)
    # Parsing the file again gives the same trigger: Airflow keeps one watcher, not a new one per parse.
    assert first.trigger.serialize() == second.trigger.serialize()
    dag = DagBag(dag_folder=str(EXAMPLES / "alteryx_server_events.py")).dags["alteryx_server_events"]
    serialized = DagSerialization.to_dict(dag)  # what the DAG processor stores, trigger kwargs included
    assert first.trigger.workflow_id in str(serialized)


# ---- a real triggerer process --------------------------------------------------------------------
STACK_DAG = """
from airflow.sdk import DAG, Asset, AssetWatcher, task

from airflow_provider_alteryx.triggers.workflow_events import AlteryxWorkflowJobsTrigger

jobs = Asset(name="quick_jobs", watchers=[AssetWatcher(name="quick_finished", trigger=AlteryxWorkflowJobsTrigger(workflow_id={workflow!r}, since={since!r}, poll_interval=0.5))])

with DAG(dag_id="after_quick", schedule=[jobs]):
    task(lambda: None, task_id="noop")()
"""


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class AirflowProcesses:
    """Airflow components of one throwaway home, each in its own process group, stopped at the end."""

    def __init__(self, home: Path, emulator: RunningEmulator) -> None:
        self.home = home
        self.env = {
            **os.environ,
            "AIRFLOW_HOME": str(home),
            "AIRFLOW__CORE__DAGS_FOLDER": str(home / "dags"),
            "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
            "AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION": "False",
            "AIRFLOW__DAG_PROCESSOR__MIN_FILE_PROCESS_INTERVAL": "1",
            "AIRFLOW__LOGGING__TRIGGER_LOG_SERVER_PORT": str(_free_port()),
            "AIRFLOW_CONN_ALTERYX_DEFAULT": emulator.connection(),
        }
        self.airflow = str(Path(sys.executable).with_name("airflow"))
        self.running: list[subprocess.Popen[bytes]] = []

    def run(self, *args: str) -> None:
        subprocess.run([self.airflow, *args], env=self.env, check=True, capture_output=True, timeout=300)

    def start(self, component: str) -> subprocess.Popen[bytes]:
        log = (self.home / f"{component}-{len(self.running)}.log").open("wb")
        process = subprocess.Popen(
            [self.airflow, component],
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self.running.append(process)
        return process

    def kill(self, process: subprocess.Popen[bytes], sig: int = signal.SIGKILL) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, sig)
        process.wait(timeout=60)

    def stop_all(self) -> None:
        for process in self.running:
            if process.poll() is None:
                self.kill(process, signal.SIGTERM)

    def query(self, sql: str) -> list[tuple[Any, ...]]:
        with contextlib.closing(sqlite3.connect(self.home / "airflow.db", timeout=30)) as db:
            return db.execute(sql).fetchall()

    def reported(self) -> list[str]:
        return [
            row[0]
            for row in self.query(
                "select json_extract(extra, '$.payload.job_id') from asset_event order by id"
            )
        ]


def _until(what: str, check: Any, patience: float = 300.0) -> Any:
    # A hang guard, not a speed check: components start slowly on a busy machine.
    deadline = time.monotonic() + patience
    while not (result := check()):
        assert time.monotonic() < deadline, f"waited {patience:.0f} s for {what}"
        time.sleep(0.5)
    return result


@pytest.mark.slow
def test_a_real_triggerer_killed_and_restarted_reports_each_job_once(
    tmp_path: Path, connected_emulator: RunningEmulator
) -> None:
    airflow = AirflowProcesses(tmp_path, connected_emulator)
    (tmp_path / "dags").mkdir()
    (tmp_path / "dags" / "after_quick.py").write_text(STACK_DAG.format(workflow=QUICK, since=since_now()))
    airflow.run("db", "migrate")
    try:
        airflow.start("dag-processor")
        triggerer = airflow.start("triggerer")
        _until(
            "the watcher's trigger to run",
            lambda: airflow.query("select triggerer_id from trigger where triggerer_id is not null"),
        )
        before = [create_job(connected_emulator, QUICK) for _ in range(2)]
        _until("two asset events", lambda: len(airflow.reported()) >= 2)

        airflow.kill(triggerer)  # kill -9: no chance to tidy up
        during = create_job(connected_emulator, QUICK)
        wait_finished(connected_emulator, [during])
        airflow.start("triggerer")
        _until("the job finished while no triggerer ran", lambda: len(airflow.reported()) >= 3)
        time.sleep(POLL * QUIET_POLLS * 5)  # polls of the restarted trigger that must add nothing

        assert airflow.reported() == [*before, during]
        ((mark,),) = airflow.query("select value from asset_state_store")
        assert json.loads(mark)["settled"] == [during]
    finally:
        airflow.stop_all()
