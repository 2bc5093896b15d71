"""Streamable HTTP, served by real processes on loopback: auth, Host/Origin checks, limits,
replicas that finish each other's confirmations, shutdown, and load."""

from __future__ import annotations

import json
import signal
import socket
import subprocess
from collections import Counter
from pathlib import Path
from typing import Any

import anyio
import httpx
import pytest
from http_support import COMMAND, free_port, http_client, http_server, upstream
from mcp.client.context import ClientRequestContext
from mcp.types import ElicitRequestParams, ElicitResult
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from stdio_support import INITIALIZE, clean_env
from support import Emulator, error, ok

from powerpack_mcp import __version__
from powerpack_mcp.sandbox import serve

TOKEN = "alice-token-0123456789abcdef"
# Both may unrent (a token without scopes may not): these tests are about the transport.
UNRENT = "read+write+unrent"
TOKENS = {
    "POWERPACK_MCP_HTTP_TOKENS": f"alice:{TOKEN}:{UNRENT},bob:bob-token-0123456789abcdef:{UNRENT}"
}
ACCEPT = {"Accept": "application/json, text/event-stream", "Content-Type": "application/json"}
SHARED = {
    **TOKENS,
    "POWERPACK_MCP_CONFIRM_SECRET": "shared-confirmation-secret-for-replicas",
    "POWERPACK_MCP_STATE_KEY": "shared-request-state-key-0123456789abcdef",
}


def post(url: str, headers: dict[str, str] | None = None, body: Any = INITIALIZE) -> httpx.Response:
    content = body if isinstance(body, bytes) else json.dumps(body).encode()
    return httpx.post(f"{url}/mcp", content=content, headers={**ACCEPT, **(headers or {})})


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


# One server for the checks at the door ------------------------------------------------------


@pytest.fixture(scope="module")
def door() -> Any:
    with http_server("--sandbox", "--stateless", **TOKENS) as server:
        yield server


def test_healthz_needs_no_auth_and_tells_no_secrets(door: Any) -> None:
    response = httpx.get(f"{door.url}/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "version": __version__}


@pytest.mark.parametrize(
    "headers",
    [
        {},
        bearer("wrong-token-0123456789abcdef"),
        bearer(TOKEN[:-1] + "g"),  # one character off
        bearer(TOKEN + "x"),
        bearer(TOKEN[:-1]),
        {"Authorization": TOKEN},  # no scheme
    ],
    ids=["none", "wrong", "near-miss", "longer", "prefix", "no-scheme"],
)
def test_without_a_valid_token_401(door: Any, headers: dict[str, str]) -> None:
    response = post(door.url, headers)
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_a_valid_token_is_let_in(door: Any) -> None:
    assert post(door.url, bearer(TOKEN)).status_code == 200


def test_bad_host_is_421(door: Any) -> None:
    response = post(door.url, {**bearer(TOKEN), "Host": "evil.example:80"})
    assert response.status_code == 421


def test_bad_origin_is_403(door: Any) -> None:
    response = post(door.url, {**bearer(TOKEN), "Origin": "https://evil.example"})
    assert response.status_code == 403


def test_oversized_body_is_refused(door: Any) -> None:
    huge = b'{"jsonrpc": "2.0", "id": 1, "method": "ping", "params": {"x": "' + b"a" * 2_000_000
    assert post(door.url, bearer(TOKEN), huge + b'"}}').status_code == 413


@pytest.mark.anyio
async def test_tools_over_http_with_the_sdk_client(door: Any) -> None:
    async with http_client(door.url, TOKEN) as client:
        names = {tool.name for tool in (await client.list_tools()).tools}
        listed = ok(await client.call_tool("list_powerpacks", {}))
        missing = error(await client.call_tool("get_powerpack", {"powerpack": "ghost"}))
    assert "remove_pool_number" in names
    assert listed["total_count"] >= 3
    assert "not found" in missing


# Start-up rules -----------------------------------------------------------------------------


def test_refuses_to_expose_itself_without_tokens() -> None:
    done = subprocess.run(
        [*COMMAND, "--sandbox", "--host", "0.0.0.0", "--port", str(free_port())],  # noqa: S104
        env=clean_env(),
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert done.returncode != 0
    assert "without authentication" in done.stderr
    assert "POWERPACK_MCP_HTTP_TOKENS" in done.stderr


def test_loopback_without_tokens_starts_with_a_warning() -> None:
    with http_server("--sandbox") as server:
        assert post(server.url).status_code == 200
        stderr = server.stderr()
    assert "reach this server (127.0.0.1, on the free port uvicorn names at start)" in stderr
    # Started with --port 0 (see http_server): no line names port 0; uvicorn's names the real one.
    assert "127.0.0.1:0" not in stderr
    assert f"Uvicorn running on http://127.0.0.1:{server.port}" in stderr


def _ipv6_loopback() -> bool:
    try:
        with socket.socket(socket.AF_INET6) as probe:
            probe.bind(("::1", 0))
    except OSError:
        return False
    return True


@pytest.mark.skipif(not _ipv6_loopback(), reason="no IPv6 loopback on this machine")
def test_an_ipv6_address_is_served_and_named_as_a_url_names_it() -> None:
    with http_server("--sandbox", "--host", "::1", **TOKENS) as server:
        answer = post(f"http://[::1]:{server.port}", bearer(TOKEN))
        stderr = server.stderr()
    assert answer.status_code == 200, answer.text
    assert "serving MCP at /mcp on [::1], on the free port" in stderr


def test_host_checks_stay_on_when_bound_to_all_interfaces() -> None:
    with http_server("--sandbox", "--host", "0.0.0.0", **TOKENS) as server:  # noqa: S104
        assert post(server.url, bearer(TOKEN)).status_code == 200
        assert post(server.url, {**bearer(TOKEN), "Host": "evil.example"}).status_code == 421
        assert post(server.url, {**bearer(TOKEN), "Origin": "http://evil"}).status_code == 403


def test_allowed_hosts_extend_the_list() -> None:
    with http_server("--sandbox", "--allowed-hosts", "mcp.example.com:*", **TOKENS) as server:
        allowed = {**bearer(TOKEN), "Host": "mcp.example.com:443"}
        assert post(server.url, allowed).status_code == 200


# Audit and filters over HTTP ----------------------------------------------------------------


@pytest.mark.anyio
async def test_audit_names_the_token_and_read_only_holds(tmp_path: Path) -> None:
    log = tmp_path / "audit.jsonl"
    with http_server("--sandbox", POWERPACK_MCP_AUDIT_LOG=str(log), **TOKENS) as server:
        async with http_client(server.url, TOKEN) as client:
            ok(await client.call_tool("create_powerpack", {"name": "by-alice"}))
    intent, outcome = [json.loads(raw) for raw in log.read_text().splitlines()]
    assert (intent["event"], intent["caller"]) == ("intent", "alice")
    assert (outcome["event"], outcome["outcome"]) == ("outcome", "ok")
    assert TOKEN not in log.read_text()
    with http_server("--sandbox", "--read-only", **TOKENS) as server:
        async with http_client(server.url, TOKEN) as client:
            names = {tool.name for tool in (await client.list_tools()).tools}
            refused = error(await client.call_tool("create_powerpack", {"name": "nope"}))
    assert names == {
        "list_powerpacks",
        "get_powerpack",
        "list_pool_numbers",
        "list_account_numbers",
    }
    assert "read-only" in refused


# Replicas -----------------------------------------------------------------------------------


@pytest.mark.anyio
async def test_token_confirmation_started_on_one_replica_ends_on_another(
    sandbox_app: Starlette, sandbox_url: str
) -> None:
    env = {**SHARED, **upstream(sandbox_url), "POWERPACK_MCP_CONFIRM": "token"}
    with http_server("--stateless", **env) as one, http_server("--stateless", **env) as two:
        async with http_client(one.url, TOKEN) as client:
            arguments: dict[str, Any] = {"powerpack": "marketing", "unrent_numbers": True}
            first = ok(await client.call_tool("delete_powerpack", arguments))
        assert first["status"] == "confirmation_required"
        async with http_client(two.url, TOKEN) as client:
            arguments["confirmation_token"] = first["confirmation_token"]
            done = ok(await client.call_tool("delete_powerpack", arguments))
    assert done["status"] == "deleted"
    assert len(done["numbers_unrented"]) == 4
    emulator = Emulator(sandbox_app)
    assert sorted(await emulator.unrent_requests()) == sorted(done["numbers_unrented"])
    assert await emulator.api_calls("DELETE") == [
        *(call for call in await emulator.api_calls("DELETE") if "NumberPool/" in call[1]),
        ("DELETE", "Powerpack/" + first["uuid"] + "/"),
    ]


def round_robin(backends: list[str], seen: list[tuple[str, str]]) -> Starlette:
    """A load balancer that sends each request to the next replica in turn."""
    turn = {"next": 0}

    async def forward(request: Request) -> Response:
        backend = backends[turn["next"] % len(backends)]
        turn["next"] += 1
        body = await request.body()
        method = json.loads(body).get("method", "?") if body else request.method
        seen.append((backend, method))
        headers = {k: v for k, v in request.headers.items() if k not in {"host", "content-length"}}
        async with httpx.AsyncClient() as http:
            answer = await http.request(
                request.method, backend + request.url.path, content=body, headers=headers
            )
        drop = {"content-length", "transfer-encoding", "content-encoding", "connection"}
        kept = {k: v for k, v in answer.headers.items() if k not in drop}
        return Response(answer.content, answer.status_code, headers=kept)

    return Starlette(routes=[Route("/{path:path}", forward, methods=["GET", "POST", "DELETE"])])


@pytest.mark.anyio
async def test_elicitation_round_trip_across_replicas(
    sandbox_app: Starlette, sandbox_url: str
) -> None:
    asked: list[str] = []

    async def person(context: ClientRequestContext, params: ElicitRequestParams) -> ElicitResult:
        asked.append(params.message)
        return ElicitResult(action="accept", content={"name": "marketing"})

    env = {**SHARED, **upstream(sandbox_url)}
    seen: list[tuple[str, str]] = []
    with (
        http_server("--stateless", **env) as one,
        http_server("--stateless", **env) as two,
        serve(round_robin([one.url, two.url], seen)) as balancer,
    ):
        async with http_client(balancer, TOKEN, elicitation=person) as client:
            seen.clear()
            done = ok(
                await client.call_tool(
                    "delete_powerpack", {"powerpack": "marketing", "unrent_numbers": True}
                )
            )
    assert done["status"] == "deleted"
    assert len(asked) == 1
    calls = [backend for backend, method in seen if method == "tools/call"]
    assert len(calls) == 2  # the question, then the answer with the sealed request state
    assert calls[0] != calls[1]  # ... each on another replica


@pytest.mark.anyio
async def test_a_legacy_client_of_a_stateless_server_is_refused_not_waved_through(
    sandbox_app: Starlette, sandbox_url: str
) -> None:
    async def person(context: ClientRequestContext, params: ElicitRequestParams) -> ElicitResult:
        return ElicitResult(action="accept", content={"name": "marketing"})

    with http_server("--stateless", **SHARED, **upstream(sandbox_url)) as server:
        async with http_client(server.url, TOKEN, elicitation=person, legacy=True) as client:
            arguments = {"powerpack": "marketing", "unrent_numbers": True}
            message = error(await client.call_tool("delete_powerpack", arguments))
    assert "--confirm token" in message
    assert not [r for r in await Emulator(sandbox_app).requests() if r["method"] == "DELETE"]


def test_a_short_state_key_is_refused_at_start() -> None:
    done = subprocess.run(
        [*COMMAND, "--sandbox", "--port", str(free_port())],
        env=clean_env(POWERPACK_MCP_STATE_KEY="short"),
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert done.returncode != 0
    assert "POWERPACK_MCP_STATE_KEY" in done.stderr
    assert "short" not in done.stderr.replace("POWERPACK", "")


# Shutdown and load --------------------------------------------------------------------------


@pytest.mark.anyio
async def test_sigterm_lets_the_call_in_flight_finish(
    sandbox_app: Starlette, sandbox_url: str
) -> None:
    emulator = Emulator(sandbox_app)
    await emulator.fault(method="GET", path=r"/Powerpack/$", delay_ms=1500, times=1)
    call = {
        "jsonrpc": "2.0",
        "id": 7,
        "method": "tools/call",
        "params": {"name": "list_powerpacks", "arguments": {}},
    }
    headers = {**ACCEPT, **bearer(TOKEN), "MCP-Protocol-Version": "2025-11-25"}
    with http_server("--stateless", **TOKENS, **upstream(sandbox_url)) as server:
        answers: list[httpx.Response] = []
        async with httpx.AsyncClient(timeout=30) as http, anyio.create_task_group() as tg:

            async def slow_call() -> None:
                answers.append(await http.post(f"{server.url}/mcp", json=call, headers=headers))

            tg.start_soon(slow_call)
            # Polls another process's state until the call is upstream (not timing).
            while (await emulator.http.get("/_sandbox/stats")).json()["in_flight"] == 0:  # noqa: ASYNC110
                await anyio.sleep(0.01)
            server.proc.send_signal(signal.SIGTERM)
        result = answers[0].json()["result"]
        assert result["structuredContent"]["total_count"] == 3
        server.proc.wait(timeout=15)
        with pytest.raises(httpx.ConnectError):
            post(server.url, bearer(TOKEN))
    # uvicorn re-raises the signal after a clean shutdown, as process managers expect.
    assert server.proc.returncode in {0, -signal.SIGTERM}


@pytest.mark.anyio
async def test_fifty_clients_at_once(tmp_path: Path) -> None:
    # Fifty sessions in flight together is the load; ten calls each (not forty) keep it to a
    # few seconds of CPU without making it any less concurrent.
    log = tmp_path / "audit.jsonl"
    outcomes: Counter[str] = Counter()
    with http_server(
        "--sandbox", "--stateless", POWERPACK_MCP_AUDIT_LOG=str(log), **TOKENS
    ) as server:

        async def one_client(index: int) -> None:
            async with http_client(server.url, TOKEN) as client:
                for call in range(10):
                    if call % 4 == 0:
                        name = f"load-{index}-{call}"
                        result = await client.call_tool("create_powerpack", {"name": name})
                    else:
                        result = await client.call_tool("get_powerpack", {"powerpack": "alerts"})
                    outcomes["error" if result.is_error else "ok"] += 1

        async with anyio.create_task_group() as tg:
            for index in range(50):
                tg.start_soon(one_client, index)
    assert outcomes == {"ok": 500}
    lines = [json.loads(raw) for raw in log.read_text().splitlines()]
    assert len(lines) == 300  # an intent and an outcome for each of the 150 creates
    assert {line["outcome"] for line in lines if line["event"] == "outcome"} == {"ok"}
    intents = {line["id"] for line in lines if line["event"] == "intent"}
    assert intents == {line["id"] for line in lines if line["event"] == "outcome"}


# Host and Origin, compared exactly (scheme, host, port) --------------------------------------


@pytest.fixture(scope="module")
def gate() -> Any:
    with http_server(
        "--sandbox",
        "--stateless",
        "--allowed-hosts",
        "mcp.example.com,api.example.com:8443,any.example.com:*",
        "--allowed-origins",
        "https://ops.example.com,http://dev.example.com:8080",
        **TOKENS,
    ) as server:
        yield server


@pytest.mark.parametrize(
    ("host", "status"),
    [
        ("127.0.0.1:evil.example", 421),  # the prefix match let this one in
        ("localhost", 200),  # ... and turned this one away
        ("LOCALHOST:8000", 200),
        ("localhost:80", 200),
        ("127.0.0.1", 200),
        ("[::1]", 200),
        ("[0:0::1]:9", 200),
        ("127.0.0.1:", 421),
        ("127.0.0.1:99999", 421),
        ("127.0.0.1:80:80", 421),
        ("localhost.evil.example", 421),
        ("127.0.0.1.evil.example:80", 421),
        ("localhost@evil.example", 421),
        ("mcp.example.com", 200),
        ("MCP.Example.COM:443", 200),  # a TLS proxy's default port
        ("mcp.example.com:8443", 421),
        ("api.example.com:8443", 200),
        ("api.example.com", 421),
        ("any.example.com:1234", 200),
        ("any.example.com", 200),
        ("sub.mcp.example.com", 421),
        ("mcp.example.com.evil.example", 421),
    ],
)
def test_host_is_compared_exactly(gate: Any, host: str, status: int) -> None:
    assert post(gate.url, {**bearer(TOKEN), "Host": host}).status_code == status


@pytest.mark.parametrize(
    ("origin", "status"),
    [
        ("http://localhost", 200),
        ("http://localhost:3000", 200),
        ("HTTP://LocalHost:3000", 200),
        ("http://[::1]:3000", 200),
        ("http://127.0.0.1:evil.example", 403),
        ("http://localhost.evil.example", 403),
        ("http://localhost:3000/path", 403),  # browsers never send a path
        ("null", 403),
        ("https://ops.example.com", 200),
        ("https://ops.example.com:443", 200),
        ("https://OPS.example.com", 200),
        ("http://ops.example.com", 403),  # another scheme
        ("https://ops.example.com:8443", 403),  # another port
        ("https://ops.example.com.evil.example", 403),
        ("http://dev.example.com:8080", 200),
        ("http://dev.example.com", 403),
    ],
)
def test_origin_is_compared_exactly(gate: Any, origin: str, status: int) -> None:
    assert post(gate.url, {**bearer(TOKEN), "Origin": origin}).status_code == status


def test_a_malformed_allowed_host_is_refused_at_start() -> None:
    done = subprocess.run(
        [*COMMAND, "--sandbox", "--port", str(free_port()), "--allowed-hosts", "https://x/y"],
        env=clean_env(),
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert done.returncode != 0
    assert "allowed host 'https://x/y' is not valid" in done.stderr


# Logs for collectors ------------------------------------------------------------------------


@pytest.mark.anyio
async def test_json_logs_are_one_object_per_line() -> None:
    with http_server("--sandbox", "--stateless", "--log-format", "json", **TOKENS) as server:
        async with http_client(server.url, TOKEN) as client:
            ok(await client.call_tool("list_powerpacks", {}))
        logged = server.stderr()
    lines = [json.loads(line) for line in logged.splitlines() if line.strip()]
    assert lines
    assert all({"time", "level", "logger", "message"} <= set(line) for line in lines)
    messages = [line["message"] for line in lines]
    assert any(m.startswith("serving MCP at /mcp on 127.0.0.1, on the free port") for m in messages)
    assert TOKEN not in logged


def test_json_logs_redact_secrets_even_where_json_escapes_them(
    capsys: pytest.CaptureFixture[str],
) -> None:
    import logging

    from powerpack_mcp.logs import configure_logging
    from powerpack_mcp.settings import Settings

    secret = 'a "quoted" \\ secret-0123456789'
    root = logging.getLogger()
    saved = root.handlers[:], root.level
    try:
        configure_logging(Settings(confirm_secret=secret, log_format="json"))
        logging.getLogger("powerpack_mcp.test").warning(
            "leaked %s", secret, extra={"detail": {"nested": [secret]}}
        )
    finally:
        root.handlers[:], level = saved
        root.setLevel(level)
    line = capsys.readouterr().err.strip()
    entry = json.loads(line)
    assert entry["message"] == "leaked ***"
    assert entry["detail"] == {"nested": ["***"]}
    assert (entry["level"], entry["logger"]) == ("WARNING", "powerpack_mcp.test")
    assert secret not in line
    assert json.dumps(secret)[1:-1] not in line
