"""Property: whatever arguments a model invents, no DELETE that unrents numbers reaches the
emulator without a person's valid confirmation."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from starlette.applications import Starlette
from support import Emulator, connect

from powerpack_mcp.sandbox import create_app

pytestmark = pytest.mark.anyio

REFS = st.sampled_from(
    ["marketing", "alerts", "support", "MARKETING", "", "5a1e0001-7c3d-4f2a-9b1e-000000000001"]
) | st.text(max_size=40)
FLAGS = st.one_of(
    st.booleans(),
    st.sampled_from(["true", "false", "True", "1", "yes", "on", 1, 0, None, [], {}]),
)
TOKENS = st.one_of(
    st.none(),
    st.text(max_size=200),
    st.from_regex(r"[A-Za-z0-9_-]{10,80}\.[A-Za-z0-9_-]{43}", fullmatch=True),
)


def arguments() -> st.SearchStrategy[dict[str, Any]]:
    return st.fixed_dictionaries(
        {},
        optional={
            "powerpack": REFS,
            "unrent_numbers": FLAGS,
            "confirmation_token": TOKENS,
            "confirm": st.just(True),  # a model's favourite: it must change nothing
        },
    )


async def unrent_deletes(app: Starlette) -> list[str]:
    return await Emulator(app).unrent_requests()


@pytest.mark.parametrize("mode", ["elicit", "token"])
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(calls=st.lists(arguments(), min_size=1, max_size=4))
async def test_no_unrent_without_confirmation(mode: str, calls: list[dict[str, Any]]) -> None:
    app = create_app()
    async with connect(app, confirm=mode, confirm_secret="property") as client:
        for call in calls:
            result = await client.call_tool("delete_powerpack", call)
            assert result.content  # always an answer, never a protocol error
    assert await unrent_deletes(app) == []
