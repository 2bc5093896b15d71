"""The Claude Desktop bundle's manifest (bundle/manifest.json) agrees with the server.

CI's `.ci/bundle` validates it with the mcpb CLI, packs it, resolves its command with mcpb's
own substitution and starts it with uv; these tests check, offline, what that cannot see:
that each setting reaches the setting of the same meaning, and that nothing has drifted."""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path
from typing import Any

import pytest
from mcp import Client, StdioServerParameters
from stdio_support import clean_env
from support import APPS, ok

from powerpack_mcp import __version__
from powerpack_mcp.cli import parser
from powerpack_mcp.server import build_server
from powerpack_mcp.settings import Settings

BUNDLE = Path(__file__).resolve().parents[1] / "bundle"
MANIFEST: dict[str, Any] = json.loads((BUNDLE / "manifest.json").read_text())
CONFIG: dict[str, Any] = MANIFEST["server"]["mcp_config"]
SETTINGS: dict[str, Any] = MANIFEST["user_config"]


def substitute(values: dict[str, object]) -> dict[str, str]:
    """mcp_config's env for these user settings, substituted as the mcpb spec says (booleans
    become "true"/"false"; a setting left out takes its default)."""

    def value(match: re.Match[str]) -> str:
        key = match.group(1)
        chosen = values.get(key, SETTINGS[key].get("default"))
        return str(chosen).lower() if isinstance(chosen, bool) else str(chosen)

    return {
        name: re.sub(r"\$\{user_config\.(\w+)\}", value, template)
        for name, template in CONFIG["env"].items()
    }


def server_args() -> list[str]:
    """The args after the entry script: the ones powerpack-mcp itself reads."""
    args: list[str] = CONFIG["args"]
    return args[args.index("${__dirname}/" + MANIFEST["server"]["entry_point"]) + 1 :]


def test_the_manifest_version_is_the_package_version() -> None:
    assert MANIFEST["version"] == __version__


def test_credentials_are_sensitive_settings_and_the_sandbox_an_option() -> None:
    for key in ("auth_id", "auth_token"):
        assert SETTINGS[key]["type"] == "string"
        assert SETTINGS[key]["sensitive"] is True  # kept in the OS keychain
        assert SETTINGS[key]["required"] is False  # the sandbox needs none
    assert SETTINGS["sandbox"]["type"] == "boolean"
    assert SETTINGS["sandbox"]["default"] is False
    # Every setting is used, and only settings that exist are referenced.
    used = set(re.findall(r"\$\{user_config\.(\w+)\}", json.dumps(CONFIG)))
    assert used == set(SETTINGS)


def test_each_setting_reaches_the_server_setting_it_names(monkeypatch: pytest.MonkeyPatch) -> None:
    chosen = {"auth_id": "MAXXXXXXXXXXXXXXXXXX", "auth_token": "tok", "read_only": True}
    for name, value in substitute(chosen).items():
        monkeypatch.setenv(name, value)
    settings = Settings()
    assert settings.auth_id == "MAXXXXXXXXXXXXXXXXXX"
    assert settings.auth_token is not None
    assert settings.auth_token.get_secret_value() == "tok"
    assert settings.read_only is True
    assert settings.sandbox is False


def test_the_sandbox_alone_starts_without_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in substitute({"sandbox": True}).items():
        monkeypatch.setenv(name, value)
    settings = Settings()
    assert settings.sandbox is True
    assert settings.auth_id is None  # an empty default is "not set", not a malformed ID
    settings.check_credentials()


def test_claude_desktop_confirms_in_the_card_not_with_a_token() -> None:
    # Claude Desktop shows MCP Apps cards; a token would let the model confirm alone.
    assert parser().parse_args(server_args()).confirm is None  # the default: auto


@pytest.mark.anyio
async def test_the_declared_tools_are_the_servers() -> None:
    # Claude Desktop shows MCP Apps, so it is listed the card's own tool too.
    async with Client(build_server(Settings(sandbox=True)), extensions=[APPS]) as client:
        tools = (await client.list_tools()).tools
    # The card's own tool is for the card alone: hosts keep it from the model and the user.
    for_model = {
        tool.name
        for tool in tools
        if "model" in ((tool.meta or {}).get("ui", {}).get("visibility") or ["model"])
    }
    assert {tool["name"] for tool in MANIFEST["tools"]} == for_model
    assert {tool.name for tool in tools} - for_model == {"confirm_unrent"}


@pytest.mark.anyio
async def test_the_entry_point_serves_with_the_bundles_arguments() -> None:
    """server/main.py as uv would run it, with this interpreter instead of uv's."""
    args = [str(BUNDLE / MANIFEST["server"]["entry_point"]), *server_args()]
    env = clean_env(**substitute({"sandbox": True}))
    async with Client(StdioServerParameters(command=sys.executable, args=args, env=env)) as client:
        listed = ok(await client.call_tool("list_powerpacks", {"limit": 1}))
    assert [p["name"] for p in listed["powerpacks"]] == ["marketing"]
