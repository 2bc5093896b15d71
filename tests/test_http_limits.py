"""Limits no caller can exhaust, on real `powerpack-mcp --transport http` processes: sessions
per caller and in all, idle sessions that expire, slow connections that are closed, a
connection cap, the open-file limit, and `/healthz` that says when a limit is reached."""

from __future__ import annotations

import json
import re
import resource
import socket
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from typing import Any

import httpx
import pytest
from http_support import http_client, http_server
from stdio_support import INITIALIZE
from support import ok

ALICE = "alice-token-0123456789abcdef"
BOB = "bob-token-0123456789abcdef"
CAROL = "carol-token-0123456789abcdef"
TOKENS = {"POWERPACK_MCP_HTTP_TOKENS": f"alice:{ALICE},bob:{BOB},carol:{CAROL}"}
ACCEPT = {"Accept": "application/json, text/event-stream", "Content-Type": "application/json"}
SESSION = "mcp-session-id"
HEALTHZ = b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"


def open_session(url: str, token: str | None) -> httpx.Response:
    """A 2025-era `initialize` without a session id: the request that opens a session."""
    auth = {"Authorization": f"Bearer {token}"} if token else {}
    body = json.dumps(INITIALIZE).encode()
    return httpx.post(f"{url}/mcp", content=body, headers={**ACCEPT, **auth}, timeout=30)


def opened(url: str, token: str | None) -> str:
    response = open_session(url, token)
    assert response.status_code == 200, response.text
    return response.headers[SESSION]


def end_session(url: str, token: str, session_id: str) -> None:
    headers = {"Authorization": f"Bearer {token}", SESSION: session_id}
    assert httpx.delete(f"{url}/mcp", headers=headers, timeout=30).status_code == 200


def healthz(url: str) -> dict[str, Any]:
    response = httpx.get(f"{url}/healthz", timeout=30)
    assert response.status_code == 200, "a limit reached must not take the replica out"
    body: dict[str, Any] = response.json()
    return body


def refusal(response: httpx.Response) -> str:
    """The JSON-RPC error message of a refused request."""
    body = response.json()
    assert body["jsonrpc"] == "2.0"
    message: str = body["error"]["message"]
    return message


def until(condition: Any, timeout: float = 30) -> None:
    """Polls `condition` (a server-side expiry has no event to wait for) until it holds."""
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition never held"
        time.sleep(0.1)  # polling an outcome, not standing in for one


# Sessions -----------------------------------------------------------------------------------


@pytest.mark.anyio
async def test_a_caller_at_its_session_cap_is_told_why_while_another_still_works() -> None:
    env = {**TOKENS, "POWERPACK_MCP_MAX_SESSIONS_PER_CALLER": "3"}
    with http_server("--sandbox", **env) as server:
        assert healthz(server.url)["status"] == "ok"
        held = [opened(server.url, ALICE) for _ in range(3)]

        refused = open_session(server.url, ALICE)
        assert refused.status_code == 429
        assert "Retry-After" in refused.headers
        message = refusal(refused)
        assert "3 open sessions per caller" in message
        assert "close" in message  # what to do about it
        assert ALICE not in refused.text

        async with http_client(server.url, BOB, legacy=True) as client:
            ok(await client.call_tool("list_powerpacks", {}))
        health = healthz(server.url)
        assert health["status"] == "degraded"
        assert any("session limit" in reason for reason in health["reasons"])
        assert "alice" not in json.dumps(health)  # no caller names to the unauthenticated

        end_session(server.url, ALICE, held[0])
        opened(server.url, ALICE)  # the ended session freed its slot


def test_the_anonymous_loopback_caller_is_capped_too() -> None:
    with http_server("--sandbox", POWERPACK_MCP_MAX_SESSIONS_PER_CALLER="2") as server:
        opened(server.url, None)
        opened(server.url, None)
        assert open_session(server.url, None).status_code == 429


def test_the_global_cap_refuses_new_sessions_and_says_the_server_is_full() -> None:
    env = {
        **TOKENS,
        "POWERPACK_MCP_MAX_SESSIONS_PER_CALLER": "2",
        "POWERPACK_MCP_MAX_SESSIONS": "3",
    }
    with http_server("--sandbox", **env) as server:
        opened(server.url, ALICE)
        opened(server.url, ALICE)
        opened(server.url, BOB)
        full = open_session(server.url, CAROL)
        assert full.status_code == 503
        assert "3 open sessions" in refusal(full)
        reasons = healthz(server.url)["reasons"]
        assert any("server's session limit" in reason for reason in reasons)


def test_a_per_caller_cap_above_the_global_cap_is_refused_at_start() -> None:
    env = {"POWERPACK_MCP_MAX_SESSIONS_PER_CALLER": "20", "POWERPACK_MCP_MAX_SESSIONS": "10"}
    with pytest.raises(AssertionError, match="MAX_SESSIONS"), http_server("--sandbox", **env):
        pass


def test_idle_sessions_expire_and_free_their_slots() -> None:
    env = {
        **TOKENS,
        "POWERPACK_MCP_MAX_SESSIONS_PER_CALLER": "2",
        "POWERPACK_MCP_SESSION_IDLE_TIMEOUT": "1",
    }
    with http_server("--sandbox", **env) as server:
        first = opened(server.url, ALICE)
        opened(server.url, ALICE)
        # Both expire a second after their last request; until then the cap holds.
        until(lambda: open_session(server.url, ALICE).status_code == 200)
        expired = httpx.post(
            f"{server.url}/mcp",
            content=json.dumps({"jsonrpc": "2.0", "id": 2, "method": "ping"}).encode(),
            headers={**ACCEPT, "Authorization": f"Bearer {ALICE}", SESSION: first},
        )
        assert expired.status_code == 404


# Connections --------------------------------------------------------------------------------


def recv_all(sock: socket.socket) -> bytes:
    """Everything the server sends until it closes the connection."""
    data = b""
    while chunk := sock.recv(4096):
        data += chunk
    return data


def is_open(sock: socket.socket) -> bool:
    sock.setblocking(False)
    try:
        return sock.recv(1) != b""  # data would mean an answer (408, 503): not held either
    except BlockingIOError:
        return True
    except OSError:
        return False
    finally:
        sock.setblocking(True)


def slow(port: int, partial: bytes = b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n") -> Any:
    sock = socket.create_connection(("127.0.0.1", port), timeout=20)
    if partial:
        sock.sendall(partial)
    return sock


def initialize_begun() -> bytes:
    """The headers of an `initialize` POST whose body never comes. `Expect: 100-continue`
    makes the server say when it has the headers and waits for the body."""
    length = len(json.dumps(INITIALIZE).encode())
    head = f"POST /mcp HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: {length}\r\n"
    accept = "".join(f"{name}: {value}\r\n" for name, value in ACCEPT.items())
    return (head + accept + "Expect: 100-continue\r\n\r\n").encode()


SLOW_BODY = initialize_begun()


def busy(port: int) -> socket.socket:
    """A connection whose request the server is reading (its body never comes)."""
    sock = slow(port, SLOW_BODY)
    answer = b""
    while b"\r\n\r\n" not in answer:
        answer += sock.recv(4096)
    assert answer.startswith(b"HTTP/1.1 100"), answer
    return sock


def test_a_connection_that_never_finishes_its_request_is_closed() -> None:
    with http_server("--sandbox", POWERPACK_MCP_HEADER_TIMEOUT="1") as server:
        partial, silent = slow(server.port), slow(server.port, b"")
        keep_alive = slow(server.port, b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        answer = b""
        while not answer.endswith(b"}"):  # the whole first answer, then a second request begun
            answer += keep_alive.recv(4096)
        assert answer.startswith(b"HTTP/1.1 200")
        keep_alive.sendall(b"GET /healthz HTTP/1.1\r\n")  # then nothing more
        slow_body = busy(server.port)
        started = time.monotonic()
        with partial, silent, keep_alive, slow_body:
            assert recv_all(partial).startswith(b"HTTP/1.1 408")
            assert recv_all(silent) == b""
            assert recv_all(keep_alive).startswith(b"HTTP/1.1 408")
            assert recv_all(slow_body).startswith(b"HTTP/1.1 408")
        assert time.monotonic() - started < 15  # closed by the server, not by our timeout


def test_at_the_connection_cap_the_slowest_connection_makes_room() -> None:
    env = {"POWERPACK_MCP_MAX_CONNECTIONS": "20", "POWERPACK_MCP_HEADER_TIMEOUT": "60"}
    with http_server("--sandbox", **env) as server, ExitStack() as held:
        socks = [held.enter_context(slow(server.port)) for _ in range(20)]
        health = healthz(server.url)  # the 21st connection
        assert health["status"] == "degraded"
        assert any("connection limit" in reason for reason in health["reasons"])
        assert recv_all(socks[0]).startswith(b"HTTP/1.1 408")  # the oldest slow one
        assert all(is_open(sock) for sock in socks[1:])


def test_when_every_connection_is_busy_a_new_one_is_refused() -> None:
    env = {"POWERPACK_MCP_MAX_CONNECTIONS": "2", "POWERPACK_MCP_HEADER_TIMEOUT": "60"}
    with http_server("--sandbox", **env) as server:
        with busy(server.port) as one, busy(server.port) as two:
            with slow(server.port, HEALTHZ) as refused:
                assert recv_all(refused).startswith(b"HTTP/1.1 503")
            assert is_open(one)
            assert is_open(two)
        until(lambda: httpx.get(f"{server.url}/healthz").status_code == 200)
        assert healthz(server.url)["status"] == "degraded"


@contextmanager
def open_file_limit(soft: int) -> Iterator[None]:
    before = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (soft, before[1]))
    try:
        yield
    finally:
        resource.setrlimit(resource.RLIMIT_NOFILE, before)


SLOW_CONNECTIONS = 1_100  # what kept /healthz unreachable before there were limits


def test_a_thousand_slow_connections_do_not_starve_healthz() -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard != resource.RLIM_INFINITY and hard < SLOW_CONNECTIONS + 200:
        pytest.skip(f"the open-file hard limit ({hard}) is too low for this test")
    with ExitStack() as stack:
        # The server starts with the common default soft limit, as it would from a shell.
        with open_file_limit(1024):
            server = stack.enter_context(
                http_server("--sandbox", **TOKENS, POWERPACK_MCP_HEADER_TIMEOUT="120")
            )
        if soft < SLOW_CONNECTIONS + 200:
            stack.enter_context(open_file_limit(hard))
        socks = [stack.enter_context(slow(server.port)) for _ in range(SLOW_CONNECTIONS)]
        healthz(server.url)  # queued behind the flood: answered once all of it is accepted
        latencies = []
        for _ in range(5):
            started = time.monotonic()
            with slow(server.port, HEALTHZ) as probe:
                assert recv_all(probe).startswith(b"HTTP/1.1 200")
            latencies.append(time.monotonic() - started)
        assert max(latencies) < 1.0, latencies
        assert all(is_open(sock) for sock in socks)  # the slow ones were really held
        assert re.search(r"open-file limit raised from 1024 to \d+", server.stderr())
