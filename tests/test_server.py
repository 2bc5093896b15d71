"""The server as assembled: tool filters, prompts, instructions."""

from __future__ import annotations

import pytest
from starlette.applications import Starlette
from support import Emulator, connect, error, ok

from powerpack_mcp.prompts import load_templates
from powerpack_mcp.server import build_server
from powerpack_mcp.settings import ConfigError, Settings

pytestmark = pytest.mark.anyio


async def test_tools_allow_list_serves_only_those(sandbox_app: Starlette) -> None:
    async with connect(sandbox_app, tools=("get_powerpack",)) as client:
        names = [tool.name for tool in (await client.list_tools()).tools]
        refused = error(await client.call_tool("list_powerpacks", {}))
        assert ok(await client.call_tool("get_powerpack", {"powerpack": "alerts"}))
    assert names == ["get_powerpack"]
    assert "--tools" in refused


async def test_read_only_wins_over_the_allow_list(sandbox_app: Starlette) -> None:
    allowed = ("get_powerpack", "delete_powerpack")
    async with connect(sandbox_app, tools=allowed, read_only=True) as client:
        names = [tool.name for tool in (await client.list_tools()).tools]
        refused = error(await client.call_tool("delete_powerpack", {"powerpack": "alerts"}))
        assert "READ-ONLY MODE" in (client.instructions or "")
    assert names == ["get_powerpack"]
    assert "read-only" in refused


def test_unknown_tool_name_is_refused_at_build_time() -> None:
    with pytest.raises(ConfigError, match="frobnicate"):
        build_server(Settings(sandbox=True, tools=("frobnicate",)))


def test_tools_env_twin_is_comma_separated(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("POWERPACK_MCP_TOOLS", "get_powerpack, list_powerpacks")
    assert Settings().tools == ("get_powerpack", "list_powerpacks")


async def test_prompts_are_served_with_their_arguments(sandbox_app: Starlette) -> None:
    async with connect(sandbox_app) as client:
        prompts = {p.name: p for p in (await client.list_prompts()).prompts}
        rendered = await client.get_prompt("delete-powerpack-safely", {"powerpack": "alerts"})
    assert {"create-powerpack", "audit-powerpacks", "delete-powerpack-safely"} <= set(prompts)
    delete_args = prompts["delete-powerpack-safely"].arguments or []
    assert [(a.name, a.required) for a in delete_args] == [("powerpack", True)]
    body = rendered.messages[0].content
    assert body.type == "text"
    assert '"alerts"' in body.text
    assert "unrent_numbers=false" in body.text


def test_every_prompt_file_parses_and_names_only_real_tools() -> None:
    tool_names = {
        "list_powerpacks",
        "get_powerpack",
        "create_powerpack",
        "update_powerpack",
        "list_pool_numbers",
    }
    for template in load_templates():
        assert template.description
        mentioned = {word for word in tool_names if word in template.body}
        assert mentioned, f"{template.name} uses no tool"
    audit = next(t for t in load_templates() if t.name == "audit-powerpacks")
    assert "list_pool_numbers" in audit.body
    assert "pool size" in audit.body


@pytest.mark.parametrize(("era", "version"), [("modern", "2026-07-28"), ("legacy", "2025-11-25")])
async def test_the_two_protocol_eras_are_really_spoken(
    sandbox_app: Starlette, era: str, version: str
) -> None:
    async with connect(sandbox_app, era) as client:  # type: ignore[arg-type]
        assert client.protocol_version == version


async def test_a_call_over_the_request_time_limit_is_stopped(sandbox_app: Starlette) -> None:
    await Emulator(sandbox_app).fault(method="GET", path="/Powerpack/", delay_ms=5000)
    async with connect(sandbox_app, timeout=10, request_timeout=0.3) as client:
        message = error(await client.call_tool("list_powerpacks", {}))
        assert "took longer than 0.3 s" in message
        assert "may or may not have been applied" in message
        await Emulator(sandbox_app).http.delete("/_sandbox/faults")
        assert ok(await client.call_tool("list_powerpacks", {}))["total_count"] == 3
