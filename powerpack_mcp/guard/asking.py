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

from .preview import Preview

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
    """Which attempt each (caller, preview) is on, so an answer authorises one attempt."""

    def __init__(self, key: bytes) -> None:
        self._key = key
        self._attempts: dict[tuple[str, str], int] = {}

    def reference(self, caller: str, digest: str) -> str:
        attempt = self._attempts.get((caller, digest), 0)
        message = f"{caller}|{digest}|{attempt}".encode()
        return hmac.new(self._key, message, hashlib.sha256).hexdigest()[:10]

    def use(self, caller: str, preview: Preview) -> bool:
        """Spend the answer given to `preview`; False if it was already spent. No await
        happens between the check and the spend, so concurrent replays cannot both pass."""
        if preview.reference != self.reference(caller, preview.digest):
            return False
        key = (caller, preview.digest)
        self._attempts[key] = self._attempts.get(key, 0) + 1
        return True


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
