"""Real `powerpack-mcp --transport http` processes on loopback, and clients for them."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from typing import Any

import httpx2
from mcp import Client
from mcp.client.session import ElicitationFnT
from mcp.client.streamable_http import streamable_http_client
from stdio_support import clean_env
from support import APPS

from powerpack_mcp.sandbox import DEFAULT_AUTH_ID, DEFAULT_AUTH_TOKEN

COMMAND = [sys.executable, "-m", "powerpack_mcp", "--transport", "http"]


def upstream(url: str) -> dict[str, str]:
    """Environment pointing a server at an emulator served over HTTP."""
    return {
        "PLIVO_AUTH_ID": DEFAULT_AUTH_ID,
        "PLIVO_AUTH_TOKEN": DEFAULT_AUTH_TOKEN,
        "PLIVO_API_URL": url,
    }


def free_port() -> int:
    """A port free right now, for commands that must refuse to start before they bind it."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def read_stderr(stderr: Any) -> str:
    """What a child wrote so far to its stderr file. `pread`, not seek-and-read: the child
    shares the file offset, and moving it would make its next line overwrite earlier ones."""
    fd = stderr.fileno()
    return os.pread(fd, os.fstat(fd).st_size, 0).decode(errors="replace")


class HttpServer:
    def __init__(self, proc: subprocess.Popen[str], port: int, stderr: Any) -> None:
        self.proc = proc
        self.port = port
        self.url = f"http://127.0.0.1:{port}"
        self._stderr = stderr

    def stderr(self) -> str:
        return read_stderr(self._stderr)


# uvicorn names the port it bound once it listens.
LISTENING = re.compile(r"Uvicorn running on http://\S+:(\d+)")


@contextmanager
def http_server(*args: str, **env: str) -> Iterator[HttpServer]:
    """A server on a port of its own choosing (`--port 0`): a port probed here and handed
    over could be taken by another test process before the server binds it."""
    with tempfile.TemporaryFile(mode="w+") as stderr:
        proc = subprocess.Popen(
            [*COMMAND, "--port", "0", *args],
            env=clean_env(**env),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=stderr,
            text=True,
        )
        try:
            yield HttpServer(proc, announced_port(proc, stderr), stderr)
        finally:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
                try:
                    proc.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait()


def announced_port(
    proc: subprocess.Popen[str], stderr: Any, announcement: re.Pattern[str] = LISTENING
) -> int:
    """The port a child started with `--port 0` says, on stderr, that it listens on."""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        exited = proc.poll() is not None
        listening = announcement.search(read_stderr(stderr))
        if listening:
            return int(listening.group(1))
        if exited:
            raise AssertionError(f"server exited early:\n{read_stderr(stderr)}")
        time.sleep(0.02)  # readiness polling, not timing
    raise AssertionError(f"server did not start:\n{read_stderr(stderr)}")


@asynccontextmanager
async def http_client(
    url: str,
    token: str | None = None,
    *,
    elicitation: ElicitationFnT | None = None,
    terminate_on_close: bool = True,
    legacy: bool = False,
    apps: bool = False,
) -> AsyncIterator[Client]:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    async with httpx2.AsyncClient(headers=headers, timeout=30) as http:
        transport = streamable_http_client(
            f"{url}/mcp", http_client=http, terminate_on_close=terminate_on_close
        )
        mode = "legacy" if legacy else "auto"
        extensions = [APPS] if apps else None
        async with Client(
            transport, elicitation_callback=elicitation, mode=mode, extensions=extensions
        ) as client:
            yield client
