"""The shared state in Redis, for replicas: each spend is one atomic command, and any Redis
error is `SharedStateUnavailable` (logged once per outage), never a per-process fallback."""

from __future__ import annotations

import contextlib
import logging
import math
from typing import Any

from redis.asyncio import Redis
from redis.exceptions import RedisError

from .plivo.names import MemoryNames
from .shared import SharedStateUnavailable

logger = logging.getLogger("powerpack_mcp.shared")

PREFIX = "powerpack-mcp"


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


class SharedNames:
    """Powerpack name -> UUID hints every replica shares, so a name one replica scanned for
    costs the others one GET too. A hint is proven by that GET on every use (plivo/names.py),
    so a stale or lost hint costs a scan, never a wrong answer; hence Redis trouble here falls
    back to this process's hints instead of failing the read."""

    TTL = 24 * 3600.0  # a Powerpack's name rarely changes; a day bounds what Redis keeps

    def __init__(self, redis: Redis, namespace: str, local: MemoryNames) -> None:
        self._redis = redis
        self._prefix = f"{PREFIX}:{namespace}:name:"
        self._local = local

    async def get(self, name: str) -> str | None:
        try:
            found = await self._redis.get(self._prefix + name)
        except (RedisError, OSError):
            return await self._local.get(name)
        return found.decode() if isinstance(found, bytes) else found

    async def put(self, name: str, uuid: str) -> None:
        await self._local.put(name, uuid)
        with contextlib.suppress(RedisError, OSError):
            await self._redis.set(self._prefix + name, uuid, px=_ms(self.TTL))

    async def forget(self, name: str) -> None:
        await self._local.forget(name)
        with contextlib.suppress(RedisError, OSError):
            await self._redis.delete(self._prefix + name)
