"""Never two jobs for one creation, never another caller's job: attributing a creation whose answer was lost.

The Alteryx API has no idempotency key, and a job's view carries no question values, so when a job
creation fails in a way that may have reached the Server (a reset or timeout after sending, 500, 502,
504) the only evidence is the workflow's job list. A job that appeared since the creation started is
this call's only when every other job that appeared is accounted for:

- by this machine: creations of one workflow take turns among the threads of a process and, through a
  lock file, among the processes of the machine (:class:`CreationLedger`: LocalExecutor's task
  processes, a Celery worker's), from the snapshot of the job list until the creation is resolved; so
  no other creation of that workflow from this machine is in flight meanwhile, and every job this
  process created is recorded;
- by other callers, through :class:`Claims` (the operator reads other task instances' ``job_id``
  XComs, and the candidates they announce while they are in the same situation).

When one job is left, it is adopted; none, the creation surely did not happen and is sent again; more
than one, or one that another caller also holds as a candidate, and it stays ambiguous:
:class:`~airflow_provider_alteryx.exceptions.AlteryxAmbiguousJobError` names the candidates, and the
operator keeps them so that its retry examines them again instead of creating another job.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import tempfile
import threading
from collections import deque
from collections.abc import Sequence
from pathlib import Path
from typing import Protocol

# How long a creation waits for other callers' claims to settle an ambiguous lost answer, and how often it looks.
CLAIM_WAIT_SECONDS = 10.0
CLAIM_POLL_SECONDS = 1.0
# How often a creation waiting for its turn looks again (the turn before usually takes one round trip).
TURN_POLL_SECONDS = 0.01
# Jobs remembered per workflow as created by this process: far more than a workflow's jobs can appear in
# the window of one lost answer.
_REMEMBERED_JOBS = 10_000

LedgerKey = tuple[str, str]  # (Server, workflow id)


class Claims(Protocol):
    """What callers outside this process hold, so that a lost answer is never attributed to their job."""

    @property
    def shared(self) -> bool:
        """Whether other callers can see this caller's announcements (worth waiting for theirs)."""
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

    def taken(self) -> set[str]:
        return set()

    def contested(self) -> set[str]:
        return set()

    def announce(self, candidates: Sequence[str]) -> None:
        pass


NO_CLAIMS = NoClaims()


class CreationLedger:
    """Per Server and workflow: whose turn it is to create a job on this machine, and the jobs created here.

    Within a process turns are first come, first served; the head of the queue then takes the
    workflow's lock file (``flock``, never blocking: the caller polls with Sleep steps, so the async
    path never blocks its loop). Taking turns costs one round trip per creation of the same workflow at
    the same moment; it is what makes a lost answer attributable among this machine's callers. A lock
    file is released by the system when its process dies, so a killed task never blocks the others.

    :param lock_dir: where the lock files live (one per Server and workflow).
    """

    def __init__(self, lock_dir: Path | None = None) -> None:
        self.lock_dir = lock_dir or Path(tempfile.gettempdir()) / "airflow-provider-alteryx-turns"
        self._guard = threading.Lock()
        self._queues: dict[LedgerKey, deque[object]] = {}
        self._created: dict[LedgerKey, deque[str]] = {}
        self._locks: dict[object, int] = {}  # ticket -> file descriptor holding the machine-wide lock

    def join(self, key: LedgerKey) -> object:
        """Queue for a turn; the returned ticket is passed to :meth:`has_turn` and :meth:`leave`."""
        ticket = object()
        with self._guard:
            self._queues.setdefault(key, deque()).append(ticket)
        return ticket

    def has_turn(self, key: LedgerKey, ticket: object) -> bool:
        """Whether ``ticket`` may create now: first in this process's queue, and holding the machine's lock."""
        with self._guard:
            if self._queues[key][0] is not ticket:
                return False
            if ticket in self._locks:
                return True
        descriptor = self._try_lock(key)
        if descriptor is None:
            return False
        with self._guard:
            self._locks[ticket] = descriptor
        return True

    def _try_lock(self, key: LedgerKey) -> int | None:
        self.lock_dir.mkdir(parents=True, exist_ok=True)
        name = hashlib.sha256("\n".join(key).encode()).hexdigest()[:32]
        descriptor = os.open(self.lock_dir / f"{name}.lock", os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(descriptor)
            return None
        return descriptor

    def leave(self, key: LedgerKey, ticket: object) -> None:
        """Give up a turn or a place in the queue (also when the creation failed or was abandoned)."""
        with self._guard:
            queue = self._queues[key]
            queue.remove(ticket)
            if not queue:
                del self._queues[key]
            descriptor = self._locks.pop(ticket, None)
        if descriptor is not None:
            os.close(descriptor)  # closing the file releases its lock

    def record(self, key: LedgerKey, job_id: str) -> None:
        """Remember a job this process created or adopted."""
        with self._guard:
            self._created.setdefault(key, deque(maxlen=_REMEMBERED_JOBS)).append(job_id)

    def created(self, key: LedgerKey) -> set[str]:
        with self._guard:
            return set(self._created.get(key, ()))

    def clear(self) -> None:
        with self._guard:
            self._queues.clear()
            self._created.clear()
            for descriptor in self._locks.values():
                os.close(descriptor)
            self._locks.clear()


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
