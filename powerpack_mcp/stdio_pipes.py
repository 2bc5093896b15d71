"""stdio on the event loop: stdin and stdout as non-blocking pipes, with no worker threads.

The SDK's stdio transport reads each line, and writes and flushes each answer, in a worker
thread: three thread hand-offs per call, about 0.4 ms of a 6 ms call on two cores
(bench/README.md). MCP clients start their servers with pipes (Python's subprocess) or socket
pairs (Node's libuv); for those the event loop watches the descriptors itself. Anything else
(a terminal, a file, one socket for both directions, Windows) keeps the SDK's transport:
`usable()` decides.

As in the SDK, fd 0 and 1 point elsewhere while we serve (stdin at the null device, stdout at
stderr), so a library that prints cannot corrupt the protocol or steal our input.
"""

from __future__ import annotations

import asyncio
import os
import stat
import sys
from collections import deque
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager, suppress
from typing import IO, cast

import anyio
from anyio.abc import ObjectReceiveStream, ObjectSendStream
from mcp.shared.message import SessionMessage
from mcp.types import jsonrpc_message_adapter

Inbound = SessionMessage | Exception
# The server's two streams: messages in (or the parse error a line was), messages out.
Wire = tuple[ObjectReceiveStream[Inbound], ObjectSendStream[SessionMessage]]

# A longer line is dropped whole and answered with a parse error: the largest real request
# is a few kilobytes, and an endless line must not take all our memory.
LINE_LIMIT = 8 * 1024 * 1024
# Read no further while this much input waits for the server (the client then blocks on a
# full pipe, as it would with the SDK's transport).
QUEUED_LINES = 64
QUEUED_BYTES = 1024 * 1024


def usable(stdin: int = 0, stdout: int = 1) -> bool:
    """Whether stdin and stdout are two separate pipes or sockets the event loop can watch."""
    if sys.platform == "win32":  # the proactor loop cannot watch a pipe's readiness
        return False
    try:
        into, out = os.fstat(stdin), os.fstat(stdout)
    except OSError:
        return False
    # One socket for both directions would look closed to the writer whenever input arrives.
    separate = (into.st_dev, into.st_ino) != (out.st_dev, out.st_ino)
    return separate and all(
        stat.S_ISFIFO(s.st_mode) or stat.S_ISSOCK(s.st_mode) for s in (into, out)
    )


@contextmanager
def diverted() -> Iterator[tuple[int, int]]:
    """Private copies of stdin and stdout for the wire, while fd 0 reads the null device and
    fd 1 writes to stderr; both are put back afterwards, blocking as they were (the pipe's
    mode is shared with whoever else holds it, such as a launcher script)."""
    import fcntl  # POSIX only, like everything `usable()` lets through

    wire_in = fcntl.fcntl(0, fcntl.F_DUPFD_CLOEXEC, 3)
    wire_out = fcntl.fcntl(1, fcntl.F_DUPFD_CLOEXEC, 3)
    blocking = os.get_blocking(wire_in), os.get_blocking(wire_out)
    null = os.open(os.devnull, os.O_RDONLY)
    os.dup2(null, 0)
    os.close(null)
    os.dup2(2, 1)
    try:
        yield wire_in, wire_out
    finally:
        with suppress(OSError, ValueError):
            sys.stdout.flush()  # a stray print still buffered belongs on stderr, not the wire
        for fd, wire, was_blocking in ((0, wire_in, blocking[0]), (1, wire_out, blocking[1])):
            os.set_blocking(wire, was_blocking)
            os.dup2(wire, fd)
            os.close(wire)


@asynccontextmanager
async def pipes(
    wire_in: int, wire_out: int, *, flush_timeout: float, line_limit: int = LINE_LIMIT
) -> AsyncIterator[Wire]:
    """The wire as the server's two streams. The descriptors stay the caller's: the loop gets
    its own copies. On the way out every answer is written before the pipe is closed (for at
    most `flush_timeout` seconds): a client may close its input and read the answers later.
    A caller that is cancelled (stopping at once) does not wait for that."""
    loop = asyncio.get_running_loop()
    reading, lines = await loop.connect_read_pipe(lambda: Lines(line_limit), _copy(wire_in, "rb"))
    try:
        writing, flow = await loop.connect_write_pipe(Flow, _copy(wire_out, "wb"))
        try:
            yield Input(lines), Output(writing, flow)
            with anyio.move_on_after(flush_timeout):
                await flow.flushed(writing)
        finally:
            # What is still unwritten is dropped, not left to a loop that is shutting down
            # while the pipe is made blocking again.
            if not writing.is_closing():  # closed already if the client went away
                writing.abort()
    finally:
        reading.close()


def _copy(fd: int, mode: str) -> IO[bytes]:
    return cast(IO[bytes], os.fdopen(os.dup(fd), mode, buffering=0))


class Lines(asyncio.Protocol):
    """The input cut into lines as it arrives, at LF, CRLF or CR (as the SDK's text reader
    does). A line over the limit is dropped and stands as None; a last line without its
    line end still counts."""

    def __init__(self, limit: int) -> None:
        self._limit = limit
        self._partial = bytearray()
        self._dropping = False  # inside a line that is over the limit
        self._after_cr = False  # the last chunk ended with CR: an LF next ends the same line
        self._lines: deque[bytes | None] = deque()
        self._queued = 0  # bytes in _lines
        self._ended = False
        self._paused = False
        self._arrived = asyncio.Event()
        self._transport: asyncio.ReadTransport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._transport = cast(asyncio.ReadTransport, transport)

    def data_received(self, data: bytes) -> None:
        if self._after_cr and data.startswith(b"\n"):
            data = data[1:]
        self._after_cr = data.endswith(b"\r")
        if b"\r" in data:  # never inside JSON text, where it must be escaped
            data = data.replace(b"\r\n", b"\n").replace(b"\r", b"\n")
        start = 0
        while (end := data.find(b"\n", start)) >= 0:
            self._end_line(data[start:end])
            start = end + 1
        if not self._dropping:
            self._partial += data[start:]
            if len(self._partial) > self._limit:
                self._partial.clear()
                self._dropping = True
        full = len(self._lines) >= QUEUED_LINES or self._queued >= QUEUED_BYTES
        if full and self._transport is not None and not self._paused:
            self._transport.pause_reading()
            self._paused = True

    def _end_line(self, tail: bytes) -> None:
        line = bytes(self._partial + tail) if self._partial else tail
        self._partial.clear()
        over = self._dropping or len(line) > self._limit
        self._dropping = False
        self._lines.append(None if over else line)
        self._queued += 0 if over else len(line)
        self._arrived.set()

    def eof_received(self) -> None:
        if self._partial or self._dropping:
            self._end_line(b"")
        self._end()

    def connection_lost(self, exc: Exception | None) -> None:
        self._end()

    def _end(self) -> None:
        self._ended = True
        self._arrived.set()

    async def next(self) -> bytes | None:
        """The next line (None: one over the limit); EndOfStream once input has ended."""
        while not self._lines:
            if self._ended:
                raise anyio.EndOfStream
            self._arrived.clear()
            await self._arrived.wait()
        line = self._lines.popleft()
        self._queued -= len(line) if line is not None else 0
        if self._paused and self._transport is not None and self._half_empty():
            self._paused = False
            self._transport.resume_reading()
        return line

    def _half_empty(self) -> bool:
        return len(self._lines) <= QUEUED_LINES // 2 and self._queued <= QUEUED_BYTES // 2


def parse(line: bytes | None) -> Inbound:
    """A line as the SDK's transport reads it: UTF-8 (bad bytes replaced), one JSON-RPC
    message; anything else is the exception the server answers with a parse error."""
    if line is None:
        return ValueError("a line over the length limit")
    try:
        text = line.decode("utf-8", errors="replace")
        return SessionMessage(jsonrpc_message_adapter.validate_json(text, by_name=False))
    except ValueError as exc:  # pydantic's ValidationError is one
        return exc


class Input(ObjectReceiveStream[Inbound]):
    def __init__(self, lines: Lines) -> None:
        self._lines = lines

    async def receive(self) -> Inbound:
        return parse(await self._lines.next())

    async def aclose(self) -> None:
        pass  # the pipe is closed by `pipes()` on its way out


class Flow(asyncio.Protocol):
    """The output's flow control: writers wait while the client is behind on reading."""

    def __init__(self) -> None:
        self._drained = asyncio.Event()
        self._drained.set()

    def pause_writing(self) -> None:
        self._drained.clear()

    def resume_writing(self) -> None:
        self._drained.set()

    def connection_lost(self, exc: Exception | None) -> None:
        self._drained.set()

    async def drained(self) -> None:
        if not self._drained.is_set():
            await self._drained.wait()

    async def flushed(self, transport: asyncio.WriteTransport) -> None:
        """Until everything written has left (or the client has gone)."""
        if transport.is_closing():
            return  # the client has gone: nothing more can leave
        transport.set_write_buffer_limits(high=0)  # pauses us until the buffer is empty
        await self.drained()


class Output(ObjectSendStream[SessionMessage]):
    def __init__(self, transport: asyncio.WriteTransport, flow: Flow) -> None:
        self._transport = transport
        self._flow = flow
        self._closed = False

    async def send(self, item: SessionMessage) -> None:
        if self._closed:
            raise anyio.ClosedResourceError
        if self._transport.is_closing():
            return  # the client stopped reading: nothing can reach it, and it is not an error
        data = item.message.model_dump_json(by_alias=True, exclude_unset=True)
        # One write per message: concurrent senders never interleave their lines.
        self._transport.write(data.encode() + b"\n")
        await self._flow.drained()

    async def aclose(self) -> None:
        self._closed = True
