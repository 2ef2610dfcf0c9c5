"""Turns to create a job of one workflow, and the records of what creators hold, shared by every creator of a store.

Attributing a lost creation answer (:mod:`~airflow_provider_alteryx.hooks.creation`) needs two things from
every creator that could have created a job of the same workflow at the same moment, wherever it runs:

- **turns**: one creation of a workflow is sent at a time, and the next one lists the workflow's jobs
  while it is sent. So the jobs that appear between a creation's snapshot and its answer are its own,
  the one before it (whose outcome is recorded before the turn passes), and jobs from outside Airflow;
- **records**: the jobs each creator created or adopted (``taken``), and those it holds as candidates of
  an unresolved creation (``contested``), so that no one else adopts them.

Only the POST and, when its answer is lost, the reconciliation hold the turn: tokens, the question
check and the snapshot run in parallel. A turn is a place in a first-come queue, held under a lease
that a thread of the holder's process renews (:data:`LEASE_SECONDS`): a creator that dies gives up
its place within a lease, and the creation whose snapshot predates a holder that died while sending
takes its snapshot again (the queue's ``epoch``).

A :class:`Store` keeps the queues and records. :class:`LocalStore` (SQLite in the temporary directory,
no setup) is shared by the processes of one machine; a Redis store
(:mod:`~airflow_provider_alteryx.hooks.redis_store`) by every host that reaches it.
"""

from __future__ import annotations

import getpass
import json
import logging
import os
import sqlite3
import stat
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Protocol, TypeVar

from airflow_provider_alteryx.exceptions import AlteryxCoordinationError

T = TypeVar("T")
_log = logging.getLogger(__name__)
# A place in a queue lapses this long after its holder last renewed it: how long a creator that died
# holds up the ones behind it. Renewed three times per lease by a thread, so only a process frozen for
# longer than that (stopped, swapped out) loses a place it still wants.
LEASE_SECONDS = 10.0
RENEW_SECONDS = LEASE_SECONDS / 3
# Records outlive the creations they describe long enough for a task's retry (Airflow's default retry
# delay is 5 minutes) to examine the candidates of its earlier try again.
RECORD_SECONDS = 24 * 3600.0


class Record(StrEnum):
    """What a creator holds a job as."""

    TAKEN = "taken"  # created or adopted: its own
    CONTESTED = "contested"  # a candidate of a creation it could not attribute


@dataclass
class Place:
    """One creator's place in a workflow's queue."""

    holder: str
    expires: float
    sending: bool = False


@dataclass
class Queue:
    """A workflow's creators in order of arrival, and how many holders died while sending (``epoch``)."""

    places: list[Place] = field(default_factory=list)
    epoch: int = 0

    def lapse(self, now: float) -> None:
        """Drop the places whose lease ran out; a holder that died while sending starts a new epoch."""
        lapsed = [place for place in self.places if place.expires <= now]
        if any(place.sending for place in lapsed):
            self.epoch += 1
        self.places = [place for place in self.places if place.expires > now]

    def position(self, holder: str) -> int | None:
        """How many creators are ahead of ``holder``; None when it has no place (it lapsed)."""
        return next((index for index, place in enumerate(self.places) if place.holder == holder), None)

    def encode(self) -> str:
        return json.dumps(
            {"epoch": self.epoch, "places": [[p.holder, p.expires, p.sending] for p in self.places]}
        )

    @classmethod
    def decode(cls, text: str | bytes | None) -> Queue:
        if not text:
            return cls()
        data = json.loads(text)
        return cls([Place(str(h), float(e), bool(s)) for h, e, s in data["places"]], int(data["epoch"]))


class Store(Protocol):
    """Where creators keep queues and records: every call is atomic for all the creators that share it."""

    @property
    def where(self) -> str:
        """The store as errors and logs name it (never a secret)."""
        ...

    @property
    def shared_across_hosts(self) -> bool:
        """Whether creators on other hosts can share it."""
        ...

    def update(self, key: str, change: Callable[[Queue, float], T]) -> T:
        """Apply ``change`` to ``key``'s queue, given the store's clock, atomically; return what it returns.

        ``change`` may be called more than once (an optimistic store retries on a conflict).
        """
        ...

    def read(self, key: str) -> tuple[Queue, float]:
        """``key``'s queue and the store's clock, without changing them."""
        ...

    def add(self, key: str, record: Record, jobs: Iterable[str], owner: str) -> None:
        """Record ``jobs`` as held by ``owner`` for :data:`RECORD_SECONDS`."""
        ...

    def records(self, key: str, record: Record) -> set[tuple[str, str]]:
        """The jobs of ``key`` recorded so, each with its owner (a job two owners hold is there twice)."""
        ...


class LocalStore:
    """Queues and records in an SQLite file that the processes of one machine share (no setup, any OS).

    :param path: the file; by default ``airflow-provider-alteryx-<user>/creations.sqlite3`` in the
        temporary directory, in a folder only its user may enter.
    """

    shared_across_hosts = False

    def __init__(self, path: Path | None = None, clock: Callable[[], float] = time.time) -> None:
        self.path = (
            path or Path(tempfile.gettempdir()) / f"airflow-provider-alteryx-{_user()}" / "creations.sqlite3"
        )
        self.clock = clock
        self._local = threading.local()

    @property
    def where(self) -> str:
        return f"this machine ({self.path})"

    def _connection(self) -> sqlite3.Connection:
        # One connection per thread and process: SQLite connections cross neither threads nor a fork.
        found: tuple[int, sqlite3.Connection] | None = getattr(self._local, "connection", None)
        if found is not None and found[0] == os.getpid():
            return found[1]
        _private_folder(self.path.parent)
        connection = sqlite3.connect(self.path, timeout=30.0, isolation_level=None)
        connection.execute("PRAGMA journal_mode=WAL")
        connection.execute("PRAGMA synchronous=NORMAL")
        connection.execute("CREATE TABLE IF NOT EXISTS queues (key TEXT PRIMARY KEY, queue TEXT NOT NULL)")
        connection.execute(
            "CREATE TABLE IF NOT EXISTS records (key TEXT, record TEXT, job TEXT, owner TEXT, expires REAL, "
            "PRIMARY KEY (key, record, job, owner))"
        )
        self._local.connection = (os.getpid(), connection)
        return connection

    def update(self, key: str, change: Callable[[Queue, float], T]) -> T:
        connection = self._connection()
        connection.execute("BEGIN IMMEDIATE")  # the write lock, taken before reading
        try:
            row = connection.execute("SELECT queue FROM queues WHERE key = ?", (key,)).fetchone()
            queue = Queue.decode(row[0] if row else None)
            result = change(queue, self.clock())
            connection.execute("INSERT OR REPLACE INTO queues VALUES (?, ?)", (key, queue.encode()))
            connection.execute("COMMIT")
        except BaseException:
            connection.execute("ROLLBACK")
            raise
        return result

    def read(self, key: str) -> tuple[Queue, float]:
        row = self._connection().execute("SELECT queue FROM queues WHERE key = ?", (key,)).fetchone()
        return Queue.decode(row[0] if row else None), self.clock()

    def add(self, key: str, record: Record, jobs: Iterable[str], owner: str) -> None:
        now = self.clock()
        connection = self._connection()
        with connection:
            connection.execute("DELETE FROM records WHERE expires <= ?", (now,))
            connection.executemany(
                "INSERT OR REPLACE INTO records VALUES (?, ?, ?, ?, ?)",
                [(key, str(record), job, owner, now + RECORD_SECONDS) for job in jobs],
            )

    def records(self, key: str, record: Record) -> set[tuple[str, str]]:
        rows = self._connection().execute(
            "SELECT job, owner FROM records WHERE key = ? AND record = ? AND expires > ?",
            (key, str(record), self.clock()),
        )
        return {(str(job), str(owner)) for job, owner in rows.fetchall()}


def _user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no user name (a container's numeric user): its id names the folder
        return str(os.getuid()) if hasattr(os, "getuid") else "user"


def _private_folder(folder: Path) -> None:
    """Create ``folder`` for this user alone, and refuse one that another user owns or may write to."""
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    if not hasattr(os, "getuid"):  # Windows: the user's own temporary directory is private already
        return
    status = folder.stat()
    if status.st_uid != os.getuid() or status.st_mode & (stat.S_IWGRP | stat.S_IWOTH):
        raise AlteryxCoordinationError(
            f"The folder {folder}, where this machine's job creations take turns, belongs to another user or "
            "others may write to it; remove it (it is recreated), or set TMPDIR to a folder of your own."
        )


class Turn:
    """One creation's place in its workflow's queue (:meth:`Creations.join`).

    ``ahead`` and ``epoch`` are what the queue said when :meth:`position` last read it.
    """

    def __init__(self, creations: Creations, key: str) -> None:
        self.creations = creations
        self.key = key
        self.holder = ""
        self.epoch = 0
        self.ahead = 0
        self._join()

    def _join(self) -> None:
        holder = uuid.uuid4().hex

        def join(queue: Queue, now: float) -> None:
            queue.lapse(now)
            queue.places.append(Place(holder, now + LEASE_SECONDS))

        self.creations.call(lambda store: store.update(self.key, join))
        self.holder = holder
        self.creations.leases.hold(self)

    def position(self) -> int:
        """How many creators are ahead; a place that lapsed is taken again at the end of the queue."""
        queue, now = self.creations.call(lambda store: store.read(self.key))
        if any(place.expires <= now for place in queue.places):
            queue = self.creations.call(lambda store: store.update(self.key, _lapsed))
        position = queue.position(self.holder)
        if position is None:
            self.creations.leases.release(self)
            self._join()
            return self.position()
        self.ahead, self.epoch = position, queue.epoch
        return position

    def send(self) -> bool:
        """Mark the place as sending (at the head of the queue); False if it lapsed meanwhile."""

        def start(queue: Queue, now: float) -> bool:
            queue.lapse(now)
            if queue.position(self.holder) != 0:
                return False
            queue.places[0].sending = True
            return True

        return self.creations.call(lambda store: store.update(self.key, start))

    def leave(self) -> None:
        """Give up the place (the creation ended, failed, or will try again at the end of the queue)."""
        self.creations.leases.release(self)

        def leave(queue: Queue, now: float) -> None:
            queue.lapse(now)
            queue.places = [place for place in queue.places if place.holder != self.holder]

        self.creations.call(lambda store: store.update(self.key, leave))


def _lapsed(queue: Queue, now: float) -> Queue:
    queue.lapse(now)
    return queue


class Leases:
    """The places this process holds in one store, renewed by a thread while there are any."""

    def __init__(self, creations: Creations) -> None:
        self.creations = creations
        self._held: dict[str, set[str]] = {}  # key -> holders
        self._guard = threading.Lock()
        self._wake = threading.Condition(self._guard)
        self._thread: tuple[int, threading.Thread] | None = None

    def hold(self, turn: Turn) -> None:
        with self._guard:
            self._held.setdefault(turn.key, set()).add(turn.holder)
            # A thread started before a fork did not follow the process: start one in this process.
            if self._thread is None or self._thread[0] != os.getpid() or not self._thread[1].is_alive():
                thread = threading.Thread(
                    target=self._renew_while_held, name="alteryx-creation-leases", daemon=True
                )
                self._thread = (os.getpid(), thread)
                thread.start()

    def release(self, turn: Turn) -> None:
        with self._guard:
            holders = self._held.get(turn.key, set())
            holders.discard(turn.holder)
            if not holders:
                self._held.pop(turn.key, None)
            self._wake.notify_all()

    def forget(self) -> None:
        """Stop renewing (the places lapse within a lease)."""
        with self._guard:
            self._held.clear()
            self._wake.notify_all()

    def _renew_while_held(self) -> None:
        while True:
            with self._guard:
                self._wake.wait_for(lambda: not self._held, timeout=RENEW_SECONDS)
                if not self._held:
                    self._thread = None
                    return
                held = {key: set(holders) for key, holders in self._held.items()}
            for key, holders in held.items():
                try:
                    self.creations.store.update(key, _renewing(holders))
                except Exception as error:  # the next renewal tries again; a place lapses only after a lease
                    _log.warning(
                        "Could not renew creation turns in %s: %s", self.creations.store.where, error
                    )


def _renewing(holders: set[str]) -> Callable[[Queue, float], None]:
    def renew(queue: Queue, now: float) -> None:
        for place in queue.places:
            if place.holder in holders:
                place.expires = now + LEASE_SECONDS

    return renew


class Creations:
    """Turns and records of every creator that shares ``store``.

    :param store: the local file by default, or a shared service.
    """

    def __init__(self, store: Store) -> None:
        self.store = store
        self.leases = Leases(self)

    @property
    def shared_across_hosts(self) -> bool:
        return self.store.shared_across_hosts

    def call(self, action: Callable[[Store], T]) -> T:
        """``action`` on the store, its failures turned into one error that names the store and the fix."""
        try:
            return action(self.store)
        except AlteryxCoordinationError:
            raise
        except Exception as error:
            raise AlteryxCoordinationError(
                f"Could not reach the store where job creations take turns, {self.store.where}: "
                f"{type(error).__name__}: {error}. No job was created by this try; check that the store is "
                "up and reachable (the connection extra coordination_conn_id names it)."
            ) from error

    def join(self, key: str) -> Turn:
        """A place at the end of ``key``'s queue."""
        return Turn(self, key)

    def record(self, key: str, record: Record, jobs: Iterable[str], owner: str) -> None:
        jobs = list(jobs)
        if jobs:
            self.call(lambda store: store.add(key, record, jobs, owner))

    def held(self, key: str, record: Record, *, besides: str | None = None) -> set[str]:
        """The jobs recorded as ``record``, but for those ``besides`` holds."""
        found = self.call(lambda store: store.records(key, record))
        return {job for job, owner in found if owner != besides}

    def close(self) -> None:
        self.leases.forget()
