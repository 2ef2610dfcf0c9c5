"""The Server versions the emulator can be, each one row of capabilities.

Routes (``routes.py``), response shapes (``views.py``) and the tests are generated from these rows.
Adding a Server version is one row: the previous row plus what the new version added or removed, e.g.::

    _row("2026.1", after="2025.1", adds={Capability.SOMETHING_NEW})

Where public sources disagree on when a capability arrived, the row follows the Server's help pages:
V3 workflows from 2021.4 (Curators only until 2023.1), V3 jobs from 2023.1 (documented in 2022.3 or
2023.1; the emulator takes 2023.1), cancel, job messages, the all-jobs list and cron schedules in 2025.1.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from enum import StrEnum


class Api(StrEnum):
    """The API family a route belongs to, bound when the route is registered; it decides shapes and error envelopes."""

    LEGACY = "legacy"  # /gallery/api/v1, OAuth 1.0a
    V1 = "v1"  # /webapi/v1, OAuth 2.0
    V3 = "v3"  # /webapi/v3, OAuth 2.0


class Capability(StrEnum):
    """Something a Server version serves."""

    LEGACY_API = "legacy subscription API (/gallery/api/v1, OAuth 1.0a)"
    WEBAPI = "/webapi with OAuth 2.0 and /webapi/v1"
    V3_WORKFLOWS = "V3 workflows and their questions"
    V3_JOBS = "V3 job creation, job lists and jobs"
    V3_CURATORS_ONLY = "every V3 call needs a Curator's key"
    V3_CANCEL = "DELETE /v3/jobs/{id} cancels a job"
    V3_MESSAGES = "GET /v3/jobs/{id}/messages (Curators only)"
    V3_ALL_JOBS = "GET /v3/jobs lists every job (Curators only)"
    CRON_SCHEDULES = "schedules with iterationType Cron"


@dataclass(frozen=True)
class ServerVersion:
    """One Server version and what it serves."""

    name: str
    capabilities: frozenset[Capability]

    def has(self, capability: Capability) -> bool:
        return capability in self.capabilities


_ROWS: dict[str, ServerVersion] = {}


def _row(
    name: str,
    *,
    after: str | None = None,
    adds: Collection[Capability] = (),
    removes: Collection[Capability] = (),
) -> None:
    previous = _ROWS[after].capabilities if after else frozenset()
    _ROWS[name] = ServerVersion(name, (previous | frozenset(adds)) - frozenset(removes))


_row("2021.3", adds={Capability.LEGACY_API})
_row("2021.4", after="2021.3", adds={Capability.WEBAPI, Capability.V3_WORKFLOWS, Capability.V3_CURATORS_ONLY})
# 2022.1 removed OAuth 1.0a and the legacy API; V3 still needs a Curator.
_row("2022.1", after="2021.4", removes={Capability.LEGACY_API})
# V3 jobs arrive and some V3 calls open to Artisans.
_row("2023.1", after="2022.1", adds={Capability.V3_JOBS}, removes={Capability.V3_CURATORS_ONLY})
_row(
    "2025.1",
    after="2023.1",
    adds={Capability.V3_CANCEL, Capability.V3_MESSAGES, Capability.V3_ALL_JOBS, Capability.CRON_SCHEDULES},
)

SERVER_VERSIONS: tuple[str, ...] = tuple(_ROWS)
LATEST = SERVER_VERSIONS[-1]


def server_version(name: str) -> ServerVersion:
    """The capability row of a Server version.

    :raises ValueError: naming the versions the emulator knows.
    """
    try:
        return _ROWS[name]
    except KeyError:
        raise ValueError(
            f"Server version {name!r} is not emulated; choose one of {', '.join(SERVER_VERSIONS)}"
        ) from None
