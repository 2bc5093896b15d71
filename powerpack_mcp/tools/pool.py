"""Tools for a Powerpack's number pool: list its numbers, add or take out one or many."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated, Any, Literal

from mcp.server.apps import client_supports_apps
from mcp.server.mcpserver import Context, Elicit, Resolve
from mcp.server.mcpserver.exceptions import ToolError
from mcp.types import CallToolResult
from pydantic import BaseModel, Field

from ..guard import (
    Answer,
    Approval,
    ConfirmByName,
    ConfirmByNumber,
    Guard,
    NotAsked,
    NumberAnswer,
    Outcome,
    Preview,
    Unconfirmed,
    approved_unrent,
    e164,
)
from ..plivo import InvalidRequest, NotFound, PlivoClient, PoolNumber, Powerpack, Shortcode
from ..plivo.models import NumberType, PoolNumberPage, ShortcodePage
from ..plivo.together import together
from ..views import CONFIRM_URI, POWERPACK_URI, card_meta, display_meta
from .base import AppContext, ToolSpec, app, page_position, plivo_errors, result
from .inputs import ConfirmationToken, Country, Limit, Offset, PowerpackRef, Service
from .numbers import PhoneNumber, PoolMember, is_shortcode, phone_number
from .numbers_bulk import NumberResult, Numbers, Outcomes, add_many, remove_many, unrent_outcomes
from .powerpacks import resolve

Prefix = Annotated[str, Field(pattern=r"^\d{1,10}$", description="e.g. 415")]


class PoolListing(BaseModel):
    """One page of a pool's phone numbers, plus its short codes. Follow next_offset."""

    powerpack_uuid: str
    powerpack_name: str
    numbers: list[PoolNumber]
    shortcodes: list[Shortcode] = Field(
        description="Short codes linked to the pool (at most one US and one CA)."
    )
    total_count: int
    limit: int
    offset: int
    has_more: bool
    next_offset: int | None


class PoolAdd(BaseModel):
    """What add_pool_number did."""

    status: Literal["added", "partial", "unchanged"]
    powerpack_uuid: str
    powerpack_name: str
    number: str | None = Field(default=None, exclude_if=lambda v: v is None)
    results: list[NumberResult] | None = Field(
        default=None, exclude_if=lambda v: v is None, description="Per number, for a list."
    )
    message: str


class PoolChange(Unconfirmed):
    """What add_pool_number or remove_pool_number did, or why it did nothing."""

    status: Literal["removed", "partial", "unchanged", "cancelled", "confirmation_required"]
    powerpack_uuid: str
    powerpack_name: str
    number: str | None = Field(default=None, exclude_if=lambda v: v is None)
    results: list[NumberResult] | None = Field(
        default=None, exclude_if=lambda v: v is None, description="Per number, for a list."
    )
    unrented: bool = False
    message: str


@plivo_errors
async def list_pool_numbers(
    ctx: Context[Any],
    powerpack: PowerpackRef,
    type: Annotated[  # Plivo's own name for the filter
        NumberType | None, Field()
    ] = None,
    service: Service | None = None,
    country_iso2: Annotated[Country | None, Field(description="e.g. US")] = None,
    starts_with: Annotated[
        list[Prefix] | None,
        Field(
            min_length=1,
            max_length=10,
            description="Only numbers whose national part starts with one of these; "
            "needs country_iso2.",
        ),
    ] = None,
    limit: Limit = 20,
    offset: Offset = 0,
) -> Annotated[CallToolResult, PoolListing]:
    if starts_with and country_iso2 is None:
        raise ToolError("starts_with needs country_iso2: prefixes are national, e.g. US + 415.")
    filters = {"type": type, "service": service, "country_iso2": country_iso2}
    query = {key: value for key, value in filters.items() if value is not None}
    if starts_with:
        query["starts_with"] = ",".join(starts_with)
    pack = await resolve(ctx, powerpack)
    plivo, pool = app(ctx).plivo, _pool(pack)
    numbers: PoolNumberPage | None = None
    codes: ShortcodePage | None = None

    async def fetch_numbers() -> None:
        nonlocal numbers
        numbers = await plivo.list_pool_numbers(pool, limit=limit, offset=offset, **query)

    async def fetch_codes() -> None:
        nonlocal codes
        codes = await plivo.list_shortcodes(pool)

    async with together() as tg:
        tg.start_soon(fetch_numbers)
        tg.start_soon(fetch_codes)
    assert numbers is not None
    assert codes is not None
    listing = PoolListing(
        powerpack_uuid=pack.uuid,
        powerpack_name=pack.name,
        numbers=numbers.objects,
        shortcodes=codes.objects,
        **page_position(numbers.meta, len(numbers.objects)),
    )
    if not client_supports_apps(ctx):
        return result(listing)
    return result(listing, display_meta([n.number for n in listing.numbers]))


@plivo_errors
async def add_pool_number(
    ctx: Context[Any],
    powerpack: PowerpackRef,
    number: PhoneNumber | None = None,
    numbers: Numbers | None = None,
    service: Annotated[Service, Field(description="What the numbers send: sms or mms.")] = "sms",
) -> PoolAdd:
    context = app(ctx)
    one_or_many(number, numbers)
    pack = await resolve(ctx, powerpack)
    pool = _pool(pack)
    if numbers is not None:
        outcomes = await add_many(context, pack, pool, numbers, service)
        return PoolAdd(
            status=outcomes.status("added"),
            powerpack_uuid=pack.uuid,
            powerpack_name=pack.name,
            results=outcomes.answer(),
            message=outcomes.message("Added", pack),
        )
    assert number is not None
    not_rented = ToolError(
        f"The account does not rent {e164(number)}, so it cannot join a pool. This server "
        "adds numbers the account already rents; it does not buy numbers."
    )
    try:
        # The inventory says whether the account rents it, and whether it is toll-free.
        rented = await context.plivo.get_account_number(number)
    except NotFound:
        raise not_rented from None
    arguments = {"number": number, "service": service}
    async with context.audit.change("add_pool_number", target=pack.uuid, arguments=arguments):
        try:
            added = await context.plivo.add_pool_number(
                pool, number, service=service, toll_free=rented.toll_free
            )
        except (NotFound, InvalidRequest) as exc:
            if isinstance(exc, NotFound) or "not rented" in exc.detail.lower():
                raise not_rented from None
            raise
    return PoolAdd(
        status="added",
        powerpack_uuid=pack.uuid,
        powerpack_name=pack.name,
        number=added.number,
        message=f"Added {e164(added.number)} ({service}) to Powerpack '{pack.name}'.",
    )


@plivo_errors
async def _removal_preview(
    ctx: Context[Any],
    powerpack: str,
    number: str | None = None,
    numbers: list[str] | None = None,
    unrent: bool = False,
) -> Preview | NotAsked:
    """Resolver: the preview a person is shown (only when a person will be asked)."""
    if number is None or numbers is not None or not unrent or is_shortcode(number):
        return NotAsked()
    return await _if_asked(
        ctx, powerpack, lambda guard, plivo, pack: guard.preview_removal(plivo, pack, number)
    )


@plivo_errors
async def _bulk_preview(
    ctx: Context[Any],
    powerpack: str,
    number: str | None = None,
    numbers: list[str] | None = None,
    unrent: bool = False,
) -> Preview | NotAsked:
    """Resolver: the whole list a person is shown, once, before several numbers are unrented."""
    if numbers is None or number is not None or not unrent:
        return NotAsked()
    return await _if_asked(
        ctx,
        powerpack,
        lambda guard, plivo, pack: guard.preview_bulk_removal(plivo, pack, unrent_list(numbers)),
    )


async def _if_asked(
    ctx: Context[Any],
    powerpack: str,
    preview: Callable[[Guard, PlivoClient, Powerpack], Awaitable[Preview]],
) -> Preview | NotAsked:
    """The preview for the form, read afresh (never from a name hint), if a form is shown."""
    context = app(ctx)
    if not context.guard.wants_question(ctx):
        return NotAsked()
    pack = await context.plivo.resolve_powerpack(powerpack, fresh=True)
    return await preview(context.guard, context.plivo, pack)


async def _ask_bulk(
    ctx: Context[Any], shown: Annotated[Preview | NotAsked, Resolve(_bulk_preview)]
) -> Elicit[ConfirmByName] | NotAsked:
    """Resolver: the form in which a person types the Powerpack's name to confirm the list."""
    if isinstance(shown, NotAsked):
        return NotAsked()
    return Elicit(app(ctx).guard.question(shown), ConfirmByName)


async def _ask_removal(
    ctx: Context[Any], shown: Annotated[Preview | NotAsked, Resolve(_removal_preview)]
) -> Elicit[ConfirmByNumber] | NotAsked:
    """Resolver: the form in which a person types the number to confirm."""
    if isinstance(shown, NotAsked):
        return NotAsked()
    return Elicit(app(ctx).guard.question(shown), ConfirmByNumber)


@plivo_errors
async def remove_pool_number(
    ctx: Context[Any],
    # Filled by the confirmation guard's resolvers, never by the model (not in the schema).
    shown: Annotated[Preview | NotAsked, Resolve(_removal_preview)],
    answer: Annotated[NumberAnswer, Resolve(_ask_removal)],
    bulk_shown: Annotated[Preview | NotAsked, Resolve(_bulk_preview)],
    bulk_answer: Annotated[Answer, Resolve(_ask_bulk)],
    powerpack: PowerpackRef,
    number: PoolMember | None = None,
    numbers: Numbers | None = None,
    unrent: Annotated[
        bool,
        Field(
            description=(
                "true: the numbers are unrented too (a person must confirm, once for a whole "
                "list; never for short codes); false: they stay rented."
            )
        ),
    ] = False,
    confirmation_token: ConfirmationToken = None,
) -> Annotated[CallToolResult, PoolChange]:
    one_or_many(number, numbers)
    if numbers is not None:
        return await _remove_many(
            ctx, powerpack, numbers, unrent, bulk_shown, bulk_answer, confirmation_token
        )
    assert number is not None
    if unrent and is_shortcode(number):
        raise ToolError(
            f"{number} is a short code: short codes are only unlinked from a pool, never "
            "unrented. Call again with unrent=false to unlink it."
        )
    context = app(ctx)
    pack = await resolve(ctx, powerpack, fresh=unrent)
    if unrent:
        preview = await context.guard.preview_removal(context.plivo, pack, number)
        decision = await context.guard.decide(
            ctx,
            preview,
            answer=answer,
            shown=shown,
            token=confirmation_token,
            arguments={"number": number, "unrent": True},
        )
        if isinstance(decision, Outcome):
            return _not_yet(pack, number, decision)
        return result(await unrent_number(context, pack, decision))
    arguments = {"number": number, "unrent": False}
    if is_shortcode(number):
        async with context.audit.change(
            "remove_pool_number", target=pack.uuid, arguments=arguments
        ):
            await context.plivo.remove_shortcode(_pool(pack), number)
    else:
        member = await context.plivo.get_pool_number(_pool(pack), number)
        async with context.audit.change(
            "remove_pool_number", target=pack.uuid, arguments=arguments
        ):
            await context.plivo.remove_pool_number(
                _pool(pack), number, unrent=False, toll_free=member.toll_free
            )
    removed = PoolChange(
        status="removed",
        powerpack_uuid=pack.uuid,
        powerpack_name=pack.name,
        number=number,
        message=f"Removed {e164(number)} from Powerpack '{pack.name}'; it stays in the account.",
    )
    return result(removed)


async def unrent_number(context: AppContext, pack: Powerpack, approval: Approval) -> PoolChange:
    preview = approval.preview
    number = preview.numbers[0]
    arguments = {"number": number, "unrent": True}
    async with approved_unrent(
        context.audit, context.plivo, approval, target=preview.target, arguments=arguments
    ) as (report, _):
        if not report.complete:
            raise ToolError(report.summary())
    return PoolChange(
        status="removed",
        powerpack_uuid=pack.uuid,
        powerpack_name=pack.name,
        number=number,
        unrented=True,
        message=(
            f"Removed {e164(number)} from Powerpack '{pack.name}' and unrented it. Plivo "
            "returns it to the carrier after 10 days."
        ),
    )


async def _remove_many(
    ctx: Context[Any],
    powerpack: str,
    numbers: list[str],
    unrent: bool,
    shown: Preview | NotAsked,
    answer: Answer,
    token: str | None,
) -> CallToolResult:
    context = app(ctx)
    pack = await resolve(ctx, powerpack, fresh=unrent)
    if not unrent:
        outcomes = await remove_many(context, pack, _pool(pack), numbers)
        removed = PoolChange(
            status=outcomes.status("removed"),
            powerpack_uuid=pack.uuid,
            powerpack_name=pack.name,
            results=outcomes.answer(),
            message=outcomes.message("Removed (still rented)", pack),
        )
        return result(removed)
    listed = unrent_list(numbers)
    preview = await context.guard.preview_bulk_removal(context.plivo, pack, listed)
    decision = await context.guard.decide(
        ctx,
        preview,
        answer=answer,
        shown=shown,
        token=token,
        arguments={"numbers": list(preview.numbers), "unrent": True},
    )
    if isinstance(decision, Outcome):
        return _not_yet(pack, None, decision)
    return result(await unrent_numbers(context, pack, decision))


def unrent_list(raw: list[str]) -> list[str]:
    """The numbers to unrent, normalised; refuses the whole list if one is not a phone
    number, so the person confirms exactly what was asked for."""
    outcomes = Outcomes(raw, phone_number)
    bad = [r.number for r in outcomes.results.values() if r.result == "invalid"]
    if bad:
        raise ToolError(
            f"Refused, nothing was sent: not phone numbers: {', '.join(bad)}. Short codes are "
            "never unrented (remove them with unrent=false); fix the list and call again."
        )
    return outcomes.valid


async def unrent_numbers(context: AppContext, pack: Powerpack, approval: Approval) -> PoolChange:
    """Unrent exactly the approved list, one guarded action, answered number by number."""
    preview = approval.preview
    arguments = {"numbers": list(preview.numbers), "unrent": True}
    async with approved_unrent(
        context.audit, context.plivo, approval, target=preview.target, arguments=arguments
    ) as (report, _):
        pass
    outcomes = unrent_outcomes(preview.numbers, report)
    return PoolChange(
        status=outcomes.status("removed"),
        powerpack_uuid=pack.uuid,
        powerpack_name=pack.name,
        results=outcomes.answer(),
        unrented=bool(report.unrented),
        message=outcomes.message("Removed and unrented", pack)
        + " Plivo returns unrented numbers to the carrier after 10 days.",
    )


def one_or_many(number: str | None, numbers: list[str] | None) -> None:
    if (number is None) == (numbers is None):
        raise ToolError("Give either number (one) or numbers (a list of up to 100), not both.")


def _not_yet(pack: Powerpack, number: str | None, outcome: Outcome) -> CallToolResult:
    answer = PoolChange(
        powerpack_uuid=pack.uuid,
        powerpack_name=pack.name,
        number=number,
        **Unconfirmed.fields(outcome),
    )
    return result(answer, None if outcome.card is None else card_meta(outcome.card))


def _pool(pack: Powerpack) -> str:
    if not pack.number_pool_uuid:
        raise ToolError(f"Powerpack '{pack.name}' has no number pool.")
    return pack.number_pool_uuid


TOOLS = [
    ToolSpec(
        fn=list_pool_numbers,
        name="list_pool_numbers",
        title="List a Powerpack's numbers",
        description=(
            "Lists the phone numbers (long codes and toll-free) in a Powerpack's pool, a page "
            "at a time, and the pool's short codes. When has_more is true, call again with "
            "offset=next_offset."
        ),
        read_only=True,
        destructive=False,
        idempotent=True,
        view=POWERPACK_URI,
    ),
    ToolSpec(
        fn=add_pool_number,
        name="add_pool_number",
        title="Add numbers to a Powerpack",
        description=(
            "Adds phone numbers the account already rents (long code or toll-free) to a "
            "Powerpack's pool: one (number) or up to 100 (numbers; list_account_numbers with "
            "spare_only=true finds them). It never buys numbers. A number "
            "is in one Powerpack at a time; short codes cannot be added."
        ),
        read_only=False,
        destructive=False,
        idempotent=False,
    ),
    ToolSpec(
        fn=remove_pool_number,
        name="remove_pool_number",
        title="Remove a number from a Powerpack",
        description=(
            "Takes phone numbers or short codes out of a Powerpack's pool: one (number) or up "
            "to 100 (numbers); by default they stay rented. unrent=true also unrents the phone "
            "numbers: Plivo releases them to the carrier after 10 days, for good. A person, "
            "never the model, must confirm that (once for a list) in a form or card: show the "
            "user the answer's preview. Short codes are only unlinked, never unrented."
        ),
        read_only=False,
        destructive=True,
        idempotent=False,
        view=CONFIRM_URI,
    ),
]
