"""Job creations taking turns across hosts, through a Redis the deployment already runs (Celery sites do).

Named by the Alteryx connection's extra ``coordination_conn_id``: an Airflow connection of type ``redis``
(host, port, login as the ACL user, password; extra ``db``, ``ssl``, ``ssl_ca_certs``). Installed with
the provider's ``redis`` extra. A queue is one key, changed in an optimistic transaction (``WATCH``, then
``MULTI``/``EXEC``) against Redis's own clock, so the hosts' clocks need not agree; records are hashes
whose entries carry their expiry.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable, Mapping
from typing import TYPE_CHECKING, Any, TypeVar, cast

from airflow_provider_alteryx.exceptions import AlteryxInputError
from airflow_provider_alteryx.hooks.coordination import LEASE_SECONDS, RECORD_SECONDS, Queue, Record
from airflow_provider_alteryx.utils.scrub import register_secret

if TYPE_CHECKING:
    import redis

T = TypeVar("T")
PREFIX = "airflow-provider-alteryx:"
# A queue nobody touched for this long is empty (every place in it has lapsed): Redis drops it.
IDLE_QUEUE_SECONDS = int(10 * LEASE_SECONDS)
# One call to Redis: a coordination store that does not answer within seconds fails the creation's try.
SOCKET_TIMEOUT_SECONDS = 5.0


class RedisStore:
    """Queues and records in Redis, shared by every host that reaches it.

    :param client: a ``redis.Redis`` client.
    :param where: how errors name it (host, port, db and connection id; never the password).
    """

    shared_across_hosts = True

    def __init__(self, client: redis.Redis, where: str) -> None:
        self.client = client
        self.where = where

    def _name(self, kind: str, key: str) -> str:
        # Hashed: a key holds a Server URL, which need not be a tidy Redis key.
        return f"{PREFIX}{kind}:{hashlib.sha256(key.encode()).hexdigest()[:40]}"

    def _now(self, client: Any) -> float:
        seconds, micros = client.time()
        return float(seconds) + float(micros) / 1e6

    def update(self, key: str, change: Callable[[Queue, float], T]) -> T:
        name = self._name("queue", key)

        def transaction(pipe: Any) -> T:
            queue, now = Queue.decode(pipe.get(name)), self._now(pipe)
            result = change(queue, now)
            pipe.multi()
            pipe.set(name, queue.encode(), ex=IDLE_QUEUE_SECONDS)
            return result

        # Redis runs the transaction again when another creator changed the queue meanwhile.
        return cast(T, self.client.transaction(cast(Any, transaction), name, value_from_callable=True))

    def read(self, key: str) -> tuple[Queue, float]:
        return Queue.decode(self.client.get(self._name("queue", key))), self._now(self.client)

    def add(self, key: str, record: Record, jobs: Iterable[str], owner: str) -> None:
        name = self._name(str(record), key)
        now = self._now(self.client)
        expired = [entry for entry, expires in self._entries(name).items() if expires <= now]
        pipe = self.client.pipeline()
        if expired:
            pipe.hdel(name, *expired)
        # One field per job and owner (a job two owners hold is there twice), its value the entry's expiry.
        pipe.hset(name, mapping={json.dumps([job, owner]): now + RECORD_SECONDS for job in jobs})
        pipe.expire(name, int(RECORD_SECONDS))
        pipe.execute()

    def records(self, key: str, record: Record) -> set[tuple[str, str]]:
        now = self._now(self.client)
        found = set()
        for entry, expires in self._entries(self._name(str(record), key)).items():
            if expires > now:
                job, owner = json.loads(entry)
                found.add((str(job), str(owner)))
        return found

    def _entries(self, name: str) -> dict[str, float]:
        raw: Mapping[bytes, bytes] = self.client.hgetall(name)  # type: ignore[assignment]
        return {entry.decode(): float(expires) for entry, expires in raw.items()}


def redis_store(conn_id: str, conn: Any) -> RedisStore:
    """A store on the Redis of Airflow connection ``conn_id`` (its password registered to be scrubbed).

    :raises AlteryxInputError: the ``redis`` package is missing, or the connection cannot work.
    """
    try:
        import redis
        from redis.backoff import ExponentialBackoff
        from redis.retry import Retry
    except ImportError:
        raise AlteryxInputError(
            f"The Alteryx connection's coordination_conn_id names '{conn_id}', but the redis package is not "
            "installed; install the provider with its redis extra: pip install 'airflow-provider-alteryx[redis]'."
        ) from None
    if not conn.host:
        raise AlteryxInputError(
            f"Redis connection '{conn_id}' has no host; set the host of the Redis to use."
        )
    extra = conn.extra_dejson
    try:
        db = int(extra.get("db", conn.schema or 0))
    except (TypeError, ValueError):
        raise AlteryxInputError(
            f"Redis connection '{conn_id}': extra db is {extra.get('db')!r}; use a database number."
        ) from None
    if conn.password:
        register_secret(conn.password)
    port = int(conn.port or 6379)
    client = redis.Redis(
        host=conn.host,
        port=port,
        db=db,
        username=conn.login or None,
        password=conn.password or None,
        ssl=str(extra.get("ssl", False)).lower() in ("true", "1", "yes"),
        ssl_ca_certs=extra.get("ssl_ca_certs"),
        socket_timeout=SOCKET_TIMEOUT_SECONDS,
        socket_connect_timeout=SOCKET_TIMEOUT_SECONDS,
        # A blip on the way to Redis is retried by redis-py itself, a few times within a second or two.
        retry=Retry(ExponentialBackoff(cap=1.0, base=0.05), 3),
        retry_on_error=[redis.ConnectionError, redis.TimeoutError],
    )
    return RedisStore(client, f"Redis at {conn.host}:{port}/{db} (connection '{conn_id}')")
