"""Never two jobs for one creation, never another caller's job: attributing a creation whose answer was lost.

The Alteryx API has no idempotency key, and a job's view carries no question values, so when a job
creation fails in a way that may have reached the Server (a reset or timeout after sending, 500, 502,
504) the only evidence is the workflow's job list. A job that appeared since the creation's snapshot
of that list is this call's only when every other job that appeared is accounted for:

- by the creators that share its coordination store (:mod:`~airflow_provider_alteryx.hooks.coordination`):
  they send one creation of a workflow at a time, and record the jobs they created, adopted or hold as
  candidates; every process of the machine shares the local store, every host a Redis one;
- by other callers, through :class:`Claims` (the operator reads other task instances' ``job_id``
  XComs, and the candidates they announce while they are in the same situation).

When one job is left, it is adopted; none, the creation surely did not happen and is sent again; more
than one, or one that another caller also holds as a candidate, and it stays ambiguous:
:class:`~airflow_provider_alteryx.exceptions.AlteryxAmbiguousJobError` names the candidates, and the
operator keeps them so that its retry examines them again instead of creating another job.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

# How long a creation waits for other callers' claims to settle an ambiguous lost answer, and how often it looks.
CLAIM_WAIT_SECONDS = 10.0
CLAIM_POLL_SECONDS = 1.0
# How often a creation waiting for its turn looks again: the next in line every TURN_POLL_SECONDS (the turn
# before usually takes one round trip), one further back TURN_POLL_SECONDS longer apart per creation ahead of
# it, up to TURN_POLL_MAX_SECONDS. So 50 waiters ask the store about 240 times a second, not 2,500 (a Redis shared with
# Celery feels the difference), and none is late by more than a fraction of the turns still ahead of it.
TURN_POLL_SECONDS = 0.02
TURN_POLL_MAX_SECONDS = 0.5


def turn_poll_seconds(ahead: int) -> float:
    """How long a creation with ``ahead`` creations before its wanted place waits before looking again."""
    return min(TURN_POLL_SECONDS * max(ahead, 1), TURN_POLL_MAX_SECONDS)


class Claims(Protocol):
    """What callers outside this process hold, so that a lost answer is never attributed to their job."""

    @property
    def shared(self) -> bool:
        """Whether other callers can see this caller's announcements (worth waiting for theirs)."""
        ...

    @property
    def owner(self) -> str | None:
        """Who this caller is, the same on each of its tries (a task instance); None for an anonymous one."""
        ...

    def taken(self) -> set[str]:
        """Jobs other callers created or adopted."""
        ...

    def contested(self) -> set[str]:
        """Jobs other callers hold as candidates of their own unresolved creation."""
        ...

    def announce(self, candidates: Sequence[str]) -> None:
        """Tell other callers which jobs this caller holds as candidates."""
        ...


class NoClaims:
    """No callers outside this process are known (a hook used on its own)."""

    shared = False
    owner: str | None = None

    def taken(self) -> set[str]:
        return set()

    def contested(self) -> set[str]:
        return set()

    def announce(self, candidates: Sequence[str]) -> None:
        pass


NO_CLAIMS = NoClaims()


def attribute(
    candidates: Sequence[str], taken: set[str], contested: set[str]
) -> tuple[str | None, list[str]]:
    """Which of ``candidates`` (jobs that appeared since a creation started) is the creation's own.

    :return: ``(job id, [])`` when exactly one is unaccounted for and nobody else holds it; ``(None, [])``
        when all are accounted for (the creation did not happen); ``(None, unaccounted)`` when it is ambiguous.
    """
    unaccounted = [job_id for job_id in candidates if job_id not in taken]
    if len(unaccounted) == 1 and unaccounted[0] not in contested:
        return unaccounted[0], []
    return None, unaccounted
