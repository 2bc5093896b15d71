"""Metrics at /metrics: a known sequence of calls, counted exactly, behind the metrics scope."""

from __future__ import annotations

import itertools
import time
from collections import Counter
from typing import Any

import anyio
import httpx
import pytest
from http_support import http_client, http_server, upstream
from prometheus_client.parser import text_string_to_metric_families
from proxy import Proxy
from starlette.applications import Starlette
from support import Emulator, error, join, ok, settings

from powerpack_mcp.metrics import Metrics
from powerpack_mcp.sandbox import create_app
from powerpack_mcp.server import build_server

ALICE = "alice-token-0123456789abcdef"
BOT = "opsbot-token-0123456789abcdef"
SCRAPER = "scraper-token-0123456789abcdef"
TOKENS = {
    "POWERPACK_MCP_HTTP_TOKENS": (
        f"alice:{ALICE}:read+write+unrent,opsbot:{BOT}:read,prometheus:{SCRAPER}:metrics"
    )
}

Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


def scrape(url: str, token: str = SCRAPER, **headers: str) -> httpx.Response:
    return httpx.get(f"{url}/metrics", headers={"Authorization": f"Bearer {token}", **headers})


def samples(text: str) -> Samples:
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def settled(url: str) -> Samples:
    """A scrape once the closed sessions are gone: the SDK forgets a session just after it
    answers the client's DELETE, so the scrape that follows may come first."""
    deadline = time.monotonic() + 10
    while True:
        found = samples(scrape(url).text)
        if found[("powerpack_mcp_sessions_open", frozenset())] == 0 or time.monotonic() > deadline:
            return found
        time.sleep(0.02)  # polling another process's state, not timing


def series(found: Samples, name: str, *keys: str) -> dict[tuple[str, ...], float]:
    """`name`'s samples by the values of the labels `keys`, zeros left out."""
    picked = {}
    for (sample, labels), value in found.items():
        if sample == name and value:
            by_name = dict(labels)
            picked[tuple(by_name[key] for key in keys)] = value
    return picked


@pytest.mark.anyio
async def test_a_known_sequence_of_calls_is_counted_exactly(
    sandbox_app: Starlette, sandbox_url: str
) -> None:
    emulator = Emulator(sandbox_app)
    # Plivo's rate limit answers the first listing once; the client waits and tries again.
    await emulator.fault(method="GET", path=r"/Powerpack/$", status=429, retry_after=0, times=1)
    env = {**TOKENS, **upstream(sandbox_url), "POWERPACK_MCP_CONFIRM": "token"}
    with http_server(**env) as server:
        async with http_client(server.url, ALICE) as alice:
            ok(await alice.call_tool("list_powerpacks", {}))
            error(await alice.call_tool("get_powerpack", {"powerpack": "ghost"}))
            ok(await alice.call_tool("create_powerpack", {"name": "metered"}))
            unrent = {"powerpack": "marketing", "unrent_numbers": True}
            asked = ok(await alice.call_tool("delete_powerpack", unrent))
            token = {"confirmation_token": asked["confirmation_token"]}
            done = ok(await alice.call_tool("delete_powerpack", {**unrent, **token}))
            error(await alice.call_tool("no_such_tool", {}))
            # A 2025 client holds a session (2026-07-28 clients need none).
            async with http_client(server.url, BOT, legacy=True) as bot:
                error(await bot.call_tool("create_powerpack", {"name": "by-bot"}))
                during = samples(scrape(server.url).text)
        after = settled(server.url)
    assert (asked["status"], done["status"]) == ("confirmation_required", "deleted")

    assert series(after, "powerpack_mcp_tool_calls_total", "tool", "outcome") == {
        ("list_powerpacks", "ok"): 1,
        ("get_powerpack", "error"): 1,
        ("create_powerpack", "ok"): 1,
        ("create_powerpack", "error"): 1,  # the bot's, refused by scope
        ("delete_powerpack", "ok"): 2,  # the preview, then the confirmed unrent
        ("other", "error"): 1,  # a name the client made up is not a label
    }
    timed = series(after, "powerpack_mcp_tool_call_duration_seconds_count", "tool")
    assert timed == {
        ("list_powerpacks",): 1,
        ("get_powerpack",): 1,
        ("create_powerpack",): 2,
        ("delete_powerpack",): 2,
        ("other",): 1,
    }
    sent = Counter((r["method"], str(r["status"])) for r in await emulator.requests())
    assert series(after, "powerpack_mcp_plivo_requests_total", "method", "status") == dict(
        {(method, status): float(n) for (method, status), n in sent.items()}
    )
    assert sent[("GET", "429")] == 1
    assert after[("powerpack_mcp_plivo_rate_limited_total", frozenset())] == 1
    assert series(after, "powerpack_mcp_guard_decisions_total", "method", "outcome") == {
        ("token", "confirmation_required"): 1,
        ("token", "approved"): 1,
        ("scope", "refused"): 1,
    }
    assert after[("powerpack_mcp_plivo_requests_in_flight", frozenset())] == 0
    # The bot's session was open at the first scrape, and closed at the second.
    assert during[("powerpack_mcp_sessions_open", frozenset())] == 1
    assert after[("powerpack_mcp_sessions_open", frozenset())] == 0


def test_metrics_need_a_token_with_the_metrics_scope() -> None:
    with http_server("--sandbox", "--stateless", **TOKENS) as server:
        anonymous = httpx.get(f"{server.url}/metrics")
        wrong = scrape(server.url, "not-a-token-0123456789abcdef")
        reader = scrape(server.url, BOT)
        # Scrapers use the address they reach: /metrics is not held to the Host list.
        scraped = scrape(server.url, Host="10.1.2.3:9000")
    assert anonymous.status_code == 401
    assert anonymous.headers["WWW-Authenticate"].startswith("Bearer")
    assert wrong.status_code == 401
    assert reader.status_code == 403
    assert scraped.status_code == 200
    assert scraped.headers["Content-Type"].startswith("text/plain; version=")
    assert "powerpack_mcp_tool_calls_total" in scraped.text
    assert SCRAPER not in scraped.text


def test_without_tokens_metrics_are_not_served() -> None:
    with http_server("--sandbox") as server:
        response = httpx.get(f"{server.url}/metrics")
    assert response.status_code == 401
    assert "metrics scope" in response.text


@pytest.mark.anyio
async def test_two_servers_in_one_process_count_apart(sandbox_app: Starlette) -> None:
    one, two = Metrics(), Metrics()
    transport = httpx.ASGITransport(app=sandbox_app)
    first = build_server(settings(), transport=transport, metrics=one)
    build_server(settings(), transport=transport, metrics=two)
    async with join(first) as client:
        ok(await client.call_tool("list_powerpacks", {}))

    def calls(metrics: Metrics) -> Any:
        found = samples(metrics.exposition().decode())
        return series(found, "powerpack_mcp_tool_calls_total", "tool", "outcome")

    assert calls(one) == {("list_powerpacks", "ok"): 1}
    assert calls(two) == {}


@pytest.mark.anyio
async def test_a_call_the_client_gives_up_is_counted_cancelled_and_leaves_none_in_flight() -> None:
    """The in-flight gauge is what an operator alerts on: a cancelled call must not leave it
    up, and must not be counted as the server's error."""
    proxy = Proxy(create_app())
    reached = proxy.hang("GET", "/Powerpack/")
    metrics = Metrics()
    server = build_server(settings(), transport=httpx.ASGITransport(app=proxy), metrics=metrics)
    async with join(server) as client:
        async with anyio.create_task_group() as tg:
            by_uuid = {"powerpack": "5a1e0001-7c3d-4f2a-9b1e-000000000001"}  # one request
            tg.start_soon(client.call_tool, "get_powerpack", by_uuid)
            await reached.wait()
            tg.cancel_scope.cancel()  # notifications/cancelled
        proxy.before = None
        ok(await client.call_tool("list_powerpacks", {}))  # the server goes on
        found = await _once_counted(metrics, "get_powerpack")
    assert series(found, "powerpack_mcp_tool_calls_total", "tool", "outcome") == {
        ("get_powerpack", "cancelled"): 1,
        ("list_powerpacks", "ok"): 1,
    }
    assert found[("powerpack_mcp_plivo_requests_in_flight", frozenset())] == 0
    requests = series(found, "powerpack_mcp_plivo_requests_total", "method", "status")
    assert requests[("GET", "none")] == 1  # sent, never answered


async def _once_counted(metrics: Metrics, tool: str) -> Samples:
    """The server ends a cancelled call on its own time: poll for the outcome, bounded."""
    with anyio.fail_after(10):
        for _ in itertools.count():
            found = samples(metrics.exposition().decode())
            if (tool,) in series(found, "powerpack_mcp_tool_calls_total", "tool"):
                break
            await anyio.sleep(0.01)
    return found
