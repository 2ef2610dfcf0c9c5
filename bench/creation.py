"""Creations of one workflow from many processes at once: the provider beside a bare token + POST client.

N creations of one workflow come from P processes, forked with the provider already imported as task
processes are, against the emulator answering every request after L seconds. Each process creates its
share one after another; all start together. Three clients, side by side in one run:

- bare: a token, then one ``POST /v3/workflows/{id}/jobs`` per creation (``requests``, nothing else);
- provider: ``AlteryxServerHook().run_workflow``, creations taking turns through this machine's store;
- provider+redis: the same through Debian's Redis (``coordination_conn_id``), as hosts that share no disk.

It prints the wall time (first start to last answer), the slowest single creation, and each provider's
ratio to the bare client at every P. It exits non-zero when a run lost, duplicated or mixed up a job.

    .venv/bin/python -m bench.creation [--creations 60] [--processes 1 5 20] [--latency 0.2]
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

# The hook logs each creation; the report is the table at the end.
os.environ.setdefault("AIRFLOW__LOGGING__LOGGING_LEVEL", "ERROR")

import requests

from airflow_provider_alteryx.emulator import RunningEmulator
from airflow_provider_alteryx.hooks.alteryx import AlteryxServerHook
from airflow_provider_alteryx.hooks.transport import TRANSPORT
from dev.demo import emulator
from dev.stack import redis

WORKFLOW = "00000000000000000000c001"  # bench/soak_catalogue.yaml: one text question, ``run``
CATALOGUE = Path(__file__).with_name("soak_catalogue.yaml")
CONN_IDS = {"provider": "alteryx_bench_local", "provider+redis": "alteryx_bench_redis"}
REDIS_CONN_ID = "alteryx_bench_turns"
CLIENTS = ("bare", *CONN_IDS)

# One creation in a child process: the run's question answer in, the id of the job created for it out.
Create = Callable[[str], str]


@dataclass(frozen=True)
class Result:
    """One client's round at one P: wall time, slowest creation, and what the Server holds afterwards."""

    wall: float
    slowest: float
    failures: int
    bad_jobs: int  # lost, duplicated or attributed to another run


def bare_client(server: RunningEmulator) -> Create:
    """A token once per process, then one POST per creation: the least any client can send."""
    session = requests.Session()
    token = session.post(
        f"{server.url}/webapi/oauth2/token",
        data={
            "grant_type": "client_credentials",
            "client_id": server.api_key,
            "client_secret": server.api_secret,
        },
        timeout=30,
    ).json()["access_token"]
    session.headers["Authorization"] = f"Bearer {token}"

    def create(run: str) -> str:
        answer = session.post(
            f"{server.url}/webapi/v3/workflows/{WORKFLOW}/jobs",
            json={"questions": [{"name": "run", "value": run}], "priority": "Default"},
            timeout=30,
        )
        answer.raise_for_status()
        return str(answer.json()["id"])

    return create


def provider_client(conn_id: str) -> Create:
    def create(run: str) -> str:
        return AlteryxServerHook(conn_id).run_workflow(WORKFLOW, {"run": run}).id

    return create


def creator(client: str, server: RunningEmulator, runs: list[str], start: Any, results: Any) -> None:
    """A forked child's part of a round: its runs one after another, each answer put on ``results``."""
    TRANSPORT.reset()  # a task process starts with nothing of its parent's: no token, no store
    create = bare_client(server) if client == "bare" else provider_client(CONN_IDS[client])
    start.wait()
    for run in runs:
        began = time.monotonic()
        try:
            job_id = create(run)
        except Exception as error:  # counted and reported: what the bench is for
            results.put((run, None, f"{type(error).__name__}: {error}", began, time.monotonic()))
        else:
            results.put((run, job_id, "", began, time.monotonic()))


def one_round(client: str, server: RunningEmulator, creations: int, processes: int) -> Result:
    context = multiprocessing.get_context("fork")
    tag = f"{client}-{processes}-{time.monotonic_ns()}"
    runs = [f"{tag}/{i}" for i in range(creations)]
    start, results = context.Barrier(processes + 1), context.Queue()
    children = [
        context.Process(target=creator, args=(client, server, runs[i::processes], start, results))
        for i in range(processes)
    ]
    for child in children:
        child.start()
    start.wait()
    answers = [results.get(timeout=600) for _ in runs]
    for child in children:
        child.join(timeout=60)
    failures = [error for _, _, error, _, _ in answers if error]
    for error in failures[:3]:
        print(f"    {client} failure: {error[:300]}", flush=True)
    return Result(
        wall=max(end for *_, end in answers) - min(began for *_, began, _ in answers),
        slowest=max(end - began for *_, began, end in answers),
        failures=len(failures),
        bad_jobs=bad_jobs(server, {run: job_id for run, job_id, *_ in answers if job_id}, runs),
    )


def bad_jobs(server: RunningEmulator, created: dict[str, str], runs: list[str]) -> int:
    """Runs without exactly one job, plus answers naming a job created for another run."""
    wanted = set(runs)
    jobs = [job for job in server.jobs() if job["questions"].get("run") in wanted]
    per_run = Counter(job["questions"]["run"] for job in jobs)
    run_of = {job["id"]: job["questions"]["run"] for job in jobs}
    return sum(per_run[run] != 1 for run in runs) + sum(
        run_of.get(job) != run for run, job in created.items()
    )


@contextmanager
def servers(latency: float) -> Iterator[RunningEmulator]:
    """The emulator (answering after ``latency`` s) and Redis, with the connections the provider clients use."""
    with ExitStack() as stack:
        server = stack.enter_context(emulator(port=0, catalogue=CATALOGUE, workers=64))
        broker = urlsplit(
            stack.enter_context(redis(Path(stack.enter_context(tempfile.TemporaryDirectory()))))
        )
        server.set_faults(latency=latency)
        local = json.loads(server.connection())
        shared = {**local, "extra": {**local["extra"], "coordination_conn_id": REDIS_CONN_ID}}
        os.environ[f"AIRFLOW_CONN_{CONN_IDS['provider'].upper()}"] = json.dumps(local)
        os.environ[f"AIRFLOW_CONN_{CONN_IDS['provider+redis'].upper()}"] = json.dumps(shared)
        os.environ[f"AIRFLOW_CONN_{REDIS_CONN_ID.upper()}"] = json.dumps(
            {"conn_type": "redis", "host": broker.hostname, "port": broker.port}
        )
        yield server


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--creations", type=int, default=60)
    parser.add_argument("--processes", type=int, nargs="+", default=[1, 5, 20])
    parser.add_argument("--latency", type=float, default=0.2)
    args = parser.parse_args()
    print(
        f"Creation: {args.creations} creations of one workflow from P processes, Server answering in {args.latency:g} s"
    )
    bad = 0
    with servers(args.latency) as server:
        print(
            f"{'P':>3} {'client':<15} {'wall s':>7} {'slowest s':>10} {'x bare':>7} {'failed':>7} {'bad jobs':>9}"
        )
        for processes in args.processes:
            results = {client: one_round(client, server, args.creations, processes) for client in CLIENTS}
            for client, result in results.items():
                ratio = result.wall / results["bare"].wall
                print(
                    f"{processes:>3} {client:<15} {result.wall:>7.1f} {result.slowest:>10.1f} {ratio:>7.1f}"
                    f" {result.failures:>7} {result.bad_jobs:>9}",
                    flush=True,
                )
                bad += result.failures + result.bad_jobs
    print("RESULT:", "ok" if bad == 0 else "FAILED")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
