"""The obvious alternative: an MCP server that wraps Plivo's official Python SDK.

Written the way Plivo's own MCP server (github.com/plivo/mcp) and most wrappers are: one
module-level `plivo.RestClient`, synchronous `def` tools (the SDK runs them in a worker
thread), the SDK's resource objects turned into dicts, and a name found by walking list pages
one after another. It is a comparison point for the benchmark, not a product.

    PLIVO_AUTH_ID=... PLIVO_AUTH_TOKEN=... PLIVO_API_URL=http://127.0.0.1:8111 \\
        python bench/plivo_sdk_server.py

`PLIVO_API_URL` points the SDK at the emulator: the SDK reads the module constant
`plivo.rest.client.PLIVO_API_BASE_URI` before every request.
"""

from __future__ import annotations

import os
import re
from typing import Any

import plivo
import plivo.rest.client
from mcp.server.mcpserver import MCPServer
from mcp.server.mcpserver.exceptions import ToolError

PAGE_SIZE = 20
_UUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")

if api_url := os.environ.get("PLIVO_API_URL"):
    plivo.rest.client.PLIVO_API_BASE_URI = f"{api_url.rstrip('/')}/v1/Account"

client = plivo.RestClient(
    auth_id=os.environ.get("PLIVO_AUTH_ID", ""), auth_token=os.environ.get("PLIVO_AUTH_TOKEN", "")
)
mcp = MCPServer("plivo-sdk-reference")


def _plain(obj: Any) -> Any:
    """An SDK response object as JSON data (its `client` back-reference left out)."""
    if isinstance(obj, list):
        return [_plain(item) for item in obj]
    if hasattr(obj, "__dict__"):
        return {
            key: _plain(value)
            for key, value in vars(obj).items()
            if key != "client" and not key.startswith("_")
        }
    return obj


@mcp.tool()
def list_powerpacks(limit: int = PAGE_SIZE, offset: int = 0) -> dict[str, Any]:
    """One page of Powerpacks."""
    try:
        page = client.powerpacks.list(limit=limit, offset=offset)
    except plivo.exceptions.PlivoRestError as exc:
        raise ToolError(str(exc)) from exc
    return {"meta": _plain(page.meta), "objects": _plain(page.objects)}


@mcp.tool()
def get_powerpack(powerpack: str) -> dict[str, Any]:
    """One Powerpack by UUID or exact name."""
    try:
        if _UUID.match(powerpack):
            return dict(_plain(client.powerpacks.get(uuid=powerpack)))
        first = client.powerpacks.list(limit=PAGE_SIZE, offset=0)
        found = _match(first, powerpack)
        # Bounded by the account's size as the first page reports it.
        for offset in range(PAGE_SIZE, int(first.meta.total_count), PAGE_SIZE):
            if found is not None:
                break
            page = client.powerpacks.list(limit=PAGE_SIZE, offset=offset)
            found = _match(page, powerpack)
        if found is None:
            raise ToolError(f"Powerpack '{powerpack}' not found")
        # List items lack number_priority: fetch the whole Powerpack, as the UUID path does.
        return dict(_plain(client.powerpacks.get(uuid=found)))
    except plivo.exceptions.PlivoRestError as exc:
        raise ToolError(str(exc)) from exc


def _match(page: Any, name: str) -> str | None:
    for item in page.objects:
        if item.name == name:
            return str(item.uuid)
    return None


if __name__ == "__main__":
    mcp.run()
