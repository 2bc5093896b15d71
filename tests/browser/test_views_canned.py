"""The views' states that a live server reaches only by waiting or by a race, fed canned
results through the same host (AppBridge, sandboxed iframe) as the end-to-end test."""

from __future__ import annotations

import copy
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from browser_host import Host

from powerpack_mcp.views import html

pytestmark = pytest.mark.browser
expect = pytest.importorskip(
    "playwright.sync_api", reason="BROWSER TEST SKIPPED: Playwright is not installed"
).expect

ORIGIN = "http://host.test"  # served by the page's own routes: no server, no network


def view(name: str) -> str:
    return html(name)  # as a host is served it: bridge.js inlined


def number(e164: str, international: str, kind: str = "fixed") -> dict[str, str]:
    return {"e164": e164, "international": international, "country": "US", "type": kind}


CARD: dict[str, Any] = {
    "id": "opaque-confirmation-id",
    "action": "delete_powerpack",
    "account": "MAXXXXXXXXXXXXXXXXXX",
    "sandbox": True,
    "powerpack": {"uuid": "5a1e0001-7c3d-4f2a-9b1e-000000000001", "name": "marketing"},
    "confirm_with": "marketing",
    "confirm_kind": "name",
    "numbers": [
        number("+14155550101", "+1 415-555-0101"),
        number("+12125550202", "+1 212-555-0202", "mobile"),
        number("+18005550301", "+1 800-555-0301", "toll-free"),
    ],
    "shortcodes": ["555888"],
    "hold_days": 10,
    "explanation": "Unrenting gives the numbers back to the carrier.",
    "safer": "Delete the Powerpack and keep the numbers.",
}


def card_result(**changes: Any) -> dict[str, Any]:
    card = copy.deepcopy(CARD)
    card["expires_at"] = (datetime.now(UTC) + timedelta(minutes=5)).isoformat()
    card.update(changes)
    return {
        "content": [{"type": "text", "text": "Nothing has been unrented yet."}],
        "structuredContent": {"status": "confirmation_required", "message": "Nothing yet."},
        "_meta": {"powerpack-mcp/confirmation": card},
        "isError": False,
    }


def refusal(message: str) -> dict[str, Any]:
    return {"content": [{"type": "text", "text": message}], "isError": True}


@pytest.fixture
def host(open_host: Any) -> Host:
    host: Host = open_host(ORIGIN)
    return host


def test_a_refusal_is_shown_with_its_reason(host: Host) -> None:
    answers = {"confirm_unrent": refusal("The pool changed since the card was shown.")}
    host.call("renderCanned", view("confirm.html"), {}, card_result(), answers, "light")
    host.view.get_by_label("To confirm").fill("marketing")
    host.view.get_by_role("button", name="Delete and unrent 3 numbers").click()

    expect(host.view.locator("#refused")).to_contain_text("The pool changed since the card")
    expect(host.view.locator("body")).to_have_attribute("data-state", "refused")
    expect(host.view.get_by_role("button")).to_be_disabled()


def test_an_expired_card_cannot_be_confirmed(host: Host) -> None:
    past = (datetime.now(UTC) - timedelta(seconds=1)).isoformat()
    host.call("renderCanned", view("confirm.html"), {}, card_result(expires_at=past), {}, "light")

    expect(host.view.locator("#expired")).to_contain_text("expired")
    expect(host.view.get_by_label("To confirm")).to_be_disabled()
    expect(host.view.get_by_role("button")).to_be_disabled()
    assert host.log() == []  # nothing was sent


def test_the_server_saying_expired_shows_the_expired_state(host: Host) -> None:
    answers = {"confirm_unrent": refusal("This confirmation expired: ask again.")}
    host.call("renderCanned", view("confirm.html"), {}, card_result(), answers, "light")
    host.view.get_by_label("To confirm").fill("marketing")
    host.view.get_by_role("button").click()

    expect(host.view.locator("#expired")).to_contain_text("This confirmation expired: ask again.")


def test_a_number_is_matched_on_its_digits(host: Host) -> None:
    card = card_result(
        action="remove_pool_number",
        confirm_with="+14155550101",
        confirm_kind="number",
        numbers=[number("+14155550101", "+1 415-555-0101")],
        shortcodes=[],
    )
    done = {
        "content": [{"type": "text", "text": "done"}],
        "structuredContent": {
            "status": "unrented",
            "numbers_unrented": ["+14155550101"],
            "powerpack_deleted": False,
            "message": "Removed and unrented.",
        },
        "isError": False,
    }
    host.call("renderCanned", view("confirm.html"), {}, card, {"confirm_unrent": done}, "light")
    field = host.view.get_by_label("To confirm")
    button = host.view.get_by_role("button", name="Remove and unrent 1 number")

    field.fill("+1 415-555-0102")
    expect(button).to_be_disabled()
    field.fill("+1 (415) 555-0101")
    button.click()

    expect(host.view.locator("#done")).to_contain_text("+1 415-555-0101")
    calls = [e["arguments"] for e in host.log() if e["event"] == "view-call"]
    assert calls == [{"confirmation_id": "opaque-confirmation-id", "typed": "+1 (415) 555-0101"}]


def test_upstream_text_is_shown_as_text_never_markup(host: Host) -> None:
    hostile = "<img src=x onerror=\"window.parent.postMessage(1,'*')\">"
    card = card_result(powerpack={"uuid": "u", "name": hostile}, confirm_with=hostile)
    host.call("renderCanned", view("confirm.html"), {}, card, {}, "light")

    expect(host.view.locator("#pp-name")).to_have_text(hostile)
    assert host.view.locator("img").count() == 0


def test_the_card_follows_the_host_theme(host: Host) -> None:
    host.call("renderCanned", view("confirm.html"), {}, card_result(), {}, "dark")
    host.view.locator("html[data-theme=dark]").wait_for()
    body = host.view.locator("body")
    dark = body.evaluate("b => getComputedStyle(b).backgroundColor")

    host.call("setTheme", "light")
    host.view.locator("html[data-theme=light]").wait_for()
    light = body.evaluate("b => getComputedStyle(b).backgroundColor")
    assert (dark, light) == ("rgb(22, 25, 29)", "rgb(255, 255, 255)")


NO_SIDEWAYS_SCROLL = """() => [document.documentElement, ...document.querySelectorAll(".scroll")]
    .filter(e => e.scrollWidth > e.clientWidth).map(e => e.id || e.className || e.tagName)"""


def test_both_views_are_readable_at_320_px(open_host: Any) -> None:
    host: Host = open_host(ORIGIN, width=320)
    host.call("renderCanned", view("confirm.html"), {}, card_result(), {}, "light")
    expect(host.view.get_by_text("+1 800-555-0301")).to_be_visible()
    # Nothing wider than the frame: no sideways scrolling to read a number or the button.
    assert host.view.locator("html").evaluate(NO_SIDEWAYS_SCROLL) == []

    answers = {"list_pool_numbers": pool_page(["14155550101"], 0, 1)}
    host.call("renderCanned", view("powerpack.html"), {}, SETTINGS, answers, "light")
    expect(host.view.locator("#pool-status")).to_have_text("1 number in 1 group.")
    assert host.view.locator("html").evaluate(NO_SIDEWAYS_SCROLL) == []


PRIORITY = {"priority1": "shortcode", "priority2": "tollfree", "priority3": "longcode"}
SETTINGS: dict[str, Any] = {
    "content": [{"type": "text", "text": "{}"}],
    "structuredContent": {
        "uuid": "u-1",
        "name": "big",
        "sticky_sender": False,
        "local_connect": True,
        "application_type": "phlo",
        "application_id": "phlo-7",
        "number_priority": [{"country_iso": "US", "service_type": "SMS", "priority": PRIORITY}],
        "number_pool_uuid": "p-1",
        "created_on": "2024-02-01T09:00:00Z",
    },
    "isError": False,
}


def pool_page(numbers: list[str], offset: int, total: int) -> dict[str, Any]:
    listed = [
        {"number": n, "country_iso2": "US", "type": "mobile" if n.startswith("1212") else "fixed"}
        for n in numbers
    ]
    after = offset + len(numbers)
    return {
        "content": [{"type": "text", "text": "a page"}],
        "structuredContent": {
            "powerpack_uuid": "u-1",
            "powerpack_name": "big",
            "numbers": listed,
            "shortcodes": [],
            "total_count": total,
            "limit": 20,
            "offset": offset,
            "has_more": after < total,
            "next_offset": after if after < total else None,
        },
        "_meta": {"powerpack-mcp/display": {"numbers": {n: {"e164": f"+{n}"} for n in numbers}}},
        "isError": False,
    }


def test_the_pool_is_read_page_by_page_and_counted_by_country_and_type(host: Host) -> None:
    first = [f"1415555{i:04d}" for i in range(20)]
    second = [f"1212555{i:04d}" for i in range(20, 25)]
    answers = {"list_pool_numbers": [pool_page(first, 0, 25), pool_page(second, 20, 25)]}
    args = {"powerpack": "big"}
    host.call("renderCanned", view("powerpack.html"), args, SETTINGS, answers, "light")

    expect(host.view.locator("#pool-status")).to_have_text("25 numbers in 2 groups.")
    expect(host.view.locator("#counts tr")).to_have_text(
        ["US fixed 20", "US mobile 5"], use_inner_text=True
    )
    expect(host.view.locator("#application")).to_have_text("PHLO phlo-7")
    expect(host.view.locator("#sticky")).to_have_text("Off")
    offsets = [e["arguments"]["offset"] for e in host.log() if e["event"] == "view-call"]
    assert offsets == [0, 20]


def test_a_later_page_of_the_pool_is_shown_whole_with_the_same_filters(host: Host) -> None:
    first = [f"1415555{i:04d}" for i in range(20)]
    later = [f"1415555{i:04d}" for i in range(20, 22)]
    args = {"powerpack": "big", "type": "fixed", "offset": 20}
    answers = {"list_pool_numbers": [pool_page(first, 0, 22), pool_page(later, 20, 22)]}
    shown = pool_page(later, 20, 22)
    host.call("renderCanned", view("powerpack.html"), args, shown, answers, "light")

    expect(host.view.locator("#pool-status")).to_have_text("22 numbers in 1 group.")
    expect(host.view.locator("#pool-filter")).to_have_text("Only type fixed.")
    calls = [e["arguments"] for e in host.log() if e["event"] == "view-call"]
    assert calls == [
        {"powerpack": "u-1", "limit": 20, "offset": 0, "type": "fixed"},
        {"powerpack": "u-1", "limit": 20, "offset": 20, "type": "fixed"},
    ]
