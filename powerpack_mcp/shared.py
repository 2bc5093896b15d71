"""State that must be the same on every replica: what the guard has already spent.

A confirmation token, a card's confirmation id and a person's answer each authorise one
attempt. In one process a dict holds what was spent; replicas behind a load balancer share it
in Redis (`POWERPACK_MCP_REDIS_URL`), where each spend is one atomic command (SET NX, GETDEL,
INCR), so two replicas racing for the same token cannot both win.

If Redis is configured but cannot be reached, every operation raises `SharedStateUnavailable`
and the guard refuses (fails closed); nothing here ever falls back to per-process state, which
would let a replayed token through on another replica.
"""

from __future__ import annotations

import logging
import math
import time
from typing import TYPE_CHECKING, Protocol

import anyio

from .plivo.names import MemoryNames, Names
from .settings import Settings

if TYPE_CHECKING:
    # Imported only with Redis configured: loading it costs a stdio server's start ~0.2 s.
    from redis.asyncio import Redis

logger = logging.getLogger("powerpack_mcp.shared")

# A dead Redis must fail a call fast, not hold it for redis-py's default 5 s.
SOCKET_TIMEOUT = 1.0


class SharedStateUnavailable(Exception):
    """The shared state (Redis) could not be reached; nothing single-use can be decided."""


class SharedState(Protocol):
    """Single-use bookkeeping, in this process or shared by every replica."""

    redis: Redis | None  # the client, for other parts that share Redis (None: in-process)

    @property
    def reachable(self) -> bool:
        """False from a failed operation until one succeeds (for health reports)."""
        ...

    async def claim(self, key: str, ttl: float) -> bool:
        """Mark `key` spent for `ttl` seconds; True only for the one caller that did so."""
        ...

    async def spent(self, key: str) -> bool:
        """Whether `key` was claimed and has not lapsed."""
        ...

    async def put(self, key: str, value: bytes, ttl: float) -> None: ...

    async def take(self, key: str) -> bytes | None:
        """The value under `key`, removed in the same step: only one caller gets it."""
        ...

    async def count(self, key: str) -> int: ...

    async def incr(self, key: str, ttl: float) -> int:
        """Add one and return the new count; the count lapses `ttl` seconds after this."""
        ...

    async def ping(self) -> bool:
        """Whether the state can be used now (an outage is logged, not raised)."""
        ...

    async def aclose(self) -> None: ...


class LocalState:
    """One process's state: dicts with expiry. Async only to match `RedisState`; no method
    awaits, so a check and a spend inside one call cannot interleave with another call."""

    redis: Redis | None = None

    def __init__(self) -> None:
        self._values: dict[str, tuple[bytes, float]] = {}
        self._counts: dict[str, tuple[int, float]] = {}

    @property
    def reachable(self) -> bool:
        return True

    async def claim(self, key: str, ttl: float) -> bool:
        if await self.spent(key):
            return False
        await self.put(key, b"1", ttl)
        return True

    async def spent(self, key: str) -> bool:
        found = self._values.get(key)
        return found is not None and found[1] >= time.time()

    async def put(self, key: str, value: bytes, ttl: float) -> None:
        now = time.time()
        self._values = {k: v for k, v in self._values.items() if v[1] >= now}
        self._values[key] = (value, now + ttl)

    async def take(self, key: str) -> bytes | None:
        found = self._values.pop(key, None)
        return found[0] if found is not None and found[1] >= time.time() else None

    async def count(self, key: str) -> int:
        found = self._counts.get(key)
        return found[0] if found is not None and found[1] >= time.time() else 0

    async def incr(self, key: str, ttl: float) -> int:
        now = time.time()
        self._counts = {k: v for k, v in self._counts.items() if v[1] >= now}
        value = await self.count(key) + 1
        self._counts[key] = (value, now + ttl)
        return value

    async def ping(self) -> bool:
        return True

    async def aclose(self) -> None:
        return None


class SharedHealth:
    """What /healthz says of the shared state. It needs no authentication, so however often
    it is called, Redis is asked at most once a second, one question at a time; and a Redis
    that does not answer (a dropped connection holds the guard's client for up to two 1 s
    timeouts) holds no /healthz longer than ASK_AT_MOST: a load balancer's probe typically
    gives up at 1 s."""

    FRESH = 1.0  # seconds an answer is reused
    ASK_AT_MOST = 0.5  # seconds; no answer by then is an outage

    def __init__(self) -> None:
        self._shared: SharedState | None = None
        self._asking = anyio.Lock()
        self._asked = -math.inf
        self._answers = True

    def watch(self, shared: SharedState | None) -> None:
        """The state the server opened (None once it has closed it)."""
        self._shared = shared

    async def problems(self) -> list[str]:
        shared = self._shared
        if shared is None or shared.redis is None:
            return []  # in-process state is always there
        async with self._asking:
            if anyio.current_time() - self._asked >= self.FRESH:
                self._answers = False
                with anyio.move_on_after(self.ASK_AT_MOST):
                    self._answers = await shared.ping()
                self._asked = anyio.current_time()
        if self._answers:
            return []
        return ["redis unreachable: unrenting is refused until it answers (reads go on)"]


def redis_client(settings: Settings) -> Redis | None:
    """The guard's Redis client (None without `POWERPACK_MCP_REDIS_URL`).

    Short timeouts so a dead Redis fails a call in about a second; one immediate retry so a
    connection left stale by a Redis restart is replaced instead of failing a call."""
    if settings.redis_url is None:
        return None
    from redis.asyncio import Redis
    from redis.asyncio.retry import Retry
    from redis.backoff import NoBackoff

    return Redis.from_url(
        settings.redis_url.get_secret_value(),
        socket_timeout=SOCKET_TIMEOUT,
        socket_connect_timeout=SOCKET_TIMEOUT,
        retry=Retry(NoBackoff(), 1),
    )


#: Connections of the rate budget's client: every request waiting for budget asks Redis again,
#: and an unbounded pool would open one per waiting request, whose connects then time out on
#: a busy machine and are taken for an outage. A few reused connections suffice.
BUDGET_CONNECTIONS = 8


def budget_client(settings: Settings) -> Redis | None:
    """The Redis client of Plivo's request budget (None without `POWERPACK_MCP_REDIS_URL`).

    Not the guard's: the guard fails closed within a second, while the budget falls back to
    this process's own when Redis is unreachable, so it must not take a busy process's late
    reading of an answer for an outage (these clocks run on the event loop). A refused
    connection still fails at once."""
    if settings.redis_url is None:
        return None
    from redis.asyncio import BlockingConnectionPool, Redis

    pool = BlockingConnectionPool.from_url(
        settings.redis_url.get_secret_value(),
        max_connections=BUDGET_CONNECTIONS,
        timeout=10,
        socket_connect_timeout=5,
        socket_timeout=10,
    )
    return Redis.from_pool(pool)


async def open_shared(
    settings: Settings, *, namespace: str, local: LocalState | None = None
) -> SharedState:
    """Redis when configured (checked once, loudly, but never fatal: reads need no Redis),
    else `local` (one process's state, kept across this server's connections)."""
    client = redis_client(settings)
    if client is None:
        return local if local is not None else LocalState()
    from .shared_redis import RedisState

    shared = RedisState(client, namespace)
    if await shared.ping():
        logger.info("shared state in Redis at %s", shared.where)
    return shared


def name_hints(shared: SharedState, namespace: str) -> Names:
    """Where Powerpack name -> UUID hints live: in Redis with the shared state (every replica
    gains from one replica's scan), else in this process."""
    local = MemoryNames()
    if shared.redis is None:
        return local
    from .shared_redis import SharedNames

    return SharedNames(shared.redis, namespace, local)
