"""What one emulated Server holds: its jobs, tokens and counters, optionally kept in a file across restarts.

With ``--state FILE`` every change of a job and every token issued is written to FILE (JSON, replaced
atomically), and a restarted emulator reads it back: finished jobs stay as they were, waiting jobs
wait again, and jobs that were running start again from the queue (assumption: a Server whose
service restarts re-dispatches the jobs its workers lost). Tokens stay valid until they expire, so
a client holding one carries on (assumption: the Server's tokens outlive a service restart).
"""

from __future__ import annotations

import json
import os
import random
import secrets
import time
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from airflow_provider_alteryx.emulator.catalogue import Workflow
from airflow_provider_alteryx.emulator.config import ApiUser, EmulatorConfig
from airflow_provider_alteryx.emulator.engine import (
    BACKGROUND_WORKFLOW,
    Disposition,
    Job,
    JobEngine,
    JobOutput,
    Status,
)
from airflow_provider_alteryx.emulator.faults import fault_specs
from airflow_provider_alteryx.emulator.oauth1 import OAuth1Verifier


@dataclass
class Counters:
    """What the emulator has done since it started, for ``GET /__emulator/info``; a reset keeps them, so a test
    can count what a "restarted" Server was asked."""

    requests: int = 0
    tokens_issued: int = 0
    jobs_created: int = 0
    faults: dict[str, int] = field(
        default_factory=lambda: dict.fromkeys((name for name, _ in fault_specs()), 0)
    )

    def view(self) -> dict[str, Any]:
        return {
            "requestsServed": self.requests,
            "tokensIssued": self.tokens_issued,
            "jobsCreated": self.jobs_created,
            "faultsInjected": dict(self.faults),
        }


class Tokens:
    """OAuth 2.0 access tokens: which user each belongs to and when it expires (wall clock, to outlive a restart)."""

    def __init__(self, ttl: float) -> None:
        self.ttl = ttl
        self.expiry: dict[str, tuple[float, str]] = {}

    def issue(self, user: ApiUser) -> str:
        token = secrets.token_urlsafe(32)
        self.expiry[token] = (time.time() + self.ttl, user.key)
        return token

    def owner(self, token: str) -> str | None:
        """The API key a live token was issued to, or None when it is unknown or expired."""
        expiry, key = self.expiry.get(token, (0.0, ""))
        return key if expiry > time.time() else None


class ServerState:
    """Catalogue, users, jobs, tokens, nonces, faults and counters of one emulated Server."""

    def __init__(self, config: EmulatorConfig) -> None:
        self.config = config
        self.version = config.version
        self.workflows = {w.id: w for w in config.workflows}
        self.users = config.users
        self.engine = JobEngine(config, on_change=self.save)
        self.tokens = Tokens(config.token_ttl)
        self.oauth1 = OAuth1Verifier({user.key: user.secret for user in self.users.values()})
        self.faults = config.faults
        self.counters = Counters()
        self.rng = random.Random(config.seed)

    def start(self) -> None:
        """Read the state file, if there is one, and start the job engine (on the running event loop)."""
        restored: list[Job] = []
        path = self.config.state_file
        if path is not None and path.exists():
            restored = self._load(path)
        self.engine.start(restored)

    def save(self) -> None:
        path = self.config.state_file
        if path is None:
            return
        document = {
            "jobs": [_job_record(job) for job in self.engine.jobs.values()],
            "tokens": {t: list(e) for t, e in self.tokens.expiry.items()},
        }
        temporary = path.with_name(path.name + ".tmp")
        temporary.write_text(json.dumps(document), encoding="utf-8")
        os.replace(temporary, path)

    def _load(self, path: Path) -> list[Job]:
        document = json.loads(path.read_text(encoding="utf-8"))
        self.tokens.expiry = {
            token: (float(expiry), key) for token, (expiry, key) in document.get("tokens", {}).items()
        }
        known = {**self.workflows, BACKGROUND_WORKFLOW.id: BACKGROUND_WORKFLOW}
        # Jobs of workflows no longer in the catalogue cannot be served; they are left out.
        return [
            _job_from_record(record, known[record["workflowId"]])
            for record in document.get("jobs", [])
            if record["workflowId"] in known
        ]


def _moment(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def _job_record(job: Job) -> dict[str, Any]:
    return {
        "id": job.id,
        "workflowId": job.workflow.id,
        "answers": job.answers,
        "priority": job.priority,
        "workerTag": job.worker_tag,
        "credentialId": job.credential_id,
        "owner": job.owner,
        "sequence": job.sequence,
        "created": job.created.isoformat(),
        "status": job.status,
        "disposition": job.disposition,
        "queued": job.queued.isoformat() if job.queued else None,
        "started": job.started.isoformat() if job.started else None,
        "finished": job.finished.isoformat() if job.finished else None,
        "messages": job.messages,
        "deleted": job.deleted,
        "outputs": [
            {"id": o.id, "name": o.name, "formats": list(o.formats), "content": o.content}
            for o in job.outputs
        ],
    }


def _job_from_record(record: dict[str, Any], workflow: Workflow) -> Job:
    return Job(
        id=record["id"],
        workflow=workflow,
        answers=record["answers"],
        priority=record["priority"],
        worker_tag=record["workerTag"],
        credential_id=record["credentialId"],
        owner=record["owner"],
        sequence=record["sequence"],
        created=_moment(record["created"]) or datetime.min,
        status=Status(record["status"]),
        disposition=Disposition(record["disposition"]),
        # State files written before jobs kept their queue time have no such key.
        queued=_moment(record.get("queued")),
        started=_moment(record["started"]),
        finished=_moment(record["finished"]),
        messages=record["messages"],
        # State files written before jobs could be deleted have no such key.
        deleted=record.get("deleted", False),
        outputs=[
            JobOutput(id=o["id"], name=o["name"], formats=tuple(o["formats"]), content=o["content"])
            for o in record["outputs"]
        ],
    )
