"""Property-based fuzzing of every tool's arguments through the MCP client.

Whatever a model sends (wrong types, out-of-range numbers, huge and unicode strings, missing
and extra fields, strings for booleans), the answer is a tool result, never a protocol error,
a crash or a traceback, and input the server can judge itself never reaches the emulator:
the only refusals Plivo may give are the ones only Plivo can know (a taken name, a number
not rented, a number in another pool).

Run long: HYPOTHESIS_PROFILE=long python -m pytest tests/test_fuzz.py
"""

from __future__ import annotations

import re
from typing import Any

import anyio
import pytest
from hypothesis import given
from hypothesis import strategies as st
from starlette.applications import Starlette
from support import Emulator, connect, text

from powerpack_mcp.sandbox import create_app

ONLY_PLIVO_KNOWS = re.compile(
    r"already exists|not rented|does not rent|already in|is not in number pool|not found"
)
CRASH = re.compile(r"^Error executing tool \w+$")

ANY_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=30),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=8,
)
# A huge string is a short unicode unit repeated: 20,000 freshly drawn characters would exceed
# hypothesis's per-example budget, so nearly every such draw was thrown away (and the health
# check on data size failed at random) instead of reaching the server.
HUGE = st.tuples(
    st.text(min_size=1, max_size=16, alphabet=st.characters(codec="utf-8")),
    st.integers(min_value=5000, max_value=20000),
).map(lambda unit_length: (unit_length[0] * unit_length[1])[: unit_length[1]])
STRINGS = st.one_of(
    st.text(max_size=80),
    HUGE,
    st.sampled_from(["marketing", "alerts", "+14155550101", "14155550101", "555888", "true"]),
)
VALUES = st.one_of(STRINGS, st.integers(min_value=-(10**12), max_value=10**12), ANY_JSON)
PRIORITY = st.fixed_dictionaries(
    {
        "country_iso": st.sampled_from(["US", "us", "CA", "USA", ""]),
        "service_type": st.sampled_from(["SMS", "mms", "VOICE"]),
        "priority": st.fixed_dictionaries(
            {
                f"priority{i}": st.sampled_from(["shortcode", "tollfree", "longcode", "x"])
                for i in (1, 2, 3)
            }
        ),
    }
)

PARAMETERS: dict[str, list[str]] = {
    "list_powerpacks": ["limit", "offset"],
    "get_powerpack": ["powerpack"],
    "create_powerpack": [
        "name",
        "sticky_sender",
        "local_connect",
        "application_type",
        "application_id",
        "number_priority",
    ],
    "update_powerpack": [
        "powerpack",
        "name",
        "sticky_sender",
        "local_connect",
        "application_type",
        "application_id",
        "number_priority",
    ],
    "delete_powerpack": ["powerpack", "unrent_numbers", "confirmation_token"],
    "list_pool_numbers": [
        "powerpack",
        "type",
        "service",
        "country_iso2",
        "starts_with",
        "limit",
        "offset",
    ],
    "add_pool_number": ["powerpack", "number", "service"],
    "remove_pool_number": ["powerpack", "number", "unrent", "confirmation_token"],
}


def value_for(parameter: str) -> st.SearchStrategy[Any]:
    if parameter == "number_priority":
        return st.lists(PRIORITY, max_size=3) | VALUES
    if parameter == "starts_with":
        return st.lists(st.text(alphabet="0123456789a", max_size=4), max_size=12) | VALUES
    return VALUES


def arguments(tool: str) -> st.SearchStrategy[dict[str, Any]]:
    known = {name: value_for(name) for name in PARAMETERS[tool]}
    extra = st.dictionaries(st.sampled_from(["confirm", "force", "x"]), VALUES, max_size=1)
    return st.tuples(st.fixed_dictionaries({}, optional=known), extra).map(
        lambda t: {**t[0], **t[1]}
    )


async def fuzz_once(app: Starlette, tool: str, args: dict[str, Any]) -> None:
    emulator = Emulator(app)
    async with connect(app, confirm="token") as client:
        result = await client.call_tool(tool, args)  # a protocol error would raise here
    message = text(result) if result.content and result.content[0].type == "text" else ""
    assert not CRASH.match(message), f"{tool} crashed on {args!r}"
    assert "Traceback" not in message
    assert "errors.pydantic.dev" not in message  # no library internals in an answer
    assert len(message) < 5000 or not result.is_error, "error text is not bounded"
    if not result.is_error:
        return
    refusals = [r for r in await emulator.requests() if r["status"] == 400]
    if refusals:
        assert ONLY_PLIVO_KNOWS.search(message), f"Plivo had to refuse {args!r}: {message}"


# Synchronous on purpose: the arguments are drawn outside any event loop, and each example runs
# in its own. Drawn inside a coroutine, hypothesis's way of abandoning an example (StopTest, a
# BaseException) killed anyio's test-runner task, whose "exception never retrieved" report at
# garbage collection then formatted a traceback in the middle of another `ast.parse`, which
# CPython 3.11 answers with "SystemError: AST constructor recursion depth mismatch".
@pytest.mark.parametrize("tool", PARAMETERS)
@given(data=st.data())
def test_fuzz(tool: str, data: st.DataObject) -> None:
    args = data.draw(arguments(tool), label="arguments")
    anyio.run(fuzz_once, create_app(), tool, args)
