"""The guard's promises over the real transports: a cancelled stdio call and an HTTP server
shut down mid-change still leave their audit outcome; a token is good only for the caller it
was issued to; stateless HTTP with form confirmation says what the operator can do."""

from __future__ import annotations

import contextlib
import json
import signal
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import anyio
import pytest
from http_support import http_client, http_server, upstream
from mcp import Client, StdioServerParameters
from mcp.types import CallToolResult, ElicitResult
from proxy import Proxy
from starlette.requests import Request
from stdio_support import INITIALIZE, INITIALIZED, RawSession, clean_env, tool_call
from support import APPS, Emulator, error, ok

from powerpack_mcp.sandbox import create_app, serve

UNRENT_ALL = {"powerpack": "marketing", "unrent_numbers": True}
ALICE = "alice-token-0123456789"
BOB = "bob-token-0123456789abc"


class HangingUpstream:
    """The emulator behind a proxy whose first DELETE hangs (bounded) once it arrives."""

    def __init__(self) -> None:
        self.proxy = Proxy(create_app())
        self.emulator = Emulator(self.proxy.inner)
        self.reached = threading.Event()
        self.released = threading.Event()
        self.proxy.before = self._before

    async def _before(self, request: Request) -> None:
        if request.method == "DELETE" and not self.reached.is_set():
            self.reached.set()
            # Held until the test is over (bounded), so the call is given up while it hangs.
            await anyio.to_thread.run_sync(self.released.wait, 30)


@pytest.fixture
def hanging() -> Iterator[tuple[HangingUpstream, str]]:
    up = HangingUpstream()
    with serve(up.proxy) as url:
        try:
            yield up, url
        finally:
            up.released.set()


def audit_lines(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def delete_reaching_upstream(up: HangingUpstream, url: str, log: Path) -> RawSession:
    """A stdio server whose delete (request 2) has reached the upstream and hangs there."""
    session = RawSession(**upstream(url), POWERPACK_MCP_AUDIT_LOG=str(log))
    session.send(INITIALIZE)
    session.answer(1)
    session.send(INITIALIZED)
    session.send(tool_call(2, "delete_powerpack", {"powerpack": "alerts"}))
    assert up.reached.wait(20)
    return session


def test_a_stdio_call_cancelled_by_the_client_leaves_its_outcome(
    hanging: tuple[HangingUpstream, str], tmp_path: Path
) -> None:
    up, url = hanging
    log = tmp_path / "audit.jsonl"
    session = delete_reaching_upstream(up, url, log)
    session.send(
        {"jsonrpc": "2.0", "method": "notifications/cancelled", "params": {"requestId": 2}}
    )
    session.close()
    lines = audit_lines(log)
    assert [(line["event"], line.get("outcome")) for line in lines] == [
        ("intent", None),
        ("outcome", "unknown"),
    ]


def test_an_http_server_shut_down_mid_change_leaves_the_outcome(
    hanging: tuple[HangingUpstream, str], tmp_path: Path
) -> None:
    up, url = hanging
    log = tmp_path / "audit.jsonl"
    env = {**upstream(url), "POWERPACK_MCP_AUDIT_LOG": str(log)}
    with http_server(POWERPACK_MCP_SHUTDOWN_GRACE="0.2", **env) as server:

        async def doomed(client: Any) -> None:
            with contextlib.suppress(Exception):  # the server goes away mid-call
                await client.call_tool("delete_powerpack", {"powerpack": "alerts"})

        async def call() -> None:
            async with (
                http_client(server.url, terminate_on_close=False) as client,
                anyio.create_task_group() as tg,
            ):
                tg.start_soon(doomed, client)
                await anyio.to_thread.run_sync(up.reached.wait, 20)
                server.proc.send_signal(signal.SIGTERM)
                await anyio.to_thread.run_sync(server.proc.wait, 20)
                tg.cancel_scope.cancel()

        with contextlib.suppress(Exception):  # closing a client whose server is gone
            anyio.run(call)
    lines = audit_lines(log)
    assert [line["event"] for line in lines] == ["intent", "outcome"]
    assert lines[1]["outcome"] == "unknown"


@pytest.fixture
def emulator_url() -> Iterator[tuple[Emulator, str]]:
    app = create_app()
    with serve(app) as url:
        yield Emulator(app), url


def test_a_token_is_good_only_for_the_caller_it_was_issued_to(
    emulator_url: tuple[Emulator, str],
) -> None:
    emulator, url = emulator_url
    tokens = f"alice:{ALICE}:read+write+unrent,bob:{BOB}:read+write+unrent"
    with http_server(
        "--confirm", "token", POWERPACK_MCP_HTTP_TOKENS=tokens, **upstream(url)
    ) as server:

        async def scenario() -> tuple[str, dict[str, Any]]:
            async with http_client(server.url, ALICE) as alice:
                first = ok(await alice.call_tool("delete_powerpack", UNRENT_ALL))
            confirm = {**UNRENT_ALL, "confirmation_token": first["confirmation_token"]}
            async with http_client(server.url, BOB) as bob:
                refused = error(await bob.call_tool("delete_powerpack", confirm))
                assert await emulator.unrent_requests() == []
            async with http_client(server.url, ALICE) as alice:
                done = ok(await alice.call_tool("delete_powerpack", confirm))
            return refused, done

        refused, done = anyio.run(scenario)
    assert "issued to another caller" in refused
    assert done["status"] == "deleted"


def test_stateless_http_with_forms_says_what_the_operator_can_do(
    emulator_url: tuple[Emulator, str],
) -> None:
    _, url = emulator_url

    async def person(context: Any, params: Any) -> ElicitResult:
        return ElicitResult(action="accept", content={"name": "marketing"})

    with http_server("--stateless", **upstream(url)) as server:

        async def scenario() -> str:
            async with http_client(server.url, elicitation=person, legacy=True) as client:
                return error(await client.call_tool("delete_powerpack", UNRENT_ALL))

        message = anyio.run(scenario)
        warned = server.stderr()
    assert "stateless HTTP" in message
    assert "--confirm token" in message
    assert "cannot show a person" not in message  # it can: we cannot reach it
    assert "stateless HTTP with --confirm auto" in warned


def test_a_stdio_server_stopped_by_sigterm_leaves_the_outcome(
    hanging: tuple[HangingUpstream, str], tmp_path: Path
) -> None:
    up, url = hanging
    log = tmp_path / "audit.jsonl"
    session = delete_reaching_upstream(up, url, log)
    session.proc.send_signal(signal.SIGTERM)
    assert session.proc.wait(timeout=20) == 128 + signal.SIGTERM
    lines = audit_lines(log)
    assert [(line["event"], line.get("outcome")) for line in lines] == [
        ("intent", None),
        ("outcome", "unknown"),
    ]


CARD = "powerpack-mcp/confirmation"


def test_a_card_is_good_only_for_the_caller_it_was_shown_to(
    emulator_url: tuple[Emulator, str],
) -> None:
    emulator, url = emulator_url
    with http_server(
        POWERPACK_MCP_HTTP_TOKENS=f"alice:{ALICE}:read+write+unrent,bob:{BOB}:read+write+unrent",
        **upstream(url),
    ) as server:

        async def scenario() -> tuple[str, dict[str, Any]]:
            async with http_client(server.url, ALICE, apps=True) as alice:
                shown = await alice.call_tool("delete_powerpack", UNRENT_ALL)
                assert shown.meta is not None
                confirm = {"confirmation_id": shown.meta[CARD]["id"], "typed": "marketing"}
                async with http_client(server.url, BOB, apps=True) as bob:
                    refused = error(await bob.call_tool("confirm_unrent", confirm))
                assert await emulator.unrent_requests() == []
                shown = await alice.call_tool("delete_powerpack", UNRENT_ALL)
                assert shown.meta is not None
                confirm["confirmation_id"] = shown.meta[CARD]["id"]
                done = ok(await alice.call_tool("confirm_unrent", confirm))
            return refused, done

        refused, done = anyio.run(scenario)
    assert "given to another caller" in refused
    assert done["status"] == "unrented"


@pytest.mark.parametrize("legacy", [False, True])
def test_cards_over_stateless_http(emulator_url: tuple[Emulator, str], legacy: bool) -> None:
    """A 2026-07-28 client declares Apps on every request, so a stateless server can show it
    a card; a 2025 client's declaration lives in a session a stateless server does not keep."""
    emulator, url = emulator_url
    with http_server("--stateless", **upstream(url)) as server:

        async def scenario() -> CallToolResult:
            async with http_client(server.url, apps=True, legacy=legacy) as client:
                shown = await client.call_tool("delete_powerpack", UNRENT_ALL)
                if shown.is_error:
                    return shown
                assert shown.meta is not None
                confirm = {"confirmation_id": shown.meta[CARD]["id"], "typed": "marketing"}
                return await client.call_tool("confirm_unrent", confirm)

        answer = anyio.run(scenario)
    if legacy:
        assert "stateless HTTP" in error(answer)
        assert anyio.run(emulator.unrent_requests) == []
    else:
        assert ok(answer)["status"] == "unrented"


@pytest.mark.parametrize("legacy", [False, True])
def test_a_card_over_stdio(legacy: bool) -> None:
    """Claude Desktop's way: a stdio server, a client that renders MCP Apps, no forms."""
    command = StdioServerParameters(
        command=sys.executable, args=["-m", "powerpack_mcp", "--sandbox"], env=clean_env()
    )

    async def scenario() -> dict[str, Any]:
        mode = "legacy" if legacy else "auto"
        async with Client(command, mode=mode, extensions=[APPS]) as client:
            shown = await client.call_tool("delete_powerpack", UNRENT_ALL)
            assert ok(shown)["confirmation_token"] is None
            assert shown.meta is not None
            confirm = {"confirmation_id": shown.meta[CARD]["id"], "typed": "marketing"}
            return ok(await client.call_tool("confirm_unrent", confirm))

    done = anyio.run(scenario)
    assert done["powerpack_deleted"] is True
    assert len(done["numbers_unrented"]) == 4
