"""Every tool against every fault the emulator can inject. Each cell: the right outcome
(success after retry where a retry is safe, otherwise an actionable error), no duplicate
write, no call outliving the time budget by more than a second, and the next call succeeds."""

from __future__ import annotations

import time
from typing import Any

import pytest
from starlette.applications import Starlette
from support import Emulator, connect, text

from powerpack_mcp.sandbox import create_app

pytestmark = pytest.mark.anyio

TIMEOUT = 0.5  # seconds per upstream request, and the retry budget of a call
# A fault that clears after one try is retried after up to 0.3 s of backoff: a longer budget
# leaves that retry room on a loaded machine. (Lasting faults spend their whole budget.)
RECOVERY_TIMEOUT = 2.0

# tool -> (arguments, the method of the request that matters, arguments for the next call)
TOOLS: dict[str, tuple[dict[str, Any], str, dict[str, Any]]] = {
    "list_powerpacks": ({}, "GET", {}),
    "get_powerpack": ({"powerpack": "marketing"}, "GET", {"powerpack": "marketing"}),
    "list_pool_numbers": ({"powerpack": "marketing"}, "GET", {"powerpack": "marketing"}),
    "create_powerpack": ({"name": "fresh"}, "POST", {"name": "fresh-2"}),
    "update_powerpack": (
        {"powerpack": "marketing", "local_connect": False},
        "POST",
        {"powerpack": "marketing", "local_connect": False},
    ),
    "delete_powerpack": ({"powerpack": "support"}, "DELETE", {"powerpack": "alerts"}),
    "add_pool_number": (
        {"powerpack": "support", "number": "12065550107"},
        "POST",
        {"powerpack": "support", "number": "12065550205"},
    ),
    "remove_pool_number": (
        {"powerpack": "marketing", "number": "14155550101"},
        "DELETE",
        {"powerpack": "marketing", "number": "15125550105"},
    ),
}

# fault -> (spec, does a read get through by retrying?, words the error must contain)
FAULTS: dict[str, tuple[dict[str, Any], bool, str]] = {
    "429-retry-after": ({"status": 429, "retry_after": 30}, False, "retry in 30 s"),
    "429": ({"status": 429}, False, "rate limit"),
    "500": ({"status": 500}, False, "HTTP 500"),
    "502": ({"status": 502}, False, "HTTP 502"),
    "503": ({"status": 503}, False, "HTTP 503"),
    "malformed": ({"malformed": True}, False, "unreadable answer"),
    "drop": ({"drop": True}, False, "connection was dropped"),
    "slow": ({"delay_ms": 3000}, False, f"no answer within {TIMEOUT:g} s"),
    "transient-503": ({"status": 503, "times": 1}, True, "HTTP 503"),
    "transient-drop": ({"drop": True, "times": 1}, True, "connection was dropped"),
}


@pytest.mark.parametrize("fault", FAULTS)
@pytest.mark.parametrize("tool", TOOLS)
async def test_cell(tool: str, fault: str) -> None:
    app: Starlette = create_app()
    emulator = Emulator(app)
    arguments, method, next_arguments = TOOLS[tool]
    spec, read_recovers, words = FAULTS[fault]
    # Aim at the request that matters: the write for mutating tools, every read otherwise.
    path = r"/Powerpack/$" if tool == "list_powerpacks" else r"/(Powerpack|NumberPool)/"
    await emulator.fault(method=method, path=path, **spec)
    budget = RECOVERY_TIMEOUT if read_recovers else TIMEOUT
    async with connect(app, timeout=budget) as client:
        started = time.monotonic()
        result = await client.call_tool(tool, arguments)
        elapsed = time.monotonic() - started
        writes = await emulator.api_calls(method) if method != "GET" else []
        await emulator.http.delete("/_sandbox/faults")
        following = await client.call_tool(tool, next_arguments)

    assert elapsed < budget + 1.0, f"{tool} under {fault} took {elapsed:.2f} s"
    if method == "GET" and read_recovers:
        assert not result.is_error, text(result)
    else:
        assert result.is_error
        message = text(result)
        assert words in message
        assert "Traceback" not in message
        if method != "GET":  # a failed write says whether it may have happened
            assert "rate limit" in message or "may or may not have been applied" in message
    assert len(writes) <= 1, f"{tool} sent its {method} {len(writes)} times under {fault}"
    assert not following.is_error, text(following)
