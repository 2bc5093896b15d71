"""`powerpack-mcp config CLIENT`: the exact snippet to paste into an MCP client.

It names a command that starts this installation and keeps working (see launcher.py), the
variables to fill in, and never prints the token's value, even when it is set in the
environment. The sandbox variant differs from the real one only in `--sandbox` standing in
for the credentials."""

from __future__ import annotations

import json
import os
import shlex
import sys
from typing import Any

from .launcher import command

CLIENTS = ("claude-desktop", "claude-code", "cursor", "vscode")
NAME = "plivo-powerpacks"
TOKEN_PLACEHOLDER = "<your Plivo auth token>"  # noqa: S105 - a placeholder, not a secret
VSCODE_INPUT = "plivo-auth-token"  # the README's VS Code snippet uses the same id
WHERE = {
    "claude-desktop": "Add to claude_desktop_config.json (macOS: ~/Library/Application Support/"
    "Claude/, Windows: %APPDATA%\\Claude\\), then restart Claude Desktop.",
    "claude-code": "Run this command in your shell.",
    "cursor": "Add to .cursor/mcp.json in your project, or ~/.cursor/mcp.json for every project.",
    "vscode": "Add to .vscode/mcp.json; VS Code asks for the token once, not stored in the file.",
}


def _auth_id() -> str:
    # The auth ID is not a secret; showing it when set saves a copy-paste.
    return os.environ.get("PLIVO_AUTH_ID") or "<your Plivo auth ID>"


def snippet(client: str, *, sandbox: bool) -> str:
    program, *args = command()
    if sandbox:
        args.append("--sandbox")
    env = {} if sandbox else {"PLIVO_AUTH_ID": _auth_id(), "PLIVO_AUTH_TOKEN": TOKEN_PLACEHOLDER}
    if client == "claude-code":
        flags = [f"--env {shlex.quote(f'{key}={value}')}" for key, value in env.items()]
        return " ".join(
            ["claude mcp add --transport stdio", *flags, NAME, "--", shlex.join([program, *args])]
        )
    server: dict[str, Any] = {"command": program, **({"args": args} if args else {})}
    if client == "vscode":
        if env:
            env["PLIVO_AUTH_TOKEN"] = f"${{input:{VSCODE_INPUT}}}"
        document: dict[str, Any] = {"servers": {NAME: {"type": "stdio", **server, "env": env}}}
        if env:
            document["inputs"] = [
                {
                    "id": VSCODE_INPUT,
                    "type": "promptString",
                    "description": "Plivo auth token",
                    "password": True,
                }
            ]
        return json.dumps(document, indent=2)
    if env:
        server["env"] = env
    return json.dumps({"mcpServers": {NAME: server}}, indent=2)


def main(client: str, *, sandbox: bool) -> int:
    print(snippet(client, sandbox=sandbox))
    print(WHERE[client], file=sys.stderr)
    return 0
