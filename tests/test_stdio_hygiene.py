"""stdio hygiene: garbage in, protocol errors out, only JSON-RPC on stdout, and the session
keeps serving."""

from __future__ import annotations

from stdio_support import INITIALIZE, INITIALIZED, RawSession, tool_call

PARSE_ERROR = -32700
METHOD_NOT_FOUND = -32601


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
