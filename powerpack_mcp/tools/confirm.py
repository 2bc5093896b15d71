"""The confirmation card's own tool: only a view may call it (hosts keep it from the model).

It acts only on a confirmation id from a card shown on this server, for this caller, with
the exact name typed, on a pool that has not changed; see `guard.views`.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from mcp.server.mcpserver import Context
from pydantic import BaseModel, Field

from ..guard import e164
from ..views import CONFIRM_URI
from .base import ToolSpec, app, plivo_errors
from .pool import unrent_number, unrent_numbers
from .powerpacks import unrent_and_delete


class CardConfirmed(BaseModel):
    """What the card's confirmation did."""

    status: Literal["unrented"]
    numbers_unrented: list[str] = Field(description="In E.164.")
    powerpack_deleted: bool
    message: str


@plivo_errors
async def confirm_unrent(
    ctx: Context[Any],
    confirmation_id: Annotated[str, Field(min_length=1, max_length=128)],
    typed: Annotated[str, Field(max_length=256, description="What the person typed.")],
) -> CardConfirmed:
    context = app(ctx)
    pack, approval = await context.guard.approve_card(ctx, context.plivo, confirmation_id, typed)
    if approval.preview.action == "delete_powerpack":
        deleted = await unrent_and_delete(context, pack, approval)
        numbers, message, gone = deleted.numbers_unrented, deleted.message, True
    elif approval.preview.action == "remove_pool_numbers":
        removed = await unrent_numbers(context, pack, approval)
        numbers = [r.number for r in removed.results or [] if r.result == "unrented"]
        message, gone = removed.message, False
    else:
        removed = await unrent_number(context, pack, approval)
        numbers, message, gone = list(approval.preview.numbers), removed.message, False
    return CardConfirmed(
        status="unrented",
        numbers_unrented=[e164(n) for n in numbers],
        powerpack_deleted=gone,
        message=message,
    )


TOOLS = [
    ToolSpec(
        fn=confirm_unrent,
        name="confirm_unrent",
        title="Confirm unrenting (card only)",
        description=(
            "Only for the confirmation card: it unrents what the card showed once the person "
            "typed the exact name there. Never call it yourself."
        ),
        read_only=False,
        destructive=True,
        idempotent=False,
        view=CONFIRM_URI,
        visibility=("app",),
    ),
]
