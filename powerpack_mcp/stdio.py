"""stdio, with one thing the SDK leaves out: a line that is not JSON-RPC gets JSON-RPC's
parse error (-32700, id null) instead of silence, so a client sees what went wrong. The
session keeps serving either way."""

from __future__ import annotations

from typing import Any

import anyio
from mcp.server.mcpserver import MCPServer
from mcp.server.stdio import stdio_server
from mcp.shared.message import SessionMessage
from mcp.types import PARSE_ERROR, ErrorData, JSONRPCError


def parse_error() -> SessionMessage:
    error = ErrorData(code=PARSE_ERROR, message="Parse error: the line is not a JSON-RPC message")
    return SessionMessage(JSONRPCError(jsonrpc="2.0", id=None, error=error))


async def serve_stdio(server: MCPServer[Any]) -> None:
    lowlevel = server._lowlevel_server  # private, but the SDK offers no stream hook
    async with stdio_server() as (read_stream, write_stream):
        send, receive = anyio.create_memory_object_stream[SessionMessage | Exception](0)

        async def answer_garbage() -> None:
            async with send:
                async for item in read_stream:
                    if isinstance(item, Exception):
                        await write_stream.send(parse_error())
                    else:
                        await send.send(item)

        async with anyio.create_task_group() as tg:
            tg.start_soon(answer_garbage)
            await lowlevel.run(receive, write_stream, lowlevel.create_initialization_options())
            tg.cancel_scope.cancel()
