"""The numbers the account rents (Plivo's Number/ API), and which of them are spare.

Plivo's Number/ list filters by type, leading digits and services, but knows no country and
no pool: a number's Powerpack is known only from the pools. So a listing that needs either
reads everything it needs first (every page of the account's numbers, every Powerpack's
pool), filters here, and pages over that result; it says what it read. A pool it cannot
read is an error, never "spare": a number is spare exactly when no pool lists it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Annotated, Any, Literal, TypeVar

from mcp.server.mcpserver import Context
from pydantic import BaseModel, Field

from ..plivo import AccountNumber, PlivoClient, Powerpack
from ..plivo.client import PAGE_SIZE
from ..plivo.errors import UnexpectedAnswer
from ..plivo.together import together
from .base import ToolSpec, app, plivo_errors
from .inputs import Country, Offset

T = TypeVar("T")
AccountType = Literal["local", "fixed", "mobile", "national", "toll-free"]
AccountService = Literal["voice", "sms", "mms"]
SERVICES: tuple[AccountService, ...] = ("voice", "sms", "mms")
MAX_PAGE = 100


class RentedNumber(BaseModel):
    """A number the account rents."""

    number: str
    type: str | None = Field(description="local, fixed, mobile, national or toll-free.")
    country: str | None
    region: str | None
    services: list[AccountService] = Field(description="What it can receive.")
    added_on: str | None = Field(description="Rented on (YYYY-MM-DD).")
    spare: bool | None = Field(
        default=None,
        exclude_if=lambda v: v is None,
        description="In no Powerpack's pool. Present only when pools were read.",
    )
    powerpack: str | None = Field(
        default=None,
        exclude_if=lambda v: v is None,
        description="Name of the Powerpack whose pool holds it, when pools were read.",
    )


class AccountNumbers(BaseModel):
    """One page of the account's numbers. Follow next_offset."""

    numbers: list[RentedNumber]
    total_count: int
    limit: int
    offset: int
    has_more: bool
    next_offset: int | None
    read: str = Field(description="What was read from Plivo to answer.")


@dataclass
class Reading:
    """What a listing read from Plivo, for the `read` line."""

    pages: int = 0
    pools: int = 0
    members: dict[str, Powerpack] = field(default_factory=dict)

    def text(self, *, pools: bool) -> str:
        pages = f"{self.pages} page{'s' * (self.pages != 1)} of the account's numbers"
        if not pools:
            return f"Read {pages}."
        return (
            f"Read {pages} and {self.pools} pool{'s' * (self.pools != 1)} (every Powerpack's), "
            "as they were while read."
        )


async def pool_members(plivo: PlivoClient, reading: Reading) -> None:
    """Every pooled number and its Powerpack: all Powerpacks, then each one's whole pool.
    The transport bounds how many requests are in flight at once."""
    packs = await all_powerpacks(plivo)

    async def read(pack: Powerpack) -> None:
        if not pack.number_pool_uuid:
            raise UnexpectedAnswer(
                f"Powerpack '{pack.name}' names no number pool, so which numbers are spare "
                "cannot be known"
            )
        for member in await plivo.all_pool_numbers(pack.number_pool_uuid):
            reading.members[member.number] = pack
        reading.pools += 1

    async with together() as tg:
        for pack in packs:
            tg.start_soon(read, pack)


async def all_powerpacks(plivo: PlivoClient) -> list[Powerpack]:
    first = await plivo.list_powerpacks()
    pages = {0: first.objects}

    async def fetch(offset: int) -> None:
        pages[offset] = (await plivo.list_powerpacks(offset=offset)).objects

    async with together() as tg:
        for offset in range(PAGE_SIZE, first.meta.total_count, PAGE_SIZE):
            tg.start_soon(fetch, offset)
    packs = [pack for offset in sorted(pages) for pack in pages[offset]]
    if len({pack.uuid for pack in packs}) != first.meta.total_count:
        raise UnexpectedAnswer(
            "the Powerpack list changed while it was read, so pools may be missing: try again"
        )
    return packs


async def numbers_range(
    plivo: PlivoClient, reading: Reading, start: int, stop: int | None, filters: dict[str, str]
) -> tuple[list[AccountNumber], int]:
    """The account's numbers from `start` to `stop` (None: to the end), Plivo-filtered,
    and the total; the pages after the first are read at once."""
    first = await plivo.list_account_numbers(offset=start, limit=PAGE_SIZE, **filters)
    reading.pages += 1
    total = first.meta.total_count
    end = total if stop is None else min(stop, total)
    pages = {start: first.objects}

    async def fetch(offset: int) -> None:
        size = min(PAGE_SIZE, end - offset)
        page = await plivo.list_account_numbers(offset=offset, limit=size, **filters)
        pages[offset] = page.objects
        reading.pages += 1

    async with together() as tg:
        for offset in range(start + PAGE_SIZE, end, PAGE_SIZE):
            tg.start_soon(fetch, offset)
    numbers = [n for offset in sorted(pages) for n in pages[offset]][: max(0, end - start)]
    if stop is None and len({n.number for n in numbers}) != max(0, total - start):
        raise UnexpectedAnswer(
            f"the account lists {len(numbers)} numbers where it counts {total} (they changed "
            "while read): try again"
        )
    return numbers, total


def country_of(number: str) -> str | None:
    """The ISO country of a number (Plivo's Number/ objects name the country only)."""
    import phonenumbers  # loaded only when a country is asked for

    try:
        parsed = phonenumbers.parse(f"+{number}")
    except phonenumbers.NumberParseException:
        return None
    return phonenumbers.region_code_for_number(parsed)


def calling_code(country: str) -> str:
    import phonenumbers

    return str(phonenumbers.country_code_for_region(country) or "")


def entry(number: AccountNumber, reading: Reading | None) -> RentedNumber:
    offered = (number.voice_enabled, number.sms_enabled, number.mms_enabled)
    services = [service for service, on in zip(SERVICES, offered, strict=True) if on]
    pack = reading.members.get(number.number) if reading is not None else None
    return RentedNumber(
        number=number.number,
        type=number.kind,
        country=number.country,
        region=number.region,
        services=services,
        added_on=number.added_on.isoformat() if number.added_on else None,
        spare=None if reading is None else pack is None,
        powerpack=None if pack is None else pack.name,
    )


def _wanted(
    number: AccountNumber,
    country: str | None,
    region: str | None,
    pooled: dict[str, Powerpack] | None,
) -> bool:
    """The filters applied here: country, region, and (given the pools) in no pool."""
    if country is not None and country_of(number.number) != country:
        return False
    if region is not None and region.casefold() not in (number.region or "").casefold():
        return False
    return pooled is None or number.number not in pooled


@plivo_errors
async def list_account_numbers(
    ctx: Context[Any],
    spare_only: Annotated[bool, Field(description="Only numbers in no Powerpack's pool.")] = False,
    with_powerpack: Annotated[bool, Field(description="Name each number's Powerpack.")] = False,
    type: AccountType | None = None,
    country_iso2: Annotated[Country | None, Field(description="e.g. US")] = None,
    region: Annotated[
        str | None,
        Field(min_length=2, max_length=64, description="Contains this, e.g. Texas."),
    ] = None,
    number_startswith: Annotated[
        str | None,
        Field(pattern=r"^\+?\d{1,15}$", description="Country code first, e.g. 1512."),
    ] = None,
    services: Annotated[
        list[AccountService] | None,
        Field(min_length=1, max_length=3, description="Offers all of these."),
    ] = None,
    limit: Annotated[int, Field(ge=1, le=MAX_PAGE)] = 20,
    offset: Offset = 0,
) -> AccountNumbers:
    plivo = app(ctx).plivo
    prefix = (number_startswith or "").lstrip("+")
    if country_iso2 is not None and not prefix:
        prefix = calling_code(country_iso2)  # narrows Plivo's answer; the country is checked here
    filters = {
        "type": type or "",
        "number_startswith": prefix,
        "services": ",".join(services or []),
    }
    filters = {key: value for key, value in filters.items() if value}
    reading = Reading()
    pools = spare_only or with_powerpack
    # Filters Plivo cannot apply need every number first, so the pages are ours to cut.
    complete = spare_only or country_iso2 is not None or region is not None
    async with together() as tg:
        if pools:
            tg.start_soon(pool_members, plivo, reading)
        start, stop = (0, None) if complete else (offset, offset + limit)
        numbers, total = await numbers_range(plivo, reading, start, stop, filters)
    if complete:
        spare = reading.members if spare_only else None
        numbers = [n for n in numbers if _wanted(n, country_iso2, region, spare)]
        total, numbers = len(numbers), numbers[offset : offset + limit]
    end = offset + len(numbers)
    return AccountNumbers(
        numbers=[entry(n, reading if pools else None) for n in numbers],
        total_count=total,
        limit=limit,
        offset=offset,
        has_more=end < total,
        next_offset=end if end < total else None,
        read=reading.text(pools=pools),
    )


TOOLS = [
    ToolSpec(
        fn=list_account_numbers,
        name="list_account_numbers",
        title="List the account's numbers",
        description=(
            "Lists the phone numbers the account rents, a page at a time, filtered. "
            "spare_only=true: only those in no Powerpack's pool, ready for "
            "add_pool_number(numbers=[...]). spare_only and with_powerpack read every pool; "
            "`read` says what was read."
        ),
        read_only=True,
        destructive=False,
        idempotent=True,
    ),
]
