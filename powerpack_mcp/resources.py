"""Read-only views of the account as MCP resources: `powerpack://list` and `powerpack://{ref}`."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from mcp.server.mcpserver import MCPServer
from mcp.server.mcpserver.exceptions import ResourceError, ResourceNotFoundError

from .plivo import NotFound, PlivoClient, PlivoError
from .plivo.client import PAGE_SIZE
from .plivo.models import Powerpack, PowerpackPage
from .plivo.together import together

#: A resource is a summary, not an export: beyond this many Powerpacks, say so and stop.
LIST_CAP = 1000


async def all_powerpacks(plivo: PlivoClient) -> tuple[list[Powerpack], int]:
    first = await plivo.list_powerpacks()
    total = first.meta.total_count
    offsets = range(PAGE_SIZE, min(total, LIST_CAP), PAGE_SIZE)
    pages: dict[int, PowerpackPage] = {}

    async def fetch(offset: int) -> None:
        pages[offset] = await plivo.list_powerpacks(offset=offset)

    async with together() as tg:
        for offset in offsets:
            tg.start_soon(fetch, offset)
    packs = list(first.objects)
    for offset in offsets:
        packs.extend(pages[offset].objects)
    return packs, total


async def powerpack_summary(plivo: PlivoClient, ref: str) -> dict[str, Any]:
    pack = await plivo.resolve_powerpack(ref)
    summary: dict[str, Any] = pack.model_dump(mode="json")
    pool = pack.number_pool_uuid
    if pool:
        numbers = await plivo.list_pool_numbers(pool)
        codes = await plivo.list_shortcodes(pool)
        summary["pool"] = {
            "number_count": numbers.meta.total_count,
            "numbers": [n.model_dump(mode="json") for n in numbers.objects],
            "numbers_truncated": numbers.meta.total_count > len(numbers.objects),
            "shortcodes": [c.shortcode for c in codes.objects],
        }
    return summary


def register_resources(server: MCPServer[Any], plivo: Callable[[], PlivoClient]) -> None:
    """`plivo` returns the live client (static resources get no request context)."""

    @server.resource(
        "powerpack://list",
        name="powerpacks",
        title="All Powerpacks",
        description="Every Powerpack in the account (name, UUID, settings), as JSON.",
        mime_type="application/json",
    )
    async def powerpack_list() -> str:
        try:
            packs, total = await all_powerpacks(plivo())
        except PlivoError as exc:
            raise ResourceError(str(exc)) from None
        listed = [p.model_dump(mode="json") for p in packs]  # without number_priority
        truncated = total > len(listed)
        return json.dumps({"total_count": total, "truncated": truncated, "powerpacks": listed})

    @server.resource(
        "powerpack://{ref}",
        name="powerpack",
        title="One Powerpack with its pool",
        description="A Powerpack (by UUID or exact name) with a summary of its number pool.",
        mime_type="application/json",
    )
    async def powerpack(ref: str) -> str:
        try:
            return json.dumps(await powerpack_summary(plivo(), ref))
        except NotFound as exc:
            # -32602, or -32002 before 2026-07-28 (see middleware.resource_not_found_code).
            raise ResourceNotFoundError(str(exc)) from None
        except PlivoError as exc:
            raise ResourceError(str(exc)) from None
