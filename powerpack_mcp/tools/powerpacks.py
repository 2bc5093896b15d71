"""Tools for Powerpacks themselves: list, get, create, update, delete."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from mcp.server.mcpserver import Context, Elicit, Resolve
from mcp.server.mcpserver.exceptions import ToolError
from mcp.types import CallToolResult
from pydantic import BaseModel, Field

from ..guard import (
    Answer,
    Approval,
    ConfirmByName,
    NotAsked,
    Outcome,
    Preview,
    Unconfirmed,
    approved_unrent,
)
from ..plivo import NumberPriority, PlivoError, Powerpack
from ..views import CONFIRM_URI, POWERPACK_URI, card_meta
from .base import (
    AppContext,
    ToolSpec,
    app,
    page_position,
    plivo_errors,
    progress_reporter,
    result,
)
from .inputs import (
    AppId,
    AppType,
    ConfirmationToken,
    Limit,
    LocalConnect,
    Offset,
    PowerpackName,
    PowerpackRef,
    Priorities,
    StickySender,
)


class PowerpackList(BaseModel):
    """One page of Powerpacks. If has_more, call again with offset=next_offset."""

    powerpacks: list[Powerpack]
    total_count: int
    limit: int
    offset: int
    has_more: bool
    next_offset: int | None


class DeleteResult(Unconfirmed):
    """What delete_powerpack did, or why it did nothing."""

    status: Literal["deleted", "cancelled", "confirmation_required"]
    uuid: str
    name: str
    unrent_numbers: bool
    numbers_unrented: list[str] = Field(default_factory=list)
    message: str


async def resolve(ctx: Context[Any], ref: str, *, fresh: bool = False) -> Powerpack:
    """A Powerpack by UUID or exact name, with progress while scanning names. `fresh` for
    actions that unrent: the name is looked up now, never taken from a remembered UUID."""
    report = progress_reporter(ctx, "Looking up name")
    return await app(ctx).plivo.resolve_powerpack(ref, report, fresh=fresh)


def application_fields(app_type: str | None, app_id: str | None) -> dict[str, str]:
    """Plivo's application rules, checked before anything is sent."""
    if app_id is None:
        if app_type is not None:
            raise ToolError(
                "application_type needs application_id: give the application's ID as well, "
                "or leave both out."
            )
        return {}
    if app_id.strip().lower() == "none":
        return {"application_id": "none"}
    if app_type is None:
        raise ToolError("application_id needs application_type: 'xml' or 'phlo'.")
    return {"application_type": app_type, "application_id": app_id}


def priority_field(items: list[NumberPriority] | None) -> dict[str, Any]:
    if items is None:
        return {}
    seen: set[tuple[str, str]] = set()
    for item in items:
        key = (item.country_iso, item.service_type)
        if key in seen:
            raise ToolError(
                f"number_priority has two items for {key[0]} {key[1]}: "
                "give one item per country and service type."
            )
        seen.add(key)
    return {"number_priority": [item.model_dump() for item in items]}


@plivo_errors
async def list_powerpacks(
    ctx: Context[Any], limit: Limit = 20, offset: Offset = 0
) -> PowerpackList:
    page = await app(ctx).plivo.list_powerpacks(limit=limit, offset=offset)
    return PowerpackList(powerpacks=page.objects, **page_position(page.meta, len(page.objects)))


@plivo_errors
async def get_powerpack(ctx: Context[Any], powerpack: PowerpackRef) -> Powerpack:
    return await resolve(ctx, powerpack)


@plivo_errors
async def create_powerpack(
    ctx: Context[Any],
    name: PowerpackName,
    sticky_sender: StickySender = True,
    local_connect: LocalConnect = True,
    application_type: AppType | None = None,
    application_id: AppId | None = None,
    number_priority: Priorities | None = None,
) -> Powerpack:
    fields = {
        "name": name,
        "sticky_sender": sticky_sender,
        "local_connect": local_connect,
        **application_fields(application_type, application_id),
        **priority_field(number_priority),
    }
    context = app(ctx)
    async with context.audit.change("create_powerpack", target=name, arguments=fields) as change:
        created = await context.plivo.create_powerpack(fields)
        change.result["uuid"] = created.uuid
    return created


@plivo_errors
async def update_powerpack(
    ctx: Context[Any],
    powerpack: PowerpackRef,
    name: PowerpackName | None = None,
    sticky_sender: StickySender | None = None,
    local_connect: LocalConnect | None = None,
    application_type: AppType | None = None,
    application_id: AppId | None = None,
    number_priority: Priorities | None = None,
) -> Powerpack:
    flags = {"sticky_sender": sticky_sender, "local_connect": local_connect, "name": name}
    fields: dict[str, Any] = {key: value for key, value in flags.items() if value is not None}
    fields |= application_fields(application_type, application_id)
    fields |= priority_field(number_priority)
    if not fields:
        raise ToolError(
            "Nothing to change: give at least one of name, sticky_sender, local_connect, "
            "application_type with application_id, or number_priority."
        )
    context = app(ctx)
    current = await resolve(ctx, powerpack)
    async with context.audit.change("update_powerpack", target=current.uuid, arguments=fields):
        return await context.plivo.update_powerpack(current.uuid, fields, name=current.name)


@plivo_errors
async def _delete_preview(
    ctx: Context[Any], powerpack: str, unrent_numbers: bool
) -> Preview | NotAsked:
    """Resolver: the preview a person is shown (only when a person will be asked)."""
    context = app(ctx)
    if not unrent_numbers or not context.guard.wants_question(ctx):
        return NotAsked()
    target = await context.plivo.resolve_powerpack(powerpack, fresh=True)
    return await context.guard.preview_delete(context.plivo, target)


async def _ask_delete(
    ctx: Context[Any], shown: Annotated[Preview | NotAsked, Resolve(_delete_preview)]
) -> Elicit[ConfirmByName] | NotAsked:
    """Resolver: the form in which a person types the Powerpack's name to confirm."""
    if isinstance(shown, NotAsked):
        return NotAsked()
    return Elicit(app(ctx).guard.question(shown), ConfirmByName)


def _not_yet(target: Powerpack, outcome: Outcome) -> CallToolResult:
    answer = DeleteResult(
        uuid=target.uuid, name=target.name, unrent_numbers=True, **Unconfirmed.fields(outcome)
    )
    return result(answer, None if outcome.card is None else card_meta(outcome.card))


@plivo_errors
async def delete_powerpack(
    ctx: Context[Any],
    # Filled by the confirmation guard's resolvers, never by the model (not in the schema).
    shown: Annotated[Preview | NotAsked, Resolve(_delete_preview)],
    answer: Annotated[Answer, Resolve(_ask_delete)],
    powerpack: PowerpackRef,
    unrent_numbers: Annotated[
        bool,
        Field(
            description=(
                "true: every pool number is unrented too (a person must confirm); "
                "false: they stay rented."
            )
        ),
    ] = False,
    confirmation_token: ConfirmationToken = None,
) -> Annotated[CallToolResult, DeleteResult]:
    context = app(ctx)
    target = await resolve(ctx, powerpack, fresh=unrent_numbers)
    if unrent_numbers:
        # Read the pool again right before acting: the person approved what they saw.
        preview = await context.guard.preview_delete(context.plivo, target)
        decision = await context.guard.decide(
            ctx,
            preview,
            answer=answer,
            shown=shown,
            token=confirmation_token,
            arguments={"unrent_numbers": True},
        )
        if isinstance(decision, Outcome):
            return _not_yet(target, decision)
        return result(await unrent_and_delete(context, target, decision))
    async with context.audit.change(
        "delete_powerpack", target=target.uuid, arguments={"unrent_numbers": False}
    ):
        await context.plivo.delete_powerpack(target.uuid, unrent_numbers=False, name=target.name)
    kept = DeleteResult(
        status="deleted",
        uuid=target.uuid,
        name=target.name,
        unrent_numbers=False,
        message=f"Deleted Powerpack '{target.name}'. Its numbers stay rented in the account.",
    )
    return result(kept)


async def unrent_and_delete(
    context: AppContext, target: Powerpack, approval: Approval
) -> DeleteResult:
    """Unrent the approved numbers one by one, then delete the Powerpack keeping the rest.

    If any number is not unrented, the Powerpack stays, so the person can see what is left."""
    async with approved_unrent(
        context.audit,
        context.plivo,
        approval,
        target=target.uuid,
        arguments={"unrent_numbers": True},
    ) as (report, change):
        if not report.complete:
            raise ToolError(
                f"{report.summary()} Powerpack '{target.name}' was kept, so its pool still "
                "shows what is left. Unrenting the rest needs a new confirmation."
            )
        try:
            await context.plivo.delete_powerpack(
                target.uuid, unrent_numbers=False, name=target.name
            )
        except PlivoError as exc:
            change.outcome = "partial"
            raise ToolError(
                f"{report.summary()} Deleting Powerpack '{target.name}' then failed: {exc} "
                "Delete it with unrent_numbers=false; no previewed number is left to unrent."
            ) from None
        change.result["powerpack_deleted"] = True
    unrented = sorted(report.unrented)
    count = len(unrented)
    return DeleteResult(
        status="deleted",
        uuid=target.uuid,
        name=target.name,
        unrent_numbers=True,
        numbers_unrented=unrented,
        message=(
            f"Deleted Powerpack '{target.name}' and unrented {count} "
            f"number{'s' * (count != 1)}, exactly those the person confirmed. Plivo returns "
            f"{'them' if count != 1 else 'it'} to the carrier after 10 days. A number that "
            "joined the pool after the preview was not unrented and stays in the account."
        ),
    )


#: get_powerpack's answer spells out a Powerpack's fields; the others point to it.
_BRIEF = (("Powerpack", "A Powerpack, with the fields get_powerpack describes."),)

TOOLS = [
    ToolSpec(
        fn=list_powerpacks,
        name="list_powerpacks",
        title="List Powerpacks",
        description=(
            "Lists the account's Powerpacks (Plivo sender pools: a message sent with a "
            "Powerpack's UUID goes out from a number in its pool), 20 a page; while has_more "
            "is true, call again with offset=next_offset."
        ),
        read_only=True,
        destructive=False,
        idempotent=True,
        brief_output=_BRIEF,
    ),
    ToolSpec(
        fn=get_powerpack,
        name="get_powerpack",
        title="Get a Powerpack",
        description=(
            "One Powerpack by UUID or exact (case-sensitive) name, with all its settings and "
            "its number_pool_uuid."
        ),
        read_only=True,
        destructive=False,
        idempotent=True,
        view=POWERPACK_URI,
    ),
    ToolSpec(
        fn=create_powerpack,
        name="create_powerpack",
        title="Create a Powerpack",
        description=(
            "Creates a Powerpack with an empty number pool. Sticky Sender and Local Connect "
            "default to on; an application is optional. Each call with a new name creates "
            "one more Powerpack; a name in use is refused."
        ),
        read_only=False,
        destructive=False,
        idempotent=False,
        brief_output=_BRIEF,
    ),
    ToolSpec(
        fn=update_powerpack,
        name="update_powerpack",
        title="Update a Powerpack",
        description=(
            "Changes only the settings given (at least one): name, Sticky Sender, Local "
            "Connect, the application (application_id='none' detaches it), number_priority "
            "(replaced whole). Returns the Powerpack as it now is."
        ),
        read_only=False,
        destructive=True,  # Overwrites settings that senders depend on.
        idempotent=True,
        brief_output=_BRIEF,
        # A model changing priorities edits the list get_powerpack's answer shows.
        brief_input_items=(
            (
                "number_priority",
                "The whole new list, items as in create_powerpack: {country_iso, service_type, "
                "priority: {priority1, priority2, priority3}}.",
            ),
        ),
    ),
    ToolSpec(
        fn=delete_powerpack,
        name="delete_powerpack",
        title="Delete a Powerpack",
        description=(
            "Deletes a Powerpack, which cannot be undone. By default its pool's numbers stay "
            "rented in the account. unrent_numbers=true also unrents every pool number: Plivo "
            "releases them to the carrier after 10 days, for good. A person, never the model, "
            "must confirm that by typing the Powerpack's name in a form or card: show the user "
            "the answer's preview. 'cancelled': nothing was deleted; say why, do not retry."
        ),
        read_only=False,
        destructive=True,
        idempotent=False,
        view=CONFIRM_URI,
    ),
]
