"""`powerpack-mcp --sandbox` typed in a terminal: stdin is a pseudo-terminal, as in a shell.

It must say on stderr what it is and what to run instead, keep serving MCP, keep stdout for
the protocol, and stop on Ctrl+D and Ctrl+C."""

from __future__ import annotations

import json
import os
import pty
import select
import signal
import subprocess
from collections.abc import Iterator
from typing import IO

import pytest
from stdio_support import COMMAND, INITIALIZE, RawSession, clean_env

LAST_LINE = b"check credentials, network access and settings"


def read_until(stream: IO[bytes], marker: bytes) -> bytes:
    seen = b""
    while marker not in seen:
        ready, _, _ = select.select([stream], [], [], 30)
        chunk = os.read(stream.fileno(), 65536) if ready else b""
        assert chunk, f"no {marker!r} on the stream; got {seen!r}"
        seen += chunk
    return seen


class Terminal:
    """The server with a pseudo-terminal as stdin; stdout and stderr are pipes."""

    def __init__(self) -> None:
        self.leader, follower = pty.openpty()
        self.proc = subprocess.Popen(
            [*COMMAND, "--sandbox"],
            env=clean_env(),
            stdin=follower,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        os.close(follower)
        assert self.proc.stderr is not None
        self.stderr = read_until(self.proc.stderr, LAST_LINE).decode()

    def type(self, text: str) -> None:
        os.write(self.leader, text.encode())

    def answer(self) -> dict[str, object]:
        assert self.proc.stdout is not None
        message: dict[str, object] = json.loads(read_until(self.proc.stdout, b"\n"))
        return message


@pytest.fixture
def terminal() -> Iterator[Terminal]:
    term = Terminal()
    yield term
    if term.proc.poll() is None:
        term.proc.kill()
    term.proc.wait(timeout=20)
    for stream in (term.proc.stdout, term.proc.stderr):
        assert stream is not None
        stream.close()
    os.close(term.leader)


def test_a_terminal_start_says_what_it_is_and_what_to_try(terminal: Terminal) -> None:
    said = terminal.stderr
    assert "an MCP server for Plivo Powerpacks in sandbox mode" in said
    assert "waiting for an MCP client on stdin" in said
    assert "not an interactive prompt" in said
    assert "powerpack-mcp demo" in said
    assert "npx @modelcontextprotocol/inspector --cli powerpack-mcp --sandbox" in said or (
        "npx @modelcontextprotocol/inspector --cli /" in said  # not on PATH: the full path
    )
    assert " config claude-desktop" in said
    assert " doctor" in said


def test_it_keeps_serving_and_stdout_is_the_protocols(terminal: Terminal) -> None:
    terminal.type(json.dumps(INITIALIZE) + "\n")
    answer = terminal.answer()
    assert answer["id"] == 1
    assert answer["result"]["serverInfo"]["name"] == "powerpack-mcp"  # type: ignore[index]
    terminal.type("\x04")  # Ctrl+D: end of input
    assert terminal.proc.wait(timeout=20) == 0
    assert terminal.proc.stdout is not None
    assert terminal.proc.stdout.read() == b""  # the answer was all of stdout


def test_ctrl_c_stops_it(terminal: Terminal) -> None:
    terminal.proc.send_signal(signal.SIGINT)  # what the terminal sends on Ctrl+C
    assert terminal.proc.wait(timeout=20) == 128 + signal.SIGINT


def test_a_client_on_a_pipe_gets_no_note() -> None:
    session = RawSession("--sandbox")
    session.send(INITIALIZE)
    assert session.answer(1)["result"]["serverInfo"]["name"] == "powerpack-mcp"
    assert "not an interactive prompt" not in session.close()
