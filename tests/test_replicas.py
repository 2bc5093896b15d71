"""Replicas sharing the guard's single-use state through a real redis-server (issue 15).

Three stateless replicas (servers built from the same settings: confirmation secret, request
state key, Redis URL) in front of ONE emulator. A token, a card's confirmation id and a
person's answer each authorise exactly one attempt across all of them; the emulator's request
log is the witness of what reached "Plivo". With Redis stopped, guarded actions are refused
while reads go on, and they work again once it is back.
"""

from __future__ import annotations

import json
import logging
import socket
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import AsyncExitStack, asynccontextmanager
from pathlib import Path
from typing import Any

import anyio
import httpx
import pytest
from http_support import http_client, http_server
from http_support import upstream as plivo_at
from mcp import Client
from mcp.types import CallToolResult, ElicitResult, InputRequiredResult
from proxy import Proxy
from redis_support import RedisServer, redis_server
from starlette.applications import Starlette
from starlette.requests import Request
from support import Emulator, error, join, ok, settings
from test_guard_attacks import MARKETING, UNRENT_ALL, accept

from powerpack_mcp.sandbox import create_app
from powerpack_mcp.server import build_server

pytestmark = pytest.mark.anyio

SHARED = {
    "transport": "http",
    "stateless": True,
    "confirm_secret": "replicas-share-this-confirmation-secret",
    "state_key": "replicas-share-this-request-state-key-0123456789",
}
CARD = "powerpack-mcp/confirmation"
UNRENTS = "/Number/|/Tollfree/"


class Upstream:
    """The emulator behind a proxy that can hold the first unrent DELETE until released, so
    two confirmations race past the guard before either unrent reaches "Plivo"."""

    def __init__(self) -> None:
        self.proxy = Proxy(create_app())
        self.emulator = Emulator(self.proxy.inner)
        self.release = anyio.Event()

    def hold_first_delete(self) -> None:
        held: list[Request] = []

        async def before(request: Request) -> None:
            if request.method == "DELETE" and not held:
                held.append(request)
                with anyio.fail_after(30):  # bounded: a bug fails the test, never hangs it
                    await self.release.wait()

        self.proxy.before = before


@pytest.fixture
def upstream() -> Upstream:
    return Upstream()


@pytest.fixture
def store() -> Iterator[RedisServer]:
    """A fresh redis-server every replica shares."""
    with redis_server() as server:
        yield server


def replica(upstream: Upstream, redis_url: str, **overrides: Any) -> Any:
    options = {**SHARED, "redis_url": redis_url, **overrides}
    return build_server(settings(**options), transport=httpx.ASGITransport(app=upstream.proxy))


@asynccontextmanager
async def clients(
    upstream: Upstream,
    redis_url: str,
    count: int,
    *,
    elicitation: Any = None,
    apps: bool = False,
    **overrides: Any,
) -> AsyncIterator[list[Client]]:
    """A 2026-07-28 client connected to each of `count` replicas."""
    async with AsyncExitStack() as stack:
        connected = [
            await stack.enter_async_context(
                join(replica(upstream, redis_url, **overrides), elicitation=elicitation, apps=apps)
            )
            for _ in range(count)
        ]
        yield connected


async def at_once(*calls: Any) -> list[Any]:
    """Run the calls concurrently; the first to finish releases a held unrent."""
    results: list[Any] = []

    async def run(call: Any) -> None:
        results.append(await call())

    async with anyio.create_task_group() as tg:
        for call in calls:
            tg.start_soon(run, call)
    return results


async def person_answers(client: Client) -> dict[str, Any]:
    """The arguments that retry an unrent of marketing with a person's typed answer."""
    asked = await client.session.call_tool(
        "delete_powerpack", UNRENT_ALL, allow_input_required=True
    )
    assert isinstance(asked, InputRequiredResult)
    [key] = asked.input_requests
    return {
        "input_responses": {key: ElicitResult(action="accept", content={"name": "marketing"})},
        "request_state": asked.request_state,
        "allow_input_required": True,
    }


# (a) One token or one answer, used at two replicas at once: one unrent ---------------------


async def test_one_token_at_two_replicas_at_once_unrents_once(
    upstream: Upstream, store: RedisServer
) -> None:
    async with clients(upstream, store.url, 2, confirm="token") as (one, two):
        first = ok(await one.call_tool("delete_powerpack", UNRENT_ALL))
        arguments = {**UNRENT_ALL, "confirmation_token": first["confirmation_token"]}
        upstream.hold_first_delete()

        async def confirm(client: Client) -> CallToolResult:
            try:
                return await client.call_tool("delete_powerpack", arguments)
            finally:
                upstream.release.set()

        results = await at_once(lambda: confirm(one), lambda: confirm(two))
    assert sorted(r.is_error for r in results) == [False, True]
    refused = next(r for r in results if r.is_error)
    assert "already been used" in error(refused)
    assert sorted(await upstream.emulator.unrent_requests()) == MARKETING


async def test_one_answer_at_two_replicas_at_once_unrents_once(
    upstream: Upstream, store: RedisServer
) -> None:
    async with clients(upstream, store.url, 2, elicitation=accept("marketing")) as (one, two):
        answered = await person_answers(one)
        upstream.hold_first_delete()

        async def answer(client: Client) -> Any:
            try:
                return await client.session.call_tool("delete_powerpack", UNRENT_ALL, **answered)
            finally:
                upstream.release.set()

        results = await at_once(lambda: answer(one), lambda: answer(two))
    statuses = [
        (r.structured_content or {}).get("status") for r in results if isinstance(r, CallToolResult)
    ]
    assert statuses.count("deleted") == 1  # the other is cancelled, or the person asked again
    assert sorted(await upstream.emulator.unrent_requests()) == MARKETING


# (b) A token used on one replica is refused on the others, even if its unrent failed -------


async def test_a_token_whose_unrent_failed_is_refused_on_every_other_replica(
    upstream: Upstream, store: RedisServer
) -> None:
    # Plivo refuses every unrent: the pool stays exactly as previewed, so only the token's
    # single use stands between a replay and a second round of unrents.
    await upstream.emulator.fault(method="DELETE", path=UNRENTS, status=400)
    async with clients(upstream, store.url, 3, confirm="token") as (one, two, three):
        first = ok(await one.call_tool("delete_powerpack", UNRENT_ALL))
        arguments = {**UNRENT_ALL, "confirmation_token": first["confirmation_token"]}
        failed = error(await one.call_tool("delete_powerpack", arguments))
        sent = await upstream.emulator.unrent_requests()
        replays = [error(await c.call_tool("delete_powerpack", arguments)) for c in (two, three)]
    assert "Not unrented, still rented" in failed
    assert sent  # the first attempt did reach Plivo
    for refused in replays:
        assert "Refused, nothing was changed: the confirmation token has already been used" in (
            refused
        )
    assert await upstream.emulator.unrent_requests() == sent


# (c) A card's confirmation id, taken at one replica, cannot be taken at another -------------


async def test_a_card_confirmed_on_one_replica_is_spent_on_all(
    upstream: Upstream, store: RedisServer
) -> None:
    async with clients(upstream, store.url, 3, apps=True) as (one, two, three):
        shown = await one.call_tool("delete_powerpack", UNRENT_ALL)
        assert shown.meta is not None
        confirm = {"confirmation_id": shown.meta[CARD]["id"], "typed": "marketing"}
        done = ok(await two.call_tool("confirm_unrent", confirm))  # another replica takes it
        replays = [error(await c.call_tool("confirm_unrent", confirm)) for c in (one, three)]
    assert done["status"] == "unrented"
    for refused in replays:
        assert "unknown or was already used" in refused
    assert sorted(await upstream.emulator.unrent_requests()) == MARKETING


# (d) A person's answer, replayed at another replica, asks the person again ------------------


async def test_a_replayed_answer_at_another_replica_is_asked_again(
    upstream: Upstream, store: RedisServer
) -> None:
    await upstream.emulator.fault(method="DELETE", path=UNRENTS, status=400)
    async with clients(upstream, store.url, 2, elicitation=accept("marketing")) as (one, two):
        answered = await person_answers(one)
        failed = await one.session.call_tool("delete_powerpack", UNRENT_ALL, **answered)
        sent = await upstream.emulator.unrent_requests()
        replayed = await two.session.call_tool("delete_powerpack", UNRENT_ALL, **answered)
    assert isinstance(failed, CallToolResult)
    assert failed.is_error
    assert sent
    assert isinstance(replayed, InputRequiredResult)  # the person is asked again
    assert await upstream.emulator.unrent_requests() == sent  # and the replay sent nothing


# (e) Redis stopped mid-run: guarded actions refused, reads go on, and back again -----------


async def test_without_redis_guarded_actions_are_refused_and_reads_go_on(
    upstream: Upstream, store: RedisServer, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    log = tmp_path / "audit.jsonl"
    caplog.set_level(logging.WARNING, logger="powerpack_mcp")
    async with clients(upstream, store.url, 2, confirm="token", audit_log=log) as (one, two):
        first = ok(await one.call_tool("delete_powerpack", UNRENT_ALL))
        arguments = {**UNRENT_ALL, "confirmation_token": first["confirmation_token"]}
        store.stop()
        refused = [
            error(await two.call_tool("delete_powerpack", arguments)),
            error(await two.call_tool("delete_powerpack", arguments)),
            error(await one.call_tool("delete_powerpack", UNRENT_ALL)),  # a new preview too
        ]
        listed = ok(await two.call_tool("list_powerpacks", {}))
        got = ok(await one.call_tool("get_powerpack", {"powerpack": "marketing"}))
        assert await upstream.emulator.unrent_requests() == []
        store.start()
        done = ok(await two.call_tool("delete_powerpack", arguments))
    for message in refused:
        assert "Refused, nothing was changed:" in message
        assert "(Redis) cannot be reached" in message
    assert "marketing" in json.dumps(listed)
    assert got["name"] == "marketing"
    assert done["status"] == "deleted"  # the refused attempts did not spend the token
    assert sorted(await upstream.emulator.unrent_requests()) == MARKETING
    decisions = [json.loads(line) for line in log.read_text().splitlines()]
    assert [d["outcome"] for d in decisions if "Redis" in json.dumps(d)] == ["refused"] * 3
    outages = [r for r in caplog.records if "cannot be reached" in r.getMessage()]
    assert len(outages) == 2  # loud once per outage and replica, not once per call
    assert all(r.levelno == logging.WARNING for r in outages)


# The same over real processes: `powerpack-mcp --transport http --stateless` replicas ---------


async def test_real_replicas_given_a_redis_url_share_what_was_spent(
    store: RedisServer, sandbox_app: Starlette, sandbox_url: str
) -> None:
    emulator = Emulator(sandbox_app)
    await emulator.fault(method="DELETE", path=UNRENTS, status=400)
    env = {
        **plivo_at(sandbox_url),
        "POWERPACK_MCP_CONFIRM": "token",
        "POWERPACK_MCP_CONFIRM_SECRET": SHARED["confirm_secret"],
        "POWERPACK_MCP_STATE_KEY": SHARED["state_key"],
        "POWERPACK_MCP_REDIS_URL": store.url,
    }
    with http_server("--stateless", **env) as one, http_server("--stateless", **env) as two:
        async with http_client(one.url) as client:
            first = ok(await client.call_tool("delete_powerpack", UNRENT_ALL))
            arguments = {**UNRENT_ALL, "confirmation_token": first["confirmation_token"]}
            failed = error(await client.call_tool("delete_powerpack", arguments))
        sent = await emulator.unrent_requests()
        async with http_client(two.url) as client:
            replayed = error(await client.call_tool("delete_powerpack", arguments))
    assert "Not unrented, still rented" in failed
    assert "the confirmation token has already been used" in replayed
    assert await emulator.unrent_requests() == sent


@pytest.mark.parametrize("method", ["form", "card"])
async def test_without_redis_no_person_is_asked_and_no_card_shown(
    upstream: Upstream, store: RedisServer, method: str
) -> None:
    person = accept("marketing")
    elicitation = person if method == "form" else None
    async with clients(upstream, store.url, 1, elicitation=elicitation, apps=True) as [client]:
        store.stop()
        refused = await client.call_tool("delete_powerpack", UNRENT_ALL)
    assert "(Redis) cannot be reached" in error(refused)
    assert refused.meta is None or CARD not in refused.meta
    assert person.shown == []  # a question no replica could honour is not put to anyone
    assert await upstream.emulator.unrent_requests() == []


# Name hints: one replica's scan spares the others theirs ----------------------------------------


async def test_a_name_one_replica_found_costs_the_others_one_request(
    upstream: Upstream, store: RedisServer
) -> None:
    async with clients(upstream, store.url, 2) as (first, second):
        found = ok(await first.call_tool("get_powerpack", {"powerpack": "marketing"}))
        before = len(await upstream.emulator.api_calls())
        again = ok(await second.call_tool("get_powerpack", {"powerpack": "marketing"}))
        calls = (await upstream.emulator.api_calls())[before:]
        assert again["uuid"] == found["uuid"]
        assert calls == [("GET", f"Powerpack/{found['uuid']}/")]
        # Renamed through one replica, the old name no longer resolves on the other.
        renamed = {"powerpack": found["uuid"], "name": "marketing-2027"}
        ok(await first.call_tool("update_powerpack", renamed))
        assert "marketing" in error(
            await second.call_tool("get_powerpack", {"powerpack": "marketing"})
        )
        moved = ok(await second.call_tool("get_powerpack", {"powerpack": "marketing-2027"}))
        assert moved["uuid"] == found["uuid"]


# /healthz: a load balancer and an operator see when unrenting is refused -------------------


def test_healthz_says_while_redis_cannot_be_reached(store: RedisServer) -> None:
    """Degraded (still 200: reads go on) while Redis is down, and ok again once it is back."""

    def health() -> dict[str, Any]:
        response = httpx.get(f"{server.url}/healthz", timeout=30)
        assert response.status_code == 200
        body: dict[str, Any] = response.json()
        return body

    def until(status: str) -> dict[str, Any]:
        # Redis is asked at most once a second: poll for the outcome, not for time.
        deadline = time.monotonic() + 30
        while (body := health())["status"] != status:
            assert time.monotonic() < deadline, body
            time.sleep(0.1)
        return body

    with http_server("--sandbox", POWERPACK_MCP_REDIS_URL=store.url) as server:
        assert health()["status"] == "ok"
        store.stop()
        down = until("degraded")
        store.start()
        until("ok")
    assert down["reasons"] == [
        "redis unreachable: unrenting is refused until it answers (reads go on)"
    ]
    assert store.url.split("@")[-1] not in json.dumps(down)  # where Redis is stays private


def test_healthz_is_not_held_by_a_redis_that_never_answers() -> None:
    """A Redis whose connections are taken but never answered (a dropped route, a hung
    server): /healthz still answers in time for a probe's usual 1 s timeout, degraded."""
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(64)  # connections complete in the kernel and are never read
    redis_url = f"redis://127.0.0.1:{silent.getsockname()[1]}/0"
    try:
        with http_server("--sandbox", POWERPACK_MCP_REDIS_URL=redis_url) as server:
            slowest, bodies = 0.0, []
            for _ in range(8):
                started = time.monotonic()
                response = httpx.get(f"{server.url}/healthz", timeout=30)
                slowest = max(slowest, time.monotonic() - started)
                bodies.append(response.json())
    finally:
        silent.close()
    # Asked for at most 0.5 s (a probe times out at 1 s); unbounded, it took 2 s (two 1 s
    # socket timeouts). The margin is for a loaded machine.
    assert slowest < 1.5
    assert all(body["status"] == "degraded" for body in bodies)
