"""stdio on the event loop (`powerpack_mcp.stdio_pipes`): lines arrive whole however the pipe
cuts them, an endless line cannot take our memory, a client that stops reading or writing is
waited for rather than buffered, and a client that goes away is not an error."""

from __future__ import annotations

import fcntl
import itertools
import json
import logging
import os
import queue
import select
import signal
import socket
import subprocess
import sys
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import IO, Any

import anyio
import anyio.lowlevel
import pytest
from hypothesis import given
from hypothesis import strategies as st
from mcp.shared.message import SessionMessage
from mcp.types import JSONRPCNotification, JSONRPCRequest
from stdio_support import COMMAND, INITIALIZE, INITIALIZED, clean_env, tool_call

from powerpack_mcp.stdio_pipes import QUEUED_BYTES, QUEUED_LINES, Lines, parse, pipes, usable

PARSE_ERROR = -32700


@pytest.fixture(
    params=[
        pytest.param(("asyncio", {}), id="asyncio"),
        pytest.param(("asyncio", {"use_uvloop": True}), id="uvloop"),  # what stdio runs on
    ]
)
def anyio_backend(request: pytest.FixtureRequest) -> Any:
    return request.param


def request(n: int, text: str) -> dict[str, Any]:
    return {"jsonrpc": "2.0", "id": n, "method": "tools/call", "params": {"name": text}}


async def read_all(lines: Lines) -> list[bytes | None]:
    seen = []
    while True:
        try:
            seen.append(await lines.next())
        except anyio.EndOfStream:
            return seen


@given(
    texts=st.lists(st.text(st.characters(exclude_categories=["Cs"])), min_size=1, max_size=8),
    cuts=st.lists(st.integers(min_value=0, max_value=4000), max_size=12),
    line_end=st.sampled_from(["\n", "\r\n", "\r"]),  # what the SDK's text reader takes
    last_end=st.booleans(),
)
def test_messages_arrive_whole_wherever_the_pipe_cuts_them(
    texts: list[str], cuts: list[int], line_end: str, last_end: bool
) -> None:
    sent = [request(n, text) for n, text in enumerate(texts)]
    data = line_end.join(json.dumps(message) for message in sent).encode()
    data += line_end.encode() if last_end else b""  # a last line without its end still counts
    lines = Lines(limit=1 << 20)
    bounds = [0, *sorted(cut % (len(data) + 1) for cut in cuts), len(data)]
    for start, end in itertools.pairwise(bounds):
        lines.data_received(data[start:end])
    lines.eof_received()

    received = anyio.run(read_all, lines)

    messages = [parse(line) for line in received]
    assert [m.message.model_dump(exclude_unset=True) for m in messages] == sent  # type: ignore[union-attr]


@pytest.mark.anyio
async def test_an_overlong_line_is_dropped_whole_and_the_next_one_is_read() -> None:
    lines = Lines(limit=100)
    for chunk in [b'{"jsonrpc": "2.0", ', b"x" * 150, b"y" * 150, b'"end"}\n', b"x" * 101]:
        lines.data_received(chunk)
    lines.data_received(b'\n{"jsonrpc": "2.0", "method": "ping"}\n')
    lines.eof_received()

    received = await read_all(lines)

    assert received[:2] == [None, None]  # each too-long line once, however it arrived
    assert isinstance(parse(received[0]), Exception)  # answered with a parse error
    ping = parse(received[2])
    assert isinstance(ping, SessionMessage)
    assert isinstance(ping.message, JSONRPCNotification | JSONRPCRequest)
    assert ping.message.method == "ping"


@contextmanager
def os_pipe() -> Iterator[tuple[int, int]]:
    read_end, write_end = os.pipe()
    try:
        yield read_end, write_end
    finally:
        os.close(read_end)
        os.close(write_end)


def message(n: int, size: int = 0) -> SessionMessage:
    return SessionMessage(JSONRPCRequest(jsonrpc="2.0", id=n, method="x" * size or "ping"))


@pytest.mark.anyio
async def test_a_client_that_stops_reading_holds_our_writes_instead_of_our_memory() -> None:
    with os_pipe() as (ours_in, _), os_pipe() as (client_in, ours_out):
        async with pipes(ours_in, ours_out, flush_timeout=5) as (_, output):
            sent = 0

            async def flood() -> None:
                nonlocal sent
                for n in range(200):
                    await output.send(message(n, size=10_000))  # 2 MB in all
                    sent += 1

            async with anyio.create_task_group() as tg:
                tg.start_soon(flood)
                await anyio.wait_all_tasks_blocked()
                held = sent
                assert held < 30  # the pipe and one buffer's worth, not 2 MB
                received = await anyio.to_thread.run_sync(_read_lines, client_in, 200)
            assert sent == 200
            assert [json.loads(line)["id"] for line in received] == list(range(200))


def _read_lines(fd: int, count: int) -> list[bytes]:
    with os.fdopen(os.dup(fd), "rb") as stream:
        return [stream.readline() for _ in range(count)]


@pytest.mark.anyio
@pytest.mark.parametrize("size", [1_000, 200_000], ids=["many-lines", "large-lines"])
async def test_input_the_server_is_not_taking_waits_in_the_client_s_pipe(size: int) -> None:
    """A client that sends faster than we read fills its pipe, not our memory: reading pauses
    at QUEUED_LINES lines or QUEUED_BYTES bytes, whichever comes first."""
    line = json.dumps(request(1, "x" * size)).encode() + b"\n"
    with os_pipe() as (ours_in, client_out), os_pipe() as (_, ours_out):
        os.set_blocking(client_out, False)
        async with pipes(ours_in, ours_out, flush_timeout=5):
            flood = Flood(client_out, line * (20_000_000 // len(line)))  # 20 MB to offer
            for _ in range(40):  # the loop runs between rounds, free to read if it would
                flood.fill()
                await checkpoints()
            written = flood.fill()
            await checkpoints()
            assert flood.fill() == written  # reading has stopped for good
    # In all: what is queued, a line in the making, and the pipe's own 64 KiB. Had reading
    # gone on, 40 rounds would have taken 2.6 MB; the byte bound alone, 1 MiB.
    if size < 10_000:
        assert written < (QUEUED_LINES + 130) * len(line)
    assert written < QUEUED_BYTES + 2 * len(line) + 65_536


async def checkpoints() -> None:
    """A few turns of the event loop: time for it to read whatever it would."""
    for _ in range(5):
        await anyio.lowlevel.checkpoint()


class Flood:
    """A client writing `data` as fast as the pipe takes it, without ever blocking."""

    def __init__(self, fd: int, data: bytes) -> None:
        self._fd, self._data, self.written = fd, memoryview(data), 0

    def fill(self) -> int:
        """Write until the pipe is full; all bytes written so far."""
        while self.written < len(self._data):
            try:
                self.written += os.write(self._fd, self._data[self.written :])
            except BlockingIOError:
                break
        return self.written


@pytest.mark.anyio
async def test_a_client_gone_away_is_not_an_error(caplog: pytest.LogCaptureFixture) -> None:
    client_in, ours_out = os.pipe()
    os.close(client_in)  # the client's end: gone
    try:
        with os_pipe() as (ours_in, _):
            async with pipes(ours_in, ours_out, flush_timeout=5) as (_, output):
                with caplog.at_level(logging.DEBUG):
                    for n in range(20):
                        await output.send(message(n))
    finally:
        os.close(ours_out)
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]


def test_only_two_separate_pipes_or_sockets_take_the_event_loop_path() -> None:
    one, other = socket.socketpair()
    with (
        one,
        other,
        os_pipe() as (read_end, _),
        os_pipe() as (_, write_end),
        tempfile.TemporaryFile() as file,
    ):
        assert usable(read_end, write_end)
        assert usable(one.fileno(), write_end)  # Node's clients give us socket pairs
        assert not usable(one.fileno(), one.fileno())  # one socket both ways: the SDK's
        assert not usable(file.fileno(), write_end)  # a file: the SDK's transport
        with open(os.devnull, "rb") as null:
            assert not usable(null.fileno(), write_end)  # a character device (a terminal)


# The real server, as clients start it ------------------------------------------------------


def _session(stdin: Any, stdout: Any) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [*COMMAND, "--sandbox"], stdin=stdin, stdout=stdout, stderr=subprocess.PIPE, env=clean_env()
    )


def _lines(*messages: dict[str, Any]) -> bytes:
    return b"".join(json.dumps(m).encode() + b"\n" for m in messages)


def test_a_node_client_s_socket_pairs_are_served() -> None:
    ours_in, client_out = socket.socketpair()
    client_in, ours_out = socket.socketpair()
    with ours_in, client_out, client_in, ours_out:
        proc = _session(ours_in, ours_out)
        ours_in.close()  # the server's ends are its own now: we see its end of output
        ours_out.close()
        client_out.sendall(
            _lines(INITIALIZE, INITIALIZED, tool_call(2, "get_powerpack", {"powerpack": "alerts"}))
        )
        client_out.shutdown(socket.SHUT_WR)
        with client_in.makefile("rb") as output:
            answers = output.readlines()
        _, stderr = proc.communicate(timeout=30)
    by_id = {json.loads(a)["id"]: json.loads(a) for a in answers}
    assert by_id[2]["result"]["structuredContent"]["name"] == "alerts"
    assert proc.returncode == 0, stderr.decode()


def test_files_for_stdin_and_stdout_are_still_served() -> None:
    """Not pipes (say `powerpack-mcp < requests > answers`): the SDK's transport serves them."""
    call = tool_call(2, "get_powerpack", {"powerpack": "alerts"})
    with tempfile.TemporaryFile() as requests, tempfile.TemporaryFile() as answers:
        requests.write(_lines(INITIALIZE, INITIALIZED, call))
        requests.seek(0)
        proc = _session(requests, answers)
        _, stderr = proc.communicate(timeout=30)
        answers.seek(0)
        by_id = {json.loads(a)["id"]: json.loads(a) for a in answers.read().splitlines()}
    assert by_id[2]["result"]["structuredContent"]["name"] == "alerts"
    assert proc.returncode == 0, stderr.decode()


def test_an_endless_line_is_answered_once_and_the_session_goes_on() -> None:
    proc = _session(subprocess.PIPE, subprocess.PIPE)
    call = tool_call(2, "get_powerpack", {"powerpack": "alerts"})
    endless = b"x" * (20 * 1024 * 1024) + b"\n"  # over the 8 MiB limit
    stdout, stderr = proc.communicate(_lines(INITIALIZE, INITIALIZED) + endless + _lines(call), 60)
    answers = [json.loads(line) for line in stdout.splitlines()]
    assert [a["error"]["code"] for a in answers if "error" in a] == [PARSE_ERROR]
    assert answers[-1]["result"]["structuredContent"]["name"] == "alerts"
    assert proc.returncode == 0, stderr.decode()


def test_a_client_that_stops_reading_early_leaves_no_traceback() -> None:
    with _session(subprocess.PIPE, subprocess.PIPE) as proc:
        assert proc.stdin is not None
        assert proc.stdout is not None
        proc.stdout.close()  # gone before the first answer
        calls = [tool_call(n, "get_powerpack", {"powerpack": "alerts"}) for n in range(2, 12)]
        _, stderr = proc.communicate(_lines(INITIALIZE, INITIALIZED, *calls), timeout=30)
    assert "Traceback" not in stderr.decode()
    assert proc.returncode == 0


def test_stray_output_goes_to_stderr_while_serving() -> None:
    """A library that prints must not corrupt the protocol: fd 1 is stderr while we serve."""
    script = (
        "import os; from powerpack_mcp.stdio_pipes import diverted\n"
        "with diverted() as (wire_in, wire_out):\n"
        "    print('stray print', flush=True); os.write(1, b'stray write\\n')\n"
        "    os.write(wire_out, b'protocol\\n')\n"
        "    assert os.read(0, 10) == b''\n"  # fd 0 reads nothing: the wire is ours alone
        "    os.write(wire_out, os.read(wire_in, 5))\n"
        "print('after')\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], input=b"input", capture_output=True, timeout=30, check=True
    )
    assert done.stdout == b"protocol\ninputafter\n"
    assert done.stderr == b"stray print\nstray write\n"


def test_every_answer_reaches_a_client_that_reads_only_after_closing_its_input() -> None:
    with _session(subprocess.PIPE, subprocess.PIPE) as proc:
        assert proc.stdin is not None
        assert proc.stdout is not None
        listings = [{"jsonrpc": "2.0", "id": n, "method": "tools/list"} for n in range(10, 15)]
        proc.stdin.write(_lines(INITIALIZE, INITIALIZED, *listings))
        proc.stdin.close()
        with suppress(subprocess.TimeoutExpired):
            proc.wait(timeout=3)  # the client reads late: the server may leave no answer behind
        written = proc.stdout.read()
        proc.wait(timeout=30)
    assert len(written) > 65_536  # more than the pipe holds: some waited in the server
    answers = [json.loads(line) for line in written.splitlines()]  # none cut short
    assert [answer["id"] for answer in answers] == [1, 10, 11, 12, 13, 14]
    assert proc.returncode == 0


def test_a_sigterm_stops_at_once_and_leaves_stdin_and_stdout_blocking() -> None:
    """Even with answers the client has not read (they are dropped, as with the SDK's
    transport). The pipes' mode is shared with whoever else holds them (a launcher such as
    `sh -c` or npx may use them after we are gone): it is put back on every way out."""
    ours_in, client_out = os.pipe()
    client_in, ours_out = os.pipe()
    fcntl.fcntl(ours_out, fcntl.F_SETPIPE_SZ, 4096)  # a small pipe: answers wait in the server
    try:
        with (
            _session(ours_in, ours_out) as proc,
            os.fdopen(os.dup(client_in), "rb", buffering=0) as answers,
        ):
            os.write(client_out, _lines(INITIALIZE))
            readable(client_in)
            assert json.loads(answers.readline())["id"] == 1  # serving on the event loop
            listings = [{"jsonrpc": "2.0", "id": n, "method": "tools/list"} for n in range(9)]
            os.write(client_out, _lines(*listings))
            # An answer's first byte: the rest of it (about 16 KB) is now in the server's
            # buffer, for the 4 KB pipe took only that much.
            readable(client_in)
            assert answers.read(1) == b"{"
            proc.send_signal(signal.SIGTERM)
            proc.wait(timeout=20)  # not after the request timeout (120 s) waiting for us
        assert proc.returncode == 128 + signal.SIGTERM
        assert os.get_blocking(ours_in)  # the same pipes as the server's stdin and stdout
        assert os.get_blocking(ours_out)
    finally:
        for fd in (ours_in, client_out, client_in, ours_out):
            os.close(fd)


def readable(fd: int, timeout: float = 30) -> None:
    """Fails, rather than hangs, if the server writes nothing (say it died, while our copy of
    its stdout keeps the pipe open)."""
    ready, _, _ = select.select([fd], [], [], timeout)
    assert ready, f"nothing to read within {timeout} s"


def _pumped(stream: IO[bytes]) -> tuple[queue.Queue[bytes], threading.Thread]:
    """Every line of `stream` as it comes, read by a thread, so that a wait can be bounded."""
    lines: queue.Queue[bytes] = queue.Queue()

    def pump() -> None:
        for line in stream:
            lines.put(line)

    thread = threading.Thread(target=pump, daemon=True)
    thread.start()
    return lines, thread


def _small_pipe() -> tuple[int, int]:
    """A pipe that holds 4 KB: answers beyond it wait in the server."""
    read_end, write_end = os.pipe()
    fcntl.fcntl(write_end, fcntl.F_SETPIPE_SZ, 4096)
    return read_end, write_end


def test_a_client_that_never_reads_after_closing_its_input_does_not_hold_us_for_ever() -> None:
    """Answering, writing and flushing after end of input each wait at most the request
    timeout (here 1 s) for a client that may read late."""
    ours_in, client_out = os.pipe()
    client_in, ours_out = _small_pipe()
    try:
        proc = subprocess.Popen(
            [*COMMAND, "--sandbox"],
            stdin=ours_in,
            stdout=ours_out,
            stderr=subprocess.DEVNULL,
            env=clean_env(POWERPACK_MCP_REQUEST_TIMEOUT="1"),
        )
        listings = [{"jsonrpc": "2.0", "id": n, "method": "tools/list"} for n in range(20)]
        os.write(client_out, _lines(INITIALIZE, INITIALIZED, *listings))
        os.close(client_out)
        client_out = -1
        assert proc.wait(timeout=30) == 0  # it would wait for ever for a reader
        assert os.get_blocking(ours_out)
    finally:
        for fd in (ours_in, client_out, client_in, ours_out):
            if fd >= 0:
                os.close(fd)


@pytest.mark.parametrize(
    ("stdin", "signum", "count"),
    [
        ("pipe", signal.SIGTERM, 20),  # more than our buffer holds: still serving
        ("pipe", signal.SIGTERM, 2),  # all in our buffer: served, writing the last answers
        ("pipe", signal.SIGINT, 2),
        ("file", signal.SIGTERM, 2),
    ],
    ids=["sigterm-serving", "sigterm-flushing", "sigint", "sigterm-sdk-transport"],
)
def test_a_signal_after_input_ended_still_stops_at_once(
    stdin: str, signum: signal.Signals, count: int, tmp_path: Path
) -> None:
    """While answers wait for a client that reads late, on our transport or the SDK's (stdin
    a file): the exit code of that signal, no traceback, the pipe left blocking."""
    listings = [{"jsonrpc": "2.0", "id": n, "method": "tools/list"} for n in range(count)]
    requests = tmp_path / "requests.jsonl"
    requests.write_bytes(_lines(INITIALIZE, INITIALIZED, *listings))
    client_in, ours_out = _small_pipe()
    try:
        with requests.open("rb") as from_file:
            if stdin == "file":
                source: Any = from_file
            else:
                source = subprocess.PIPE
            proc = subprocess.Popen(
                [*COMMAND, "--sandbox", "--log-level", "debug"],
                stdin=source,
                stdout=ours_out,
                stderr=subprocess.PIPE,
                env=clean_env(),
            )
        if proc.stdin is not None:
            proc.stdin.write(requests.read_bytes())
            proc.stdin.close()
        assert proc.stderr is not None
        logged, pump = _pumped(proc.stderr)
        with os.fdopen(os.dup(client_in), "rb", buffering=0) as answers:
            readable(client_in)
            assert answers.read(1) == b"{"  # answering: the rest waits in the server
            if count < 20:  # wait until it has answered everything and only writes
                while b"writing the last answers" not in logged.get(timeout=30):
                    pass
            proc.send_signal(signum)
            proc.wait(timeout=20)  # not after the request timeout (120 s)
        pump.join(timeout=20)
        proc.stderr.close()
        stderr = b"".join(logged.queue).decode()
        assert proc.returncode == 128 + signum, stderr
        assert "Traceback" not in stderr
        assert os.get_blocking(ours_out)
    finally:
        os.close(client_in)
        os.close(ours_out)
