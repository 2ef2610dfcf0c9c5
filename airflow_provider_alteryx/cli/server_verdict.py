"""What a Server's answers add up to: which API generations it serves, the version that implies, whether it
cancels, and whether the key is a Curator's.

Each conclusion reads the statuses :mod:`~airflow_provider_alteryx.cli.server_probe` recorded, and the
operations the Server's Swagger document lists where a call could not tell. The versions are the
emulator's rows (:mod:`~airflow_provider_alteryx.emulator.versions`): legacy API alone (2021.3); legacy
API and Web API side by side (2021.4); the Web API alone (2022.1); V3 jobs (2023.1); V3 cancel (2025.1).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from airflow_provider_alteryx.cli.server_probe import Examination


class Presence(StrEnum):
    """Whether an API answers, as far as the calls made tell."""

    ANSWERS = "answers"
    REFUSES = "answers, but refuses this key"
    LISTED = "listed in the Swagger document"
    REMOVED = "removed (405)"
    ABSENT = "absent"
    UNKNOWN = "unknown"

    @property
    def served(self) -> bool:
        return self in (Presence.ANSWERS, Presence.REFUSES, Presence.LISTED)


class Role(StrEnum):
    """Whether the key is a Curator's, as far as the calls made tell."""

    CURATOR = "Curator"
    OTHER = "not a Curator"
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class Verdict:
    """What the answers add up to.

    :param version: the emulated version the Server behaves as (None when it cannot be told).
    :param versions: the Server versions that answer so, in words.
    :param generations: each API generation's presence.
    :param jobs_api: the API the provider creates and reads jobs through: ``legacy``, ``v1`` or ``v3``.
    :param cancel: ``yes``, ``no`` or ``unknown``; ``cancel_evidence`` says what tells.
    """

    version: str | None
    versions: str
    generations: dict[str, Presence]
    jobs_api: str
    cancel: str
    cancel_evidence: str
    role: Role
    role_evidence: str


# The API generations a verdict names.
LEGACY, TOKENS, V1, V3_WORKFLOWS, V3_JOBS = (
    "legacy API (OAuth 1.0a)",
    "OAuth 2.0 tokens",
    "/webapi/v1",
    "V3 workflows",
    "V3 jobs",
)


def presence(statuses: set[int | None]) -> Presence:
    """An API's presence from the statuses of a call that exists wherever it does (a listing, the token request)."""
    if 200 in statuses:
        return Presence.ANSWERS
    if statuses & {400, 401, 403}:
        return Presence.REFUSES
    if 405 in statuses:
        return Presence.REMOVED
    return Presence.ABSENT if 404 in statuses else Presence.UNKNOWN


def listed(found: Examination, operation: str) -> bool | None:
    """Whether the Swagger document lists ``operation`` (``DELETE /v3/jobs/{}``); None without a document."""
    if found.swagger is None:
        return None
    return operation in {_without_parameter_names(listed) for listed in found.swagger}


def _without_parameter_names(operation: str) -> str:
    return re.sub(r"\{[^}]*\}", "{}", operation)


def _probed_or_listed(found: Examination, call: str, operation: str) -> Presence:
    probed = presence(found.statuses(call))
    if probed is not Presence.UNKNOWN:
        return probed
    document = listed(found, operation)
    if document is None:
        return Presence.UNKNOWN
    return Presence.LISTED if document else Presence.ABSENT


def generations(found: Examination) -> dict[str, Presence]:
    tokens = presence(found.statuses("token POST /oauth2/token"))
    if tokens is Presence.UNKNOWN and found.swagger is not None:
        tokens = Presence.LISTED  # the Web API answered, with its Swagger document
    legacy = presence(found.statuses("legacy GET /workflows/subscription"))
    if tokens is Presence.ABSENT and found.swagger is None:  # no Web API at all
        return {LEGACY: legacy, TOKENS: tokens, V1: tokens, V3_WORKFLOWS: tokens, V3_JOBS: tokens}
    return {
        LEGACY: legacy,
        TOKENS: tokens,
        V1: presence(found.statuses("v1 GET /workflows/subscription")),
        V3_WORKFLOWS: _probed_or_listed(found, "v3 GET /workflows", "GET /v3/workflows"),
        V3_JOBS: _probed_or_listed(found, "v3 GET /workflows/{id}/jobs", "GET /v3/jobs/{}"),
    }


def server_version(found: Examination, apis: dict[str, Presence], cancel: str) -> tuple[str | None, str]:
    """The emulated version the Server answers as, and the Server versions that answer so."""
    legacy, webapi = apis[LEGACY].served, apis[TOKENS].served
    if legacy and apis[TOKENS] is Presence.ABSENT:
        return "2021.3", "2021.3 or older (legacy API only)"
    if legacy and webapi:
        return "2021.4", "2021.4 (legacy API and Web API side by side)"
    if not webapi or apis[LEGACY] not in (Presence.REMOVED, Presence.ABSENT):
        return None, "unknown"
    if cancel == "yes":
        return "2025.1", "2025.1 or later (V3 cancel)"
    if apis[V3_JOBS].served:
        messages = listed(found, "GET /v3/jobs/{}/messages")
        return (
            "2023.1",
            "2024.2 to 2024.x (V3 job messages, no cancel)" if messages else "2023.1 to 2024.1 (V3 jobs)",
        )
    return "2022.1", "2022.1 to 2022.x (Web API only, no V3 jobs)"


def cancel_support(found: Examination, apis: dict[str, Presence]) -> tuple[str, str]:
    """``yes``, ``no`` or ``unknown``, and what tells."""
    if 200 in found.statuses("v3 DELETE /jobs/{id}"):
        return "yes", "--cancel's cancel was accepted"
    document = listed(found, "DELETE /v3/jobs/{}")
    if document is not None:
        return (
            ("yes", "the Swagger document lists it") if document else ("no", "the Swagger document lacks it")
        )
    if apis[TOKENS] is Presence.ABSENT:
        return "no", "the legacy API has none, and this Server has no Web API"
    return "unknown", "the Server serves no Swagger document at webapi_path"


def role_of(found: Examination, version: str | None) -> tuple[Role, str]:
    """Whether the key is a Curator's, and the answers that tell."""
    curator_calls = ("v3 GET /jobs", "v3 GET /jobs/{id}/messages")
    for call in curator_calls:
        if 200 in found.statuses(call):
            return Role.CURATOR, f"{call} answered it"
    for call in curator_calls:
        if 401 in found.statuses(call) or 403 in found.statuses(call):
            return Role.OTHER, f"{call} refused it"
    # On 2021.4 and 2022.1 every V3 call is a Curator's.
    v3, v1 = found.statuses("v3 GET /workflows"), found.statuses("v1 GET /workflows/subscription")
    if version in ("2021.4", "2022.1") and 200 in v3:
        return Role.CURATOR, "V3 answered it, which on this version takes only a Curator's key"
    if version in ("2021.4", "2022.1") and 401 in v3 and 200 in v1:
        return (
            Role.OTHER,
            "V3 refused it while /webapi/v1 answered: on this version V3 takes only a Curator's key",
        )
    return Role.UNKNOWN, "no call this Server answers is a Curator's alone"


def verdict_of(found: Examination) -> Verdict:
    apis = generations(found)
    cancel, cancel_evidence = cancel_support(found, apis)
    version, versions = server_version(found, apis, cancel)
    role, evidence = role_of(found, version)
    if found.config.legacy:
        jobs_api = "legacy"
    else:
        jobs_api = (
            "v3" if apis[V3_JOBS].served and 200 in found.statuses("v3 GET /workflows/{id}/jobs") else "v1"
        )
    return Verdict(version, versions, apis, jobs_api, cancel, cancel_evidence, role, evidence)
