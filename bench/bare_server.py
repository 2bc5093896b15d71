"""The floor: a bare `MCPServer` with a trivial tool, and one that makes one raw GET.

    python bench/bare_server.py                                   # stdio
    python bench/bare_server.py --transport http --port 8123      # streamable HTTP, stateless

Over HTTP it runs exactly as `powerpack-mcp --transport http --stateless` does: stateless,
plain JSON answers, MCP at `/mcp` on loopback. `get_powerpack` is the fair floor for a server
that calls Plivo: one GET of `Powerpack/{uuid}/` to the same upstream (`PLIVO_API_URL`,
`PLIVO_AUTH_ID`, `PLIVO_AUTH_TOKEN`, as powerpack-mcp reads them), on one pooled
`httpx.AsyncClient` with httpx's defaults, its JSON answered as it came.
"""

from __future__ import annotations

import argparse
import os
from typing import Any

import httpx
from mcp.server.mcpserver import MCPServer

server = MCPServer("bare")
_upstream: list[httpx.AsyncClient] = []  # made on the first call, in the server's loop


def upstream() -> httpx.AsyncClient:
    if not _upstream:
        account = os.environ.get("PLIVO_AUTH_ID", "")
        base = f"{os.environ.get('PLIVO_API_URL', '').rstrip('/')}/v1/Account/{account}/"
        auth = (account, os.environ.get("PLIVO_AUTH_TOKEN", ""))
        _upstream.append(httpx.AsyncClient(base_url=base, auth=auth, timeout=30.0))
    return _upstream[0]


@server.tool()
async def get_powerpack(powerpack: str) -> dict[str, Any]:
    """One Powerpack by UUID: one GET upstream."""
    response = await upstream().get(f"Powerpack/{powerpack}/")
    response.raise_for_status()
    answer: dict[str, Any] = response.json()
    return answer


@server.tool()
async def echo(text: str = "") -> str:
    """Return the text unchanged."""
    return text


def main() -> None:
    parser = argparse.ArgumentParser(description="A bare MCPServer with one trivial tool.")
    parser.add_argument("--transport", choices=["stdio", "http"], default="stdio")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    args = parser.parse_args()
    if args.transport == "http":
        server.run(
            "streamable-http",
            host=args.host,
            port=args.port,
            stateless_http=True,
            json_response=True,
        )
    else:
        server.run()


if __name__ == "__main__":
    main()
