"""Plivo's rate limit, never exceeded: the request budget alone (in one process and on a real
redis-server), a call that cannot get budget in time, and replicas sharing one account against
one emulator that enforces Plivo's limit, checked on the emulator's own arrival log."""

from __future__ import annotations

import logging
import random
import time
from collections.abc import AsyncIterator, Sequence
from contextlib import AsyncExitStack, asynccontextmanager
from typing import Any

import anyio
import httpx
import pytest
from http_support import free_port, http_client, http_server, upstream
from mcp import Client
from pydantic import SecretStr
from redis.asyncio import Redis
from redis_support import RedisServer, redis  # noqa: F401
from starlette.applications import Starlette
from support import Emulator, connect, join, ok, settings, text

from powerpack_mcp.plivo import BudgetExhausted, Credentials, open_client
from powerpack_mcp.plivo.ratelimit import LocalBudget, RateLimit, RedisBudget, RequestBudget
from powerpack_mcp.sandbox import DEFAULT_AUTH_ID, DEFAULT_AUTH_TOKEN
from powerpack_mcp.sandbox.data import MARKETING_UUID
from powerpack_mcp.server import build_server

pytestmark = pytest.mark.anyio

ACCOUNT = DEFAULT_AUTH_ID


def busiest_window(arrivals: Sequence[float], seconds: float) -> int:
    """The most arrivals within any `seconds`-long window: for each arrival, those in the
    `seconds` up to and including it (the busiest window always ends at an arrival)."""
    times = sorted(arrivals)
    most, first = 0, 0
    for last, at in enumerate(times):
        while times[first] <= at - seconds:
            first += 1
        most = max(most, last - first + 1)
    return most


async def hammer(budgets: Sequence[RequestBudget], requests: int) -> list[tuple[float, float]]:
    """`requests` concurrent users of the budgets (spread over them), each holding its slot
    for a random while as a request in flight would. Returns each one's span, from having its
    slot to giving it back: Plivo may see it arrive at any instant of that span."""
    spans: list[tuple[float, float]] = []

    async def one(budget: RequestBudget) -> None:
        slot = await budget.take(30, hold=2)
        taken = time.monotonic()
        await anyio.sleep(random.uniform(0, 0.05))
        spans.append((taken, time.monotonic()))
        await slot.done()

    async with anyio.create_task_group() as tg:
        for n in range(requests):
            tg.start_soon(one, budgets[n % len(budgets)])
    assert len(spans) == requests
    return spans


def most_at_once(spans: Sequence[tuple[float, float]], window: float) -> int:
    """The most requests one window of Plivo's could count, wherever in its span each
    arrived: a request can be counted by a window ending within its span widened by a window,
    so this is the most such widened spans that overlap."""
    edges = sorted([(start, 1) for start, _ in spans] + [(end + window, -1) for _, end in spans])
    now = most = 0
    for _, step in edges:
        now += step
        most = max(most, now)
    return most


# The budget alone ------------------------------------------------------------------------


async def test_in_process_budget_never_lets_more_than_n_into_a_window() -> None:
    limit = RateLimit(5, 0.2)
    spans = await hammer([LocalBudget(limit)], 25)
    assert most_at_once(spans, limit.seconds) <= limit.requests


async def test_replicas_on_redis_never_let_more_than_n_into_a_window(redis: RedisServer) -> None:  # noqa: F811
    limit = RateLimit(5, 0.2)
    budgets = [RedisBudget(Redis.from_url(redis.url), ACCOUNT, limit) for _ in range(3)]
    try:
        spans = await hammer(budgets, 25)
    finally:
        for budget in budgets:
            await budget.aclose()
    assert most_at_once(spans, limit.seconds) <= limit.requests


async def test_without_redis_each_replica_has_its_own_budget() -> None:
    """The check above can fail: three in-process budgets let three times N through."""
    limit = RateLimit(5, 0.2)
    spans = await hammer([LocalBudget(limit) for _ in range(3)], 25)
    assert most_at_once(spans, limit.seconds) > limit.requests


async def _exhaust(budget: RequestBudget) -> None:
    for _ in range(budget.limit.requests):
        await (await budget.take(1, hold=1)).done()


@pytest.mark.parametrize("where", ["process", "redis"])
async def test_no_budget_in_time_fails_at_once_saying_so(where: str, redis: RedisServer) -> None:  # noqa: F811
    limit = RateLimit(2, 30)
    first, second = (
        (LocalBudget(limit),) * 2
        if where == "process"
        else [RedisBudget(Redis.from_url(redis.url), ACCOUNT, limit) for _ in range(2)]
    )
    await _exhaust(first)
    started = time.monotonic()
    with pytest.raises(BudgetExhausted) as refused:
        await second.take(5, hold=1)
    # It does not sit out the 5 s it was given when it can see 30 s are needed.
    assert time.monotonic() - started < 4
    assert str(refused.value) == (
        "Plivo's request budget for this account (2 per 30 s) is used up; try again in 30 s."
    )
    await first.aclose()
    await second.aclose()


async def test_a_request_waits_for_budget_within_its_time() -> None:
    budget = LocalBudget(RateLimit(1, 0.3))
    slot = await budget.take(1, hold=1)
    started = time.monotonic()
    await slot.done()  # from here the slot is held for one more window
    await (await budget.take(5, hold=1)).done()
    assert time.monotonic() - started >= 0.3


async def test_redis_down_falls_back_to_this_process_and_warns_once(
    redis: RedisServer,  # noqa: F811
    caplog: pytest.LogCaptureFixture,
) -> None:
    limit = RateLimit(2, 30)
    client = Redis.from_url(redis.url, socket_connect_timeout=1, socket_timeout=1)
    budget = RedisBudget(client, ACCOUNT, limit, recheck_after=0)
    other = RedisBudget(Redis.from_url(redis.url), ACCOUNT, limit)
    await _exhaust(other)  # the shared budget is used up...
    redis.stop()
    with caplog.at_level(logging.WARNING, "powerpack_mcp.plivo"):
        # ...but with Redis gone, this replica goes on within its own budget.
        await (await budget.take(1, hold=1)).done()
        await (await budget.take(1, hold=1)).done()
        with pytest.raises(BudgetExhausted):
            await budget.take(1, hold=1)
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1
    assert warnings[0].startswith("Redis is unreachable (ConnectionError)")
    assert redis.url not in warnings[0]
    caplog.clear()
    redis.start()  # empty again: the shared budget starts afresh
    with caplog.at_level(logging.WARNING, "powerpack_mcp.plivo"):
        await (await budget.take(1, hold=1)).done()
    assert [r.getMessage() for r in caplog.records][-1].startswith("Redis is reachable again")
    await budget.aclose()
    await other.aclose()


def test_the_setting_is_checked_and_named() -> None:
    assert settings(plivo_rate_limit=" 1000 / 1 ").rate_limit == RateLimit(1000, 1.0)
    assert settings().plivo_rate_limit == "300/5s"
    with pytest.raises(ValueError, match="such as 300/5s"):
        settings(plivo_rate_limit="300 per 5 seconds")


# Through the server ----------------------------------------------------------------------


async def test_a_call_that_cannot_get_budget_in_time_says_so(sandbox_app: Starlette) -> None:
    emulator = Emulator(sandbox_app)
    async with connect(sandbox_app, plivo_rate_limit="2/30s", request_timeout=5) as client:
        for _ in range(2):
            ok(await client.call_tool("list_powerpacks", {}))
        refused = await client.call_tool("list_powerpacks", {})
    assert refused.is_error
    assert "Plivo's request budget for this account (2 per 30 s) is used up" in text(refused)
    assert len(await emulator.requests()) == 2  # nothing was sent, so Plivo never said 429


async def test_calls_wait_for_budget_instead_of_drawing_429s(sandbox_app: Starlette) -> None:
    emulator = Emulator(sandbox_app)
    await emulator.rate_limit("2/1s")
    async with connect(sandbox_app, plivo_rate_limit="2/1s", request_timeout=30) as client:
        for _ in range(5):
            ok(await client.call_tool("list_powerpacks", {}))
    log = await emulator.requests()
    assert [entry["status"] for entry in log] == [200] * 5
    assert busiest_window([entry["arrived"] for entry in log], 1.0) <= 2


async def test_reads_go_on_when_redis_is_unreachable(
    sandbox_app: Starlette, caplog: pytest.LogCaptureFixture
) -> None:
    nowhere = f"redis://127.0.0.1:{free_port()}/0"  # nothing listens there
    with caplog.at_level(logging.WARNING, "powerpack_mcp.plivo"):
        async with connect(sandbox_app, redis_url=nowhere) as client:
            for _ in range(3):
                ok(await client.call_tool("list_powerpacks", {}))
    warnings = [r.getMessage() for r in caplog.records if r.name == "powerpack_mcp.plivo"]
    assert len(warnings) == 1
    assert "Redis is unreachable" in warnings[0]


# Replicas sharing one account ------------------------------------------------------------


@asynccontextmanager
async def replicas(
    app: Starlette, redis_url: str, limit: str, *, count: int = 3, callers: int = 50
) -> AsyncIterator[list[Client]]:
    """`count` servers sharing Redis and one emulator, and `callers` clients spread over them
    (each connection runs its server's lifespan: its own Plivo client, its own Redis client)."""
    servers = [
        build_server(
            settings(redis_url=redis_url, plivo_rate_limit=limit, request_timeout=60),
            transport=httpx.ASGITransport(app=app),
        )
        for _ in range(count)
    ]
    async with AsyncExitStack() as stack:
        yield [await stack.enter_async_context(join(servers[n % count])) for n in range(callers)]


async def all_at_once(clients: list[Client], tool: str, arguments: dict[str, Any]) -> list[Any]:
    """Every client calls at once; each result's content, or its error text."""
    results: list[Any] = [None] * len(clients)

    async def call(n: int) -> None:
        result = await clients[n].call_tool(tool, arguments)
        results[n] = text(result) if result.is_error else ok(result)

    async with anyio.create_task_group() as tg:
        for n in range(len(clients)):
            tg.start_soon(call, n)
    return results


async def test_fifty_callers_on_three_replicas_draw_no_429_scaled(
    sandbox_app: Starlette,
    redis: RedisServer,  # noqa: F811
) -> None:
    emulator = Emulator(sandbox_app)
    await emulator.rate_limit("40/1s")
    async with replicas(sandbox_app, redis.url, "40/1s") as clients:
        await all_at_once(clients, "list_powerpacks", {})
        found = await all_at_once(clients, "get_powerpack", {"powerpack": MARKETING_UUID})
    assert {powerpack["name"] for powerpack in found} == {"marketing"}
    log = await emulator.requests()
    assert len(log) == 100  # two and a half windows' worth
    assert [entry for entry in log if entry["status"] != 200] == []
    assert busiest_window([entry["arrived"] for entry in log], 1.0) <= 40


async def test_fifty_callers_on_three_replicas_hold_plivos_300_per_5_s(
    sandbox_app: Starlette,
    redis: RedisServer,  # noqa: F811
) -> None:
    """The real limit: 50 lookups of a name none of 143 Powerpacks has (a scan of all 8 list
    pages each) make 400 requests, more than a window allows, so the last hundred wait."""
    emulator = Emulator(sandbox_app)
    await emulator.seed(140)
    await emulator.clear_requests()
    await emulator.rate_limit("300/5s")
    async with replicas(sandbox_app, redis.url, "300/5s") as clients:
        answers = await all_at_once(clients, "get_powerpack", {"powerpack": "nowhere"})
    assert all(answer.endswith("Powerpack 'nowhere' not found.") for answer in answers)
    log = await emulator.requests()
    assert len(log) == 400
    assert [entry for entry in log if entry["status"] != 200] == []
    assert busiest_window([entry["arrived"] for entry in log], 5.0) <= 300


# What the transport reports (metrics) -----------------------------------------------------


class Recorder:
    """An Observer that writes down what it is told."""

    def __init__(self) -> None:
        self.events: list[tuple[Any, ...]] = []

    def request(self, method: str, status: int | None, seconds: float) -> None:
        self.events.append(("request", method, status))

    def retry(self, method: str, reason: str) -> None:
        self.events.append(("retry", method, reason))

    def budget_wait(self, seconds: float) -> None:
        self.events.append(("budget_wait",))

    def in_flight(self, delta: int) -> None:
        self.events.append(("in_flight", delta))


async def test_the_transport_reports_each_attempt_retry_wait_and_in_flight(
    sandbox_app: Starlette,
) -> None:
    await Emulator(sandbox_app).fault(path="Powerpack", status=429, retry_after=0, times=1)
    recorder = Recorder()
    credentials = Credentials(DEFAULT_AUTH_ID, SecretStr(DEFAULT_AUTH_TOKEN))
    async with open_client(
        credentials,
        api_url="http://sandbox.invalid",
        request_timeout=2,
        transport=httpx.ASGITransport(app=sandbox_app),
        observer=recorder,
    ) as plivo:
        await plivo.list_powerpacks()
    attempt = [("budget_wait",), ("in_flight", 1), ("in_flight", -1)]
    assert recorder.events == [
        *attempt,
        ("request", "GET", 429),
        ("retry", "GET", "rate_limited"),
        *attempt,
        ("request", "GET", 200),
    ]


async def test_replica_processes_share_the_budget_over_http(
    sandbox_app: Starlette,
    sandbox_url: str,
    redis: RedisServer,  # noqa: F811
) -> None:
    """As deployed: two `powerpack-mcp --transport http` processes configured only by their
    environment, one emulator over HTTP, twenty callers over HTTP."""
    emulator = Emulator(sandbox_app)
    await emulator.rate_limit("20/1s")
    env = {
        **upstream(sandbox_url),
        "POWERPACK_MCP_REDIS_URL": redis.url,
        "POWERPACK_MCP_PLIVO_RATE_LIMIT": "20/1s",
    }

    async def caller(url: str) -> None:
        async with http_client(url) as client:
            for _ in range(3):
                ok(await client.call_tool("list_powerpacks", {}))

    with http_server("--stateless", **env) as first, http_server("--stateless", **env) as second:
        async with anyio.create_task_group() as tg:
            for n in range(20):
                tg.start_soon(caller, (first, second)[n % 2].url)
    log = await emulator.requests()
    assert len(log) == 60
    assert [entry for entry in log if entry["status"] != 200] == []
    assert busiest_window([entry["arrived"] for entry in log], 1.0) <= 20
