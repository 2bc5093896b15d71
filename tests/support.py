"""Test helpers: drive the emulator's control surface and connect an MCP client to our server."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any, Literal

import httpx
from mcp import Client
from mcp.client.extension import advertise
from mcp.client.session import ElicitationFnT
from mcp.types import CallToolResult
from starlette.applications import Starlette

from powerpack_mcp.sandbox import DEFAULT_AUTH_ID, DEFAULT_AUTH_TOKEN
from powerpack_mcp.server import build_server
from powerpack_mcp.settings import Settings

Era = Literal["modern", "legacy"]
ERAS: tuple[Era, ...] = ("modern", "legacy")


class Emulator:
    """The emulator's `/_sandbox/` control surface, used as a test in any language would."""

    def __init__(self, app: Starlette) -> None:
        self.app = app
        self.http = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://sandbox.invalid"
        )

    async def requests(self) -> list[dict[str, Any]]:
        response = await self.http.get("/_sandbox/requests")
        response.raise_for_status()
        entries: list[dict[str, Any]] = response.json()["requests"]
        return entries

    async def api_calls(self, method: str | None = None) -> list[tuple[str, str]]:
        """(method, path) of every API request, minus the account prefix, optionally one method."""
        calls = []
        for entry in await self.requests():
            if method is None or entry["method"] == method:
                path = entry["path"].split("/", 4)[-1]
                calls.append((entry["method"], path))
        return calls

    async def unrent_requests(self) -> list[str]:
        """The numbers that unrent requests named, in the order they reached the emulator.

        A Powerpack DELETE that asks Plivo to unrent its whole pool is listed as
        "POOL:<uuid>": this server must never send one (it cannot know what the pool holds
        by the time Plivo acts on it)."""
        named = []
        for entry in await self.requests():
            body = entry["body"] if isinstance(entry["body"], dict) else {}
            parts = entry["path"].rstrip("/").split("/")
            if entry["method"] != "DELETE":
                continue
            if "Powerpack" in parts and body.get("unrent_numbers") in (True, "true", "True"):
                named.append(f"POOL:{parts[-1]}")
            elif {"Number", "Tollfree"} & set(parts) and body.get("unrent") in (True, "true"):
                named.append(parts[-1])
        return named

    async def rate_limit(self, limit: str | None) -> None:
        """Plivo's account rate limit ("300/5s"), or none."""
        answer = await self.http.post("/_sandbox/rate_limit", json={"rate_limit": limit})
        answer.raise_for_status()

    async def clear_requests(self) -> None:
        (await self.http.delete("/_sandbox/requests")).raise_for_status()

    async def fault(self, **spec: Any) -> None:
        (await self.http.post("/_sandbox/faults", json=spec)).raise_for_status()

    async def seed(self, powerpacks: int) -> None:
        (await self.http.post("/_sandbox/seed", json={"powerpacks": powerpacks})).raise_for_status()

    async def api(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        """A Plivo API call, authenticated, as any client of the emulator would make it."""
        return await self.http.request(
            method,
            f"/v1/Account/{DEFAULT_AUTH_ID}/{path}",
            auth=(DEFAULT_AUTH_ID, DEFAULT_AUTH_TOKEN),
            **kwargs,
        )

    def spare_numbers(self) -> list[str]:
        """The numbers the account rents that are in no pool, from the emulator's own state
        (Plivo's Number/ API does not say; this is the witness tools are checked against)."""
        state = self.app.state.sandbox
        return [n.number for n in state.numbers.values() if n.link is None]

    def pool_of(self, number: str) -> str | None:
        """The pool holding a rented number, from the emulator's own state."""
        link = self.app.state.sandbox.numbers[number].link
        return None if link is None else str(link.pool_uuid)

    async def spare_number(self) -> str:
        """A number the account rents that is in no pool."""
        return self.spare_numbers()[0]

    async def rent(self, numbers: list[str], **fields: Any) -> None:
        """Add numbers to the account's inventory (in no pool), through the control surface."""
        body = {"numbers": numbers, **fields}
        (await self.http.post("/_sandbox/numbers", json=body)).raise_for_status()

    async def add_to_pool(self, pool_uuid: str, number: str) -> None:
        added = await self.api("POST", f"NumberPool/{pool_uuid}/Number/{number}/", json={})
        added.raise_for_status()

    async def rented(self, number: str) -> bool:
        return (await self.api("GET", f"Number/{number}/")).status_code == 200

    async def reset(self, *, demo: bool = True) -> None:
        (await self.http.post("/_sandbox/reset", json={"demo": demo})).raise_for_status()


def settings(**overrides: Any) -> Settings:
    return Settings(**{"sandbox": True, "timeout": 2.0, **overrides})


APPS = advertise("io.modelcontextprotocol/ui", {"mimeTypes": ["text/html;profile=mcp-app"]})


@asynccontextmanager
async def connect(
    app: Any,
    era: Era = "modern",
    *,
    elicitation: ElicitationFnT | None = None,
    apps: bool = False,
    **overrides: Any,
) -> AsyncIterator[Client]:
    """A client of a fresh server (over `app`, the emulator or a proxy in front of it);
    `apps=True` declares MCP Apps, as hosts that render views do."""
    server = build_server(settings(**overrides), transport=httpx.ASGITransport(app=app))
    async with join(server, era, elicitation=elicitation, apps=apps) as client:
        yield client


@asynccontextmanager
async def join(
    server: Any,
    era: Era = "modern",
    *,
    elicitation: ElicitationFnT | None = None,
    apps: bool = False,
) -> AsyncIterator[Client]:
    """Another client of the same server."""
    mode = "legacy" if era == "legacy" else "auto"
    extensions = [APPS] if apps else None
    async with Client(
        server, mode=mode, elicitation_callback=elicitation, extensions=extensions
    ) as client:
        yield client


def text(result: CallToolResult) -> str:
    first = result.content[0]
    assert first.type == "text"
    return first.text


def ok(result: CallToolResult) -> dict[str, Any]:
    assert not result.is_error, text(result)
    assert result.structured_content is not None
    return result.structured_content


def error(result: CallToolResult) -> str:
    assert result.is_error, result.structured_content
    return text(result)
