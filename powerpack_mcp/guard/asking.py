"""Asking a person (elicit mode): the forms, whether a form can reach them, and making each
answer good for one attempt by one caller.

On protocol 2026-07-28 a person's answer rides back in the client's retry, next to a state
the server sealed. Replaying that retry would replay the answer, so every question carries a
reference derived from the caller, the preview and how many times that preview has been
acted on. Once an answer is used the reference moves on: the old answer no longer matches the
question and the SDK asks again (it accepts an answer only for the exact question shown).
"""

from __future__ import annotations

import hashlib
import hmac
from typing import Any

from mcp.server.mcpserver import (
    AcceptedElicitation,
    CancelledElicitation,
    Context,
    DeclinedElicitation,
    ElicitationResult,
)
from pydantic import BaseModel, Field

from ..shared import SharedState
from .preview import Preview

# How long a count of attempts is kept after its last use. Far longer than a sealed request
# state lives (the SDK's default is 10 minutes): a count that lapsed while an old answer
# could still be replayed would make that answer match again.
ATTEMPTS_TTL = 24 * 3600.0

MODERN_PROTOCOL = "2026-07-28"  # elicitation rides the answer (InputRequiredResult)


class ConfirmByName(BaseModel):
    """The one field a person fills in to confirm."""

    name: str = Field(
        title="Powerpack name",
        description="Type the Powerpack's exact name to confirm. Anything else cancels.",
    )


class ConfirmByNumber(BaseModel):
    """The one field a person fills in to confirm unrenting a single number."""

    number: str = Field(
        title="Number",
        description="Type the number being unrented to confirm. Anything else cancels.",
    )


class NotAsked(BaseModel):
    """A resolver's answer when no question was put to a person."""


Answer = ElicitationResult[ConfirmByName]
NumberAnswer = ElicitationResult[ConfirmByNumber]


def declares_forms(ctx: Context[Any]) -> bool:
    """The client declared form elicitation (a bare `elicitation: {}` counts)."""
    capabilities = ctx.client_capabilities
    elicitation = capabilities.elicitation if capabilities is not None else None
    return elicitation is not None and (elicitation.form is not None or elicitation.url is None)


def can_elicit(ctx: Context[Any]) -> bool:
    """Whether a form can reach a person: the client shows forms and, before 2026-07-28,
    the connection has a back-channel (a stateless HTTP server has none for those clients)."""
    if not declares_forms(ctx):
        return False
    version = ctx.protocol_version or ""
    return version >= MODERN_PROTOCOL or ctx.request_context.session.can_send_request


class AnswerBook:
    """Which attempt each (caller, preview) is on, so an answer authorises one attempt.

    The counts live in the shared state, so on replicas an answer used on one is asked
    again on every other. Its methods raise `SharedStateUnavailable` when that is down."""

    def __init__(self, key: bytes, attempts: SharedState) -> None:
        self._key = key
        self._attempts = attempts

    async def reference(self, caller: str, digest: str) -> str:
        return self._reference(
            caller, digest, await self._attempts.count(self._slot(caller, digest))
        )

    async def use(self, caller: str, preview: Preview) -> bool:
        """Spend the answer given to `preview`; False if it was already spent.

        The answer matches attempt n; moving the count on is one atomic increment, and only
        the call that moved it from n to n + 1 wins, so concurrent replays (on any replica)
        cannot both pass."""
        slot = self._slot(caller, preview.digest)
        attempt = await self._attempts.count(slot)
        if preview.reference != self._reference(caller, preview.digest, attempt):
            return False
        return await self._attempts.incr(slot, ATTEMPTS_TTL) == attempt + 1

    def _reference(self, caller: str, digest: str, attempt: int) -> str:
        message = f"{caller}|{digest}|{attempt}".encode()
        return hmac.new(self._key, message, hashlib.sha256).hexdigest()[:10]

    def _slot(self, caller: str, digest: str) -> str:
        # The caller is hashed: a token's name is the operator's, any text, and keys stay short.
        who = hashlib.sha256(caller.encode()).hexdigest()[:16]
        return f"answer:{who}:{digest}"


def refusal(answer: Answer | NumberAnswer, preview: Preview) -> str | None:
    """Why the person's answer does not confirm `preview`, or None if it does."""
    if isinstance(answer, DeclinedElicitation):
        return "the person declined"
    if isinstance(answer, CancelledElicitation):
        return "the person dismissed the confirmation"
    data = answer.data if isinstance(answer, AcceptedElicitation) else None
    if isinstance(data, ConfirmByName | ConfirmByNumber):
        typed = data.name if isinstance(data, ConfirmByName) else data.number
        return mismatch(preview, typed)
    return "no confirmation was given"


def mismatch(preview: Preview, typed: str) -> str | None:
    """Why what the person typed does not confirm `preview` (the exact name, or the number
    in any spelling), or None if it does."""
    if preview.confirm_kind == "name":
        if typed.strip() != preview.confirm_with:
            return "the name the person typed does not match the Powerpack's name"
        return None
    if _digits(typed) != preview.confirm_with:
        return "the number the person typed does not match the number to unrent"
    return None


def _digits(value: str) -> str:
    return "".join(ch for ch in value if ch.isdigit())
