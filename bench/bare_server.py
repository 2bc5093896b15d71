"""The floor: a bare `MCPServer` with one trivial tool and nothing else.

    python bench/bare_server.py                                   # stdio
    python bench/bare_server.py --transport http --port 8123      # streamable HTTP, stateless

Over HTTP it runs exactly as `powerpack-mcp --transport http --stateless` does: stateless,
plain JSON answers, MCP at `/mcp` on loopback.
"""

from __future__ import annotations

import argparse

from mcp.server.mcpserver import MCPServer

server = MCPServer("bare")


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
