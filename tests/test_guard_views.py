"""Confirmation in a card (MCP Apps, issue 14), without a browser: which method each client
gets, and every way the card's own tool refuses. The emulator's request log is the witness;
the card's id must never reach the model, a log line or the audit file."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

import anyio
import httpx
import pytest
from mcp.types import CallToolResult, ElicitResult
from support import ERAS, Emulator, Era, connect, error, join, ok, settings, text
from test_guard_attacks import MARKETING

from powerpack_mcp.sandbox.data import MARKETING_POOL
from powerpack_mcp.server import build_server
from powerpack_mcp.views import CONFIRM_URI, CONFIRMATION_KEY, DISPLAY_KEY, POWERPACK_URI, html

pytestmark = pytest.mark.anyio

UNRENT_ALL = {"powerpack": "marketing", "unrent_numbers": True}


@pytest.fixture
def emulator(sandbox_app: Any) -> Emulator:
    return Emulator(sandbox_app)


def card_of(result: CallToolResult) -> dict[str, Any]:
    assert not result.is_error, text(result)
    assert result.meta is not None, "no card in the result's _meta"
    found: dict[str, Any] = result.meta[CONFIRMATION_KEY]
    return found


def shows_no_id(result: CallToolResult, confirmation_id: str) -> None:
    """What the model reads (content and structuredContent) never holds the id."""
    assert confirmation_id not in text(result)
    assert confirmation_id not in json.dumps(result.structured_content)


# Which method each client gets --------------------------------------------------------------

CASES = [
    # (confirm mode, client shows forms, client shows cards) -> method
    ("auto", True, True, "form"),
    ("auto", False, True, "card"),
    ("auto", False, False, "refused"),
    ("auto", True, False, "form"),
    ("token", True, True, "form"),
    ("token", False, True, "card"),  # never a token when the client can show a card
    ("token", False, False, "token"),
    ("elicit", False, True, "refused"),
    ("view", True, False, "refused"),
    ("view", True, True, "card"),
]


@pytest.mark.parametrize("era", ERAS)
@pytest.mark.parametrize(("mode", "forms", "cards", "method"), CASES)
async def test_each_client_gets_the_strongest_method_allowed(
    emulator: Emulator, era: Era, mode: str, forms: bool, cards: bool, method: str
) -> None:
    asked: list[str] = []

    async def counting(context: Any, params: Any) -> ElicitResult:
        asked.append(params.message)
        return ElicitResult(action="decline")

    async with connect(
        emulator.app,
        era,
        elicitation=counting if forms else None,
        apps=cards,
        confirm=mode,
        confirm_secret="s",
    ) as client:
        result = await client.call_tool("delete_powerpack", UNRENT_ALL)
    if method == "refused":
        assert "Refused, nothing was changed" in error(result)
    else:
        answer = ok(result)
        got = "form" if asked else "card" if CONFIRMATION_KEY in (result.meta or {}) else "token"
        assert got == method
        assert (answer["confirmation_token"] is not None) is (method == "token")
    assert await emulator.unrent_requests() == []


# The card, end to end without a browser ---------------------------------------------------


@pytest.mark.parametrize("era", ERAS)
async def test_the_card_confirms_exactly_what_it_showed(
    emulator: Emulator, era: Era, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    log = tmp_path / "audit.jsonl"
    async with connect(emulator.app, era, apps=True, audit_log=log) as client:
        first = await client.call_tool("delete_powerpack", UNRENT_ALL)
        card = card_of(first)
        answer = ok(first)
        shows_no_id(first, card["id"])
        assert answer["status"] == "confirmation_required"
        assert answer["confirmation_token"] is None
        assert "only they can confirm" in answer["message"]
        assert await emulator.unrent_requests() == []
        done = ok(
            await client.call_tool(
                "confirm_unrent", {"confirmation_id": card["id"], "typed": "marketing"}
            )
        )
    assert card["powerpack"]["name"] == "marketing"
    assert card["confirm_with"] == "marketing"
    assert [n["e164"] for n in card["numbers"]] == [f"+{n}" for n in MARKETING]
    assert {n["international"] for n in card["numbers"]} >= {"+1 800-555-0301"}
    assert {n["type"] for n in card["numbers"]} == {"fixed", "mobile", "toll-free"}
    assert card["shortcodes"] == ["555888"]
    assert card["sandbox"] is True
    assert done["numbers_unrented"] == [f"+{n}" for n in MARKETING]
    assert done["powerpack_deleted"] is True
    assert sorted(await emulator.unrent_requests()) == MARKETING
    audit = log.read_text()
    assert card["id"] not in audit
    assert card["id"] not in caplog.text
    intent = next(json.loads(line) for line in audit.splitlines() if '"intent"' in line)
    assert intent["confirmation"] == {"mode": "view", "result": "confirmed in the view"}


async def test_a_card_for_one_number(emulator: Emulator) -> None:
    removal = {"powerpack": "marketing", "number": "18005550301", "unrent": True}
    async with connect(emulator.app, apps=True) as client:
        card = card_of(await client.call_tool("remove_pool_number", removal))
        done = ok(
            await client.call_tool(
                "confirm_unrent", {"confirmation_id": card["id"], "typed": "+1 800 555 0301"}
            )
        )
    assert card["confirm_kind"] == "number"
    assert done["numbers_unrented"] == ["+18005550301"]
    assert done["powerpack_deleted"] is False
    assert await emulator.unrent_requests() == ["18005550301"]


async def issue_card(client: Any) -> str:
    confirmation_id: str = card_of(await client.call_tool("delete_powerpack", UNRENT_ALL))["id"]
    return confirmation_id


async def confirm(client: Any, confirmation_id: str, typed: str = "marketing") -> str:
    arguments = {"confirmation_id": confirmation_id, "typed": typed}
    return error(await client.call_tool("confirm_unrent", arguments))


async def test_a_guessed_id_is_refused(emulator: Emulator) -> None:
    async with connect(emulator.app, apps=True) as client:
        await issue_card(client)
        message = await confirm(client, "A" * 32)
    assert "unknown or was already used" in message
    assert await emulator.unrent_requests() == []


async def test_a_replayed_id_is_refused(emulator: Emulator) -> None:
    async with connect(emulator.app, apps=True) as client:
        confirmation_id = await issue_card(client)
        ok(
            await client.call_tool(
                "confirm_unrent", {"confirmation_id": confirmation_id, "typed": "marketing"}
            )
        )
        sent = await emulator.unrent_requests()
        message = await confirm(client, confirmation_id)
    assert "unknown or was already used" in message
    assert await emulator.unrent_requests() == sent


async def test_the_wrong_name_spends_the_card(emulator: Emulator) -> None:
    async with connect(emulator.app, apps=True) as client:
        confirmation_id = await issue_card(client)
        wrong = await confirm(client, confirmation_id, "Marketing")
        again = await confirm(client, confirmation_id)
    assert "does not match the Powerpack's name" in wrong
    assert "unknown or was already used" in again
    assert await emulator.unrent_requests() == []


async def test_an_expired_card_is_refused(emulator: Emulator) -> None:
    async with connect(emulator.app, apps=True, confirm_ttl=1e-6) as client:
        message = await confirm(client, await issue_card(client))
    assert "has expired" in message
    assert await emulator.unrent_requests() == []


async def test_a_pool_that_changed_since_the_card_is_refused(emulator: Emulator) -> None:
    async with connect(emulator.app, apps=True) as client:
        confirmation_id = await issue_card(client)
        await emulator.add_to_pool(MARKETING_POOL, await emulator.spare_number())
        message = await confirm(client, confirmation_id)
    assert "the pool changed since the card was shown" in message
    assert await emulator.unrent_requests() == []


@pytest.mark.parametrize("era", ERAS)
async def test_a_request_without_apps_cannot_use_a_card(emulator: Emulator, era: Era) -> None:
    server = build_server(settings(), transport=httpx.ASGITransport(app=emulator.app))
    async with join(server, era, apps=True) as viewer:
        confirmation_id = await issue_card(viewer)
        async with join(server, era) as model_only:
            message = await confirm(model_only, confirmation_id)
        # The refusal did not spend it: the card itself still works.
        done = ok(
            await viewer.call_tool(
                "confirm_unrent", {"confirmation_id": confirmation_id, "typed": "marketing"}
            )
        )
    assert "does not come from a client showing MCP Apps" in message
    assert done["status"] == "unrented"


async def test_two_concurrent_confirmations_of_one_card_unrent_once(emulator: Emulator) -> None:
    results: list[CallToolResult] = []
    async with connect(emulator.app, apps=True) as client:
        confirmation_id = await issue_card(client)
        arguments = {"confirmation_id": confirmation_id, "typed": "marketing"}

        async def press() -> None:
            results.append(await client.call_tool("confirm_unrent", arguments))

        async with anyio.create_task_group() as tg:
            tg.start_soon(press)
            tg.start_soon(press)
    assert sorted(r.is_error for r in results) == [False, True]
    assert sorted(await emulator.unrent_requests()) == MARKETING


# The views are declared, and hosts get what they render ------------------------------------


async def test_tools_name_their_views_and_the_card_tool_is_app_only(emulator: Emulator) -> None:
    async with connect(emulator.app, apps=True) as client:
        tools = {tool.name: tool for tool in (await client.list_tools()).tools}
        confirm_html = await client.read_resource(CONFIRM_URI)
        listing = await client.call_tool("list_pool_numbers", {"powerpack": "marketing"})
    ui = {name: (tool.meta or {}).get("ui", {}) for name, tool in tools.items()}
    assert ui["delete_powerpack"] == {"resourceUri": CONFIRM_URI}
    assert ui["remove_pool_number"] == {"resourceUri": CONFIRM_URI}
    assert ui["get_powerpack"] == {"resourceUri": POWERPACK_URI}
    assert ui["list_pool_numbers"] == {"resourceUri": POWERPACK_URI}
    assert ui["confirm_unrent"] == {"resourceUri": CONFIRM_URI, "visibility": ["app"]}
    assert confirm_html.contents[0].mime_type == "text/html;profile=mcp-app"
    assert getattr(confirm_html.contents[0], "text", None) == html("confirm.html")  # inlined
    assert listing.meta is not None
    shown = listing.meta[DISPLAY_KEY]["numbers"]
    assert shown["18005550301"] == {
        "e164": "+18005550301",
        "international": "+1 800-555-0301",
        "country": "US",
    }


async def test_read_only_serves_no_card_tool(emulator: Emulator) -> None:
    async with connect(emulator.app, apps=True, read_only=True) as client:
        names = {tool.name for tool in (await client.list_tools()).tools}
    assert "confirm_unrent" not in names
