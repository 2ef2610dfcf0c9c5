"""What ``alteryx-airflow doctor`` found, one finding per topic, each with what it means for DAGs and the fix.

A finding's ``found``, ``means`` and ``fix`` are the doctor's own words and numbers (ids as short hashes):
they go into the report. What the Server said in its own words, and ids, go into ``detail``, which is
printed and never reported.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING

from airflow_provider_alteryx.cli.answer_shapes import short_hash
from airflow_provider_alteryx.cli.server_verdict import Role, Verdict
from airflow_provider_alteryx.constants import Disposition, JobStatus

if TYPE_CHECKING:
    from airflow_provider_alteryx.cli.server_probe import Examination, Plan, RunOutcome
    from airflow_provider_alteryx.exceptions import AlteryxError
    from airflow_provider_alteryx.hooks.config import ServerConfig
    from airflow_provider_alteryx.models import AlteryxJob


# The statuses and dispositions a finding names as they are (any other is Server text, left to the detail).
KNOWN_WORDS = frozenset(JobStatus) | frozenset(Disposition)
# Skew beyond which the Server refuses OAuth 1.0a signatures, beyond which a warning is due, and beyond which a
# skew is worth a note where nothing depends on it.
SIGNATURE_WINDOW_SECONDS = 300.0
SKEW_WARNING_SECONDS = 60.0
SKEW_NOTE_SECONDS = 5.0


class Level(StrEnum):
    """How much a finding matters; a problem means DAGs on this connection will fail."""

    OK = "ok"
    NOTE = "note"
    WARNING = "warning"
    PROBLEM = "problem"


@dataclass(frozen=True)
class Finding:
    """One thing the doctor found.

    ``found``, ``means`` and ``fix`` are the doctor's own words and numbers, ids written as short hashes:
    they go into the report. ``detail`` (the Server's own words, an id, a proxy's address) is printed only.
    """

    topic: str
    level: Level
    found: str
    means: str = ""
    fix: str = ""
    detail: str = ""


@dataclass(frozen=True)
class Proxies:
    """The proxy requests to the Server go through, as the transport decides it for both drivers.

    :param proxy: the proxy's URL (credentials included: never shown as it is); None for none.
    :param from_extra: whether the connection extra ``proxy`` names it (else the environment does).
    :param variables: the proxy variables the environment sets.
    """

    proxy: str | None
    from_extra: bool
    variables: tuple[str, ...]

    @classmethod
    def of(cls, config: ServerConfig) -> Proxies:
        from airflow_provider_alteryx.hooks.transport import PROXY_VARIABLES, TRANSPORT

        variables = tuple(
            name.upper() for name in PROXY_VARIABLES if os.environ.get(name) or os.environ.get(name.upper())
        )
        return cls(TRANSPORT.proxy(config), config.proxy is not None, variables)


def tls_finding(config: ServerConfig) -> Finding:
    if not config.base_url.startswith("https://"):
        exposed = (
            "Signatures keep the API secret off the wire, but question values, messages and outputs travel "
            "readable, and anyone on the network path can answer in the Server's place."
            if config.legacy
            else "The token request carries the API secret and every call a token: anyone on the network path "
            "can read and reuse them, and read job data."
        )
        return Finding(
            "TLS",
            Level.WARNING,
            "plain http: requests and answers travel unencrypted",
            exposed,
            "Serve the Server over https and write https:// in the connection's host.",
        )
    if config.verify is False:
        return Finding(
            "TLS",
            Level.WARNING,
            "https, but the certificate is not checked (extra verify is false)",
            "Whoever can intercept the connection can pose as the Server and collect the API secret and tokens.",
            "Set the extra verify to the CA bundle (PEM) that signed the Server's certificate.",
        )
    if isinstance(config.verify, str):
        return Finding(
            "TLS", Level.OK, "https, the certificate checked against the CA bundle of extra verify"
        )
    return Finding(
        "TLS",
        Level.OK,
        "https, the certificate checked"
        + (" (https assumed: the host has no scheme)" if config.scheme_assumed else ""),
        "Tasks check it against requests' CA bundle (certifi, or REQUESTS_CA_BUNDLE), deferred waits against "
        "the system's: a certificate of a private CA needs the extra verify, which both use.",
    )


def proxy_finding(proxies: Proxies) -> Finding:
    from airflow_provider_alteryx.hooks.config import shown_proxy

    if proxies.proxy is not None and proxies.from_extra:
        return Finding(
            "proxy",
            Level.NOTE,
            "the connection names a proxy (extra proxy): every request to the Server goes through it",
            "Tasks and triggers alike use it, whatever the environment's proxy variables say.",
            detail=f"proxy {shown_proxy(proxies.proxy)}",
        )
    if proxies.proxy is not None:
        return Finding(
            "proxy",
            Level.NOTE,
            f"the environment routes requests to the Server through a proxy ({', '.join(proxies.variables)})",
            "Every Airflow component that calls the Server (workers, triggerers, the API server's Test button) "
            "needs the same variables: one without them goes direct, and fails where the others succeed.",
            "Set the same variables for every component, or name the proxy once in the connection extra proxy.",
            detail=f"proxy {shown_proxy(proxies.proxy)}",
        )
    if proxies.variables:
        return Finding(
            "proxy",
            Level.OK,
            f"proxy variables are set ({', '.join(proxies.variables)}), but NO_PROXY exempts the Server: "
            "requests go straight to it",
        )
    return Finding("proxy", Level.OK, "no proxy: requests go straight to the Server")


def reach_finding(found: Examination) -> Finding | None:
    if found.unreachable is None:
        return None
    return Finding(
        "reach",
        Level.PROBLEM,
        "nothing usable answered: the examination stopped",
        "Every task of this connection fails to connect.",
        "Check the connection's host and port, the network path (proxy, firewall) and the Server's certificate.",
        detail=str(found.unreachable),
    )


def auth_findings(found: Examination) -> Iterator[Finding]:
    own = found.config.auth_type
    error = found.auth.get(own)
    others = [scheme for scheme, failed in found.auth.items() if scheme is not own and failed is None]
    if own not in found.auth:
        return
    if error is not None:
        yield _auth_failure(own.value, error, others[0].value if others else None)
    elif own.value == "oauth2":
        yield _token_finding(found)
    else:
        yield Finding(
            "auth",
            Level.OK,
            "OAuth 1.0a works (auth_type oauth1): the legacy API accepts this key's signatures",
            "Requests are signed with the secret, which never travels; signatures carry this machine's time "
            f"and are refused beyond {SIGNATURE_WINDOW_SECONDS:.0f} s of the Server's clock (see clock).",
        )
    for other in others:
        yield _other_scheme(own.value, other.value)


def _auth_failure(own: str, error: AlteryxError, other: str | None) -> Finding:
    status = getattr(error, "status", None)
    if other is not None:
        fix = f'Set the connection extra auth_type to "{other}": this key works that way.'
    elif status == 405:
        fix = 'This Server no longer serves the legacy API: set auth_type to "oauth2" with the API Access Key and Secret.'
    elif status == 404 and own == "oauth2":
        fix = 'No OAuth 2.0 token endpoint (before Server 2021.4), or a wrong webapi_path: set auth_type to "oauth1", or correct webapi_path.'
    elif own == "oauth2":
        fix = "Use the API Access Key and Secret of My Profile > Keys (an admin sets API Access = Yes; the Private Studio key fails)."
    else:
        fix = "Use the Private Studio API key and secret, and the host exactly as the Gallery's Base Address (scheme and port included)."
    return Finding(
        "auth",
        Level.PROBLEM,
        f"{own} (the connection's auth_type) fails ({status or 'no answer'})",
        "Every task and sensor of this connection fails at its first request.",
        fix,
        detail=str(error),
    )


def _token_finding(found: Examination) -> Finding:
    lifetime = found.expires_in
    works = "OAuth 2.0 works (auth_type oauth2): a token was fetched"
    if isinstance(lifetime, (int, float)) and not isinstance(lifetime, bool):
        return Finding(
            "auth",
            Level.OK,
            f"{works}, valid for {lifetime:g} s (expires_in)",
            "Each process fetches one token per lifetime and the next before it lapses; a Server forgetting "
            "tokens early costs one more fetch, not a failure.",
        )
    return Finding(
        "auth",
        Level.NOTE,
        f"{works}, without a numeric expires_in: the provider assumes 3600 s",
        "Where tokens lapse sooner, the first call after gets 401, then a fresh token and one more try.",
    )


def _other_scheme(own: str, other: str) -> Finding:
    if own == "oauth2":
        return Finding(
            "auth",
            Level.NOTE,
            "this key also signs legacy API calls (OAuth 1.0a)",
            "The Server still serves the legacy API (2021.4); 2022.1 removes it, so keep auth_type oauth2.",
        )
    return Finding(
        "auth",
        Level.WARNING,
        "this key also gets OAuth 2.0 tokens",
        "Server 2022.1 removes the legacy API: DAGs on auth_type oauth1 stop at that upgrade.",
        'Set the connection extra auth_type to "oauth2" now; the same key works.',
    )


def api_finding(verdict: Verdict) -> Finding:
    listed_apis = "; ".join(f"{name} {state}" for name, state in verdict.generations.items())
    uses = {
        "legacy": "the legacy API: no cancel and no worker_tag, and Server 2022.1 removes it",
        "v1": "/webapi/v1: worker_tag and credential_id are V3's and refused here, and there is no cancel",
        "v3": "V3: worker_tag, credential_id and (where the Server has it) cancel available",
    }[verdict.jobs_api]
    version = f"Server {verdict.versions}" + (f", emulated as {verdict.version}" if verdict.version else "")
    return Finding(
        "APIs",
        Level.OK if verdict.version else Level.WARNING,
        f"{listed_apis}. {version}",
        f"Jobs are created and read through {uses}.",
        ""
        if verdict.version
        else "Check the connection's host, webapi_path and gallery_path: no known Server answers so.",
    )


def cancel_finding(verdict: Verdict) -> Finding:
    if verdict.cancel == "yes":
        return Finding(
            "cancel",
            Level.OK,
            f"V3 cancel exists (DELETE /v3/jobs/{{jobId}}): {verdict.cancel_evidence}",
            "A task killed, marked failed or timed out cancels its job (cancel_on_kill, timeout).",
        )
    means = "A task killed or timed out leaves its job running on the Server; the task's log says it was not cancelled."
    if verdict.cancel == "no":
        return Finding(
            "cancel",
            Level.NOTE,
            f"no cancel: {verdict.cancel_evidence} (DELETE /v3/jobs/{{jobId}} arrived in Server 2025.1)",
            means,
            "Cancel such jobs in the Gallery's Jobs page.",
        )
    return Finding(
        "cancel",
        Level.NOTE,
        f"whether V3 cancel exists is unknown: {verdict.cancel_evidence}",
        means,
        "Try it once: --run WORKFLOW_ID --cancel with a short workflow.",
    )


def role_finding(verdict: Verdict) -> Finding:
    if verdict.role is Role.CURATOR:
        return Finding(
            "role",
            Level.OK,
            f"the key is a Curator's ({verdict.role_evidence})",
            "The key sees every user's jobs, priority and worker_tag are honoured, and the Alteryx jobs page "
            "shows a job's place in the Server's queue.",
        )
    if verdict.role is Role.OTHER:
        closed = (
            " V3 is closed to it, so jobs go through /webapi/v1."
            if "V3 refused" in verdict.role_evidence
            else ""
        )
        return Finding(
            "role",
            Level.NOTE,
            f"the key is not a Curator's ({verdict.role_evidence})",
            "The Server silently ignores the priority and worker_tag it asks for (without the canPrioritizeJobs "
            f"and canAssignJobs permissions), it sees only its own jobs, and no queue position is shown.{closed}",
            "Use a Curator's key, or have the permissions granted, where DAGs set priority or worker_tag.",
        )
    return Finding(
        "role",
        Level.NOTE,
        f"whether the key is a Curator's is unknown: {verdict.role_evidence}",
        "It matters for priority and worker_tag, which the Server ignores silently without the permissions.",
    )


def clock_finding(found: Examination) -> Finding:
    if found.skew is None:
        return Finding("clock", Level.NOTE, f"the clock skew is unknown: {found.skew_error}")
    off = abs(found.skew)
    found_text = (
        f"the Server's clock is {off:.0f} s {'ahead of' if found.skew > 0 else 'behind'} this machine's"
        if off >= 1
        else "the Server's clock agrees with this machine's (within a second)"
    )
    fix = "Synchronise the clocks of every Airflow host (NTP, chrony)."
    if not found.config.legacy:
        if off <= SKEW_NOTE_SECONDS:
            return Finding("clock", Level.OK, found_text)
        return Finding(
            "clock",
            Level.NOTE,
            found_text,
            "OAuth 2.0 does not depend on it (token lifetimes count on this machine's clock); logged times "
            "and the Server's job times disagree by that much.",
            fix,
        )
    means = f"The Server refuses OAuth 1.0a signatures more than {SIGNATURE_WINDOW_SECONDS:.0f} s off its clock: every call fails with 401."
    if off > SIGNATURE_WINDOW_SECONDS:
        return Finding("clock", Level.PROBLEM, found_text, means, fix)
    if off > SKEW_WARNING_SECONDS:
        return Finding("clock", Level.WARNING, found_text, means, fix)
    return Finding("clock", Level.OK, found_text)


def workflows_finding(found: Examination) -> Finding | None:
    listings = {
        "v3 GET /workflows": "through V3",
        "v1 GET /workflows/subscription": "in its /webapi/v1 subscription",
        "legacy GET /workflows/subscription": "in its legacy subscription",
    }
    counts = {
        where: found.answers[call].items
        for call, where in listings.items()
        if call in found.answers and found.answers[call].items is not None
    }
    if not counts:
        return None
    found_text = "workflows visible to the key: " + ", ".join(f"{n} {where}" for where, n in counts.items())
    if any(counts.values()):
        return Finding("workflows", Level.OK, found_text)
    return Finding(
        "workflows",
        Level.WARNING,
        found_text,
        "workflow_name lookups find nothing, and runs by id answer 404.",
        "Share the workflows with the key's user (its studio, a collection, or its subscription).",
    )


def jobs_read_finding(found: Examination) -> Finding | None:
    read = [call for call in found.answers if call.endswith("GET /jobs/{id}") and 200 in found.statuses(call)]
    if read or found.unreachable is not None:
        return None
    return Finding(
        "jobs",
        Level.NOTE,
        "no job to read: the workflow read has no job the key can see, so job answers were not checked",
        fix="Run the doctor with --run WORKFLOW_ID to check them on a job of its own.",
    )


def run_findings(found: Examination, workflow_id: str) -> Iterator[Finding]:
    run = found.run
    if run is None:
        return
    name = f"workflow {short_hash(workflow_id)}"
    if run.created is None:
        yield _creation_failure(name, run.error)
        return
    job = f"job {short_hash(run.created.id)}"
    if run.cancelled is not None or run.cancel_error is not None:
        yield _cancel_outcome(found, job, run)
    if run.finished is not None:
        yield _finished(name, job, run.finished)
    elif run.error is not None and run.cancel_error is None:
        yield Finding(
            "run",
            Level.WARNING,
            f"{job} of {name} was created, but the wait for it ended ({type(run.error).__name__})",
            "Jobs wait Queued until a worker slot frees; a worker tag no worker carries keeps them there for ever.",
            "Look at the Server's queue, and give tasks a timeout that covers the wait.",
            detail=f"job {run.created.id}: {run.error}",
        )


def _creation_failure(name: str, error: AlteryxError | None) -> Finding:
    status = getattr(error, "status", None)
    fixes = {
        400: "Answer the workflow's questions: one without a default is required (the detail lists them).",
        403: "The key may not run this workflow: share it for execution with the key's user.",
        404: "The key cannot see the workflow: check the id and the workflow's sharing.",
    }
    return Finding(
        "run",
        Level.PROBLEM,
        f"creating a job of {name} failed ({status or type(error).__name__})",
        "The operator fails the same way on this workflow.",
        fixes.get(status or 0, "See the detail."),
        detail=str(error),
    )


def _cancel_outcome(found: Examination, job: str, run: RunOutcome) -> Finding:
    if 200 in found.statuses("v3 DELETE /jobs/{id}") and 404 in found.statuses("v3 GET /jobs/{id}"):
        return Finding(
            "run",
            Level.NOTE,
            f"{job} was deleted by its cancel: the Server answers 404 for it since",
            "This Server deletes a queued job it is asked to cancel, instead of keeping it readable as Cancelled.",
        )
    if run.cancelled is not None:
        return Finding(
            "run",
            Level.OK,
            f"{job} cancelled right after its creation: {_word(run.cancelled.status)}, "
            f"{_word(run.cancelled.disposition)}",
            detail=f"job {run.cancelled.id}",
        )
    return Finding(
        "run",
        Level.NOTE,
        f"{job} could not be cancelled ({type(run.cancel_error).__name__})",
        "Tasks killed or timed out leave their jobs running.",
        detail=str(run.cancel_error),
    )


def _finished(name: str, job: str, finished: AlteryxJob) -> Finding:
    errors = sum(1 for message in finished.messages if message.is_error)
    warnings = sum(1 for message in finished.messages if message.is_warning)
    found = (
        f"{job} of {name}: {_word(finished.status)}, {_word(finished.disposition)}; {len(finished.messages)} "
        f"message(s) ({errors} error(s), {warnings} warning(s)); {len(finished.outputs)} output(s) listed"
    )
    level = {"Success": Level.OK, "Warning": Level.NOTE}.get(finished.disposition, Level.WARNING)
    means = "" if level is Level.OK else "The operator fails on Error (and on Warning with fail_on_warning)."
    formats = sorted({f for output in finished.outputs for f in output.formats})
    detail = [f"job {finished.id}: {finished.status}, {finished.disposition}"]
    detail += [f"outputs in {', '.join(formats)}"] if formats else []
    detail += [str(message) for message in finished.problems[:3]]
    return Finding("run", level, found, means, detail="; ".join(detail))


def _word(value: str) -> str:
    """A status or disposition the provider knows, as it is; another is Server text, left to the detail."""
    return value if value in KNOWN_WORDS else "a status the provider does not know"


def unreadable_finding(found: Examination) -> Finding | None:
    if not found.unreadable:
        return None
    return Finding(
        "shapes",
        Level.PROBLEM,
        f"{len(found.unreadable)} answer(s) the provider cannot read",
        "The operations that need them fail with AlteryxProtocolError.",
        "Attach the report to a bug report: its shapes show what the Server sent.",
        detail=" | ".join(str(error) for error in found.unreadable),
    )


def expectation_finding(differences: list[str]) -> Finding:
    if not differences:
        return Finding("shapes", Level.OK, "every answer holds what the provider reads")
    return Finding(
        "shapes",
        Level.PROBLEM,
        "answers lack what the provider reads: " + "; ".join(differences),
        "The provider may refuse or misread them: a job without its status never ends, one without its "
        "disposition never succeeds.",
        "Attach the report to a bug report for the provider.",
    )


def emulator_finding(verdict: Verdict, compared: list[str] | str) -> Finding:
    if isinstance(compared, str):
        return Finding("emulator", Level.NOTE, f"not compared with the emulator: {compared}")
    if not compared:
        return Finding("emulator", Level.OK, f"the Server answers as the emulator of {verdict.version} does")
    return Finding(
        "emulator",
        Level.NOTE,
        f"where the Server differs from the emulator of {verdict.version}: " + "; ".join(compared),
        "Tests against the emulator do not cover these differences: DAGs green against it may still fail here.",
        "Attach the report to a bug report: the emulator can be corrected from its shapes.",
    )


def server_findings(found: Examination, verdict: Verdict, plan: Plan) -> Iterator[Finding]:
    unreachable = reach_finding(found)
    if unreachable is not None:
        yield unreachable
        return
    yield from auth_findings(found)
    yield api_finding(verdict)
    yield cancel_finding(verdict)
    yield role_finding(verdict)
    yield clock_finding(found)
    yield from (f for f in (workflows_finding(found),) if f is not None)
    if plan.workflow_id is not None:
        yield from run_findings(found, plan.workflow_id)
    else:
        yield from (f for f in (jobs_read_finding(found),) if f is not None)
