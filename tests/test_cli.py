"""The `powerpack-mcp` command as a person or an MCP client starts it: a real subprocess."""

from __future__ import annotations

import pytest
from mcp import Client, StdioServerParameters
from stdio_support import (
    COMMAND,
    INITIALIZE,
    INITIALIZED,
    RawSession,
    clean_env,
    run_command,
    tool_call,
)
from support import error, ok

from powerpack_mcp import __version__
from powerpack_mcp.sandbox import DEFAULT_AUTH_ID, DEFAULT_AUTH_TOKEN

run = run_command


def test_missing_credentials_exit_at_once_naming_them() -> None:
    done = run()
    assert done.returncode != 0
    assert done.stdout == ""
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1
    assert "PLIVO_AUTH_ID" in lines[0]
    assert "PLIVO_AUTH_TOKEN" in lines[0]
    assert "--sandbox" in lines[0]


def test_only_the_missing_variable_is_named() -> None:
    done = run(PLIVO_AUTH_ID=DEFAULT_AUTH_ID)
    assert done.returncode != 0
    assert "PLIVO_AUTH_TOKEN" in done.stderr
    assert "PLIVO_AUTH_ID and" not in done.stderr


def test_malformed_auth_id_is_explained_without_echoing_secrets() -> None:
    done = run(PLIVO_AUTH_ID="nope", PLIVO_AUTH_TOKEN="s3cret-token-value")
    assert done.returncode != 0
    assert "20 characters starting with MA" in done.stderr
    assert "s3cret-token-value" not in done.stderr


def test_unknown_tool_names_are_a_startup_error() -> None:
    done = run("--sandbox", "--tools", "list_powerpacks,launch_rockets")
    assert done.returncode != 0
    assert "launch_rockets" in done.stderr
    assert "list_powerpacks" in done.stderr  # the known names are listed


def test_bad_environment_value_names_the_variable() -> None:
    done = run("--sandbox", POWERPACK_MCP_TIMEOUT="soon")
    assert done.returncode != 0
    assert "POWERPACK_MCP_TIMEOUT" in done.stderr


def test_version() -> None:
    done = run("--version")
    assert done.returncode == 0
    assert done.stdout.strip() == f"powerpack-mcp {__version__}"


def _stdio(*args: str, **env: str) -> StdioServerParameters:
    return StdioServerParameters(
        command=COMMAND[0], args=[*COMMAND[1:], *args], env=clean_env(**env)
    )


@pytest.mark.anyio
async def test_sandbox_over_stdio_with_a_real_subprocess() -> None:
    async with Client(_stdio("--sandbox")) as client:
        assert "SANDBOX MODE" in (client.instructions or "")
        names = {tool.name for tool in (await client.list_tools()).tools}
        assert {"list_powerpacks", "get_powerpack", "delete_powerpack"} <= names
        listed = ok(await client.call_tool("list_powerpacks", {}))
        assert [p["name"] for p in listed["powerpacks"]] == ["marketing", "alerts", "support"]
        missing = error(await client.call_tool("get_powerpack", {"powerpack": "ghost"}))
        assert "not found" in missing


@pytest.mark.anyio
async def test_read_only_env_twin_hides_and_refuses_writes() -> None:
    async with Client(_stdio("--sandbox", POWERPACK_MCP_READ_ONLY="true")) as client:
        names = {tool.name for tool in (await client.list_tools()).tools}
        refused = error(await client.call_tool("delete_powerpack", {"powerpack": "support"}))
        still_there = ok(await client.call_tool("get_powerpack", {"powerpack": "support"}))
    assert names == {
        "list_powerpacks",
        "get_powerpack",
        "list_pool_numbers",
        "list_account_numbers",
    }
    assert "read-only" in refused
    assert still_there["name"] == "support"


def test_stdout_is_protocol_only_and_logs_redact_the_token(sandbox_url: str) -> None:
    """DEBUG logging against the emulator over HTTP: stderr has logs, never the token."""
    session = RawSession(
        "--log-level",
        "debug",
        PLIVO_AUTH_ID=DEFAULT_AUTH_ID,
        PLIVO_AUTH_TOKEN=DEFAULT_AUTH_TOKEN,
        PLIVO_API_URL=sandbox_url,
    )
    session.send(INITIALIZE)
    assert session.answer(1)["result"]["serverInfo"]["name"] == "powerpack-mcp"
    session.send(INITIALIZED)
    session.send(tool_call(2, "get_powerpack", {"powerpack": "marketing"}))
    assert session.answer(2)["result"]["structuredContent"]["name"] == "marketing"
    session.send(tool_call(3, "get_powerpack", {"powerpack": "ghost"}))
    assert session.answer(3)["result"]["isError"] is True
    stderr = session.close()
    assert session.lines.empty()
    assert "GET Powerpack/" in stderr  # DEBUG request lines are there...
    assert DEFAULT_AUTH_TOKEN not in stderr  # ...the token is not
    assert session.proc.returncode == 0
