"""Many AlteryxJobTriggers on one event loop, as in a triggerer, against a naive poller, side by side.

Both wait for the same N running jobs, polling each every ``--poll`` seconds until they finish:
- provider: N ``AlteryxJobTrigger.run()`` on one loop (shared token cache and connection pool);
- naive: per poll a new ``aiohttp`` session and a new token, as clients that keep no state do.
Prints wall time, token requests and the ratios.

    .venv/bin/python bench/trigger_fanout.py [--jobs 200] [--poll 0.5]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import time
from pathlib import Path

import aiohttp

from airflow_provider_alteryx.emulator import EmulatorConfig, RunningEmulator, load_catalogue, run_emulator
from airflow_provider_alteryx.hooks.alteryx import AlteryxServerHook
from airflow_provider_alteryx.hooks.transport import TRANSPORT
from airflow_provider_alteryx.triggers.alteryx import AlteryxJobTrigger

QUICK = "6a1f0c2b3d4e5f60718293a4"  # Extract orders: 2 s, scaled by --time-scale


async def provider(job_ids: list[str], poll: float) -> None:
    async def wait(job_id: str) -> None:
        async for event in AlteryxJobTrigger(job_id=job_id, poll_interval=poll).run():
            assert event.payload["status"] == "success", event.payload

    try:
        await asyncio.gather(*(wait(job_id) for job_id in job_ids))
    finally:
        await TRANSPORT.aclose()


async def naive(emulator: RunningEmulator, job_ids: list[str], poll: float) -> None:
    form = {
        "grant_type": "client_credentials",
        "client_id": emulator.api_key,
        "client_secret": emulator.api_secret,
    }

    async def wait(job_id: str) -> None:
        while True:
            async with aiohttp.ClientSession() as session:
                async with session.post(f"{emulator.url}/webapi/oauth2/token", data=form) as answer:
                    token = (await answer.json())["access_token"]
                async with session.get(
                    f"{emulator.url}/webapi/v3/jobs/{job_id}", headers={"Authorization": f"Bearer {token}"}
                ) as answer:
                    if (await answer.json())["status"] == "Completed":
                        return
            await asyncio.sleep(poll)

    await asyncio.gather(*(wait(job_id) for job_id in job_ids))


def start_jobs(emulator: RunningEmulator, count: int) -> list[str]:
    hook = AlteryxServerHook()
    return [hook.run_workflow(QUICK).id for _ in range(count)]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=200)
    parser.add_argument("--poll", type=float, default=0.5)
    args = parser.parse_args()
    config = EmulatorConfig(
        workflows=load_catalogue(), workers=args.jobs, time_scale=2.5
    )  # every job runs 5 s, all at once
    results = {}
    with run_emulator(config) as emulator:
        os.environ["AIRFLOW_CONN_ALTERYX_DEFAULT"] = emulator.connection()
        for name in ("provider", "naive"):
            job_ids = start_jobs(emulator, args.jobs)
            TRANSPORT.tokens.clear()  # the provider path starts cold too: its one token request counts
            tokens_before, started, cpu = (
                emulator.info()["tokensIssued"],
                time.monotonic(),
                time.process_time(),
            )
            asyncio.run(
                provider(job_ids, args.poll) if name == "provider" else naive(emulator, job_ids, args.poll)
            )
            results[name] = (
                time.monotonic() - started,
                time.process_time() - cpu,
                emulator.info()["tokensIssued"] - tokens_before,
            )
    print(
        f"{args.jobs} jobs of 5 s each, polled every {args.poll:g} s, on one event loop ({Path(sys.executable).name})"
    )
    print(f"{'path':<10}{'wall s':>8}{'CPU s (client + emulator)':>27}{'token requests':>16}")
    for name, (wall, cpu, tokens) in results.items():
        print(f"{name:<10}{wall:>8.2f}{cpu:>27.2f}{tokens:>16}")
    (_, provider_cpu, provider_tokens), (_, naive_cpu, naive_tokens) = results["provider"], results["naive"]
    print(
        f"naive / provider: CPU x{naive_cpu / provider_cpu:.2f}, token requests x{naive_tokens / max(provider_tokens, 1):.0f}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
