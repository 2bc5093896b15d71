"""JSON-RPC errors carry the codes each protocol version specifies, seen through a client."""

from __future__ import annotations

import pytest
from mcp import MCPError
from starlette.applications import Starlette
from support import ERAS, Era, connect

pytestmark = pytest.mark.anyio

INVALID_PARAMS = -32602
RESOURCE_NOT_FOUND_2025 = -32002  # retired by SEP-2164 in 2026-07-28
NOT_FOUND_CODE = {"legacy": RESOURCE_NOT_FOUND_2025, "modern": INVALID_PARAMS}


@pytest.mark.parametrize("era", ERAS)
async def test_a_prompt_without_its_required_argument_is_invalid_params(
    sandbox_app: Starlette, era: Era
) -> None:
    async with connect(sandbox_app, era) as client:
        with pytest.raises(MCPError) as raised:
            await client.get_prompt("delete-powerpack-safely", {})
    assert raised.value.code == INVALID_PARAMS
    assert "powerpack" in raised.value.message


@pytest.mark.parametrize("era", ERAS)
async def test_an_unknown_prompt_is_invalid_params(sandbox_app: Starlette, era: Era) -> None:
    async with connect(sandbox_app, era) as client:
        with pytest.raises(MCPError) as raised:
            await client.get_prompt("delete-everything", {})
        # The session goes on: a good request right after is answered.
        assert await client.get_prompt("audit-powerpacks", {})
    assert raised.value.code == INVALID_PARAMS
    assert "delete-everything" in raised.value.message
    assert "audit-powerpacks" in raised.value.message  # the known ones are named


@pytest.mark.parametrize("era", ERAS)
async def test_a_powerpack_that_does_not_exist_is_resource_not_found(
    sandbox_app: Starlette, era: Era
) -> None:
    async with connect(sandbox_app, era) as client:
        with pytest.raises(MCPError) as raised:
            await client.read_resource("powerpack://nope")
        found = await client.read_resource("powerpack://alerts")
    assert raised.value.code == NOT_FOUND_CODE[era]
    assert raised.value.data == {"uri": "powerpack://nope"}
    assert "nope" in raised.value.message
    assert found.contents


@pytest.mark.parametrize("era", ERAS)
async def test_an_unknown_resource_uri_is_resource_not_found(
    sandbox_app: Starlette, era: Era
) -> None:
    async with connect(sandbox_app, era) as client:
        with pytest.raises(MCPError) as raised:
            await client.read_resource("weather://today")
    assert raised.value.code == NOT_FOUND_CODE[era]
