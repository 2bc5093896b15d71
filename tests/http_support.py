"""Real `powerpack-mcp --transport http` processes on loopback, and clients for them."""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from typing import Any

import httpx
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
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


class HttpServer:
    def __init__(self, proc: subprocess.Popen[str], port: int, stderr: Any) -> None:
        self.proc = proc
        self.port = port
        self.url = f"http://127.0.0.1:{port}"
        self._stderr = stderr

    def stderr(self) -> str:
        self._stderr.seek(0)
        text: str = self._stderr.read()
        return text


@contextmanager
def http_server(*args: str, **env: str) -> Iterator[HttpServer]:
    port = free_port()
    with tempfile.TemporaryFile(mode="w+") as stderr:
        proc = subprocess.Popen(
            [*COMMAND, "--port", str(port), *args],
            env=clean_env(**env),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=stderr,
            text=True,
        )
        server = HttpServer(proc, port, stderr)
        try:
            _wait_ready(server)
            yield server
        finally:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
                try:
                    proc.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait()


def _wait_ready(server: HttpServer) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if server.proc.poll() is not None:
            raise AssertionError(f"server exited early:\n{server.stderr()}")
        try:
            if httpx.get(f"{server.url}/healthz", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.05)  # readiness polling, not timing
    raise AssertionError(f"server did not start:\n{server.stderr()}")


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
