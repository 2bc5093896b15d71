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
from typing import Any, Protocol

from redis.asyncio import Redis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import RedisError

from .settings import Settings

logger = logging.getLogger("powerpack_mcp.shared")

# A dead Redis must fail a call fast, not hold it for redis-py's default 5 s.
SOCKET_TIMEOUT = 1.0
PREFIX = "powerpack-mcp"


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

    async def aclose(self) -> None:
        return None


class RedisState:
    """State every replica shares, in Redis under `powerpack-mcp:<namespace>:`."""

    def __init__(self, redis: Redis, namespace: str) -> None:
        self.redis: Redis | None = redis
        self._client = redis
        self._prefix = f"{PREFIX}:{namespace}:"
        self._down = False

    @property
    def reachable(self) -> bool:
        return not self._down

    async def claim(self, key: str, ttl: float) -> bool:
        return bool(await self._run("set", self._key(key), b"1", nx=True, px=_ms(ttl)))

    async def spent(self, key: str) -> bool:
        return bool(await self._run("exists", self._key(key)))

    async def put(self, key: str, value: bytes, ttl: float) -> None:
        await self._run("set", self._key(key), value, px=_ms(ttl))

    async def take(self, key: str) -> bytes | None:
        found = await self._run("getdel", self._key(key))
        return bytes(found) if found is not None else None

    async def count(self, key: str) -> int:
        found = await self._run("get", self._key(key))
        return int(found) if found is not None else 0

    async def incr(self, key: str, ttl: float) -> int:
        async def both() -> Any:
            async with self._client.pipeline(transaction=True) as pipe:
                pipe.incr(self._key(key))
                pipe.pexpire(self._key(key), _ms(ttl))
                return await pipe.execute()

        value, _ = await self._guarded(both)
        return int(value)

    async def ping(self) -> bool:
        """Whether Redis answers now; an outage is logged, not raised."""
        try:
            await self._run("ping")
        except SharedStateUnavailable:
            return False
        return True

    async def aclose(self) -> None:
        await self._client.aclose()

    def _key(self, key: str) -> str:
        return self._prefix + key

    async def _run(self, command: str, *args: Any, **kwargs: Any) -> Any:
        return await self._guarded(lambda: getattr(self._client, command)(*args, **kwargs))

    async def _guarded(self, call: Any) -> Any:
        try:
            result = await call()
        except (RedisError, OSError) as exc:
            self._outage(exc)
            raise SharedStateUnavailable from None
        if self._down:
            self._down = False
            logger.warning("Redis at %s answers again: guarded actions are allowed", self.where)
        return result

    def _outage(self, exc: Exception) -> None:
        # Loud once per outage, not once per call: a dead Redis under load would flood the log.
        if self._down:
            return
        self._down = True
        logger.warning(
            "Redis at %s cannot be reached (%s): every guarded action (unrenting numbers) "
            "is refused until it answers again; reads go on",
            self.where,
            type(exc).__name__,
        )

    @property
    def where(self) -> str:
        """Host and port only: the URL may carry a password."""
        kwargs = self._client.connection_pool.connection_kwargs
        return f"{kwargs.get('host', '?')}:{kwargs.get('port', '?')}"


def _ms(ttl: float) -> int:
    return max(1, math.ceil(ttl * 1000))


def redis_client(settings: Settings) -> Redis | None:
    """The one Redis client a server creates (None without `POWERPACK_MCP_REDIS_URL`).

    Short timeouts so a dead Redis fails a call in about a second; one immediate retry so a
    connection left stale by a Redis restart is replaced instead of failing a call."""
    if settings.redis_url is None:
        return None
    return Redis.from_url(
        settings.redis_url.get_secret_value(),
        socket_timeout=SOCKET_TIMEOUT,
        socket_connect_timeout=SOCKET_TIMEOUT,
        retry=Retry(NoBackoff(), 1),
    )


async def open_shared(
    settings: Settings, *, namespace: str, local: LocalState | None = None
) -> SharedState:
    """Redis when configured (checked once, loudly, but never fatal: reads need no Redis),
    else `local` (one process's state, kept across this server's connections)."""
    client = redis_client(settings)
    if client is None:
        return local if local is not None else LocalState()
    shared = RedisState(client, namespace)
    if await shared.ping():
        logger.info("shared state in Redis at %s", shared.where)
    return shared
