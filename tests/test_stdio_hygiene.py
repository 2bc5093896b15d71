"""stdio hygiene: garbage in, protocol errors out, only JSON-RPC on stdout, and the session
keeps serving."""

from __future__ import annotations

import json
import subprocess
from typing import Any

from stdio_support import COMMAND, INITIALIZE, INITIALIZED, RawSession, clean_env, tool_call

PARSE_ERROR = -32700
METHOD_NOT_FOUND = -32601
INVALID_PARAMS = -32602
RESOURCE_NOT_FOUND = -32002


def test_garbage_huge_lines_and_unknown_methods_are_survived() -> None:
    session = RawSession("--sandbox")
    session.send(INITIALIZE)
    assert session.answer(1)["result"]["serverInfo"]["name"] == "powerpack-mcp"
    session.send(INITIALIZED)
    for garbage in ["not json\n", "{\n", '{"jsonrpc": "2.0", "id": 2\n', "\x00\x01\x02\n"]:
        session.send(garbage)
    session.send("x" * 4_000_000 + "\n")  # a 4 MB line
    session.send({"jsonrpc": "2.0", "id": 3, "method": "no/such/method", "params": {}})
    session.send(tool_call(4, "get_powerpack", {"powerpack": "alerts"}))
    messages = session.until(4)
    stderr = session.close()

    errors = [m["error"]["code"] for m in messages if "error" in m]
    assert errors.count(PARSE_ERROR) == 5
    assert all(m["id"] is None for m in messages if m.get("error", {}).get("code") == PARSE_ERROR)
    unknown = next(m for m in messages if m.get("id") == 3)
    assert unknown["error"]["code"] == METHOD_NOT_FOUND
    answer = messages[-1]["result"]
    assert answer["structuredContent"]["name"] == "alerts"  # still serving
    assert session.lines.empty()  # nothing else was written to stdout
    assert "Traceback" not in stderr
    assert session.proc.returncode == 0


def test_a_tool_error_is_a_result_not_a_protocol_error() -> None:
    session = RawSession("--sandbox")
    session.send(INITIALIZE)
    session.answer(1)
    session.send(INITIALIZED)
    session.send(tool_call(2, "list_powerpacks", {"limit": "lots"}))
    session.send(tool_call(3, "no_such_tool", {}))
    bad_argument = session.answer(2)
    unknown_tool = session.answer(3)
    session.close()
    assert bad_argument["result"]["isError"] is True
    assert "limit" in bad_argument["result"]["content"][0]["text"]
    assert "error" in unknown_tool or unknown_tool["result"]["isError"] is True


def _piped(*messages: dict[str, object]) -> tuple[list[dict[str, Any]], int]:
    """Every line written at once and stdin closed right after: the answers and exit code."""
    done = subprocess.run(
        [*COMMAND, "--sandbox"],
        input="".join(json.dumps(message) + "\n" for message in messages),
        env=clean_env(),
        capture_output=True,
        text=True,
        timeout=30,  # a server that hangs at end of input fails here
        check=False,
    )
    return [json.loads(line) for line in done.stdout.splitlines()], done.returncode


def test_requests_in_flight_at_end_of_input_are_all_answered() -> None:
    # Id 0 is an id like any other.
    calls = [tool_call(n, "get_powerpack", {"powerpack": "marketing"}) for n in (0, 2, 3, 4)]
    prompt = {"name": "delete-powerpack-safely", "arguments": {}}
    answers, code = _piped(
        INITIALIZE,
        INITIALIZED,
        *calls,
        {"jsonrpc": "2.0", "id": 5, "method": "tools/list"},
        {"jsonrpc": "2.0", "id": 7, "method": "prompts/get", "params": prompt},
        {
            "jsonrpc": "2.0",
            "id": 8,
            "method": "resources/read",
            "params": {"uri": "powerpack://nope"},
        },
    )
    by_id = {answer["id"]: answer for answer in answers}
    assert sorted(by_id) == [0, 1, 2, 3, 4, 5, 7, 8]
    assert all(by_id[n]["result"]["structuredContent"]["name"] == "marketing" for n in (0, 2, 3, 4))
    assert by_id[5]["result"]["tools"]
    # The codes on the wire, as a 2025-11-25 client reads them.
    assert by_id[7]["error"]["code"] == INVALID_PARAMS
    assert by_id[8]["error"]["code"] == RESOURCE_NOT_FOUND
    assert code == 0


def test_a_request_waiting_on_the_client_does_not_hold_the_exit() -> None:
    """After end of input the client can answer nothing: a form it was sent cannot hold us."""
    with_forms = {**INITIALIZE["params"], "capabilities": {"elicitation": {"form": {}}}}  # type: ignore[dict-item]
    delete = {"powerpack": "marketing", "unrent_numbers": True}
    answers, code = _piped(
        {**INITIALIZE, "params": with_forms},
        INITIALIZED,
        tool_call(2, "delete_powerpack", delete),
        tool_call(3, "get_powerpack", {"powerpack": "alerts"}),
    )
    asked = [a for a in answers if a.get("method") == "elicitation/create"]
    assert len(asked) == 1  # the server did ask, and nobody could answer
    by_id = {a["id"]: a for a in answers if "method" not in a}
    assert "error" in by_id[2]  # the guard failed closed: nothing was deleted
    assert by_id[3]["result"]["structuredContent"]["name"] == "alerts"
    assert code == 0
