"""`doctor` names a network failure and its host, as a real process, with failures made on
loopback: a bound port nobody listens on (refused), a listener that never answers (timeout),
TLS spoken to a plain HTTP server, a `.invalid` name (DNS), and a proxy that is not there."""

from __future__ import annotations

import os
import socket
import subprocess
from collections.abc import Iterator

import pytest
from stdio_support import COMMAND

from powerpack_mcp.sandbox import DEFAULT_AUTH_ID

TOKEN = "NETCANARY-0123456789abcdef"
PROXY_PASSWORD = "proxy-pass-CANARY"


def doctor(**env: str) -> str:
    """`powerpack-mcp doctor`'s output, with no proxy from the outside environment."""
    base = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("PLIVO_", "POWERPACK_MCP_")) and not k.lower().endswith("_proxy")
    }
    done = subprocess.run(
        [*COMMAND, "doctor"],
        env={**base, "PLIVO_AUTH_ID": DEFAULT_AUTH_ID, "PLIVO_AUTH_TOKEN": TOKEN, **env},
        capture_output=True,
        text=True,
        timeout=60,
        stdin=subprocess.DEVNULL,
        check=False,
    )
    assert done.returncode == 1
    assert TOKEN not in done.stdout + done.stderr
    line = next(line for line in done.stdout.splitlines() if "API reachable" in line)
    assert line.startswith("problem")
    fix = done.stdout.splitlines()[done.stdout.splitlines().index(line) + 1]
    assert "fix:" in fix
    return f"{line}\n{fix}"


@pytest.fixture
def closed_port() -> Iterator[int]:
    """A port that is bound but not listening: connecting to it is refused, every time."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        yield sock.getsockname()[1]


@pytest.fixture
def mute_port() -> Iterator[int]:
    """A listener that never accepts: the kernel completes the handshake, nobody answers."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        yield sock.getsockname()[1]


def test_connection_refused(closed_port: int) -> None:
    said = doctor(PLIVO_API_URL=f"http://127.0.0.1:{closed_port}")
    assert f"connection refused: 127.0.0.1 port {closed_port} refused the connection" in said
    assert "check PLIVO_API_URL" in said


def test_timeout(mute_port: int) -> None:
    said = doctor(PLIVO_API_URL=f"http://127.0.0.1:{mute_port}", POWERPACK_MCP_TIMEOUT="0.5")
    assert f"timeout: got no answer to 127.0.0.1 port {mute_port} within 0.5 s" in said
    assert "POWERPACK_MCP_TIMEOUT" in said


def test_tls_to_a_plain_http_server(sandbox_url: str) -> None:
    url = sandbox_url.replace("http://", "https://")
    port = url.rsplit(":", 1)[1].rstrip("/")
    said = doctor(PLIVO_API_URL=url)
    assert f"TLS error: the TLS handshake with 127.0.0.1 port {port} failed" in said
    assert "may not speak TLS" in said


def test_dns_failure() -> None:
    said = doctor(PLIVO_API_URL="https://api.plivo.invalid")
    assert "DNS failure: cannot resolve api.plivo.invalid" in said
    assert "host name in PLIVO_API_URL" in said


def test_proxy_refused_names_the_proxy_and_never_its_password(closed_port: int) -> None:
    proxy = f"http://ops:{PROXY_PASSWORD}@127.0.0.1:{closed_port}"
    said = doctor(HTTPS_PROXY=proxy)  # the default PLIVO_API_URL, https://api.plivo.com
    assert (
        f"proxy error: api.plivo.com through the proxy 127.0.0.1 port {closed_port} "
        "(from HTTPS_PROXY) failed: connection refused" in said
    )
    assert "check HTTPS_PROXY, or add api.plivo.com to NO_PROXY" in said
    assert PROXY_PASSWORD not in said


def test_no_proxy_bypasses_the_proxy(closed_port: int) -> None:
    said = doctor(
        PLIVO_API_URL=f"http://127.0.0.1:{closed_port}",
        HTTP_PROXY="http://127.0.0.1:9",
        NO_PROXY="localhost,127.0.0.1",
    )
    assert "connection refused: 127.0.0.1" in said
    assert "proxy" not in said.split("fix:")[0]
