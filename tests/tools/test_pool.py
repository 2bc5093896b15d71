"""The number-pool tools through a real MCP client, with the emulator's request log as proof."""

from __future__ import annotations

import json
from typing import Any

import pytest
from mcp.client.context import ClientRequestContext
from mcp.types import ElicitRequestParams, ElicitResult
from proxy import Proxy
from support import ERAS, Emulator, Era, connect, error, ok

pytestmark = pytest.mark.anyio

MARKETING_POOL = "9b0c0001-2e4f-4a6b-8c1d-000000000001"
FIXED = ["14155550101", "15125550105"]
MOBILE = "12125550202"
TOLL_FREE = "18005550301"
SHORT_CODE = "555888"
SPARE = "12065550107"  # rented, in no pool
IN_ALERTS = "13125550106"


def numbers(listing: dict[str, Any]) -> list[str]:
    return sorted(n["number"] for n in listing["numbers"])


async def writes(emulator: Emulator) -> list[tuple[str, str]]:
    return [call for call in await emulator.api_calls() if call[0] != "GET"]


async def test_list_shows_numbers_and_short_codes(emulator: Emulator, era: Era) -> None:
    async with connect(emulator.app, era) as client:
        listing = ok(await client.call_tool("list_pool_numbers", {"powerpack": "marketing"}))
    assert numbers(listing) == sorted([*FIXED, MOBILE, TOLL_FREE])
    assert [code["shortcode"] for code in listing["shortcodes"]] == [SHORT_CODE]
    assert listing["total_count"] == 4
    assert listing["has_more"] is False
    assert listing["powerpack_name"] == "marketing"


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        ({"type": "mobile"}, [MOBILE]),
        ({"type": "fixed"}, FIXED),
        ({"type": "toll-free"}, [TOLL_FREE]),
        ({"service": "MMS"}, [MOBILE]),
        ({"country_iso2": "us", "starts_with": ["415", "512"]}, FIXED),
        ({"country_iso2": "CA"}, []),
    ],
)
async def test_list_filters(
    emulator: Emulator, filters: dict[str, Any], expected: list[str]
) -> None:
    async with connect(emulator.app) as client:
        listing = ok(
            await client.call_tool("list_pool_numbers", {"powerpack": "marketing", **filters})
        )
    assert numbers(listing) == expected
    sent = [r["query"] for r in await emulator.requests() if r["path"].endswith("/Number/")]
    if "starts_with" in filters:
        assert sent[-1]["starts_with"] == "415,512"


async def test_list_pages(emulator: Emulator) -> None:
    async with connect(emulator.app) as client:
        first = ok(
            await client.call_tool("list_pool_numbers", {"powerpack": "marketing", "limit": 3})
        )
        rest = ok(
            await client.call_tool(
                "list_pool_numbers", {"powerpack": "marketing", "offset": first["next_offset"]}
            )
        )
    assert first["has_more"] is True
    assert first["next_offset"] == 3
    assert len(first["numbers"]) + len(rest["numbers"]) == 4
    assert rest["has_more"] is False


@pytest.mark.parametrize(
    ("arguments", "complaint"),
    [
        ({"starts_with": ["415"]}, "needs country_iso2"),
        ({"country_iso2": "US", "starts_with": [str(n) for n in range(11)]}, "starts_with"),
        ({"country_iso2": "US", "starts_with": ["4a5"]}, "starts_with"),
        ({"type": "landline"}, "type"),
        ({"service": "voice"}, "service"),
        ({"country_iso2": "USA"}, "country_iso2"),
    ],
)
async def test_list_filter_rules_are_checked_locally(
    emulator: Emulator, arguments: dict[str, Any], complaint: str
) -> None:
    async with connect(emulator.app) as client:
        message = error(
            await client.call_tool("list_pool_numbers", {"powerpack": "marketing", **arguments})
        )
    assert complaint in message
    assert not [c for c in await emulator.api_calls() if "NumberPool" in c[1]]


async def test_add_normalises_and_adds(emulator: Emulator, era: Era) -> None:
    async with connect(emulator.app, era) as client:
        added = ok(
            await client.call_tool(
                "add_pool_number",
                {"powerpack": "support", "number": "+1 (206) 555-0107", "service": "mms"},
            )
        )
        listing = ok(await client.call_tool("list_pool_numbers", {"powerpack": "support"}))
    assert added["status"] == "added"
    assert added["number"] == SPARE
    assert numbers(listing) == [SPARE]
    [post] = [r for r in await emulator.requests() if r["method"] == "POST"]
    assert post["path"].endswith(f"/Number/{SPARE}/")
    assert post["body"] == {"service": "mms"}


async def test_adding_a_number_the_account_does_not_rent(emulator: Emulator) -> None:
    async with connect(emulator.app) as client:
        message = error(
            await client.call_tool(
                "add_pool_number", {"powerpack": "support", "number": "+14155559999"}
            )
        )
    assert "does not rent +14155559999" in message
    assert await writes(emulator) == []  # the inventory said so: nothing was sent


async def test_adding_a_number_from_another_pool_is_refused(emulator: Emulator) -> None:
    async with connect(emulator.app) as client:
        message = error(
            await client.call_tool("add_pool_number", {"powerpack": "support", "number": IN_ALERTS})
        )
        alerts = ok(await client.call_tool("list_pool_numbers", {"powerpack": "alerts"}))
    assert "Plivo rejected the request" in message
    assert numbers(alerts) == [IN_ALERTS]


@pytest.mark.parametrize("bad", ["12345", "abc", "+0123456789", "1" * 16, "+1 415 555", ""])
async def test_bad_number_formats_send_nothing(emulator: Emulator, bad: str) -> None:
    async with connect(emulator.app) as client:
        message = error(
            await client.call_tool("add_pool_number", {"powerpack": "support", "number": bad})
        )
        removal = error(
            await client.call_tool(
                "remove_pool_number", {"powerpack": "support", "number": bad + "x"}
            )
        )
    assert "number" in message
    assert "number" in removal
    assert await emulator.api_calls() == []


async def test_remove_without_unrent_keeps_the_number_rented(emulator: Emulator, era: Era) -> None:
    async with connect(emulator.app, era) as client:
        removed = ok(
            await client.call_tool(
                "remove_pool_number", {"powerpack": "marketing", "number": f"+{FIXED[0]}"}
            )
        )
    assert removed["status"] == "removed"
    assert removed["unrented"] is False
    [delete] = [r for r in await emulator.requests() if r["method"] == "DELETE"]
    assert delete["body"] == {"unrent": False}
    assert await emulator.rented(FIXED[0])


async def test_removing_a_number_not_in_the_pool(emulator: Emulator) -> None:
    async with connect(emulator.app) as client:
        message = error(
            await client.call_tool(
                "remove_pool_number", {"powerpack": "marketing", "number": SPARE}
            )
        )
    assert f"Number {SPARE} in this Powerpack's pool not found" in message
    assert await emulator.rented(SPARE)


async def test_short_codes_are_unlinked_never_unrented(emulator: Emulator) -> None:
    async with connect(emulator.app, confirm="token") as client:
        refused = error(
            await client.call_tool(
                "remove_pool_number",
                {"powerpack": "marketing", "number": SHORT_CODE, "unrent": True},
            )
        )
        assert "never unrented" in refused
        assert await emulator.api_calls() == []
        unlinked = ok(
            await client.call_tool(
                "remove_pool_number", {"powerpack": "marketing", "number": SHORT_CODE}
            )
        )
        listing = ok(await client.call_tool("list_pool_numbers", {"powerpack": "marketing"}))
    assert unlinked["status"] == "removed"
    assert listing["shortcodes"] == []
    assert ("DELETE", f"NumberPool/{MARKETING_POOL}/Shortcode/{SHORT_CODE}/") in (
        await emulator.api_calls("DELETE")
    )


# Unrent through the guard ---------------------------------------------------------------


def person(action: str, number: str | None = None) -> Any:
    async def answer(context: ClientRequestContext, params: ElicitRequestParams) -> ElicitResult:
        assert TOLL_FREE in params.message
        assert "10 days" in params.message
        content = {"number": number} if number is not None else None
        return ElicitResult(action=action, content=content)  # type: ignore[arg-type]

    return answer


async def unrent_deletes(emulator: Emulator) -> list[str]:
    return await emulator.unrent_requests()


UNRENT = {"powerpack": "marketing", "number": TOLL_FREE, "unrent": True}


@pytest.mark.parametrize("era", ERAS)
async def test_unrent_confirmed_by_typing_the_number(emulator: Emulator, era: Era) -> None:
    answer = person("accept", "+1 800 555 0301")
    async with connect(emulator.app, era, elicitation=answer) as client:
        removed = ok(await client.call_tool("remove_pool_number", UNRENT))
    assert removed["status"] == "removed"
    assert removed["unrented"] is True
    assert await unrent_deletes(emulator) == [TOLL_FREE]
    # Toll-free numbers go through the pool's own Tollfree endpoint, as every Plivo SDK does.
    assert ("DELETE", f"NumberPool/{MARKETING_POOL}/Tollfree/{TOLL_FREE}/") in (
        await emulator.api_calls("DELETE")
    )
    assert not await emulator.rented(TOLL_FREE)


@pytest.mark.parametrize("era", ERAS)
@pytest.mark.parametrize(
    ("action", "typed"), [("accept", FIXED[0]), ("decline", None), ("cancel", None)]
)
async def test_unrent_not_confirmed_is_cancelled(
    emulator: Emulator, era: Era, action: str, typed: str | None
) -> None:
    async with connect(emulator.app, era, elicitation=person(action, typed)) as client:
        result = ok(await client.call_tool("remove_pool_number", UNRENT))
    assert result["status"] == "cancelled"
    assert await unrent_deletes(emulator) == []
    assert await emulator.rented(TOLL_FREE)


async def test_unrent_from_a_client_without_forms_is_refused(emulator: Emulator) -> None:
    async with connect(emulator.app) as client:
        message = error(await client.call_tool("remove_pool_number", UNRENT))
    assert "--confirm token" in message
    assert await unrent_deletes(emulator) == []


async def test_unrent_with_a_token(emulator: Emulator) -> None:
    async with connect(emulator.app, confirm="token") as client:
        first = ok(await client.call_tool("remove_pool_number", UNRENT))
        assert first["status"] == "confirmation_required"
        assert TOLL_FREE in first["preview"]
        assert await unrent_deletes(emulator) == []
        other = {**UNRENT, "number": MOBILE, "confirmation_token": first["confirmation_token"]}
        refused = error(await client.call_tool("remove_pool_number", other))
        assert "another action or target" in refused
        done = ok(
            await client.call_tool(
                "remove_pool_number", {**UNRENT, "confirmation_token": first["confirmation_token"]}
            )
        )
    assert done["status"] == "removed"
    assert await unrent_deletes(emulator) == [TOLL_FREE]


# Resources ----------------------------------------------------------------------------------


async def test_resources_show_the_account_without_a_tool_call(emulator: Emulator) -> None:
    async with connect(emulator.app) as client:
        listed = await client.read_resource("powerpack://list")
        one = await client.read_resource("powerpack://marketing")
        templates = await client.list_resource_templates()
    everything = json.loads(listed.contents[0].text)  # type: ignore[union-attr]
    marketing = json.loads(one.contents[0].text)  # type: ignore[union-attr]
    assert everything["total_count"] == 3
    assert [p["name"] for p in everything["powerpacks"]] == ["marketing", "alerts", "support"]
    assert marketing["pool"]["number_count"] == 4
    assert marketing["pool"]["shortcodes"] == [SHORT_CODE]
    assert [t.uri_template for t in templates.resource_templates] == ["powerpack://{ref}"]


# Toll-free numbers have their own pool endpoint -------------------------------------------

SPARE_TOLL_FREE = "18885550302"


async def test_toll_free_numbers_are_added_and_removed_through_tollfree(
    emulator: Emulator,
) -> None:
    async with connect(emulator.app) as client:
        added = ok(
            await client.call_tool(
                "add_pool_number", {"powerpack": "marketing", "number": f"+{SPARE_TOLL_FREE}"}
            )
        )
        removed = ok(
            await client.call_tool(
                "remove_pool_number", {"powerpack": "marketing", "number": SPARE_TOLL_FREE}
            )
        )
    assert (added["status"], removed["status"]) == ("added", "removed")
    assert await writes(emulator) == [
        ("POST", f"NumberPool/{MARKETING_POOL}/Tollfree/{SPARE_TOLL_FREE}/"),
        ("DELETE", f"NumberPool/{MARKETING_POOL}/Tollfree/{SPARE_TOLL_FREE}/"),
    ]
    assert await emulator.rented(SPARE_TOLL_FREE)


async def test_not_rented_is_friendly_whatever_plivo_answers(sandbox_app: Any) -> None:
    """The inventory said the number was rented; by the time it was added, Plivo said no
    with a 400 (not a 404). The answer still says what happened, in plain words."""
    ghost = "14155559999"
    proxy = Proxy(sandbox_app)
    proxy.fake = lambda request: (
        (200, {"number": ghost, "type": "fixed"})
        if request.method == "GET" and request.url.path.endswith(f"/Number/{ghost}/")
        else None
    )
    async with connect(proxy) as client:
        message = error(
            await client.call_tool("add_pool_number", {"powerpack": "marketing", "number": ghost})
        )
    assert "The account does not rent +14155559999" in message
    assert ("POST", f"NumberPool/{MARKETING_POOL}/Number/{ghost}/") in await Emulator(
        sandbox_app
    ).api_calls("POST")  # Plivo was asked, and said no
