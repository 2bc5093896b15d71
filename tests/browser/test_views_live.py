"""End to end in a real Chromium: `powerpack-mcp --transport http` against the emulator,
a host built on the ext-apps AppBridge, and a person typing and clicking in the views.

The emulator runs in this process (over real HTTP), so its state and request log are the
witness of what was unrented. Set POWERPACK_SCREENSHOTS=docs/img to refresh the README's
screenshots from this run.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from browser_host import Host
from http_support import HttpServer, http_server, upstream

from powerpack_mcp.sandbox import DEFAULT_AUTH_ID, DEFAULT_AUTH_TOKEN

pytestmark = pytest.mark.browser
expect = pytest.importorskip(
    "playwright.sync_api", reason="BROWSER TEST SKIPPED: Playwright is not installed"
).expect

MARKETING_NUMBERS = ["14155550101", "15125550105", "12125550202", "18005550301"]


@pytest.fixture
def server(sandbox_url: str) -> Iterator[HttpServer]:
    with http_server(**upstream(sandbox_url)) as running:
        yield running


@pytest.fixture
def shots(tmp_path: Path) -> Path:
    return Path(os.environ.get("POWERPACK_SCREENSHOTS") or tmp_path)


def rented(sandbox_url: str, number: str) -> bool:
    answer = httpx.get(
        f"{sandbox_url}/v1/Account/{DEFAULT_AUTH_ID}/Number/{number}/",
        auth=(DEFAULT_AUTH_ID, DEFAULT_AUTH_TOKEN),
    )
    assert answer.status_code in (200, 404), answer.text
    return answer.status_code == 200


def unrent_requests(sandbox_url: str) -> list[str]:
    """What the emulator was asked to unrent: numbers, or POOL:<uuid> for a whole pool."""
    named = []
    for entry in httpx.get(f"{sandbox_url}/_sandbox/requests").json()["requests"]:
        body = entry["body"] if isinstance(entry["body"], dict) else {}
        parts = entry["path"].rstrip("/").split("/")
        if entry["method"] != "DELETE":
            continue
        if "Powerpack" in parts and body.get("unrent_numbers") in (True, "true"):
            named.append(f"POOL:{parts[-1]}")
        elif {"Number", "Tollfree"} & set(parts) and body.get("unrent") in (True, "true"):
            named.append(parts[-1])
    return named


def calls_from_views(host: Host) -> list[dict[str, Any]]:
    return [e for e in host.log() if e["event"] in ("view-call", "refused")]


def confirm_in_the_card(host: Host, sandbox_url: str, shots: Path | None) -> None:
    shown = host.call(
        "render", "delete_powerpack", {"powerpack": "marketing", "unrent_numbers": True}
    )["result"]
    # What the model reads never carries the card's id: only the host-only _meta does.
    card_id = shown["_meta"]["powerpack-mcp/confirmation"]["id"]
    assert card_id not in json.dumps([shown["content"], shown.get("structuredContent")])
    view = host.view
    expect(view.locator("#count")).to_have_text("4 numbers will be unrented")
    for shown in ("+1 415-555-0101", "+14155550101", "+1 800-555-0301", "555888"):
        expect(view.get_by_text(shown, exact=True)).to_have_count(1)

    field = view.get_by_label("To confirm")
    button = view.get_by_role("button", name=re.compile("unrent 4 numbers"))
    field.fill("Marketing")
    expect(button).to_be_disabled()
    field.fill("marketing")
    expect(button).to_be_enabled()
    if shots is not None:
        host.screenshot(shots / "confirm-view.png")
    assert unrent_requests(sandbox_url) == []
    assert all(rented(sandbox_url, n) for n in MARKETING_NUMBERS)

    button.click()

    expect(view.locator("#done")).to_contain_text("+1 415-555-0101")
    assert sorted(unrent_requests(sandbox_url)) == sorted(MARKETING_NUMBERS)
    assert not any(rented(sandbox_url, n) for n in MARKETING_NUMBERS)
    assert calls_from_views(host) == [{"event": "view-call", "tool": "confirm_unrent"}]


@pytest.mark.parametrize(
    ("era", "flags"),
    [("modern", ()), ("legacy", ()), ("modern", ("--stateless",))],
    ids=["2026-07-28", "2025-11-25", "2026-07-28-stateless"],
)
def test_a_person_types_the_name_in_the_card_and_only_then_the_numbers_are_unrented(
    sandbox_url: str, open_host: Any, shots: Path, era: str, flags: tuple[str, ...]
) -> None:
    with http_server(*flags, **upstream(sandbox_url)) as server:
        host: Host = open_host(server.url)
        tools = host.call("connect", era)
        assert tools["protocolVersion"] == {"modern": "2026-07-28", "legacy": "2025-11-25"}[era]
        assert "confirm_unrent" in tools["appOnly"]
        assert "confirm_unrent" not in tools["model"]
        confirm_in_the_card(host, sandbox_url, shots if not flags and era == "modern" else None)


def test_the_powerpack_view_shows_the_settings_and_the_pool_by_country_and_type(
    server: HttpServer, open_host: Any, shots: Path
) -> None:
    host: Host = open_host(server.url)
    host.call("connect", "modern")

    host.call("render", "get_powerpack", {"powerpack": "marketing"})
    view = host.view
    expect(view.locator("#pool-status")).to_have_text("4 numbers in 3 groups.")
    expect(view.locator("#sticky")).to_have_text("On")
    expect(view.locator("#local")).to_have_text("On")
    expect(view.locator("#priority tr")).to_have_text(
        ["US SMS shortcode tollfree longcode"], use_inner_text=True
    )
    rows = ["US fixed 2", "US mobile 1", "US toll-free 1"]
    expect(view.locator("#counts tr")).to_have_text(rows, use_inner_text=True)
    expect(view.locator("#shortcodes")).to_have_text("555888 (US)")
    expect(view.get_by_text("+1 512-555-0105")).to_be_visible()
    host.screenshot(shots / "powerpack-view.png")
    assert calls_from_views(host) == [{"event": "view-call", "tool": "list_pool_numbers"}]


def test_removing_one_number_is_confirmed_by_typing_it_in_any_spelling(
    server: HttpServer, sandbox_url: str, open_host: Any
) -> None:
    host: Host = open_host(server.url)
    host.call("connect", "modern")

    arguments = {"powerpack": "marketing", "number": "+15125550105", "unrent": True}
    host.call("render", "remove_pool_number", arguments)
    view = host.view
    expect(view.locator("#count")).to_have_text("1 number will be unrented")
    field = view.get_by_label("To confirm, type the number")
    button = view.get_by_role("button", name="Remove and unrent 1 number")
    field.fill("+1 512-555-0106")
    expect(button).to_be_disabled()
    field.fill("+1 (512) 555-0105")
    button.click()

    expect(view.locator("#done")).to_contain_text("+1 512-555-0105")
    assert unrent_requests(sandbox_url) == ["15125550105"]
    assert not rented(sandbox_url, "15125550105")
    assert all(rented(sandbox_url, n) for n in MARKETING_NUMBERS if n != "15125550105")


def test_removing_a_list_is_shown_whole_and_confirmed_by_the_powerpack_s_name(
    server: HttpServer, sandbox_url: str, open_host: Any
) -> None:
    host: Host = open_host(server.url)
    host.call("connect", "modern")

    chosen = ["14155550101", "12125550202"]
    arguments = {"powerpack": "marketing", "numbers": chosen, "unrent": True}
    host.call("render", "remove_pool_number", arguments)
    view = host.view
    expect(view.locator("#title-text")).to_have_text(
        "Remove 2 numbers from “marketing” and unrent them?"
    )
    expect(view.locator("#count")).to_have_text("2 numbers will be unrented")
    for shown in ("+1 415-555-0101", "+1 212-555-0202"):
        expect(view.get_by_text(shown, exact=True)).to_have_count(1)
    expect(view.get_by_text("+1 512-555-0105", exact=True)).to_have_count(0)  # not chosen
    field = view.get_by_label("To confirm, type the Powerpack's name")
    button = view.get_by_role("button", name="Remove and unrent 2 numbers")
    field.fill("+1 415-555-0101")  # one of the numbers is not the confirmation
    expect(button).to_be_disabled()
    assert unrent_requests(sandbox_url) == []
    field.fill("marketing")
    button.click()

    expect(view.locator("#done")).to_contain_text("+1 212-555-0202")
    assert sorted(unrent_requests(sandbox_url)) == sorted(chosen)
    assert rented(sandbox_url, "15125550105")  # the rest of the pool is untouched
