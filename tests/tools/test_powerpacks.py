"""The Powerpack tools through a real MCP client, against the emulator, in both protocol eras."""

from __future__ import annotations

from typing import Any

import pytest
from support import Emulator, Era, connect, error, ok, text

pytestmark = pytest.mark.anyio

PRIORITY = {
    "country_iso": "US",
    "service_type": "SMS",
    "priority": {"priority1": "longcode", "priority2": "tollfree", "priority3": "shortcode"},
}


async def test_list_powerpacks_pages_honestly(emulator: Emulator, era: Era) -> None:
    await emulator.seed(22)
    async with connect(emulator.app, era) as client:
        first = ok(await client.call_tool("list_powerpacks", {"limit": 20}))
        assert first["total_count"] == 25  # 3 demo Powerpacks + 22 seeded
        assert len(first["powerpacks"]) == 20
        assert first["has_more"] is True
        assert first["next_offset"] == 20
        last = ok(await client.call_tool("list_powerpacks", {"offset": first["next_offset"]}))
        assert len(last["powerpacks"]) == 5
        assert last["has_more"] is False
        assert last["next_offset"] is None
    names = {p["name"] for p in first["powerpacks"] + last["powerpacks"]}
    assert len(names) == 25


async def test_list_entries_never_claim_a_powerpack_has_no_number_priority(
    emulator: Emulator, era: Era
) -> None:
    async with connect(emulator.app, era) as client:
        listed = await client.call_tool("list_powerpacks", {})
        marketing = ok(await client.call_tool("get_powerpack", {"powerpack": "marketing"}))
        tools = {tool.name: tool for tool in (await client.list_tools()).tools}
    assert marketing["number_priority"]  # it has one, which Plivo's list results leave out
    entries = ok(listed)["powerpacks"]
    assert [e["name"] for e in entries if "number_priority" in e] == []
    assert "number_priority" not in text(listed)  # nor in the text copy
    schema = tools["list_powerpacks"].output_schema or {}
    entry = schema["properties"]["powerpacks"]["items"]
    assert "get_powerpack" in entry["description"]  # where number_priority is found
    assert "number_priority" not in entry["required"]


async def test_get_by_name_and_by_uuid_agree(emulator: Emulator, era: Era) -> None:
    async with connect(emulator.app, era) as client:
        by_name = ok(await client.call_tool("get_powerpack", {"powerpack": "marketing"}))
        by_uuid = ok(await client.call_tool("get_powerpack", {"powerpack": by_name["uuid"]}))
    assert by_name == by_uuid
    assert by_name["number_pool_uuid"]
    expected = {
        "uuid",
        "name",
        "sticky_sender",
        "local_connect",
        "application_type",
        "application_id",
        "number_priority",
        "number_pool_uuid",
        "created_on",
    }
    assert expected <= set(by_name)


async def test_name_on_a_late_page_is_found_with_progress(emulator: Emulator) -> None:
    await emulator.seed(97)
    progress: list[tuple[float, float | None]] = []

    async def on_progress(done: float, total: float | None, message: str | None) -> None:
        progress.append((done, total))

    async with connect(emulator.app, "legacy") as client:
        result = await client.call_tool(
            "get_powerpack", {"powerpack": "seed-00097"}, progress_callback=on_progress
        )
    assert ok(result)["name"] == "seed-00097"
    assert progress
    assert all(total == 5 for _, total in progress)  # 100 Powerpacks = 5 pages


async def test_unknown_name_says_not_found_and_suggests_case(emulator: Emulator, era: Era) -> None:
    async with connect(emulator.app, era) as client:
        missing = error(await client.call_tool("get_powerpack", {"powerpack": "nope"}))
        near = error(await client.call_tool("get_powerpack", {"powerpack": "Marketing"}))
    assert "Powerpack 'nope' not found" in missing
    assert "Did you mean 'marketing'?" in near


async def test_unknown_uuid_is_not_found(emulator: Emulator, era: Era) -> None:
    uuid = "00000000-0000-4000-8000-000000000000"
    async with connect(emulator.app, era) as client:
        message = error(await client.call_tool("get_powerpack", {"powerpack": uuid}))
    assert f"Powerpack '{uuid}' not found" in message


async def test_create_update_delete_round_trip(emulator: Emulator, era: Era) -> None:
    async with connect(emulator.app, era) as client:
        created = ok(
            await client.call_tool(
                "create_powerpack",
                {
                    "name": "launch",
                    "local_connect": False,
                    "application_type": "PHLO",
                    "application_id": "a1b2c3",
                    "number_priority": [PRIORITY],
                },
            )
        )
        assert created["local_connect"] is False
        assert created["sticky_sender"] is True
        assert created["application_type"] == "phlo"
        assert created["number_priority"] == [PRIORITY]
        updated = ok(
            await client.call_tool(
                "update_powerpack",
                {"powerpack": "launch", "local_connect": True, "application_id": "none"},
            )
        )
        assert updated["local_connect"] is True
        assert updated["application_id"] is None
        assert updated["number_priority"] == [PRIORITY]  # left alone
        deleted = ok(await client.call_tool("delete_powerpack", {"powerpack": created["uuid"]}))
        assert deleted["status"] == "deleted"
        assert deleted["name"] == "launch"
        gone = error(await client.call_tool("get_powerpack", {"powerpack": created["uuid"]}))
    assert "not found" in gone
    deletes = await emulator.requests()
    delete = [r for r in deletes if r["method"] == "DELETE"]
    assert [r["body"] for r in delete] == [{"unrent_numbers": False}]


async def test_delete_accepts_plivos_200_success_answer(emulator: Emulator) -> None:
    await emulator.http.post("/_sandbox/config", json={"delete_status": 200})
    async with connect(emulator.app) as client:
        result = ok(await client.call_tool("delete_powerpack", {"powerpack": "support"}))
    assert result["status"] == "deleted"


async def test_update_that_changes_nothing_is_refused(emulator: Emulator) -> None:
    async with connect(emulator.app) as client:
        message = error(await client.call_tool("update_powerpack", {"powerpack": "marketing"}))
    assert "Nothing to change" in message
    assert await emulator.api_calls() == []


INVALID: list[tuple[str, dict[str, Any], str]] = [
    ("list_powerpacks", {"limit": 0}, "limit"),
    ("list_powerpacks", {"limit": 21}, "limit"),
    ("list_powerpacks", {"offset": -1}, "offset"),
    ("get_powerpack", {"powerpack": ""}, "powerpack"),
    ("create_powerpack", {}, "name"),
    ("create_powerpack", {"name": ""}, "name"),
    ("create_powerpack", {"name": "x" * 65}, "name"),
    ("create_powerpack", {"name": " padded"}, "spaces"),
    ("create_powerpack", {"name": "line\nbreak"}, "printable"),
    ("create_powerpack", {"name": "a", "application_type": "voice"}, "application_type"),
    ("create_powerpack", {"name": "a", "application_id": "123"}, "application_type"),
    ("create_powerpack", {"name": "a", "application_type": "xml"}, "application_id"),
    (
        "create_powerpack",
        {"name": "a", "number_priority": [{**PRIORITY, "service_type": "VOICE"}]},
        "service_type",
    ),
    (
        "create_powerpack",
        {"name": "a", "number_priority": [{**PRIORITY, "country_iso": "USA"}]},
        "country_iso",
    ),
    (
        "create_powerpack",
        {
            "name": "a",
            "number_priority": [
                {
                    **PRIORITY,
                    "priority": {
                        "priority1": "longcode",
                        "priority2": "longcode",
                        "priority3": "tollfree",
                    },
                }
            ],
        },
        "each used once",
    ),
    (
        "create_powerpack",
        {
            "name": "a",
            "number_priority": [
                {**PRIORITY, "priority": {**PRIORITY["priority"], "priority1": "mobile"}}
            ],
        },
        "priority1",
    ),
    ("create_powerpack", {"name": "a", "number_priority": [PRIORITY, PRIORITY]}, "two items"),
    ("update_powerpack", {"powerpack": "marketing", "name": ""}, "name"),
    ("delete_powerpack", {"powerpack": "marketing", "unrent_numbers": "maybe"}, "unrent_numbers"),
]


@pytest.mark.parametrize(("tool", "arguments", "names"), INVALID)
async def test_invalid_input_is_answered_locally(
    emulator: Emulator, tool: str, arguments: dict[str, Any], names: str
) -> None:
    async with connect(emulator.app) as client:
        message = error(await client.call_tool(tool, arguments))
    assert names in message
    writes = [call for call in await emulator.api_calls() if call[0] != "GET"]
    assert writes == []
    if tool in {"list_powerpacks", "create_powerpack"}:
        assert await emulator.api_calls() == []


async def test_duplicate_name_is_plivos_refusal_passed_on(emulator: Emulator, era: Era) -> None:
    async with connect(emulator.app, era) as client:
        message = error(await client.call_tool("create_powerpack", {"name": "marketing"}))
    assert "Plivo rejected the request" in message
    assert "marketing" in message


async def test_results_carry_structured_content_and_text(emulator: Emulator) -> None:
    async with connect(emulator.app) as client:
        result = await client.call_tool("get_powerpack", {"powerpack": "alerts"})
    assert ok(result)["application_type"] == "xml"
    assert '"name": "alerts"' in text(result) or '"name":"alerts"' in text(result)


async def test_argument_errors_read_as_plain_lines(emulator: Emulator) -> None:
    async with connect(emulator.app) as client:
        message = error(await client.call_tool("list_powerpacks", {"limit": 50, "offset": "x"}))
    assert message == (
        "Invalid arguments for list_powerpacks; nothing was sent:\n"
        "- limit: Input should be less than or equal to 20 (got 50)\n"
        "- offset: Input should be a valid integer, unable to parse string as an integer (got 'x')"
    )
