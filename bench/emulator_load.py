"""How many concurrent polling clients the emulator serves on this machine, measured side by side.

Starts the emulator in its own process (as ``make demo`` does), creates one long-running job, then
for each client count opens that many connections, each polling ``GET /webapi/v3/jobs/{id}`` with
a bearer token as a trigger would, for a fixed time. Prints throughput, latency and errors per
count, and the ratio of each count's throughput to the smallest one's.

    .venv/bin/python bench/emulator_load.py [--clients 100 1000] [--seconds 10]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import aiohttp

SLOW_WORKFLOW = "6a1f0c2b3d4e5f60718293a7"  # Regional sales; slowed down with --time-scale below


@dataclass
class Round:
    clients: int
    requests: int
    errors: int
    seconds: float
    latencies: list[float]

    @property
    def per_second(self) -> float:
        return self.requests / self.seconds

    def percentile(self, share: float) -> float:
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(share * len(ordered)))] * 1000 if ordered else float("nan")


async def poll(
    session: aiohttp.ClientSession, url: str, headers: dict[str, str], until: float, result: Round
) -> None:
    while time.monotonic() < until:
        started = time.monotonic()
        try:
            async with session.get(url, headers=headers) as answer:
                await answer.read()
                ok = answer.status == 200
        except (TimeoutError, aiohttp.ClientError):
            ok = False
        result.latencies.append(time.monotonic() - started)
        result.requests += 1
        result.errors += 0 if ok else 1


async def measure(base: str, clients: int, seconds: float) -> Round:
    form = {
        "grant_type": "client_credentials",
        "client_id": "emulator-key",
        "client_secret": "emulator-secret",
    }
    connector = aiohttp.TCPConnector(limit=0)  # one connection per client, all open at once
    async with aiohttp.ClientSession(connector=connector, timeout=aiohttp.ClientTimeout(total=60)) as session:
        async with session.post(f"{base}/webapi/oauth2/token", data=form) as answer:
            headers = {"Authorization": f"Bearer {(await answer.json())['access_token']}"}
        async with session.post(
            f"{base}/webapi/v3/workflows/{SLOW_WORKFLOW}/jobs",
            json={"questions": [{"name": "region", "value": "EMEA"}]},
            headers=headers,
        ) as answer:
            job_id = (await answer.json())["id"]
        result = Round(clients, 0, 0, seconds, [])
        until = time.monotonic() + seconds
        await asyncio.gather(
            *(
                poll(session, f"{base}/webapi/v3/jobs/{job_id}", headers, until, result)
                for _ in range(clients)
            )
        )
        return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, nargs="+", default=[100, 1000])
    parser.add_argument("--seconds", type=float, default=10.0)
    args = parser.parse_args()
    emulator = subprocess.Popen(
        [
            str(Path(sys.executable).with_name("alteryx-server-emulator")),
            "--port",
            "0",
            "--time-scale",
            "1000",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert emulator.stdout is not None
        base = emulator.stdout.readline().strip().rsplit(" ", 1)[1]
        rounds = [asyncio.run(measure(base, clients, args.seconds)) for clients in args.clients]
    finally:
        emulator.terminate()
        emulator.wait(timeout=30)
    print(
        f"Emulator under concurrent polling, {args.seconds:g} s per round, emulator and load generator on this {sys.platform} machine"
    )
    print(
        f"{'clients':>8}{'requests':>10}{'req/s':>9}{'p50 ms':>9}{'p99 ms':>9}{'errors':>8}{'req/s vs first':>16}"
    )
    for r in rounds:
        print(
            f"{r.clients:>8}{r.requests:>10}{r.per_second:>9.0f}{r.percentile(0.5):>9.1f}{r.percentile(0.99):>9.1f}{r.errors:>8}{r.per_second / rounds[0].per_second:>16.2f}"
        )
    print(
        f"mean latency at {rounds[-1].clients} clients: {statistics.fmean(rounds[-1].latencies) * 1000:.1f} ms"
    )
    return 1 if any(r.errors for r in rounds) else 0


if __name__ == "__main__":
    sys.exit(main())
