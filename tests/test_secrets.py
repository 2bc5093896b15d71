"""The auth token never appears: not in stdout, stderr at DEBUG, the audit log or any result,
nor in its Basic-auth Base64 form, across the whole tool surface and its error paths."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from proxy import Proxy
from stdio_support import INITIALIZE, INITIALIZED, RawSession, run_command, tool_call

from powerpack_mcp.sandbox import DEFAULT_AUTH_ID, create_app, serve

CANARY = "LEAKCANARY-7f3a9c1e5b2d4086a1c3e5f7"
BASIC = base64.b64encode(f"{DEFAULT_AUTH_ID}:{CANARY}".encode()).decode()
CONFIRM_SECRET = "CONFIRMCANARY-0b1c2d3e4f5a6b7c"


@pytest.fixture
def emulator_url() -> Iterator[str]:
    with serve(create_app(auth_token=CANARY)) as url:
        yield url


CALLS: list[tuple[str, dict[str, Any]]] = [
    ("list_powerpacks", {}),
    ("list_powerpacks", {"limit": 99}),
    ("get_powerpack", {"powerpack": "marketing"}),
    ("get_powerpack", {"powerpack": "ghost"}),
    ("create_powerpack", {"name": "canary-pack"}),
    ("create_powerpack", {"name": "canary-pack"}),  # Plivo refuses the duplicate
    ("create_powerpack", {"name": "x", "application_id": "1"}),
    ("update_powerpack", {"powerpack": "canary-pack", "sticky_sender": False}),
    ("list_pool_numbers", {"powerpack": "marketing", "type": "mobile"}),
    ("add_pool_number", {"powerpack": "canary-pack", "number": "+12065550107"}),
    ("add_pool_number", {"powerpack": "canary-pack", "number": "+19995550000"}),
    ("remove_pool_number", {"powerpack": "canary-pack", "number": "12065550107"}),
    ("remove_pool_number", {"powerpack": "marketing", "number": "555888", "unrent": True}),
    ("delete_powerpack", {"powerpack": "alerts", "unrent_numbers": True}),
    (
        "delete_powerpack",
        {"powerpack": "alerts", "unrent_numbers": True, "confirmation_token": "x.y"},
    ),
    ("delete_powerpack", {"powerpack": "canary-pack"}),
]


def run_everything(url: str, audit: Path, token: str) -> str:
    """Every call, then 429/503/drop faults, over stdio at DEBUG; returns all text produced."""
    session = RawSession(
        "--log-level",
        "DEBUG",
        "--confirm",
        "token",
        PLIVO_AUTH_ID=DEFAULT_AUTH_ID,
        PLIVO_AUTH_TOKEN=token,
        PLIVO_API_URL=url,
        POWERPACK_MCP_AUDIT_LOG=str(audit),
        POWERPACK_MCP_CONFIRM_SECRET=CONFIRM_SECRET,
        POWERPACK_MCP_TIMEOUT="0.5",
    )
    session.send(INITIALIZE)
    produced = [str(session.answer(1))]
    session.send(INITIALIZED)
    faults = [
        {"status": 429, "retry_after": 9},
        {"status": 503},
        {"drop": True},
        {"malformed": True},
    ]
    request_id = 2
    for fault in [None, *faults]:
        if fault is not None:
            httpx.post(f"{url}/_sandbox/faults", json={"path": ".", **fault}).raise_for_status()
        for name, arguments in CALLS:
            session.send(tool_call(request_id, name, arguments))
            produced.extend(str(m) for m in session.until(request_id))
            request_id += 1
        httpx.delete(f"{url}/_sandbox/faults").raise_for_status()
    produced.append(session.close())
    if audit.exists():
        produced.append(audit.read_text())
    return "\n".join(produced)


def test_the_token_never_leaks(emulator_url: str, tmp_path: Path) -> None:
    everything = run_everything(emulator_url, tmp_path / "audit.jsonl", CANARY)
    assert "DEBUG" in everything  # the logs really were at DEBUG
    assert "Plivo rejected the request" in everything  # error paths really ran
    assert "rate limit" in everything
    assert CANARY not in everything
    assert BASIC not in everything
    assert CONFIRM_SECRET not in everything


def test_rejected_credentials_do_not_leak_either(emulator_url: str, tmp_path: Path) -> None:
    wrong = "WRONGCANARY-1a2b3c4d5e6f7a8b9c0d"
    everything = run_everything(emulator_url, tmp_path / "audit.jsonl", wrong)
    assert "Plivo rejected the credentials" in everything
    assert wrong not in everything
    assert base64.b64encode(f"{DEFAULT_AUTH_ID}:{wrong}".encode()).decode() not in everything


def test_an_upstream_that_echoes_the_credentials_cannot_leak_them(tmp_path: Path) -> None:
    """A gateway that puts the request's headers in its error bodies: every text from it is
    scrubbed before it reaches a result, the audit log, a log line or `doctor`."""
    proxy = Proxy(create_app(auth_token=CANARY))
    proxy.echo_headers = lambda request: request.url.path.startswith("/v1/")
    with serve(proxy) as url:
        everything = run_everything(url, tmp_path / "audit.jsonl", CANARY)
        doctor = run_command(
            "doctor", PLIVO_AUTH_ID=DEFAULT_AUTH_ID, PLIVO_AUTH_TOKEN=CANARY, PLIVO_API_URL=url
        )
    everything += doctor.stdout + doctor.stderr
    assert "authorization: Basic ***" in everything  # the echo really came back, scrubbed
    assert (
        '"error": "Plivo rejected the request: bad request'
        in (tmp_path / "audit.jsonl").read_text()
    )
    assert CANARY not in everything
    assert BASIC not in everything
