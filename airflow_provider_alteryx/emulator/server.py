"""Running the emulator: from the command line, or in-process on a thread for tests and benchmarks."""

from __future__ import annotations

import argparse
import asyncio
import json
import signal
import sys
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import requests
from aiohttp import web

from airflow_provider_alteryx import __version__
from airflow_provider_alteryx.emulator.app import (
    DEFAULT_API_KEY,
    DEFAULT_API_SECRET,
    SERVER_VERSIONS,
    Emulator,
    EmulatorConfig,
)
from airflow_provider_alteryx.emulator.catalogue import CatalogueError, default_catalogue_path, load_catalogue
from airflow_provider_alteryx.emulator.faults import Faults


@dataclass
class RunningEmulator:
    """A running emulator: where it listens, its credentials, and its control endpoints."""

    url: str
    api_key: str
    api_secret: str
    server_version: str

    def connection(self, auth_type: str | None = None) -> str:
        """An Airflow connection to this emulator, as JSON for an ``AIRFLOW_CONN_...`` variable.

        :param auth_type: ``oauth1`` or ``oauth2``; by default OAuth 2.0 where the Server version has it.
        """
        chosen = auth_type or ("oauth1" if self.server_version == "2021.3" else "oauth2")
        return json.dumps({"conn_type": "alteryx", "host": self.url, "login": self.api_key, "password": self.api_secret, "extra": {"auth_type": chosen}})

    def jobs(self) -> list[dict[str, Any]]:
        """Every job ever created, oldest first, as ``GET /__emulator/jobs`` lists them."""
        return self._control("GET", "jobs")["jobs"]

    def info(self) -> dict[str, Any]:
        """Version, workers, time scale, workflows, and how many OAuth 2.0 tokens were issued."""
        return self._control("GET", "info")

    def set_faults(self, **faults: float) -> dict[str, Any]:
        return self._control("PUT", "faults", json=faults)

    def reset(self) -> None:
        self._control("POST", "reset")

    def _control(self, method: str, path: str, **kwargs: Any) -> Any:
        response = requests.request(method, f"{self.url}/__emulator/{path}", timeout=10, **kwargs)
        response.raise_for_status()
        return response.json()


async def _start(config: EmulatorConfig, host: str, port: int) -> tuple[web.AppRunner, str]:
    # Keep-alive connections can be left open by clients; a short shutdown timeout keeps stops prompt.
    runner = web.AppRunner(Emulator(config).app(), access_log=None, shutdown_timeout=1.0)
    await runner.setup()
    site = web.TCPSite(runner, host, port, backlog=2048)
    await site.start()
    bound = runner.addresses[0]
    return runner, f"http://{host}:{bound[1]}"


@contextmanager
def run_emulator(config: EmulatorConfig | None = None, *, host: str = "127.0.0.1", port: int = 0) -> Iterator[RunningEmulator]:
    """Run an emulator on its own thread and event loop for the duration of the ``with`` block.

    :param config: the Server to emulate; the bundled demo catalogue on 2025.1 when None.
    :param port: 0 picks a free port; read it from the yielded ``url``.
    """
    config = config or EmulatorConfig(workflows=load_catalogue())
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, name="alteryx-emulator", daemon=True)
    thread.start()
    runner, url = asyncio.run_coroutine_threadsafe(_start(config, host, port), loop).result(timeout=30)
    try:
        yield RunningEmulator(url=url, api_key=config.api_key, api_secret=config.api_secret, server_version=config.server_version)
    finally:
        asyncio.run_coroutine_threadsafe(runner.cleanup(), loop).result(timeout=30)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout=30)
        loop.close()


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="alteryx-server-emulator",
        description="Serve the Alteryx Server REST API of one Server version for local development and tests.",
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default: %(default)s)")
    parser.add_argument("--port", type=int, default=8585, help="port to listen on; 0 picks a free one (default: %(default)s)")
    parser.add_argument("--catalogue", metavar="FILE", help=f"workflows to serve, YAML or JSON (default: the bundled {default_catalogue_path().name})")
    parser.add_argument("--server-version", choices=SERVER_VERSIONS, default="2025.1", help="Server generation to emulate (default: %(default)s)")
    parser.add_argument("--api-key", default=DEFAULT_API_KEY, help="API key clients must use (default: %(default)s)")
    parser.add_argument("--api-secret", default=DEFAULT_API_SECRET, help="API secret clients must use (default: %(default)s)")
    parser.add_argument("--workers", type=_positive_int, default=2, help="jobs that may run at once (default: %(default)s)")
    parser.add_argument("--token-ttl", type=_positive_float, default=3600.0, metavar="SECONDS", help="OAuth 2.0 token lifetime (default: %(default)s)")
    parser.add_argument("--time-scale", type=_positive_float, default=1.0, metavar="F", help="multiplies every workflow's run time (default: %(default)s)")
    parser.add_argument("--seed", type=int, help="seed for fault injection, for repeatable runs")
    faults = parser.add_argument_group("fault injection (also settable at run time with PUT /__emulator/faults)")
    faults.add_argument("--error-rate", type=_probability, default=0.0, help="share of requests answered 500, 502 or 503")
    faults.add_argument("--throttle-rate", type=_probability, default=0.0, help="share of requests answered 429 with Retry-After")
    faults.add_argument("--retry-after", type=_non_negative_float, default=1.0, metavar="SECONDS", help="Retry-After sent with 429 (default: %(default)s)")
    faults.add_argument("--drop-rate", type=_probability, default=0.0, help="share of requests whose connection is dropped unanswered")
    faults.add_argument("--latency", type=_non_negative_float, default=0.0, metavar="SECONDS", help="delay added to every answer")
    faults.add_argument(
        "--drop-job-responses", type=_non_negative_int, default=0, metavar="N", help="the next N job creations create the job but drop the response"
    )
    return parser


def _number(kind: type, check: Any, wanted: str) -> Any:
    def convert(text: str) -> Any:
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not {wanted}") from None
        if not check(value):
            raise argparse.ArgumentTypeError(f"{text!r} is not {wanted}")
        return value

    return convert


_positive_int = _number(int, lambda v: v > 0, "a whole number > 0")
_non_negative_int = _number(int, lambda v: v >= 0, "a whole number >= 0")
_positive_float = _number(float, lambda v: v > 0, "a number > 0")
_non_negative_float = _number(float, lambda v: v >= 0, "a number >= 0")
_probability = _number(float, lambda v: 0 <= v <= 1, "a probability between 0 and 1")


def config_from_args(args: argparse.Namespace) -> EmulatorConfig:
    return EmulatorConfig(
        workflows=load_catalogue(args.catalogue),
        server_version=args.server_version,
        api_key=args.api_key,
        api_secret=args.api_secret,
        workers=args.workers,
        token_ttl=args.token_ttl,
        time_scale=args.time_scale,
        seed=args.seed,
        faults=Faults(
            error_rate=args.error_rate,
            throttle_rate=args.throttle_rate,
            retry_after=args.retry_after,
            drop_rate=args.drop_rate,
            latency=args.latency,
            drop_job_responses=args.drop_job_responses,
        ),
    )


async def _serve(config: EmulatorConfig, host: str, port: int) -> None:
    runner, url = await _start(config, host, port)
    print(f"Alteryx Server emulator {config.server_version} listening on {url}", flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    try:
        await stop.wait()
    finally:
        await runner.cleanup()


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``alteryx-server-emulator`` console script."""
    parser = _parser()
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    args = parser.parse_args(argv)
    try:
        config = config_from_args(args)
    except CatalogueError as error:
        parser.exit(2, f"alteryx-server-emulator: error: bad catalogue: {error}\n")
    try:
        asyncio.run(_serve(config, args.host, args.port))
    except OSError as error:
        parser.exit(2, f"alteryx-server-emulator: error: cannot listen on {args.host}:{args.port}: {error.strerror}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
