"""list_account_numbers through a real MCP client; the emulator's own state is the witness."""

from __future__ import annotations

from typing import Any

import pytest
from mcp import Client
from support import Emulator, connect, error, ok

pytestmark = pytest.mark.anyio

ALL = 16  # the demo account's inventory
SUPPORT_POOL = "9b0c0003-2e4f-4a6b-8c1d-000000000003"


async def listing(client: Client, **arguments: Any) -> dict[str, Any]:
    return ok(await client.call_tool("list_account_numbers", arguments))


async def every_page(client: Client, **arguments: Any) -> list[dict[str, Any]]:
    """Follow next_offset to the end, checking each page's arithmetic on the way."""
    seen: list[dict[str, Any]] = []
    offset: int | None = 0
    while offset is not None:
        page = await listing(client, **arguments, offset=offset)
        assert page["offset"] == offset
        assert len(page["numbers"]) <= page["limit"]
        seen += page["numbers"]
        assert page["has_more"] == (len(seen) < page["total_count"])
        offset = page["next_offset"]
    assert len(seen) == page["total_count"]
    return seen


async def test_pages_are_honest(emulator: Emulator) -> None:
    async with connect(emulator.app) as client:
        first = await listing(client, limit=5)
        assert (first["total_count"], first["has_more"], first["next_offset"]) == (ALL, True, 5)
        assert "number_type" not in first["numbers"][0]  # our words: type, services
        assert first["numbers"][0] == {
            "number": "14155550101",
            "type": "local",
            "country": "United States",
            "region": "CALIFORNIA, UNITED STATES",
            "services": ["voice", "sms", "mms"],
            "added_on": "2024-01-15",
        }
        walked = await every_page(client, limit=5)
        big = await listing(client, limit=100)  # one call, several Plivo pages
    assert len({n["number"] for n in walked}) == ALL
    assert [n["number"] for n in big["numbers"]] == [n["number"] for n in walked]
    assert big["read"] == "Read 1 page of the account's numbers."


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        ({"type": "toll-free"}, ["18005550301", "18885550302", "18775550303"]),
        ({"type": "mobile", "number_startswith": "+1312"}, ["13125550204"]),
        ({"country_iso2": "CA"}, ["16045550401"]),
        ({"region": "texas"}, ["15125550105", "15125550203"]),
        ({"services": ["voice", "mms"], "number_startswith": "1206"}, ["12065550107"]),
        ({"country_iso2": "US", "region": "British Columbia"}, []),
    ],
)
async def test_each_filter(
    emulator: Emulator, filters: dict[str, Any], expected: list[str]
) -> None:
    async with connect(emulator.app) as client:
        found = await every_page(client, **filters, limit=2)
    assert [n["number"] for n in found] == expected


async def test_spare_numbers_are_exactly_those_in_no_pool(emulator: Emulator) -> None:
    await emulator.seed(25)  # two pages of Powerpacks, 28 pools
    packs = (await emulator.api("GET", "Powerpack/", params={"offset": 20})).json()["objects"]
    late_pool = packs[-1]["number_pool"].split("/")[5]
    await emulator.add_to_pool(late_pool, "12065550107")
    await emulator.add_to_pool(SUPPORT_POOL, "16045550401")
    async with connect(emulator.app) as client:
        spare = await every_page(client, spare_only=True, limit=3)
        first = await listing(client, spare_only=True)
        named = await every_page(client, with_powerpack=True, limit=7)
    assert sorted(n["number"] for n in spare) == sorted(emulator.spare_numbers())
    assert "12065550107" not in emulator.spare_numbers()  # the witness saw the late pool too
    assert all(n["spare"] is True and "powerpack" not in n for n in spare)
    assert "28 pools" in first["read"]
    by_pack = {n["number"]: n.get("powerpack") for n in named}
    assert by_pack["12065550107"] == packs[-1]["name"]
    assert by_pack["16045550401"] == "support"
    assert by_pack["13125550106"] == "alerts"
    assert {n for n, pack in by_pack.items() if pack is None} == set(emulator.spare_numbers())


async def test_spare_texas_numbers_in_one_call(emulator: Emulator) -> None:
    texas = [f"1512555{i:04d}" for i in range(600, 640)]
    await emulator.rent(texas, region="TEXAS, UNITED STATES")
    async with connect(emulator.app) as client:
        found = await listing(client, spare_only=True, region="Texas", limit=100)
    # 15125550105 is in marketing's pool; every other Texas number is spare.
    assert [n["number"] for n in found["numbers"]] == ["15125550203", *texas]
    assert found["has_more"] is False
    assert found["read"].startswith("Read 3 pages of the account's numbers and 3 pools")


async def test_a_pool_that_cannot_be_read_is_an_error_not_spare(emulator: Emulator) -> None:
    await emulator.fault(method="GET", path=f"{SUPPORT_POOL}/Number/", status=500, times=10)
    async with connect(emulator.app) as client:
        message = error(await client.call_tool("list_account_numbers", {"spare_only": True}))
        plain = await listing(client)  # without pools, the inventory alone still answers
    assert "unavailable" in message.lower()
    assert plain["total_count"] == ALL
