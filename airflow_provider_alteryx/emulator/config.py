"""How one emulated Server behaves: version, keys and roles, workers, queue, faults and variants.

Every field is also a command-line flag (see ``alteryx-server-emulator --help``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path

from airflow_provider_alteryx.emulator.catalogue import CatalogueError, Workflow
from airflow_provider_alteryx.emulator.faults import Faults
from airflow_provider_alteryx.emulator.schedules import Schedule, windows_zone
from airflow_provider_alteryx.emulator.variants import ScheduleZones, Variants
from airflow_provider_alteryx.emulator.versions import LATEST, ServerVersion, server_version

DEFAULT_API_KEY = "emulator-key"
DEFAULT_API_SECRET = "emulator-secret"  # noqa: S105 - a documented default for a local emulator
DEFAULT_ARTISAN_KEY = "emulator-artisan-key"
DEFAULT_ARTISAN_SECRET = "emulator-artisan-secret"  # noqa: S105 - a documented default for a local emulator


class Role(StrEnum):
    """A Server user's role, as far as the API cares.

    A Curator sees every job, reads job messages, uses V3 on every version and may set a job's
    priority and worker tag. An Artisan sees only their own jobs (others' are 404), gets 401 on
    job messages, on the all-jobs list and on V3 where V3 needs a Curator (2021.4, 2022.1), and the
    Server silently ignores the priority and worker tag an Artisan asks for (no ``canPrioritizeJobs``
    or ``canAssignJobs`` permission). A workflow the catalogue marks ``others_can_execute: false`` is
    the Curators' alone: an Artisan gets 403 on running it or reading its questions through V3, 401
    through the legacy API and ``/webapi/v1``.
    """

    CURATOR = "Curator"
    ARTISAN = "Artisan"


@dataclass(frozen=True)
class ApiUser:
    """An API key/secret pair and the role of the user it belongs to."""

    key: str
    secret: str = field(repr=False)
    role: Role

    @property
    def is_curator(self) -> bool:
        return self.role is Role.CURATOR


@dataclass
class EmulatorConfig:
    """How one emulated Server behaves; see ``alteryx-server-emulator --help`` for each field.

    :param role: the role of the main key (``api_key``); a second key (``artisan_key``) is always an Artisan.
    :param worker_tags: the tags the workers carry; a job whose worker tag is none of them stays ``Queued``
        for ever, as on a real Server. Untagged jobs run on any worker.
    :param created_seconds: how long a new job stays ``Created`` before it is ``Queued`` (the answer to
        creating it says ``Queued`` regardless, as the Server's does).
    :param initializing_seconds: how long a job that got a worker slot is ``Initializing`` before ``Running``.
    :param cancel_after: the worker setting "cancel jobs running longer than N seconds" (wall seconds).
    :param background_load: jobs of other users always waiting or running, competing for worker slots.
    :param background_seconds: how long each of those runs.
    :param engine_messages: start and end every run's messages with the engine's own lines (``toolId`` -1),
        as real jobs do. Off by default in-process so tests can compare a job's messages exactly; on by
        default on the command line.
    :param state_file: a JSON file jobs and tokens are kept in, so a restarted emulator carries on.
    :param variants: which reading of the sources to follow where they leave a behaviour open.
    """

    workflows: tuple[Workflow, ...]
    server_version: str = LATEST
    api_key: str = DEFAULT_API_KEY
    api_secret: str = field(default=DEFAULT_API_SECRET, repr=False)
    role: Role = Role.CURATOR
    artisan_key: str = DEFAULT_ARTISAN_KEY
    artisan_secret: str = field(default=DEFAULT_ARTISAN_SECRET, repr=False)
    workers: int = 2
    worker_tags: tuple[str, ...] = ()
    token_ttl: float = 3600.0
    time_scale: float = 1.0
    created_seconds: float = 0.0
    initializing_seconds: float = 0.0
    cancel_after: float | None = None
    background_load: int = 0
    background_seconds: float = 10.0
    engine_messages: bool = False
    state_file: Path | None = None
    faults: Faults = field(default_factory=Faults)
    variants: Variants = field(default_factory=Variants)
    seed: int | None = None
    # The catalogue's schedules (emulator/schedules.py), served by V3 from 2023.1.
    schedules: tuple[Schedule, ...] = ()

    def __post_init__(self) -> None:
        if self.variants.schedule_time_zones is ScheduleZones.WINDOWS:
            # At start, not on the first schedule request: a zone without a Windows ID cannot be served.
            for schedule in self.schedules:
                try:
                    windows_zone(schedule.time_zone)
                except CatalogueError as error:
                    raise CatalogueError(f"schedule {schedule.name!r}: {error}") from None

    @property
    def version(self) -> ServerVersion:
        return server_version(self.server_version)

    @property
    def users(self) -> dict[str, ApiUser]:
        """Every key the Server accepts, by key."""
        users = (
            ApiUser(self.artisan_key, self.artisan_secret, Role.ARTISAN),
            ApiUser(self.api_key, self.api_secret, Role(self.role)),
        )
        return {user.key: user for user in users}
