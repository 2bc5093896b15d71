"""MCP Apps views: the confirmation card and the Powerpack view, shipped in the wheel.

Each view is one HTML file beside this module (no network, no framework); the MCP Apps
bridge both share is bridge.js, inlined into each by html(), so what a host gets is one
self-contained document. The host renders it in a sandboxed iframe and talks to it over
postMessage.
"""

from __future__ import annotations

from functools import cache
from importlib.resources import files
from typing import Any

from mcp.server.apps import Apps

CONFIRM_URI = "ui://powerpack-mcp/confirm.html"
POWERPACK_URI = "ui://powerpack-mcp/powerpack.html"
#: Result `_meta` keys the views read (host-only: never shown to the model).
CONFIRMATION_KEY = "powerpack-mcp/confirmation"
DISPLAY_KEY = "powerpack-mcp/display"


def card_meta(card: dict[str, Any]) -> dict[str, Any]:
    return {CONFIRMATION_KEY: card}


def display_meta(numbers: list[str]) -> dict[str, Any]:
    from .display import numbers_display  # loads phonenumbers: only when a view asks

    return {DISPLAY_KEY: numbers_display(numbers)}


#: Where a view's HTML takes the shared MCP Apps bridge (bridge.js), inlined by html().
BRIDGE_MARKER = "<!-- powerpack-mcp:bridge -->"


@cache  # package data: read once per process, however many servers are built
def html(name: str) -> str:
    """The view as served: one self-contained document, bridge.js inlined at its marker."""
    folder = files(__package__)
    page = folder.joinpath(name).read_text(encoding="utf-8")
    bridge = folder.joinpath("bridge.js").read_text(encoding="utf-8")
    if page.count(BRIDGE_MARKER) != 1 or "</script" in bridge.lower() or "<!--" in bridge:
        raise ValueError(f"{name}: wants one {BRIDGE_MARKER}, and bridge.js no </script or <!--")
    return page.replace(BRIDGE_MARKER, f"<script>\n{bridge}</script>")


def add_views(apps: Apps) -> None:
    apps.add_html_resource(
        CONFIRM_URI,
        html("confirm.html"),
        name="confirm-unrent",
        title="Confirm unrenting numbers",
        description="Shows a person exactly which numbers would be unrented, and asks them.",
        prefers_border=True,
    )
    apps.add_html_resource(
        POWERPACK_URI,
        html("powerpack.html"),
        name="powerpack",
        title="Powerpack",
        description="A Powerpack's settings and its number pool at a glance.",
        prefers_border=True,
    )
