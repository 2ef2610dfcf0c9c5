"""Many creations of one workflow at once under a flaky network: never a failure, a duplicate or a wrong job.

Starts the emulator in its own process with faults before and after processing (about 20 % of
requests), a few lost creation answers and a short token lifetime; creates N jobs of one workflow,
C at a time (threads, as mapped tasks in a worker would), each with a unique question value; then
waits for all of them on one event loop, as a triggerer would. Checks the result against the
emulator's own job list and exits non-zero on any failure, duplicate, wrong adoption or lost run.

    .venv/bin/python bench/soak.py [--runs 200] [--concurrency 20] [--token-ttl 20]
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import os
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

# The hook logs every retry and status change; the soak's report is the table at the end.
os.environ.setdefault("AIRFLOW__LOGGING__LOGGING_LEVEL", "ERROR")

from airflow_provider_alteryx.emulator import RunningEmulator
from airflow_provider_alteryx.hooks.alteryx import AlteryxServerHook
from airflow_provider_alteryx.hooks.transport import TRANSPORT
from airflow_provider_alteryx.models import AlteryxJob

WORKFLOW = "00000000000000000000c001"
CONN_ID = "alteryx_soak"
# About 20 % of requests fail: before processing (nothing done on the Server) and after it (done, answer lost).
FAULTS = {
    "error-rate": 0.06,
    "throttle-rate": 0.04,
    "drop-rate": 0.03,
    "error-after-rate": 0.04,
    "drop-after-rate": 0.03,
    "retry-after": 0.2,
    "latency": 0.05,
}


@dataclass
class Outcome:
    created: dict[str, str] = field(default_factory=dict)  # run value -> job id the provider returned
    failures: dict[str, str] = field(default_factory=dict)  # run value -> error
    waited: list[AlteryxJob] = field(default_factory=list)
    wait_failures: list[str] = field(default_factory=list)


def start_emulator(args: argparse.Namespace) -> tuple[subprocess.Popen[str], RunningEmulator]:
    flags = [f"--{name}={value}" for name, value in FAULTS.items()]
    command = [
        *(
            str(Path(sys.executable).with_name("alteryx-server-emulator")),
            "--port",
            "0",
            "--seed",
            "7",
            "--workers",
            "64",
        ),
        *(
            "--catalogue",
            str(Path(__file__).with_name("soak_catalogue.yaml")),
            "--token-ttl",
            str(args.token_ttl),
        ),
        *("--drop-job-responses", str(args.lost_answers), *flags),
    ]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
    assert process.stdout is not None
    url = process.stdout.readline().strip().rsplit(" ", 1)[1]
    emulator = RunningEmulator(
        url=url, api_key="emulator-key", api_secret="emulator-secret", server_version="2025.1"
    )
    os.environ[f"AIRFLOW_CONN_{CONN_ID.upper()}"] = emulator.connection()
    return process, emulator


def create_all(runs: int, concurrency: int, outcome: Outcome) -> None:
    def create(run: str) -> None:
        try:
            outcome.created[run] = AlteryxServerHook(CONN_ID).run_workflow(WORKFLOW, {"run": run}).id
        except Exception as error:  # counted and reported: the soak's whole point
            outcome.failures[run] = f"{type(error).__name__}: {error}"

    with ThreadPoolExecutor(concurrency) as pool:
        list(pool.map(create, (f"run-{i:04d}" for i in range(runs))))


async def wait_all(outcome: Outcome) -> None:
    hook = AlteryxServerHook(CONN_ID)

    async def wait(job_id: str) -> None:
        try:
            outcome.waited.append(await hook.await_job(job_id, poll_interval=1.0, deadline=time.time() + 600))
        except Exception as error:
            outcome.wait_failures.append(f"{job_id}: {type(error).__name__}: {error}")

    try:
        await asyncio.gather(*(wait(job_id) for job_id in outcome.created.values()))
    finally:
        await TRANSPORT.aclose()


def report(
    args: argparse.Namespace, emulator: RunningEmulator, outcome: Outcome, seconds: dict[str, float]
) -> int:
    jobs = emulator.jobs()
    info = emulator.info()
    by_run = collections.Counter(job["questions"].get("run") for job in jobs)
    questions_of = {job["id"]: job["questions"].get("run") for job in jobs}
    duplicates = sum(count - 1 for count in by_run.values() if count > 1)
    wrong = [run for run, job_id in outcome.created.items() if questions_of.get(job_id) != run]
    lost = [f"run-{i:04d}" for i in range(args.runs) if by_run[f"run-{i:04d}"] == 0]
    running = [job["id"] for job in jobs if job["status"] not in ("Completed", "Cancelled")]
    elapsed = sum(seconds.values())
    token_bound = max(1.0, elapsed / (args.token_ttl * 0.75))
    print(
        f"Soak: {args.runs} creations of one workflow, {args.concurrency} at a time, faults {FAULTS}, {args.lost_answers} lost answers, token lifetime {args.token_ttl:g} s"
    )
    rows = [
        ("runs", args.runs),
        ("creation failures", len(outcome.failures)),
        ("wait failures", len(outcome.wait_failures)),
        ("duplicates", duplicates),
        ("wrong adoptions", len(wrong)),
        ("lost runs", len(lost)),
        ("jobs left running", len(running)),
        ("jobs on the Server", len(jobs)),
        ("requests served", info.get("requestsServed")),
        ("faults injected", sum((info.get("faultsInjected") or {}).values())),
        (
            "token requests",
            f"{info.get('tokensIssued')} (one per refresh: {token_bound:.0f}; within 2x: {info.get('tokensIssued', 0) <= 2 * token_bound})",
        ),
        ("seconds", ", ".join(f"{name} {value:.1f}" for name, value in seconds.items())),
    ]
    for name, value in rows:
        print(f"  {name:<20} {value}")
    for run, error in list(outcome.failures.items())[:5]:
        print(f"  failure {run}: {error[:300]}")
    for line in outcome.wait_failures[:5]:
        print(f"  wait failure {line[:300]}")
    bad = (
        len(outcome.failures)
        + len(outcome.wait_failures)
        + duplicates
        + len(wrong)
        + len(lost)
        + len(running)
    )
    print("RESULT:", "ok" if bad == 0 else "FAILED")
    return 1 if bad else 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=200)
    parser.add_argument("--concurrency", type=int, default=20)
    parser.add_argument("--lost-answers", type=int, default=5)
    parser.add_argument("--token-ttl", type=float, default=20.0)
    args = parser.parse_args()
    process, emulator = start_emulator(args)
    outcome = Outcome()
    try:
        started = time.monotonic()
        create_all(args.runs, args.concurrency, outcome)
        created = time.monotonic()
        asyncio.run(wait_all(outcome))
        seconds = {"create": created - started, "wait": time.monotonic() - created}
        return report(args, emulator, outcome, seconds)
    finally:
        process.terminate()
        process.wait(timeout=30)


if __name__ == "__main__":
    sys.exit(main())
