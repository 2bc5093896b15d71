"""Names remembered with their UUID: a repeat lookup is one request, and a Powerpack renamed,
deleted or recreated behind the server's back is never taken for another.

The emulator's request log is the proof of what reached "Plivo"; changes "behind the
server's back" are made straight through the emulator's API, as another Plivo user would."""

from __future__ import annotations

from typing import Any

import pytest
from mcp import Client
from mcp.client.context import ClientRequestContext
from mcp.types import ElicitRequestParams, ElicitResult
from support import Emulator, connect, ok

pytestmark = pytest.mark.anyio


async def lookup(client: Client, name: str) -> Any:
    return await client.call_tool("get_powerpack", {"powerpack": name})


async def uuid_of(client: Client, name: str) -> str:
    found: str = ok(await lookup(client, name))["uuid"]
    return found


def scans(calls: list[tuple[str, str]]) -> list[tuple[str, str]]:
    return [call for call in calls if call == ("GET", "Powerpack/")]


async def test_a_repeat_lookup_is_one_request(emulator: Emulator) -> None:
    await emulator.seed(57)  # 60 Powerpacks: the name is on the third page
    async with connect(emulator.app) as client:
        uuid = await uuid_of(client, "seed-00057")
        await emulator.clear_requests()
        assert await uuid_of(client, "seed-00057") == uuid
        assert await emulator.api_calls() == [("GET", f"Powerpack/{uuid}/")]


async def test_a_powerpack_renamed_elsewhere_is_not_found_by_its_old_name(
    emulator: Emulator,
) -> None:
    async with connect(emulator.app) as client:
        old = await uuid_of(client, "alerts")
        renamed = await emulator.api("POST", f"Powerpack/{old}/", json={"name": "alerts-old"})
        renamed.raise_for_status()
        assert (await lookup(client, "alerts")).is_error
        # Another Powerpack takes the name: that one is found, not the renamed one.
        created = await emulator.api("POST", "Powerpack/", json={"name": "alerts"})
        created.raise_for_status()
        assert await uuid_of(client, "alerts") == created.json()["uuid"] != old
        assert await uuid_of(client, "alerts-old") == old


async def test_a_powerpack_deleted_and_recreated_elsewhere_resolves_to_the_new_one(
    emulator: Emulator,
) -> None:
    async with connect(emulator.app) as client:
        old = await uuid_of(client, "support")
        (await emulator.api("DELETE", f"Powerpack/{old}/", json={})).raise_for_status()
        assert (await lookup(client, "support")).is_error
        created = await emulator.api("POST", "Powerpack/", json={"name": "support"})
        created.raise_for_status()
        assert await uuid_of(client, "support") == created.json()["uuid"] != old


async def test_two_powerpacks_swapping_names_are_told_apart(emulator: Emulator) -> None:
    async with connect(emulator.app) as client:
        alerts, support = await uuid_of(client, "alerts"), await uuid_of(client, "support")
        for uuid, name in ((alerts, "swap"), (support, "alerts"), (alerts, "support")):
            moved = await emulator.api("POST", f"Powerpack/{uuid}/", json={"name": name})
            moved.raise_for_status()
        assert await uuid_of(client, "alerts") == support
        assert await uuid_of(client, "support") == alerts


async def test_our_own_rename_and_delete_update_what_is_remembered(emulator: Emulator) -> None:
    async with connect(emulator.app) as client:
        uuid = await uuid_of(client, "alerts")
        renamed = await client.call_tool(
            "update_powerpack", {"powerpack": "alerts", "name": "alerts-2"}
        )
        ok(renamed)
        await emulator.clear_requests()
        assert await uuid_of(client, "alerts-2") == uuid
        assert await emulator.api_calls() == [("GET", f"Powerpack/{uuid}/")]
        # The old name is forgotten: a lookup scans, with no GET of the renamed Powerpack.
        await emulator.clear_requests()
        assert (await lookup(client, "alerts")).is_error
        assert ("GET", f"Powerpack/{uuid}/") not in await emulator.api_calls()
        ok(await client.call_tool("delete_powerpack", {"powerpack": "alerts-2"}))
        await emulator.clear_requests()
        assert (await lookup(client, "alerts-2")).is_error
        assert ("GET", f"Powerpack/{uuid}/") not in await emulator.api_calls()


async def decline(context: ClientRequestContext, params: ElicitRequestParams) -> ElicitResult:
    return ElicitResult(action="decline")


@pytest.mark.parametrize(
    ("tool", "arguments"),
    [
        ("delete_powerpack", {"powerpack": "marketing", "unrent_numbers": True}),
        ("remove_pool_number", {"powerpack": "marketing", "number": "14155550101", "unrent": True}),
    ],
)
async def test_actions_that_unrent_look_the_name_up_afresh(
    emulator: Emulator, tool: str, arguments: dict[str, Any]
) -> None:
    async with connect(emulator.app, elicitation=decline) as client:
        uuid = await uuid_of(client, "marketing")  # remembered now
        await emulator.clear_requests()
        answer = ok(await client.call_tool(tool, arguments))
        assert answer["status"] == "cancelled"
        # Each lookup (the preview's, the action's) scanned the list, then read the
        # Powerpack: none read the remembered UUID alone.
        calls = await emulator.api_calls()
        reads = calls.count(("GET", f"Powerpack/{uuid}/"))
        assert reads >= 1
        assert len(scans(calls)) == reads


async def test_a_first_lookup_asks_each_page_once_never_more_than_8_at_a_time(
    emulator: Emulator,
) -> None:
    await emulator.seed(297)  # 300 Powerpacks, 15 pages; the name is on the last one
    # Latency keeps each request open long enough for the ones sent with it to overlap.
    await emulator.fault(method="GET", path=r"/Powerpack/$", delay_ms=50)
    async with connect(emulator.app, timeout=10.0) as client:
        (await emulator.http.delete("/_sandbox/stats")).raise_for_status()
        ok(await lookup(client, "seed-00297"))
        stats = (await emulator.http.get("/_sandbox/stats")).json()
    assert stats["max_in_flight"] == 8
    assert len(scans(await emulator.api_calls())) == 15
