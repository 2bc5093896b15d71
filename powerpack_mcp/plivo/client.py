"""The Plivo REST client for Powerpacks and number pools. It knows nothing of MCP."""

from __future__ import annotations

import math
import re
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

import anyio
from pydantic import SecretStr

from .. import __version__

if TYPE_CHECKING:
    import httpx
from .errors import NotFound, PlivoError
from .http import Transport
from .models import (
    PoolNumber,
    PoolNumberPage,
    Powerpack,
    PowerpackPage,
    ShortcodePage,
)

PAGE_SIZE = 20  # Plivo's largest page.
_UUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")

Progress = Callable[[int, int], Awaitable[None]]


def looks_like_uuid(value: str) -> bool:
    return bool(_UUID.match(value))


def _segment(value: str) -> str:
    return quote(value, safe="")


@dataclass(frozen=True)
class Credentials:
    auth_id: str
    auth_token: SecretStr


class PowerpackNotFound(NotFound):
    def __init__(self, ref: str, near: list[str] | None = None) -> None:
        super().__init__(f"Powerpack '{ref}'")
        if near:
            self.args = (f"{self} Did you mean {', '.join(repr(n) for n in near[:3])}?",)


class PlivoClient:
    """Typed calls for Powerpacks and their number pools, over one shared HTTP client."""

    def __init__(self, transport: Transport) -> None:
        self._t = transport

    # Powerpacks ---------------------------------------------------------------------------

    async def list_powerpacks(self, *, limit: int = PAGE_SIZE, offset: int = 0) -> PowerpackPage:
        data = await self._t.request(
            "GET", "Powerpack/", what="Powerpack list", params={"limit": limit, "offset": offset}
        )
        return PowerpackPage.model_validate(data)

    async def get_powerpack(self, uuid: str) -> Powerpack:
        data = await self._t.request(
            "GET", f"Powerpack/{_segment(uuid)}/", what=f"Powerpack '{uuid}'"
        )
        return Powerpack.model_validate(data)

    async def create_powerpack(self, fields: Mapping[str, Any]) -> Powerpack:
        data = await self._t.request("POST", "Powerpack/", what="Powerpack", body=fields)
        return Powerpack.model_validate(data)

    async def update_powerpack(self, uuid: str, fields: Mapping[str, Any]) -> Powerpack:
        data = await self._t.request(
            "POST", f"Powerpack/{_segment(uuid)}/", what=f"Powerpack '{uuid}'", body=fields
        )
        return Powerpack.model_validate(data)

    async def delete_powerpack(self, uuid: str, *, unrent_numbers: bool) -> None:
        await self._t.request(
            "DELETE",
            f"Powerpack/{_segment(uuid)}/",
            what=f"Powerpack '{uuid}'",
            body={"unrent_numbers": unrent_numbers},
        )

    async def resolve_powerpack(self, ref: str, progress: Progress | None = None) -> Powerpack:
        """A Powerpack by UUID or by exact name (names are unique per account)."""
        if looks_like_uuid(ref):
            try:
                return await self.get_powerpack(ref)
            except NotFound:
                pass  # A name may look like a UUID; fall through to the name scan.
        return await self.find_powerpack_by_name(ref, progress)

    async def find_powerpack_by_name(
        self, name: str, progress: Progress | None = None
    ) -> Powerpack:
        """Scan list pages, several at once, stopping as soon as the name is seen."""
        first = await self.list_powerpacks(offset=0)
        scan = _NameScan(name, pages=max(1, math.ceil(first.meta.total_count / PAGE_SIZE)))
        scan.see(first)
        if scan.found is None and scan.pages > 1:
            await self._scan_rest(scan, progress)
        if scan.error is not None:
            raise scan.error
        if scan.found is None:
            raise PowerpackNotFound(name, scan.near)
        # List objects lack number_priority: fetch the whole Powerpack.
        return await self.get_powerpack(scan.found.uuid)

    async def _scan_rest(self, scan: _NameScan, progress: Progress | None) -> None:
        async with anyio.create_task_group() as tg:

            async def fetch(offset: int) -> None:
                try:
                    page = await self.list_powerpacks(offset=offset)
                except PlivoError as exc:
                    scan.error = exc
                    tg.cancel_scope.cancel()
                    return
                if scan.see(page):
                    tg.cancel_scope.cancel()
                elif progress is not None:
                    # Shielded: a hit on another page must not swallow a report already due.
                    with anyio.CancelScope(shield=True):
                        await progress(scan.done, scan.pages)

            # The transport's semaphore bounds how many of these are in flight at once.
            for page_no in range(1, scan.pages):
                tg.start_soon(fetch, page_no * PAGE_SIZE)

    # Number pools -------------------------------------------------------------------------

    async def list_pool_numbers(
        self, pool_uuid: str, *, limit: int = PAGE_SIZE, offset: int = 0, **filters: str
    ) -> PoolNumberPage:
        params: dict[str, str | int] = {"limit": limit, "offset": offset, **filters}
        data = await self._t.request(
            "GET", f"NumberPool/{_segment(pool_uuid)}/Number/", what="Number pool", params=params
        )
        return PoolNumberPage.model_validate(data)

    async def all_pool_numbers(self, pool_uuid: str) -> list[PoolNumber]:
        """Every number in a pool (all pages), for previews that must be complete."""
        first = await self.list_pool_numbers(pool_uuid)
        numbers = list(first.objects)
        offsets = range(PAGE_SIZE, first.meta.total_count, PAGE_SIZE)
        pages: dict[int, PoolNumberPage] = {}
        async with anyio.create_task_group() as tg:

            async def fetch(offset: int) -> None:
                pages[offset] = await self.list_pool_numbers(pool_uuid, offset=offset)

            for offset in offsets:
                tg.start_soon(fetch, offset)
        for offset in offsets:
            numbers.extend(pages[offset].objects)
        return numbers

    async def list_shortcodes(
        self, pool_uuid: str, *, limit: int = PAGE_SIZE, offset: int = 0
    ) -> ShortcodePage:
        data = await self._t.request(
            "GET",
            f"NumberPool/{_segment(pool_uuid)}/Shortcode/",
            what="Number pool",
            params={"limit": limit, "offset": offset},
        )
        return ShortcodePage.model_validate(data)

    async def add_pool_number(self, pool_uuid: str, number: str, *, service: str) -> PoolNumber:
        data = await self._t.request(
            "POST",
            f"NumberPool/{_segment(pool_uuid)}/Number/{_segment(number)}/",
            what=f"Number {number}",
            body={"service": service},
        )
        return PoolNumber.model_validate(data)

    async def remove_pool_number(self, pool_uuid: str, number: str, *, unrent: bool) -> None:
        await self._t.request(
            "DELETE",
            f"NumberPool/{_segment(pool_uuid)}/Number/{_segment(number)}/",
            what=f"Number {number} in this Powerpack's pool",
            body={"unrent": unrent},
        )

    async def get_pool_number(self, pool_uuid: str, number: str) -> PoolNumber:
        data = await self._t.request(
            "GET",
            f"NumberPool/{_segment(pool_uuid)}/Number/{_segment(number)}/",
            what=f"Number {number} in this Powerpack's pool",
        )
        return PoolNumber.model_validate(data)

    async def remove_shortcode(self, pool_uuid: str, shortcode: str) -> None:
        await self._t.request(
            "DELETE",
            f"NumberPool/{_segment(pool_uuid)}/Shortcode/{_segment(shortcode)}/",
            what=f"Short code {shortcode} in this Powerpack's pool",
        )


class _NameScan:
    """What a name scan has seen so far."""

    def __init__(self, name: str, pages: int) -> None:
        self.name = name
        self.pages = pages
        self.done = 0
        self.found: Powerpack | None = None
        self.error: PlivoError | None = None
        self.near: list[str] = []

    def see(self, page: PowerpackPage) -> bool:
        self.done += 1
        for powerpack in page.objects:
            if powerpack.name == self.name:
                self.found = powerpack
                return True
            if powerpack.name.casefold() == self.name.casefold():
                self.near.append(powerpack.name)
        return False


@asynccontextmanager
async def open_client(
    credentials: Credentials,
    *,
    api_url: str,
    request_timeout: float,
    max_in_flight: int = 8,
    transport: httpx.AsyncBaseTransport | None = None,
) -> AsyncIterator[PlivoClient]:
    """One pooled HTTP client for the server's lifetime, so connections are reused."""
    base = f"{api_url.rstrip('/')}/v1/Account/{_segment(credentials.auth_id)}/"

    def connect() -> httpx.AsyncClient:
        import httpx

        limits = httpx.Limits(
            max_connections=max_in_flight, max_keepalive_connections=max_in_flight
        )
        return httpx.AsyncClient(
            base_url=base,
            auth=httpx.BasicAuth(credentials.auth_id, credentials.auth_token.get_secret_value()),
            headers={"User-Agent": f"powerpack-mcp/{__version__}", "Accept": "application/json"},
            timeout=request_timeout,
            transport=transport,
            limits=limits,
        )

    upstream = Transport(connect, timeout=request_timeout, max_in_flight=max_in_flight)
    try:
        yield PlivoClient(upstream)
    finally:
        await upstream.aclose()
