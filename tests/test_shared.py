"""The shared state's contract, in one process and in a real redis-server: each thing is
spent once, even by many at once; nothing is kept forever; a dead Redis fails fast and
loudly once, without its password in the log."""

from __future__ import annotations

import logging
import time
from collections.abc import AsyncIterator, Iterator

import anyio
import pytest
from pydantic import SecretStr
from redis_support import RedisServer, redis_server
from support import settings

from powerpack_mcp.shared import (
    LocalState,
    SharedState,
    SharedStateUnavailable,
    open_shared,
)
from powerpack_mcp.shared_redis import RedisState

pytestmark = pytest.mark.anyio


@pytest.fixture
def store() -> Iterator[RedisServer]:
    with redis_server() as server:
        yield server


@pytest.fixture(params=["local", "redis"])
async def shared(request: pytest.FixtureRequest) -> AsyncIterator[SharedState]:
    if request.param == "local":
        yield LocalState()
        return
    server = request.getfixturevalue("store")
    state = await open_shared(settings(redis_url=server.url), namespace="MATEST")
    try:
        yield state
    finally:
        await state.aclose()


async def test_a_claim_is_won_once(shared: SharedState) -> None:
    assert await shared.spent("token:a") is False
    assert await shared.claim("token:a", 60) is True
    assert await shared.claim("token:a", 60) is False
    assert await shared.spent("token:a") is True
    assert await shared.claim("token:b", 60) is True


async def test_a_value_is_taken_once(shared: SharedState) -> None:
    await shared.put("view:x", b'{"a": 1}', 60)
    assert await shared.take("view:x") == b'{"a": 1}'
    assert await shared.take("view:x") is None
    assert await shared.take("view:never") is None


async def test_counts_move_on_by_one(shared: SharedState) -> None:
    assert await shared.count("answer:x") == 0
    assert [await shared.incr("answer:x", 60) for _ in range(3)] == [1, 2, 3]
    assert await shared.count("answer:x") == 3


async def test_many_claims_at_once_on_many_clients_one_wins(store: RedisServer) -> None:
    states = [
        await open_shared(settings(redis_url=store.url), namespace="MATEST") for _ in range(3)
    ]
    won: list[bool] = []

    async def claim(state: SharedState) -> None:
        won.append(await state.claim("token:raced", 60))

    async with anyio.create_task_group() as tg:
        for _ in range(20):
            for state in states:
                tg.start_soon(claim, state)
    for state in states:
        await state.aclose()
    assert sorted(won) == [False] * 59 + [True]


async def test_every_key_expires_and_is_namespaced(store: RedisServer) -> None:
    state = await open_shared(settings(redis_url=store.url), namespace="MATEST")
    await state.claim("token:a", 30)
    await state.put("view:b", b"x", 30)
    await state.incr("answer:c", 30)
    assert state.redis is not None
    keys = sorted(await state.redis.keys("*"))
    ttls = [await state.redis.pttl(key) for key in keys]
    await state.aclose()
    assert keys == [
        b"powerpack-mcp:MATEST:answer:c",
        b"powerpack-mcp:MATEST:token:a",
        b"powerpack-mcp:MATEST:view:b",
    ]
    assert all(0 < ttl <= 30_000 for ttl in ttls)


async def test_a_dead_redis_fails_fast_once_loudly_and_tells_no_password(
    store: RedisServer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="powerpack_mcp")
    url = store.url.replace("redis://", "redis://:hunter2-redis-password@")
    store.stop()
    state = await open_shared(settings(redis_url=SecretStr(url)), namespace="MATEST")
    assert isinstance(state, RedisState)  # a dead Redis at start is not fatal: reads go on
    started = time.monotonic()
    for _ in range(3):
        with pytest.raises(SharedStateUnavailable):
            await state.claim("token:a", 60)
    elapsed = time.monotonic() - started
    assert state.reachable is False
    store.start()
    assert await state.claim("token:a", 60) is True
    assert state.reachable is True
    await state.aclose()
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert [("cannot be reached" in w, "answers again:" in w) for w in warnings] == [
        (True, False),
        (False, True),
    ]
    assert f"127.0.0.1:{store.port}" in warnings[0]
    assert "hunter2" not in caplog.text
    assert elapsed < 10  # generous: each attempt is bounded by a 1 s timeout
