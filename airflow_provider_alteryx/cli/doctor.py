"""``alteryx-airflow doctor --conn-id ID``: what a Server answers through an Airflow connection, and what that
means for DAGs, within seconds.

It reads (:mod:`~airflow_provider_alteryx.cli.server_probe` says what it asks) and reports, each finding
with what it means for DAGs and the fix: which authentication works and how long tokens last; which
API generations answer and the Server version that implies; whether V3 cancel exists; whether the key
is a Curator's; the clock skew; TLS and proxy; how many workflows the key sees. ``--run WORKFLOW_ID``
also runs one job end to end, ``--cancel`` cancelling it right after its creation.

Then it asks an emulator of the version found the same questions, in this process, and prints where the
Server's answers differ in shape from the emulator's and from what the provider reads. ``--report FILE``
writes the findings and the shapes as JSON (:mod:`~airflow_provider_alteryx.cli.answer_shapes`: keys
and types, no value, ids as short hashes), fit to attach to a bug report.
"""

from __future__ import annotations

import argparse
import json
import sys
import textwrap
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from airflow_provider_alteryx import __version__
from airflow_provider_alteryx.cli.answer_shapes import differences, missing_from, short_hash
from airflow_provider_alteryx.cli.findings import (
    Finding,
    Level,
    Proxies,
    emulator_finding,
    expectation_finding,
    proxy_finding,
    server_findings,
    tls_finding,
    unreadable_finding,
)
from airflow_provider_alteryx.cli.server_verdict import Role, Verdict, verdict_of
from airflow_provider_alteryx.utils.scrub import scrub
from airflow_provider_alteryx.utils.server_text import display

if TYPE_CHECKING:
    from airflow_provider_alteryx.cli.answer_shapes import Shape
    from airflow_provider_alteryx.cli.server_probe import Examination, Plan
    from airflow_provider_alteryx.emulator import RunningEmulator
    from airflow_provider_alteryx.hooks.config import ServerConfig


EXIT_HEALTHY = 0
EXIT_PROBLEMS = 1  # a finding is a problem: DAGs on this connection will fail
EXIT_ERROR = 2  # nothing examined: bad arguments, or a connection missing or wrong
# The emulator's jobs run this much faster than their catalogue says: the comparison waits for one.
EMULATOR_TIME_SCALE = 0.01
# Swagger paths of the APIs the provider and the emulator serve; the Server lists many more (users, credentials...).
COMPARED_PATHS = ("/v3/jobs", "/v3/workflows", "/v3/schedules")
# Calls whose statuses depend on the Server's version and the key's role alone, not on the workflow or job asked
# about (the emulator runs a workflow of its own): where the Server's and the emulator's statuses are compared.
STATUS_COMPARED = frozenset(
    {
        "token POST /oauth2/token",
        "legacy GET /workflows/subscription",
        "v1 GET /workflows/subscription",
        "v3 GET /workflows",
        "v3 GET /workflows/{id}/jobs",
        "v3 GET /jobs",
        "v3 GET /jobs/{id}/messages",
    }
)
# What the provider reads of each answer (models.py, hooks/auth.py, hooks/api.py), by method and path.
_JOB_ITEM: dict[str, Any] = {"id": "str", "status": "str"}
EXPECTED: dict[str, Any] = {
    "POST /oauth2/token": {"access_token": "str", "expires_in?": "number|str"},
    "GET /workflows/subscription": [{"id": "str", "metaInfo": {"name": "str"}}],
    "GET /workflows": [{"id": "str", "name": "str"}],
    "GET /workflows/{id}": {"id": "str", "name": "str"},
    "GET /workflows/{id}/questions": [{"name": "str"}],
    "GET /workflows/{id}/jobs": [_JOB_ITEM],
    "POST /workflows/{id}/jobs": _JOB_ITEM,
    "GET /jobs/{id}": {
        **_JOB_ITEM,
        "disposition": "null|str",
        "outputs": [{"id": "str"}],
        "messages": [{"status": "number|str", "text": "str"}],
    },
    "GET /jobs": {"data": [{"jobId": "str", "status": "str"}]},
}


def expectation_differences(found: Examination) -> list[str]:
    """Where answers lack what the provider reads (``EXPECTED``)."""
    lines = []
    for call, answer in sorted(found.answers.items()):
        expected = EXPECTED.get(call.split(" ", 1)[1])
        if expected is not None and answer.shape is not None:
            lines += [f"{call}: {difference}" for difference in missing_from(expected, answer.shape)]
    return lines


def emulate(found: Examination, verdict: Verdict, plan: Plan) -> Examination | str:
    """The same questions asked of an emulator of the version found, in this process; or why they were not."""
    if verdict.version is None:
        return "the Server's version could not be told"
    try:
        from airflow_provider_alteryx.emulator import EmulatorConfig, load_catalogue, run_emulator
        from airflow_provider_alteryx.emulator import Role as UserRole

        workflows = load_catalogue()
    except ModuleNotFoundError as missing:
        return str(missing)
    # A workflow that runs without answers: the emulator's job stands in for the Server's.
    seed = next(w.id for w in workflows if all(q.default or not q.required for q in w.questions))
    role = UserRole.ARTISAN if verdict.role is Role.OTHER else UserRole.CURATOR
    config = EmulatorConfig(
        workflows=workflows, server_version=verdict.version, role=role, time_scale=EMULATOR_TIME_SCALE
    )
    with run_emulator(config) as emulator:
        return _ask_emulator(emulator, found, plan, seed)


def _ask_emulator(emulator: RunningEmulator, found: Examination, plan: Plan, seed: str) -> Examination | str:
    from airflow_provider_alteryx.cli.server_probe import Plan, examine
    from airflow_provider_alteryx.hooks.config import ServerConfig
    from airflow_provider_alteryx.hooks.transport import TRANSPORT
    from airflow_provider_alteryx.validation import MIN_POLL_INTERVAL

    config = ServerConfig.from_connection(
        "emulator",
        host=emulator.url,
        port=None,
        login=emulator.api_key,
        password=emulator.api_secret,
        extra={"auth_type": found.config.auth_type},
    )
    if TRANSPORT.proxy(config) is not None:
        return "the environment's proxy variables send requests for 127.0.0.1 through the proxy; add 127.0.0.1 to NO_PROXY"
    schemes = frozenset(scheme for scheme, error in found.auth.items() if error is None)
    return examine(
        config, Plan(workflow_id=seed, cancel=plan.cancel, schemes=schemes, poll_interval=MIN_POLL_INTERVAL)
    )


def emulator_differences(found: Examination, emulated: Examination) -> list[str]:
    """Where the Server's answers differ from the emulator's: statuses, shapes, and the V3 operations listed."""
    names = ("the Server", "the emulator")
    lines = []
    for call in sorted(found.answers.keys() & emulated.answers.keys()):
        ours, theirs = found.answers[call], emulated.answers[call]
        if call in STATUS_COMPARED and ours.statuses != theirs.statuses:
            lines.append(
                f"{call}: answered {_statuses(ours.statuses)} by the Server, {_statuses(theirs.statuses)} by the emulator"
            )
        if ours.shape is not None and theirs.shape is not None:
            lines += [f"{call}: {difference}" for difference in differences(ours.shape, theirs.shape, names)]
    if found.swagger is not None and emulated.swagger is not None:
        lines += [
            f"Swagger: only the Server lists {op}"
            for op in sorted(_compared(found.swagger - emulated.swagger))
        ]
        lines += [
            f"Swagger: only the emulator lists {op}"
            for op in sorted(_compared(emulated.swagger - found.swagger))
        ]
    return lines


def _compared(operations: frozenset[str]) -> list[str]:
    return [op for op in operations if op.split(" ", 1)[1].startswith(COMPARED_PATHS)]


def _statuses(statuses: set[int | None]) -> str:
    return "/".join(
        str(status) if status is not None else "no answer" for status in sorted(statuses, key=str)
    )


@dataclass
class Diagnosis:
    """Everything one run of the doctor found, printable and reportable."""

    conn_id: str
    config: ServerConfig
    verdict: Verdict
    findings: list[Finding]
    answers: dict[str, Any]
    swagger: list[str] | None
    provider_differences: list[str]
    emulator_differences: list[str] | str
    seconds: float = 0.0
    notes: list[str] = field(default_factory=list)

    @property
    def healthy(self) -> bool:
        return all(finding.level is not Level.PROBLEM for finding in self.findings)

    def report(self) -> dict[str, Any]:
        """The report: findings without their details, and shapes; no value, no secret, ids as short hashes."""
        verdict = asdict(self.verdict)
        return {
            "provider_version": __version__,
            "server": {
                "host": short_hash(urlsplit(self.config.base_url).netloc),
                "scheme": urlsplit(self.config.base_url).scheme,
                "auth_type": str(self.config.auth_type),
                **{key: verdict[key] for key in ("version", "versions", "jobs_api", "cancel", "role")},
                "generations": {name: str(state) for name, state in self.verdict.generations.items()},
            },
            "findings": [{k: v for k, v in asdict(f).items() if k != "detail"} for f in self.findings],
            "answers": self.answers,
            "swagger_operations": self.swagger,
            "differences": {"provider": self.provider_differences, "emulator": self.emulator_differences},
            "seconds": round(self.seconds, 1),
        }

    def text(self) -> str:
        """What the command prints: a header, then each finding with what it means and the fix."""
        lines = [
            f"Alteryx Server doctor: connection {self.conn_id!r}, {self.config.base_url}, auth_type {self.config.auth_type}",
            "",
        ]
        for finding in self.findings:
            lines += _wrapped(f"{finding.level.upper():<8} {finding.topic}: ", finding.found)
            for label, text in (("means", finding.means), ("fix", finding.fix), ("detail", finding.detail)):
                if text:
                    lines += _wrapped(f"{'':<8} {label}: ", scrub(display(text, limit=None)))
        lines += ["", f"Answers ({len(self.answers)} calls; their shapes are in the report):"]
        lines += [f"  {call:<42} {_statuses(set(a['statuses']))}" for call, a in sorted(self.answers.items())]
        lines += ["", *self.notes, f"Done in {self.seconds:.1f} s."]
        return "\n".join(lines)


def _wrapped(prefix: str, text: str) -> list[str]:
    return textwrap.wrap(text, width=110, initial_indent=prefix, subsequent_indent=" " * 9) or [prefix]


def diagnose(conn_id: str, *, run: str | None = None, cancel: bool = False) -> Diagnosis:
    """Examine the Server of connection ``conn_id``, then an emulator of its version, and judge.

    :param run: run one job of this workflow end to end.
    :param cancel: cancel that job right after creating it.
    :raises AlteryxError: the connection cannot be read (a missing or wrong field).
    """
    from airflow_provider_alteryx.cli.server_probe import Plan
    from airflow_provider_alteryx.hooks.alteryx import AlteryxServerHook
    from airflow_provider_alteryx.hooks.jobs import JobRequest

    started = time.monotonic()
    hook = AlteryxServerHook(conn_id)
    config = hook.config
    if run is not None:
        run = JobRequest.build(run).workflow_id  # a wrong id fails here, before anything is sent
    diagnosis = judge(conn_id, config, Plan(workflow_id=run, cancel=cancel))
    diagnosis.seconds = time.monotonic() - started
    return diagnosis


def judge(conn_id: str, config: ServerConfig, plan: Plan) -> Diagnosis:
    from airflow_provider_alteryx.cli.server_probe import examine

    found = examine(config, plan)
    verdict = verdict_of(found)
    provider = expectation_differences(found)
    emulated = emulate(found, verdict, plan) if found.unreachable is None else "the Server did not answer"
    compared = emulator_differences(found, emulated) if not isinstance(emulated, str) else emulated
    findings = [
        tls_finding(config),
        proxy_finding(Proxies.of(config)),
        *server_findings(found, verdict, plan),
    ]
    findings += [expectation_finding(provider), emulator_finding(verdict, compared)]
    findings += [f for f in (unreadable_finding(found),) if f is not None]
    return Diagnosis(
        conn_id,
        config,
        verdict,
        findings,
        {call: _answer_report(answer) for call, answer in found.answers.items()},
        sorted(found.swagger) if found.swagger is not None else None,
        provider,
        compared,
    )


def _answer_report(answer: Any) -> dict[str, Any]:
    shape: Shape | None = answer.shape
    return {"statuses": sorted(answer.statuses, key=str), "items": answer.items, "shape": shape}


def add_parser(commands: Any) -> None:
    """Add ``doctor`` to the ``alteryx-airflow`` sub-commands."""
    parser = commands.add_parser(
        "doctor",
        help="check a Server through an Airflow connection (read-only)",
        description="Check an Alteryx Server through an Airflow connection, read-only, in seconds: auth, API "
        "generations and version, cancel, role, clock skew, TLS, proxy, workflows visible; and where its answers "
        f"differ from the provider's expectations and the emulator's. Exit status {EXIT_PROBLEMS} when DAGs will fail.",
    )
    parser.add_argument(
        "--conn-id", default="alteryx_default", help="the Airflow connection (default: %(default)s)"
    )
    parser.add_argument("--run", metavar="WORKFLOW_ID", help="also run one job of this workflow end to end")
    parser.add_argument(
        "--cancel", action="store_true", help="with --run: cancel the job right after creating it"
    )
    parser.add_argument(
        "--report", metavar="FILE", type=Path, help="write the findings and answer shapes as JSON"
    )


def command(args: argparse.Namespace) -> int:
    """Run ``alteryx-airflow doctor`` with parsed arguments; the exit status."""
    from airflow.providers.common.compat.sdk import AirflowNotFoundException

    from airflow_provider_alteryx.exceptions import AlteryxError

    if args.cancel and not args.run:
        print("alteryx-airflow doctor: error: --cancel needs --run WORKFLOW_ID", file=sys.stderr)
        return EXIT_ERROR
    try:
        diagnosis = diagnose(args.conn_id, run=args.run, cancel=args.cancel)
    except (AlteryxError, AirflowNotFoundException) as error:  # a connection missing or wrong, a bad id
        print(f"alteryx-airflow doctor: error: {error}", file=sys.stderr)
        return EXIT_ERROR
    if args.report is not None:
        args.report.write_text(json.dumps(diagnosis.report(), indent=2) + "\n", encoding="utf-8")
        diagnosis.notes.append(f"Report written to {args.report}: answer shapes only (no value, ids hashed).")
    print(diagnosis.text())
    return EXIT_HEALTHY if diagnosis.healthy else EXIT_PROBLEMS
