"""The Plivo REST client for Powerpacks and number pools. It knows nothing of MCP."""

from __future__ import annotations

import math
import re
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar
from urllib.parse import quote

import anyio
from pydantic import BaseModel, SecretStr, ValidationError

from .. import __version__

if TYPE_CHECKING:
    import httpx
from .errors import NotFound, PlivoError, UnexpectedAnswer
from .http import Transport
from .models import (
    AccountNumber,
    AccountNumberPage,
    ListedName,
    NamePage,
    PoolNumber,
    PoolNumberPage,
    Powerpack,
    PowerpackPage,
    Shortcode,
    ShortcodePage,
    is_toll_free,
)
from .names import MemoryNames, Names
from .observe import SILENT, Observer
from .ratelimit import RequestBudget
from .redact import secret_forms
from .together import together

M = TypeVar("M", bound=BaseModel)

PAGE_SIZE = 20  # Plivo's largest page.
#: Pages a name scan asks for at once before it knows the account's size: the transport's
#: in-flight bound (8) would hold back any more anyway.
FIRST_ROUND = 8
_UUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")

Progress = Callable[[int, int], Awaitable[None]]


def looks_like_uuid(value: str) -> bool:
    return bool(_UUID.match(value))


def _segment(value: str) -> str:
    return quote(value, safe="")


def _member_path(pool_uuid: str, number: str, *, toll_free: bool) -> str:
    """Toll-free numbers have their own pool endpoint in every Plivo SDK and in the docs."""
    kind = "Tollfree" if toll_free else "Number"
    return f"NumberPool/{_segment(pool_uuid)}/{kind}/{_segment(number)}/"


def _parse(model: type[M], data: Any, what: str) -> M:
    """An answer in a shape we do not know is an error that says so, never a guess."""
    try:
        return model.model_validate(data)
    except ValidationError:
        raise UnexpectedAnswer(f"Plivo's answer for {what} is not in the expected shape") from None


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

    def __init__(self, transport: Transport, names: Names | None = None) -> None:
        self._t = transport
        self._names: Names = names if names is not None else MemoryNames()
        self._pages: int | None = None  # the Powerpack list's length in pages, last seen

    # Powerpacks ---------------------------------------------------------------------------

    async def list_powerpacks(self, *, limit: int = PAGE_SIZE, offset: int = 0) -> PowerpackPage:
        data = await self._t.request(
            "GET", "Powerpack/", what="Powerpack list", params={"limit": limit, "offset": offset}
        )
        page = _parse(PowerpackPage, data, "the Powerpack list")
        self._pages = _page_count(page)
        return page

    async def _name_page(self, page_no: int) -> NamePage:
        """One page of the list, read for names only (a scan)."""
        data = await self._t.request(
            "GET",
            "Powerpack/",
            what="Powerpack list",
            params={"limit": PAGE_SIZE, "offset": page_no * PAGE_SIZE},
        )
        page = _parse(NamePage, data, "the Powerpack list")
        self._pages = _page_count(page)
        return page

    async def get_powerpack(self, uuid: str) -> Powerpack:
        data = await self._t.request(
            "GET", f"Powerpack/{_segment(uuid)}/", what=f"Powerpack '{uuid}'"
        )
        return _parse(Powerpack, data, f"Powerpack '{uuid}'")

    async def create_powerpack(self, fields: Mapping[str, Any]) -> Powerpack:
        data = await self._t.request("POST", "Powerpack/", what="Powerpack", body=fields)
        return _parse(Powerpack, data, "the new Powerpack")

    async def update_powerpack(
        self, uuid: str, fields: Mapping[str, Any], *, name: str | None = None
    ) -> Powerpack:
        """`name`: the Powerpack's name before the change, if known (a rename forgets it)."""
        data = await self._t.request(
            "POST", f"Powerpack/{_segment(uuid)}/", what=f"Powerpack '{uuid}'", body=fields
        )
        updated = _parse(Powerpack, data, f"the updated Powerpack '{uuid}'")
        if name is not None and name != updated.name:
            await self._names.forget(name)
        await self._names.put(updated.name, updated.uuid)
        return updated

    async def delete_powerpack(
        self, uuid: str, *, unrent_numbers: bool, name: str | None = None
    ) -> None:
        """`name`: the Powerpack's name, if known, forgotten with it."""
        await self._t.request(
            "DELETE",
            f"Powerpack/{_segment(uuid)}/",
            what=f"Powerpack '{uuid}'",
            body={"unrent_numbers": unrent_numbers},
        )
        if name is not None:
            await self._names.forget(name)

    async def resolve_powerpack(
        self, ref: str, progress: Progress | None = None, *, fresh: bool = False
    ) -> Powerpack:
        """A Powerpack by UUID or by exact name (names are unique per account).

        `fresh`: find the name by scanning, never from a remembered UUID (for actions that
        unrent numbers: what a person confirms must be looked up now)."""
        if looks_like_uuid(ref):
            try:
                return await self.get_powerpack(ref)
            except NotFound:
                pass  # A name may look like a UUID; fall through to the name scan.
        return await self.find_powerpack_by_name(ref, progress, fresh=fresh)

    async def find_powerpack_by_name(
        self, name: str, progress: Progress | None = None, *, fresh: bool = False
    ) -> Powerpack:
        """The remembered UUID, proven by one GET; else a scan of the list pages."""
        if not fresh and (known := await self._remembered(name)) is not None:
            return known
        listed = await self._scan(name, progress)
        # List objects lack number_priority: fetch the whole Powerpack.
        pack = await self.get_powerpack(listed.uuid)
        if pack.name != name:  # renamed between the scan and the GET
            raise PowerpackNotFound(name)
        await self._names.put(name, pack.uuid)
        return pack

    async def _remembered(self, name: str) -> Powerpack | None:
        """The Powerpack the name was last seen with, if it still has that exact name."""
        uuid = await self._names.get(name)
        if uuid is None:
            return None
        try:
            pack = await self.get_powerpack(uuid)
        except NotFound:
            pack = None  # deleted since
        if pack is None or pack.name != name:
            await self._names.forget(name)
            return None
        return pack

    async def _scan(self, name: str, progress: Progress | None) -> ListedName:
        """Pages several at once, stopping as soon as the name is seen: a first round sized
        by what the list was last seen to hold (8 pages if never), then the rest of what the
        answers count. The transport's bound keeps at most 8 requests in flight."""
        first_round = min(FIRST_ROUND, self._pages or FIRST_ROUND)
        scan = _NameScan(name, pages=first_round)
        async with together() as tg:

            async def fetch(page_no: int) -> None:
                try:
                    page = await self._name_page(page_no)
                except PlivoError as exc:
                    scan.error = exc
                    tg.cancel_scope.cancel()
                    return
                if scan.see(page):
                    tg.cancel_scope.cancel()
                    return
                for later in scan.more(_page_count(page)):
                    tg.start_soon(fetch, later)
                if progress is not None:
                    # Shielded: a hit on another page must not swallow a report already due.
                    with anyio.CancelScope(shield=True):
                        await progress(min(scan.done, scan.pages), scan.pages)

            for page_no in range(first_round):
                tg.start_soon(fetch, page_no)
        if scan.error is not None:
            raise scan.error
        if scan.found is None:
            raise PowerpackNotFound(name, scan.near)
        return scan.found

    # Number pools -------------------------------------------------------------------------

    async def list_pool_numbers(
        self, pool_uuid: str, *, limit: int = PAGE_SIZE, offset: int = 0, **filters: str
    ) -> PoolNumberPage:
        params: dict[str, str | int] = {"limit": limit, "offset": offset, **filters}
        data = await self._t.request(
            "GET", f"NumberPool/{_segment(pool_uuid)}/Number/", what="Number pool", params=params
        )
        return _parse(PoolNumberPage, data, "the number pool's list")

    async def all_pool_numbers(self, pool_uuid: str) -> list[PoolNumber]:
        """Every number in a pool (all pages), for previews that must be complete.

        A preview decides what is unrented, so anything short of a whole, consistent
        listing is an error rather than a smaller list."""
        first = await self.list_pool_numbers(pool_uuid)
        total = first.meta.total_count
        offsets = range(PAGE_SIZE, total, PAGE_SIZE)
        pages: dict[int, PoolNumberPage] = {0: first}
        async with together() as tg:

            async def fetch(offset: int) -> None:
                pages[offset] = await self.list_pool_numbers(pool_uuid, offset=offset)

            for offset in offsets:
                tg.start_soon(fetch, offset)
        numbers = [number for offset in sorted(pages) for number in pages[offset].objects]
        if len({number.number for number in numbers}) != len(numbers) or len(numbers) != total:
            raise UnexpectedAnswer(
                f"the number pool lists {len(numbers)} numbers where it counts {total}"
                " (the pool may have changed while it was read); nothing was changed"
            )
        return numbers

    async def all_shortcodes(self, pool_uuid: str) -> list[Shortcode]:
        """Every short code in a pool; at most two exist (one US, one CA), so one page."""
        page = await self.list_shortcodes(pool_uuid)
        if len(page.objects) != page.meta.total_count:
            raise UnexpectedAnswer(
                f"the number pool lists {len(page.objects)} short codes where it counts "
                f"{page.meta.total_count}; nothing was changed"
            )
        return page.objects

    async def list_shortcodes(
        self, pool_uuid: str, *, limit: int = PAGE_SIZE, offset: int = 0
    ) -> ShortcodePage:
        data = await self._t.request(
            "GET",
            f"NumberPool/{_segment(pool_uuid)}/Shortcode/",
            what="Number pool",
            params={"limit": limit, "offset": offset},
        )
        return _parse(ShortcodePage, data, "the number pool's short codes")

    async def add_pool_number(
        self, pool_uuid: str, number: str, *, service: str, toll_free: bool
    ) -> PoolNumber:
        data = await self._t.request(
            "POST",
            _member_path(pool_uuid, number, toll_free=toll_free),
            what=f"Number {number}",
            body={"service": service},
        )
        return _parse(PoolNumber, data, f"the number {number} just added")

    async def remove_pool_number(
        self, pool_uuid: str, number: str, *, unrent: bool, toll_free: bool
    ) -> None:
        """Take a number out of the pool; with `unrent` the account gives it up too."""
        await self._t.request(
            "DELETE",
            _member_path(pool_uuid, number, toll_free=toll_free),
            what=f"Number {number} in this Powerpack's pool",
            body={"unrent": unrent},
        )

    async def get_pool_number(self, pool_uuid: str, number: str) -> PoolNumber:
        data = await self._t.request(
            "GET",
            _member_path(pool_uuid, number, toll_free=False),
            what=f"Number {number} in this Powerpack's pool",
        )
        return _parse(PoolNumber, data, f"the number {number}")

    async def get_account_number(self, number: str) -> AccountNumber:
        """A number the account rents (404 when it does not)."""
        data = await self._t.request(
            "GET", f"Number/{_segment(number)}/", what=f"Number {number} in this account"
        )
        return _parse(AccountNumber, data, f"the account's number {number}")

    async def list_account_numbers(
        self,
        *,
        limit: int = PAGE_SIZE,
        offset: int = 0,
        type: str | None = None,
        number_startswith: str | None = None,
        services: str | None = None,
    ) -> AccountNumberPage:
        """One page of the numbers the account rents; the filters are Plivo's own (`type` as
        plivo-python sends it, toll-free spelled "tollfree"; `services` comma-separated)."""
        filters = {"type": type, "number_startswith": number_startswith, "services": services}
        params: dict[str, str | int] = {"limit": limit, "offset": offset}
        params |= {key: value for key, value in filters.items() if value}
        if type is not None:
            params["type"] = "tollfree" if is_toll_free(type) else type
        data = await self._t.request("GET", "Number/", what="Account numbers", params=params)
        return _parse(AccountNumberPage, data, "the account's numbers")

    async def remove_shortcode(self, pool_uuid: str, shortcode: str) -> None:
        await self._t.request(
            "DELETE",
            f"NumberPool/{_segment(pool_uuid)}/Shortcode/{_segment(shortcode)}/",
            what=f"Short code {shortcode} in this Powerpack's pool",
        )


def _page_count(page: PowerpackPage | NamePage) -> int:
    return max(1, math.ceil(page.meta.total_count / PAGE_SIZE))


class _NameScan:
    """What a name scan has seen so far."""

    def __init__(self, name: str, pages: int) -> None:
        self.name = name
        self.asked = pages  # pages asked for so far
        self.pages = pages  # the list's length in pages, as the last answer counts it
        self.done = 0
        self.found: ListedName | None = None
        self.error: PlivoError | None = None
        self.near: list[str] = []

    def see(self, page: NamePage) -> bool:
        self.done += 1
        for powerpack in page.objects:
            if powerpack.name == self.name:
                self.found = powerpack
                return True
            if powerpack.name.casefold() == self.name.casefold():
                self.near.append(powerpack.name)
        return False

    def more(self, pages: int) -> range:
        """The pages still to ask for, now that an answer counts `pages`."""
        start, self.pages = self.asked, pages
        self.asked = max(self.asked, pages)
        return range(start, self.asked)


@asynccontextmanager
async def open_client(
    credentials: Credentials,
    *,
    api_url: str,
    request_timeout: float,
    max_in_flight: int = 8,
    transport: httpx.AsyncBaseTransport | None = None,
    budget: RequestBudget | None = None,
    observer: Observer = SILENT,
    names: Names | None = None,
) -> AsyncIterator[PlivoClient]:
    """One pooled HTTP client for the server's lifetime, so connections are reused.

    `budget`: the account's request budget (default: Plivo's 300 per 5 s, in this process);
    the client closes it when it closes. `names`: where name -> UUID hints are kept
    (default: this process)."""
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

    secrets = secret_forms(credentials.auth_id, credentials.auth_token.get_secret_value())
    upstream = Transport(
        connect,
        timeout=request_timeout,
        max_in_flight=max_in_flight,
        secrets=secrets,
        budget=budget,
        observer=observer,
    )
    try:
        yield PlivoClient(upstream, names)
    finally:
        await upstream.aclose()
