"""A server subprocess spoken to over stdio line by line, as a bare-bones client would."""

from __future__ import annotations

import json
import os
import queue
import subprocess
import sys
import tempfile
import threading
from typing import Any

COMMAND = [sys.executable, "-m", "powerpack_mcp"]


def clean_env(**extra: str) -> dict[str, str]:
    """The environment minus anything that configures the server, plus `extra`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PLIVO_", "POWERPACK_MCP_"))}
    return {**env, **extra}


def run_command(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    """`powerpack-mcp ARGS` to completion, with no stdin, as a person runs it."""
    return subprocess.run(
        [*COMMAND, *args],
        env=clean_env(**env),
        capture_output=True,
        text=True,
        timeout=60,
        stdin=subprocess.DEVNULL,
        check=False,
    )


class RawSession:
    """A server subprocess spoken to line by line, as a bare-bones client would."""

    def __init__(self, *args: str, **env: str) -> None:
        # A file, not a pipe, for stderr: DEBUG logs must never block the server on a full pipe.
        self.stderr = tempfile.TemporaryFile(mode="w+")  # noqa: SIM115
        self.proc = subprocess.Popen(
            [*COMMAND, *args],
            env=clean_env(**env),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self.stderr,
            text=True,
        )
        self.lines: queue.Queue[str] = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.put(line)

    def send(self, message: dict[str, Any] | str) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write(message if isinstance(message, str) else json.dumps(message) + "\n")
        self.proc.stdin.flush()

    def until(self, request_id: int) -> list[dict[str, Any]]:
        """Every message up to and including the answer to `request_id`."""
        seen = []
        while True:
            message = json.loads(self.lines.get(timeout=20))
            assert message["jsonrpc"] == "2.0"
            seen.append(message)
            if message.get("id") == request_id:
                return seen

    def answer(self, request_id: int) -> dict[str, Any]:
        """The next message with this id; every stdout line on the way must be JSON-RPC."""
        while True:
            message = json.loads(self.lines.get(timeout=20))
            assert message["jsonrpc"] == "2.0"
            if message.get("id") == request_id:
                return dict(message)

    def close(self) -> str:
        """End the session as a client does (close stdin); return stderr."""
        assert self.proc.stdin is not None
        self.proc.stdin.close()
        self.proc.wait(timeout=20)
        self.stderr.seek(0)
        return self.stderr.read()


INITIALIZE = {
    "jsonrpc": "2.0",
    "id": 1,
    "method": "initialize",
    "params": {
        "protocolVersion": "2025-11-25",
        "capabilities": {},
        "clientInfo": {"name": "raw", "version": "0"},
    },
}
INITIALIZED = {"jsonrpc": "2.0", "method": "notifications/initialized"}


def tool_call(request_id: int, name: str, arguments: dict[str, Any]) -> dict[str, Any]:
    params = {"name": name, "arguments": arguments}
    return {"jsonrpc": "2.0", "id": request_id, "method": "tools/call", "params": params}
