"""Rights per caller: each token's scopes decide what it is shown and what it may call."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from http_support import COMMAND, free_port, http_client, http_server, upstream
from starlette.applications import Starlette
from stdio_support import clean_env
from support import Emulator, connect, error, ok

READER = "opsbot-token-0123456789abcdef"
WRITER = "writer-token-0123456789abcdef"
ALICE = "alice-token-0123456789abcdef"
SCRAPER = "scraper-token-0123456789abcdef"
TOKENS = {
    "POWERPACK_MCP_HTTP_TOKENS": (
        f"opsbot:{READER}:read,writer:{WRITER},"
        f"alice:{ALICE}:read+write+unrent,prometheus:{SCRAPER}:metrics"
    )
}
READS = {"list_powerpacks", "get_powerpack", "list_pool_numbers", "list_account_numbers"}
WRITES = {
    "create_powerpack",
    "update_powerpack",
    "delete_powerpack",
    "add_pool_number",
    "remove_pool_number",
}


async def listed(url: str, token: str) -> set[str]:
    """What a host showing MCP Apps lists (the card's confirm_unrent only goes to those)."""
    async with http_client(url, token, apps=True) as client:
        return {tool.name for tool in (await client.list_tools()).tools}


@pytest.mark.anyio
async def test_each_caller_is_shown_only_what_it_may_call() -> None:
    with http_server("--sandbox", "--stateless", **TOKENS) as server:
        assert await listed(server.url, READER) == READS
        # No scopes written: read+write, and unrenting must be granted by name.
        assert await listed(server.url, WRITER) == READS | WRITES
        assert await listed(server.url, ALICE) == READS | WRITES | {"confirm_unrent"}
        assert await listed(server.url, SCRAPER) == set()


@pytest.mark.anyio
async def test_a_call_outside_the_scopes_is_refused_recorded_and_never_sent(
    sandbox_app: Starlette, sandbox_url: str, tmp_path: Path
) -> None:
    log = tmp_path / "audit.jsonl"
    env = {**TOKENS, **upstream(sandbox_url), "POWERPACK_MCP_AUDIT_LOG": str(log)}
    emulator = Emulator(sandbox_app)
    with http_server("--stateless", **env) as server:
        async with http_client(server.url, READER) as client:
            create = error(await client.call_tool("create_powerpack", {"name": "by-bot"}))
        async with http_client(server.url, WRITER) as client:
            unrent = error(
                await client.call_tool(
                    "delete_powerpack", {"powerpack": "marketing", "unrent_numbers": True}
                )
            )
            # The SDK would read "true" as true: so does the check.
            as_text = error(
                await client.call_tool(
                    "remove_pool_number",
                    {"powerpack": "marketing", "number": "14155550100", "unrent": "true"},
                )
            )
            card = error(
                await client.call_tool("confirm_unrent", {"confirmation_id": "x", "typed": "y"})
            )
        assert await emulator.requests() == []
        async with http_client(server.url, READER) as client:
            ok(await client.call_tool("list_powerpacks", {}))
    assert "create_powerpack needs the write scope" in create
    assert "nothing was sent" in create
    assert "delete_powerpack with unrent_numbers=true needs the unrent scope" in unrent
    assert "remove_pool_number with unrent=true needs the unrent scope" in as_text
    assert "confirm_unrent needs the unrent scope" in card
    lines = [json.loads(raw) for raw in log.read_text().splitlines()]
    assert [(line["caller"], line["tool"], line["outcome"]) for line in lines] == [
        ("opsbot", "create_powerpack", "refused"),
        ("writer", "delete_powerpack", "refused"),
        ("writer", "remove_pool_number", "refused"),
        ("writer", "confirm_unrent", "refused"),
    ]
    assert lines[1]["confirmation"] == {"mode": "scope", "result": "needs unrent"}
    assert lines[1]["target"] == "marketing"


@pytest.mark.anyio
async def test_write_without_unrent_still_deletes_keeping_the_numbers(
    sandbox_app: Starlette, sandbox_url: str
) -> None:
    with http_server("--stateless", **TOKENS, **upstream(sandbox_url)) as server:
        async with http_client(server.url, WRITER) as client:
            done = ok(
                await client.call_tool(
                    "delete_powerpack", {"powerpack": "alerts", "unrent_numbers": False}
                )
            )
    assert done["status"] == "deleted"
    assert await Emulator(sandbox_app).unrent_requests() == []


@pytest.mark.anyio
async def test_unrent_scope_reaches_the_guard(sandbox_url: str) -> None:
    env = {**TOKENS, **upstream(sandbox_url), "POWERPACK_MCP_CONFIRM": "token"}
    with http_server("--stateless", **env) as server:
        async with http_client(server.url, ALICE) as client:
            arguments = {"powerpack": "marketing", "unrent_numbers": True}
            asked = ok(await client.call_tool("delete_powerpack", arguments))
    assert asked["status"] == "confirmation_required"


@pytest.mark.anyio
async def test_a_reader_cannot_read_resources_it_is_not_granted() -> None:
    with http_server("--sandbox", "--stateless", **TOKENS) as server:
        async with http_client(server.url, SCRAPER) as client:
            with pytest.raises(Exception, match="read scope"):
                await client.read_resource("powerpack://list")
        async with http_client(server.url, READER) as client:
            assert (await client.read_resource("powerpack://list")).contents


@pytest.mark.anyio
async def test_without_tokens_the_local_caller_keeps_every_tool(sandbox_app: Starlette) -> None:
    async with connect(sandbox_app, apps=True) as client:
        names = {tool.name for tool in (await client.list_tools()).tools}
    assert names == READS | WRITES | {"confirm_unrent"}
    # A client that shows no cards is not handed the card's tool (context for nothing).
    async with connect(sandbox_app) as client:
        names = {tool.name for tool in (await client.list_tools()).tools}
    assert names == READS | WRITES


@pytest.mark.parametrize(
    ("tokens", "message"),
    [
        (f"bot:{READER}:read+delete", "unknown scope(s): delete"),
        (f"bot:{READER}:", "no scopes after its second ':'"),
        ("bot:short:read", "too short"),
        (f"bot:{READER}:read:write", "more than two ':'"),
        (f"bot:{READER}:+", "unknown scope(s): (none)"),
    ],
)
def test_a_bad_token_entry_stops_the_start(tokens: str, message: str) -> None:
    done = subprocess.run(
        [*COMMAND, "--sandbox", "--port", str(free_port())],
        env=clean_env(POWERPACK_MCP_HTTP_TOKENS=tokens),
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert done.returncode == 2
    assert message in done.stderr
    assert READER not in done.stderr


@pytest.mark.anyio
async def test_the_tokens_file_takes_scopes_too(tmp_path: Path) -> None:
    tokens = tmp_path / "tokens"
    tokens.write_text(f"# the ops bot only reads\nopsbot:{READER}:read\nalice:{ALICE}:read+write\n")
    with http_server("--sandbox", POWERPACK_MCP_HTTP_TOKENS_FILE=str(tokens)) as server:
        assert await listed(server.url, READER) == READS
        assert await listed(server.url, ALICE) == READS | WRITES
