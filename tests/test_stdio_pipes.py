"""stdio on the event loop (`powerpack_mcp.stdio_pipes`): lines arrive whole however the pipe
cuts them, an endless line cannot take our memory, a client that stops reading or writing is
waited for rather than buffered, and a client that goes away is not an error."""

from __future__ import annotations

import itertools
import json
import logging
import os
import socket
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import anyio
import anyio.lowlevel
import pytest
from hypothesis import given
from hypothesis import strategies as st
from mcp.shared.message import SessionMessage
from mcp.types import JSONRPCNotification, JSONRPCRequest
from stdio_support import COMMAND, INITIALIZE, INITIALIZED, clean_env, tool_call

from powerpack_mcp.stdio_pipes import QUEUED_LINES, Lines, parse, pipes, usable

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
    last_newline=st.booleans(),
)
def test_messages_arrive_whole_wherever_the_pipe_cuts_them(
    texts: list[str], cuts: list[int], last_newline: bool
) -> None:
    sent = [request(n, text) for n, text in enumerate(texts)]
    data = "\n".join(json.dumps(message) for message in sent).encode()
    data += b"\n" if last_newline else b""  # a last line without its newline still counts
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
        async with pipes(ours_in, ours_out) as (_, output):
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
async def test_input_the_server_is_not_taking_waits_in_the_client_s_pipe() -> None:
    """A client that sends faster than the server answers fills its pipe, not our memory."""
    line = json.dumps(request(1, "x" * 1000)).encode() + b"\n"
    with os_pipe() as (ours_in, client_out), os_pipe() as (_, ours_out):
        os.set_blocking(client_out, False)
        async with pipes(ours_in, ours_out):
            written = []
            for _ in range(40):  # the loop runs between rounds, free to read if it would
                written.append(_fill(client_out, line))
                for _ in range(5):
                    await anyio.lowlevel.checkpoint()
            # Once QUEUED_LINES wait unread, nothing more is taken from the pipe: in all, the
            # queue, a read or two and the pipe's own 64 KiB (2.6 MB if it read on).
            assert sum(written[20:]) == 0
            assert QUEUED_LINES <= sum(written) < 600


def _fill(fd: int, line: bytes) -> int:
    """Lines written until the pipe is full."""
    count = 0
    while True:
        try:
            os.write(fd, line)
        except BlockingIOError:
            return count
        count += 1


@pytest.mark.anyio
async def test_a_client_gone_away_is_not_an_error(caplog: pytest.LogCaptureFixture) -> None:
    client_in, ours_out = os.pipe()
    os.close(client_in)
    with os_pipe() as (ours_in, _):
        async with pipes(ours_in, ours_out) as (_, output):
            with caplog.at_level(logging.DEBUG):
                for n in range(20):
                    await output.send(message(n))
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
        answers = client_in.makefile("rb").readlines()
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
    proc = _session(subprocess.PIPE, subprocess.PIPE)
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
