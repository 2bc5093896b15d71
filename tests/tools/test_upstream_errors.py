"""Every kind of upstream failure reaches the model as an actionable tool error, and only
safe requests are retried (the emulator's request log is the proof)."""

from __future__ import annotations

import socket

import pytest
from mcp import Client
from starlette.applications import Starlette
from support import Emulator, connect, error, ok

from powerpack_mcp.sandbox import DEFAULT_AUTH_ID, DEFAULT_AUTH_TOKEN, create_app
from powerpack_mcp.server import build_server
from powerpack_mcp.settings import Settings

pytestmark = pytest.mark.anyio

GET_LIST = {"method": "GET", "path": r"/Powerpack/$"}


async def test_rejected_credentials_name_the_variables() -> None:
    app = create_app(auth_token="another-token")
    async with connect(app) as client:
        message = error(await client.call_tool("list_powerpacks", {}))
    assert "Plivo rejected the credentials" in message
    assert "PLIVO_AUTH_ID" in message
    assert "PLIVO_AUTH_TOKEN" in message


async def test_forbidden_is_explained(emulator: Emulator) -> None:
    await emulator.fault(**GET_LIST, status=403)
    async with connect(emulator.app) as client:
        message = error(await client.call_tool("list_powerpacks", {}))
    assert "refused" in message
    assert "403" in message


async def test_rate_limit_beyond_the_budget_tells_the_wait(emulator: Emulator) -> None:
    await emulator.fault(**GET_LIST, status=429, retry_after=30)
    async with connect(emulator.app) as client:
        message = error(await client.call_tool("list_powerpacks", {}))
    assert "rate limit" in message
    assert "retry in 30 s" in message
    assert len(await emulator.api_calls("GET")) == 1  # no point retrying before 30 s


async def test_rate_limit_with_a_short_retry_after_is_waited_out(emulator: Emulator) -> None:
    await emulator.fault(**GET_LIST, status=429, retry_after=0.2, times=1)
    async with connect(emulator.app) as client:
        assert ok(await client.call_tool("list_powerpacks", {}))["total_count"] == 3
    assert len(await emulator.api_calls("GET")) == 2


@pytest.mark.parametrize("status", [429, 502, 503, 504])
async def test_transient_failures_of_a_read_are_retried(emulator: Emulator, status: int) -> None:
    await emulator.fault(**GET_LIST, status=status, times=2)
    async with connect(emulator.app) as client:
        assert ok(await client.call_tool("list_powerpacks", {}))["total_count"] == 3
    assert len(await emulator.api_calls("GET")) == 3


async def test_server_error_on_a_read_is_not_hammered(emulator: Emulator) -> None:
    await emulator.fault(**GET_LIST, status=500, times=1)
    async with connect(emulator.app) as client:
        message = error(await client.call_tool("list_powerpacks", {}))
        assert "Plivo is unavailable" in message
        assert "HTTP 500" in message
        assert ok(await client.call_tool("list_powerpacks", {}))  # the next call succeeds
    assert len(await emulator.api_calls("GET")) == 2


@pytest.mark.parametrize("status", [429, 500, 502, 503])
async def test_a_failed_create_is_never_retried(emulator: Emulator, status: int) -> None:
    await emulator.fault(method="POST", path=r"/Powerpack/$", status=status, times=1)
    async with connect(emulator.app) as client:
        message = error(await client.call_tool("create_powerpack", {"name": "once"}))
    assert await emulator.api_calls("POST") == [("POST", "Powerpack/")]
    if status != 429:
        assert "may or may not have been applied" in message


async def test_malformed_answer_is_an_error_not_a_crash(emulator: Emulator) -> None:
    await emulator.fault(**GET_LIST, malformed=True, times=1)
    async with connect(emulator.app) as client:
        message = error(await client.call_tool("list_powerpacks", {}))
    assert "unreadable answer" in message


async def test_slow_answer_times_out_with_the_budget(emulator: Emulator) -> None:
    await emulator.fault(method="GET", path="/Powerpack/", delay_ms=3000)
    async with connect(emulator.app, timeout=0.3) as client:
        message = error(await client.call_tool("list_powerpacks", {}))
    assert "no answer within 0.3 s" in message


def _settings_for(url: str, **extra: object) -> Settings:
    return Settings(
        PLIVO_AUTH_ID=DEFAULT_AUTH_ID,
        PLIVO_AUTH_TOKEN=DEFAULT_AUTH_TOKEN,
        PLIVO_API_URL=url,
        timeout=2.0,
        **extra,
    )


async def test_dropped_connection_over_real_http(sandbox_app: Starlette, sandbox_url: str) -> None:
    emulator = Emulator(sandbox_app)
    await emulator.fault(method="POST", path=r"/Powerpack/$", drop=True, times=1)
    async with Client(build_server(_settings_for(sandbox_url))) as client:
        message = error(await client.call_tool("create_powerpack", {"name": "dropped"}))
        assert "connection was dropped" in message
        assert "may or may not have been applied" in message
        listed = ok(await client.call_tool("list_powerpacks", {}))
    assert listed["total_count"] == 3
    assert len(await emulator.api_calls("POST")) == 1


async def test_unreachable_api_is_retried_then_reported() -> None:
    # Bound but never listening: connections are refused, and while the socket is held open
    # no other process can start listening on that port.
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
        async with Client(build_server(_settings_for(f"http://127.0.0.1:{port}"))) as client:
            message = error(await client.call_tool("create_powerpack", {"name": "nowhere"}))
    assert "could not connect" in message
    assert "Nothing was changed" in message
