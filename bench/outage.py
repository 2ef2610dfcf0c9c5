"""A Server that is down, with default settings: how long a task holds on, and how many requests it sends.

Each row is the first thing a task does against a connection whose Server is down in one way, run in a
fresh process of its own (no Airflow overhead counted), all rows at once side by side:

- creation, refused: ``AlteryxRunWorkflowOperator(wait_for_completion=False).execute()``, nothing listening;
- creation, 503: the same against a Server answering 503 to everything (the emulator's faults);
- creation, silent: the same against a Server that accepts and never answers (connection ``timeout: 5``);
- creation, TLS stall: the same against an https address whose server accepts and never completes TLS;
- deferred wait, refused: ``AlteryxJobTrigger(...).run()`` until its error event, nothing listening.

Requests are counted at the Server where one listens (requests, or connections for the TLS stall), and
from the retry log where nothing does. The bound each row must keep: ``retry_budget`` (300 s) plus one
request timeout, and at most ``retry_limit`` (10) requests for the step that fails.

    .venv/bin/python bench/outage.py          # about 5 minutes: the rows run in parallel
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

# The retries are what is counted; the rest of Airflow's logging is noise here.
os.environ.setdefault("AIRFLOW__LOGGING__LOGGING_LEVEL", "WARNING")

KINDS = (
    "creation, refused",
    "creation, 503",
    "creation, silent",
    "creation, TLS stall",
    "deferred wait, refused",
)
WORKFLOW = "0000000000000000000000a1"
JOB = "0123456789abcdef01234567"
TIMEOUT = 5.0  # the connection extra of the silent row
BOUND_SECONDS, BOUND_REQUESTS = 330.0, 12
ROW_MARK = "OUTAGE-ROW "  # the child's result line, among the log lines Airflow writes to stdout


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def tls_staller() -> Iterator[tuple[int, Callable[[], int]]]:
    """A TCP server that accepts every connection and never says a word (a TLS handshake never completes)."""
    server = socket.create_server(("127.0.0.1", 0))
    held: list[socket.socket] = []

    def accept() -> None:
        while True:
            try:
                held.append(server.accept()[0])
            except OSError:
                return

    threading.Thread(target=accept, daemon=True).start()
    try:
        yield server.getsockname()[1], lambda: len(held)
    finally:
        server.close()
        for connection in held:
            connection.close()


def use(host: str, key: str = "emulator-key", secret: str = "emulator-secret") -> None:  # noqa: S107 - the emulator's defaults
    os.environ["AIRFLOW_CONN_ALTERYX_DEFAULT"] = json.dumps(
        {
            "conn_type": "alteryx",
            "host": host,
            "login": key,
            "password": secret,
            "extra": {"timeout": TIMEOUT},
        }
    )


def create() -> None:
    from airflow_provider_alteryx.operators.alteryx import AlteryxRunWorkflowOperator

    class NoXCom:
        def xcom_push(self, key: str, value: Any) -> None:
            pass

    operator = AlteryxRunWorkflowOperator(task_id="t", workflow_id=WORKFLOW, wait_for_completion=False)
    operator.execute({"ti": NoXCom()})  # type: ignore[typeddict-item]


def wait_deferred() -> dict[str, Any]:
    from airflow_provider_alteryx.hooks.transport import TRANSPORT
    from airflow_provider_alteryx.triggers.alteryx import AlteryxJobTrigger

    async def first_event() -> dict[str, Any]:
        try:
            return (await anext(AlteryxJobTrigger(job_id=JOB).run())).payload
        finally:
            await TRANSPORT.aclose()

    return asyncio.run(first_event())


def one(kind: str) -> dict[str, Any]:
    """Run one row in this process and report it."""
    from airflow_provider_alteryx.emulator import EmulatorConfig, load_catalogue, run_emulator

    counted: Callable[[], int] | None = None
    started = time.monotonic()
    outcome = "failed"
    try:
        if kind.endswith("refused"):
            use(f"http://127.0.0.1:{free_port()}")
            if kind.startswith("deferred"):
                outcome = f"{wait_deferred()['status']} event"
            else:
                create()
        elif kind.endswith("TLS stall"):
            with tls_staller() as (port, connections):
                use(f"https://127.0.0.1:{port}")
                counted = connections
                started = time.monotonic()
                create()
        else:
            faults = {"error_rate": 1.0, "error_status": 503} if kind.endswith("503") else {"latency": 3600.0}
            with run_emulator(EmulatorConfig(workflows=load_catalogue())) as emulator:
                emulator.set_faults(**faults)
                use(emulator.url)
                served = emulator.info()["requestsServed"]
                started = time.monotonic()
                try:
                    create()
                finally:
                    requests = emulator.info()["requestsServed"] - served
                    counted = lambda: requests  # noqa: E731 - read before the emulator stops
    except Exception as error:  # the failure is the point; its type is reported
        outcome = f"failed: {type(error).__name__}"
    seconds = time.monotonic() - started
    return {
        "kind": kind,
        "seconds": seconds,
        "requests": counted() if counted is not None else None,
        "outcome": outcome,
    }


def _row(output: str) -> dict[str, Any]:
    """A child's row; where nothing listened to count its requests, they are counted from its log: one per
    retry it announced, plus the last try."""
    lines = output.splitlines()
    row: dict[str, Any] = json.loads(
        next(line.removeprefix(ROW_MARK) for line in lines if line.startswith(ROW_MARK))
    )
    row["counted"] = "at the server" if row["requests"] is not None else "from the log"
    if row["requests"] is None:
        row["requests"] = sum("retrying in" in line for line in lines) + 1
    return row


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--one", choices=KINDS, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        print(ROW_MARK + json.dumps(one(args.one)), flush=True)
        return 0
    runs = [
        subprocess.Popen(
            [sys.executable, __file__, "--one", kind],
            stdout=subprocess.PIPE,
            text=True,
            cwd=Path(__file__).parents[1],
        )
        for kind in KINDS
    ]
    rows = [_row(run.communicate()[0]) for run in runs]
    print(
        f"A Server that is down, default hook settings (retry_limit 10, retry_budget 300 s), connection timeout {TIMEOUT:g} s:"
    )
    print(f"  {'what':<26}{'seconds':>9}{'requests':>10}  {'counted':<14} outcome")
    for row in rows:
        print(
            f"  {row['kind']:<26}{row['seconds']:>9.1f}{row['requests']:>10}  {row['counted']:<14} {row['outcome']}"
        )
    kept = all(row["seconds"] <= BOUND_SECONDS and row["requests"] <= BOUND_REQUESTS for row in rows)
    print(
        f"RESULT: {'ok' if kept else 'FAILED'} (every row within {BOUND_SECONDS:g} s and {BOUND_REQUESTS} requests)"
    )
    return 0 if kept else 1


if __name__ == "__main__":
    sys.exit(main())
