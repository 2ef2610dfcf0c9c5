"""Running the emulator: from the command line, or in-process on a thread for tests and benchmarks."""

from __future__ import annotations

import argparse
import asyncio
import json
import signal
import sys
import textwrap
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any

import requests
from aiohttp import web

from airflow_provider_alteryx import __version__
from airflow_provider_alteryx.emulator.app import Emulator
from airflow_provider_alteryx.emulator.catalogue import CatalogueError, default_catalogue_path, load_catalogue
from airflow_provider_alteryx.emulator.config import (
    DEFAULT_API_KEY,
    DEFAULT_API_SECRET,
    DEFAULT_ARTISAN_KEY,
    DEFAULT_ARTISAN_SECRET,
    EmulatorConfig,
    Role,
)
from airflow_provider_alteryx.emulator.faults import Faults, FaultSpec, Phase, fault_specs
from airflow_provider_alteryx.emulator.schedules import load_schedules
from airflow_provider_alteryx.emulator.variants import Variants, variant_specs
from airflow_provider_alteryx.emulator.versions import LATEST, SERVER_VERSIONS, server_version


@dataclass
class RunningEmulator:
    """A running emulator: where it listens, its credentials, and its control endpoints."""

    url: str
    api_key: str
    api_secret: str = field(repr=False)
    server_version: str
    artisan_key: str = DEFAULT_ARTISAN_KEY
    artisan_secret: str = field(default=DEFAULT_ARTISAN_SECRET, repr=False)

    def connection(self, auth_type: str | None = None, *, role: Role | None = None) -> str:
        """An Airflow connection to this emulator, as JSON for an ``AIRFLOW_CONN_...`` variable.

        :param auth_type: ``oauth1`` or ``oauth2``; by default OAuth 2.0 where the Server version has it.
        :param role: ``Role.ARTISAN`` for the Artisan's key; by default the main key (a Curator unless configured otherwise).
        :return: the connection as JSON.
        """
        chosen = auth_type or ("oauth1" if self.server_version == "2021.3" else "oauth2")
        key, secret = (
            (self.artisan_key, self.artisan_secret)
            if role is Role.ARTISAN
            else (self.api_key, self.api_secret)
        )
        return json.dumps(
            {
                "conn_type": "alteryx",
                "host": self.url,
                "login": key,
                "password": secret,
                "extra": {"auth_type": chosen},
            }
        )

    def jobs(self) -> list[dict[str, Any]]:
        """Every job ever created, oldest first, as ``GET /__emulator/jobs`` lists them."""
        return self._control("GET", "jobs")["jobs"]

    def info(self) -> dict[str, Any]:
        """Version, capabilities, workers, time scale, variants, workflows, and counters since the emulator started
        (a reset keeps them): ``requestsServed`` (API requests received, faulted ones included), ``tokensIssued``,
        ``jobsCreated`` and ``faultsInjected`` (by fault name).

        :return: the ``GET /__emulator/info`` answer.
        """
        return self._control("GET", "info")

    def set_faults(self, **faults: float | str) -> dict[str, Any]:
        """Change some faults at run time (``PUT /__emulator/faults``), e.g. ``set_faults(error_after_rate=0.2, scope="create")``.

        :return: every fault's value after the change.
        :raises requests.HTTPError: 400 naming an unknown fault or a bad value.
        """
        return self._control("PUT", "faults", json=faults)

    def reset(self) -> None:
        """Forget every job, token, nonce and fault, as a Server restarted without its state would."""
        self._control("POST", "reset")

    def _control(self, method: str, path: str, **kwargs: Any) -> Any:
        response = requests.request(method, f"{self.url}/__emulator/{path}", timeout=10, **kwargs)
        response.raise_for_status()
        return response.json()


# Clients can leave keep-alive connections open: a short shutdown timeout keeps stops prompt.
SHUTDOWN_TIMEOUT = 1.0


async def _started(
    app: web.Application, host: str, port: int, shutdown_timeout: float
) -> tuple[web.AppRunner, str]:
    runner = web.AppRunner(app, access_log=None, shutdown_timeout=shutdown_timeout)
    await runner.setup()
    site = web.TCPSite(runner, host, port, backlog=2048)
    await site.start()
    bound = runner.addresses[0]
    return runner, f"http://{host}:{bound[1]}"


@contextmanager
def serving(
    make_app: Callable[[], web.Application],
    name: str,
    *,
    host: str = "127.0.0.1",
    port: int = 0,
    shutdown_timeout: float = SHUTDOWN_TIMEOUT,
) -> Iterator[str]:
    """The app ``make_app()`` makes, served on a thread and event loop of its own (both ``name``) for the ``with``
    block: its URL. The emulator runs so, and so do the tests' own proxies and fake Servers.

    :param make_app: called on the serving loop, so what the app makes belongs to that loop.
    :param port: 0 picks a free port; read it from the URL.
    :param shutdown_timeout: how long a request still in flight may delay the end (a trickling answer must
        not hold up the caller).
    """
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, name=name, daemon=True)
    thread.start()

    async def start() -> tuple[web.AppRunner, str]:
        return await _started(make_app(), host, port, shutdown_timeout)

    runner, url = asyncio.run_coroutine_threadsafe(start(), loop).result(timeout=30)
    try:
        yield url
    finally:
        asyncio.run_coroutine_threadsafe(runner.cleanup(), loop).result(timeout=30)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout=30)
        loop.close()


@contextmanager
def run_emulator(
    config: EmulatorConfig | None = None, *, host: str = "127.0.0.1", port: int = 0
) -> Iterator[RunningEmulator]:
    """Run an emulator on its own thread and event loop for the duration of the ``with`` block.

    :param config: the Server to emulate; the bundled demo catalogue on the latest version when None.
    :param port: 0 picks a free port; read it from the yielded ``url``.
    """
    emulated = config or EmulatorConfig(workflows=load_catalogue())
    with serving(lambda: Emulator(emulated).app(), "alteryx-emulator", host=host, port=port) as url:
        yield RunningEmulator(
            url=url,
            api_key=emulated.api_key,
            api_secret=emulated.api_secret,
            server_version=emulated.server_version,
            artisan_key=emulated.artisan_key,
            artisan_secret=emulated.artisan_secret,
        )


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="alteryx-server-emulator",
        description="Serve the Alteryx Server REST API of one Server version for local development and tests.",
        epilog=_epilog(),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default: %(default)s)")
    parser.add_argument(
        "--port", type=int, default=8585, help="port to listen on; 0 picks a free one (default: %(default)s)"
    )
    parser.add_argument(
        "--catalogue",
        metavar="FILE",
        help=f"workflows to serve, YAML or JSON (default: the bundled {default_catalogue_path().name})",
    )
    parser.add_argument(
        "--server-version",
        choices=SERVER_VERSIONS,
        default=LATEST,
        help="Server version to emulate (default: %(default)s)",
    )
    parser.add_argument(
        "--state",
        metavar="FILE",
        type=Path,
        help="keep jobs and tokens in FILE, so a restarted emulator carries on with them",
    )
    parser.add_argument("--seed", type=int, help="seed for fault injection, for repeatable runs")
    parser.add_argument(
        "--token-ttl",
        type=_positive_float,
        default=3600.0,
        metavar="SECONDS",
        help="OAuth 2.0 token lifetime (default: %(default)s)",
    )
    _add_user_flags(parser.add_argument_group("keys and roles", _paragraph(Role.__doc__ or "")))
    _add_queue_flags(parser.add_argument_group("workers and the job queue"))
    _add_variant_flags(
        parser.add_argument_group(
            "behaviours the public sources leave open",
            _paragraph(
                "Where real Servers may answer one way or another, these choose; each default is what the emulator "
                "did before the choice existed, or the likelier reading. GET /__emulator/info lists the ones in force."
            ),
        )
    )
    _add_fault_flags(
        parser.add_argument_group(
            "fault injection (also settable at run time with PUT /__emulator/faults)",
            _paragraph(
                "'before' faults act before the request is processed (nothing happens on the Server); "
                "'after' faults act once it was processed (a job was created), replacing or losing the answer."
            ),
        )
    )
    return parser


def _add_user_flags(users: argparse._ArgumentGroup) -> None:
    users.add_argument(
        "--api-key", default=DEFAULT_API_KEY, help="API key clients use (default: %(default)s)"
    )
    users.add_argument(
        "--api-secret", default=DEFAULT_API_SECRET, help="API secret clients use (default: %(default)s)"
    )
    users.add_argument(
        "--role",
        type=Role,
        choices=list(Role),
        default=Role.CURATOR,
        help="role of the --api-key user (default: %(default)s)",
    )
    users.add_argument(
        "--artisan-key",
        default=DEFAULT_ARTISAN_KEY,
        help="API key of a second user, an Artisan (default: %(default)s)",
    )
    users.add_argument(
        "--artisan-secret",
        default=DEFAULT_ARTISAN_SECRET,
        help="API secret of the Artisan (default: %(default)s)",
    )


def _add_queue_flags(queue: argparse._ArgumentGroup) -> None:
    queue.add_argument(
        "--workers",
        type=_positive_int,
        default=2,
        help="worker slots: jobs that may run at once (default: %(default)s)",
    )
    queue.add_argument(
        "--worker-tags",
        type=_tags,
        default=(),
        metavar="TAG[,TAG]",
        help="tags the workers carry; a job tagged otherwise stays Queued for ever (default: none)",
    )
    queue.add_argument(
        "--time-scale",
        type=_positive_float,
        default=1.0,
        metavar="F",
        help="multiplies every simulated duration (default: %(default)s)",
    )
    queue.add_argument(
        "--created-seconds",
        type=_non_negative_float,
        default=0.0,
        metavar="S",
        help="a new job is Created for S seconds before Queued",
    )
    queue.add_argument(
        "--initializing-seconds",
        type=_non_negative_float,
        default=0.0,
        metavar="S",
        help="a job given a slot is Initializing for S seconds",
    )
    queue.add_argument(
        "--cancel-after",
        type=_positive_float,
        metavar="S",
        help="worker setting 'cancel jobs running longer than S seconds': such a job ends status Cancelled, disposition Cancelled (an assumption)",
    )
    queue.add_argument(
        "--background-load",
        type=_non_negative_int,
        default=0,
        metavar="N",
        help="N other users' jobs always waiting or running (default: 0)",
    )
    queue.add_argument(
        "--background-seconds",
        type=_positive_float,
        default=10.0,
        metavar="S",
        help="how long each of those runs (default: %(default)s)",
    )
    queue.add_argument(
        "--engine-messages",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="begin and end each run's messages with the engine's own lines (toolId -1), as real jobs do (default: on)",
    )


def _add_variant_flags(variants: argparse._ArgumentGroup) -> None:
    # Generated from the Variants declarations, as the fault flags are from the Faults declarations.
    for name, description in variant_specs():
        default = getattr(Variants(), name)
        shown = ("on" if default else "off") if isinstance(default, bool) else "%(default)s"
        variants.add_argument(
            "--" + name.replace("_", "-"),
            default=default,
            help=f"{description} (default: {shown})",
            **_variant_reading(default),
        )


def _variant_reading(default: bool | int | StrEnum) -> dict[str, Any]:
    """How a variant's flag reads its value, from the type of its default."""
    if isinstance(default, bool):
        return {"action": argparse.BooleanOptionalAction}
    if isinstance(default, StrEnum):
        return {"type": _choice(type(default)), "metavar": "|".join(type(default))}
    return {"type": _positive_int, "metavar": "N"}


def _add_fault_flags(faults: argparse._ArgumentGroup) -> None:
    # Generated from the Faults declarations, so a new fault is a flag without touching this.
    for name, spec in fault_specs():
        default = getattr(Faults(), name)
        phase = "" if spec.phase is Phase.SETTING else f" [{spec.phase}]"
        faults.add_argument(
            "--" + name.replace("_", "-"),
            type=_fault_value(name, spec),
            default=default,
            metavar=spec.unit.name,
            help=f"{spec.help}{phase} (default: %(default)s)",
        )


def _paragraph(text: str) -> str:
    # The help keeps descriptions as written (for the epilog's table), so paragraphs are wrapped here.
    return textwrap.fill(" ".join(text.replace("``", "").split()), width=100)


def _epilog() -> str:
    versions = "\n".join(
        f"  {v}: " + "; ".join(sorted(c.value for c in server_version(v).capabilities))
        for v in SERVER_VERSIONS
    )
    return (
        f"Server versions and what each serves:\n{versions}\n\n"
        "As real Servers do: creating a job answers status Queued; a job is then Created, Queued (until a worker\n"
        "slot whose tags match frees), Initializing, Running, and Completed (outcome in disposition) or Cancelled.\n"
        "Legacy and /webapi/v1 answers give priority as an integer and appId null; questions there use the key\n"
        "'type'. The legacy subscription list gives packageType as an integer (0 app, 1 workflow, 2 macro).\n"
        "The catalogue takes short question types (text, number, boolean, checkbox, radio, dropdown, list, date)\n"
        "or the Server's own (QuestionTextBox, QuestionListBox, ...), and items for list and dropdown questions."
    )


def _fault_value(name: str, spec: FaultSpec) -> Any:
    def convert(text: str) -> float | int | str:
        try:
            return spec.parse(name, text)
        except ValueError as error:
            raise argparse.ArgumentTypeError(str(error)) from None

    return convert


def _choice(kind: type[StrEnum]) -> Any:
    def convert(text: str) -> StrEnum:
        try:
            return kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not one of {', '.join(kind)}") from None

    return convert


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
_positive_float = _number(float, lambda v: v > 0, "a number > 0")
_non_negative_int = _number(int, lambda v: v >= 0, "a whole number >= 0")
_non_negative_float = _number(float, lambda v: v >= 0, "a number >= 0")


def _tags(text: str) -> tuple[str, ...]:
    return tuple(tag.strip() for tag in text.split(",") if tag.strip())


def config_from_args(args: argparse.Namespace) -> EmulatorConfig:
    return EmulatorConfig(
        workflows=load_catalogue(args.catalogue),
        schedules=load_schedules(args.catalogue),
        server_version=args.server_version,
        api_key=args.api_key,
        api_secret=args.api_secret,
        role=args.role,
        artisan_key=args.artisan_key,
        artisan_secret=args.artisan_secret,
        workers=args.workers,
        worker_tags=args.worker_tags,
        token_ttl=args.token_ttl,
        time_scale=args.time_scale,
        created_seconds=args.created_seconds,
        initializing_seconds=args.initializing_seconds,
        cancel_after=args.cancel_after,
        background_load=args.background_load,
        background_seconds=args.background_seconds,
        engine_messages=args.engine_messages,
        state_file=args.state,
        seed=args.seed,
        faults=Faults(**{name: getattr(args, name) for name, _ in fault_specs()}),
        variants=Variants(**{name: getattr(args, name) for name, _ in variant_specs()}),
    )


async def _serve(config: EmulatorConfig, host: str, port: int) -> None:
    runner, url = await _started(Emulator(config).app(), host, port, SHUTDOWN_TIMEOUT)
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
        parser.exit(
            2, f"alteryx-server-emulator: error: cannot listen on {args.host}:{args.port}: {error.strerror}\n"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
