"""stdio, with two things the SDK leaves out.

- A line that is not JSON-RPC gets JSON-RPC's parse error (-32700, id null) instead of
  silence, so a client sees what went wrong. The session keeps serving either way.
- At end of input the requests still in flight are answered before the server stops (the
  SDK would cancel them unanswered), for at most `drain_timeout` seconds. A client that
  pipes its requests and closes stdin still reads every answer.
"""

from __future__ import annotations

import logging
import os
import signal
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any, NoReturn

import anyio
from anyio.abc import ObjectReceiveStream, ObjectSendStream
from mcp.server.lowlevel import Server
from mcp.server.mcpserver import MCPServer
from mcp.server.stdio import stdio_server
from mcp.shared.message import SessionMessage
from mcp.types import (
    CONNECTION_CLOSED,
    PARSE_ERROR,
    ErrorData,
    JSONRPCError,
    JSONRPCNotification,
    JSONRPCRequest,
    JSONRPCResponse,
    RequestId,
)

from . import stdio_pipes
from .stdio_pipes import Inbound, Wire

logger = logging.getLogger("powerpack_mcp.stdio")


def parse_error() -> SessionMessage:
    error = ErrorData(code=PARSE_ERROR, message="Parse error: the line is not a JSON-RPC message")
    return SessionMessage(JSONRPCError(jsonrpc="2.0", id=None, error=error))


def input_ended(request_id: RequestId) -> SessionMessage:
    """The answer a client that closed its input can no longer give to our request."""
    error = ErrorData(
        code=CONNECTION_CLOSED, message="The client's input ended before it answered."
    )
    return SessionMessage(JSONRPCError(jsonrpc="2.0", id=request_id, error=error))


class InFlight:
    """Requests each side still owes an answer to, as seen on the wire."""

    def __init__(self) -> None:
        # Ids compared as sent (0 is an id like any other); an error's id may be None.
        self.client_requests: set[RequestId | None] = set()  # the client's, not answered yet
        self.server_requests: set[RequestId | None] = set()  # ours (e.g. a form), not answered
        self._changed = anyio.Event()

    def changed(self) -> anyio.Event:
        """An event set at the next change; take it before checking, then wait on it."""
        return self._changed

    def _touch(self) -> None:
        self._changed.set()
        self._changed = anyio.Event()

    def from_client(self, message: SessionMessage) -> None:
        match message.message:
            case JSONRPCRequest(id=request_id):
                self.client_requests.add(request_id)
            case JSONRPCNotification(method="notifications/cancelled", params=params):
                # A cancelled request is never answered (the spec forbids it).
                self.client_requests.discard((params or {}).get("requestId"))
            case JSONRPCResponse(id=request_id) | JSONRPCError(id=request_id):
                self.server_requests.discard(request_id)
        self._touch()

    def from_server(self, message: SessionMessage) -> None:
        match message.message:
            case JSONRPCRequest(id=request_id):
                self.server_requests.add(request_id)
            case JSONRPCResponse(id=request_id) | JSONRPCError(id=request_id):
                self.client_requests.discard(request_id)
        self._touch()


async def relay_input(
    transport: ObjectReceiveStream[Inbound],
    server: ObjectSendStream[Inbound],
    out: ObjectSendStream[SessionMessage],
    in_flight: InFlight,
    drain_timeout: float,
) -> None:
    async with server:
        try:
            async for item in transport:
                if isinstance(item, Exception):
                    await out.send(parse_error())
                else:
                    in_flight.from_client(item)
                    await server.send(item)
        except anyio.BrokenResourceError:
            return  # the server has stopped (SIGTERM) while a message was on its way in
        with anyio.move_on_after(drain_timeout):
            await drain(server, in_flight)


async def drain(server: ObjectSendStream[Inbound], in_flight: InFlight) -> None:
    """Until every client request is answered, answer for the client what it no longer can."""
    answered: set[RequestId | None] = set()
    while True:
        changed = in_flight.changed()
        if not in_flight.client_requests:
            return
        for request_id in in_flight.server_requests - answered:
            answered.add(request_id)
            if request_id is not None:
                await server.send(input_ended(request_id))
        await changed.wait()


async def relay_output(
    server: ObjectReceiveStream[SessionMessage],
    transport: ObjectSendStream[SessionMessage],
    in_flight: InFlight,
) -> None:
    async with transport:
        async for message in server:
            in_flight.from_server(message)
            await transport.send(message)


@asynccontextmanager
async def wire(flush_timeout: float) -> AsyncIterator[tuple[Wire, bool]]:
    """stdin and stdout on the event loop where they are pipes (every MCP client's case),
    else the SDK's transport, which reads and writes them in worker threads; and whether it
    is the SDK's (whose reading thread no exit can wait for)."""
    if not stdio_pipes.usable():
        async with stdio_server() as streams:
            yield streams, True
        return
    with stdio_pipes.diverted() as (wire_in, wire_out):
        async with stdio_pipes.pipes(wire_in, wire_out, flush_timeout=flush_timeout) as streams:
            yield streams, False


async def serve_stdio(
    server: MCPServer[Any], *, drain_timeout: float = 10.0, sigint: bool = True
) -> None:
    """Serve until input ends and every answer is out (each wait bounded by `drain_timeout`),
    or until SIGTERM (or SIGINT, unless `sigint` is False: a person at a terminal has
    terminal.py's Ctrl+C) at any point of that, which cancels the calls in flight (each change
    being made still gets its audit outcome, "unknown") and exits at once."""
    lowlevel = server._lowlevel_server  # private, but the SDK offers no stream hook
    stop = Stop(sigint)
    async with anyio.create_task_group() as watcher:
        watcher.start_soon(stop_on_signal, stop)
        with stop.leaving:
            async with wire(drain_timeout) as (streams, threaded):
                stop.threaded = threaded
                try:
                    await serve(lowlevel, streams, drain_timeout)
                finally:
                    stop.unwound.set()
        watcher.cancel_scope.cancel()
    if stop.signal is not None:
        # Answers the client had not read yet are dropped, as with the SDK's transport;
        # stdin and stdout are as they were before we served.
        stopped(stop.signal)


class Stop:
    """How a signal stops serving: `leaving` is cancelled, and with the SDK's transport (whose
    threads no exit can wait for) the process leaves once the calls have unwound."""

    # The SDK's transport only: seconds the cancelled calls get to record their outcomes
    # before we exit, its threads done or not (on ours, cancelling needs no time limit).
    UNWIND = 5.0

    def __init__(self, sigint: bool) -> None:
        self.wanted = [signal.SIGTERM, signal.SIGINT] if sigint else [signal.SIGTERM]
        self.leaving = anyio.CancelScope()
        self.signal: int | None = None  # the one that stopped us
        self.threaded = True  # until the wire is known
        self.unwound = anyio.Event()


async def serve(lowlevel: Server[Any], streams: Wire, drain_timeout: float) -> None:
    """The server on the wire until its input ends and is answered."""
    read_stream, write_stream = streams
    in_flight = InFlight()
    to_server, server_input = anyio.create_memory_object_stream[Inbound](0)
    server_output, from_server = anyio.create_memory_object_stream[SessionMessage](0)
    reading, writing = anyio.CancelScope(), anyio.CancelScope()

    async def read() -> None:
        with reading:
            await relay_input(read_stream, to_server, write_stream, in_flight, drain_timeout)

    async def write() -> None:
        with writing:
            await relay_output(from_server, write_stream, in_flight)

    async with anyio.create_task_group() as tg:
        tg.start_soon(read)
        tg.start_soon(write)
        await lowlevel.run(server_input, server_output, lowlevel.create_initialization_options())
        logger.debug("input ended: writing the last answers")
        # Normally over already: the loop returns only once its input is closed.
        reading.cancel()
        # The last answers may wait for a client that reads late, but not for ever.
        writing.deadline = anyio.current_time() + drain_timeout


def stopped(signum: int) -> NoReturn:
    """Exit as a process stopped by `signum` does, whatever threads are still running."""
    os._exit(128 + signum)


async def stop_on_signal(stop: Stop) -> None:
    """SIGTERM from a client or supervisor (or SIGINT): cancel everything and leave."""
    if sys.platform == "win32":  # no POSIX signals to receive
        return
    with anyio.open_signal_receiver(*stop.wanted) as received:
        async for signum in received:
            if stop.signal is not None:
                continue  # stopping already: a second Ctrl+C must not interrupt that
            stop.signal = signum
            stop.leaving.cancel()
            if stop.threaded:
                with anyio.move_on_after(Stop.UNWIND):
                    await stop.unwound.wait()
                stopped(signum)
