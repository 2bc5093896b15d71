"""The decision: may this guarded call unrent what its preview shows, for this caller, now?

A `confirm: true` argument would protect nothing, since the model can set it. So the guard
asks a person through the client (elicit mode: they type the Powerpack's exact name), or
hands the model a signed, expiring, single-use token bound to exactly what was previewed and
to the caller (token mode), which it may pass back only after the user agreed. Either way
the pool is read again right before acting; if it changed, nothing happens and the person
is asked again. There is no switch to turn the guard off.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any, Literal, NoReturn

from mcp.server.apps import client_supports_apps
from mcp.server.mcpserver import Context
from mcp.server.mcpserver.exceptions import ToolError
from pydantic import BaseModel, Field

from ..audit import AuditLog, caller_name
from ..plivo import PlivoClient, Powerpack
from ..settings import ConfirmMode
from ..shared import SharedStateUnavailable
from . import preview as previews
from .asking import (
    MODERN_PROTOCOL,
    Answer,
    AnswerBook,
    NotAsked,
    NumberAnswer,
    can_elicit,
    mismatch,
    refusal,
)
from .preview import Preview
from .tokens import TokenRefused, TokenSigner, fingerprint
from .views import ViewConfirmations, ViewRefused, card

Method = Literal["form", "view", "token"]

UNSHARED = (
    "the store this server's replicas share to make each confirmation single-use (Redis) "
    "cannot be reached, so no confirmation can be checked or given. Try again in a moment; "
    "listing and reading Powerpacks and numbers still works"
)


@dataclass(frozen=True)
class Outcome:
    """A guarded call that changes nothing (yet), and the facts for the tool's answer."""

    status: Literal["cancelled", "confirmation_required"]
    message: str
    preview: Preview
    token: str | None = None
    expires_at: datetime | None = None
    card: dict[str, Any] | None = None  # for the host's view only: the result's `_meta`


@dataclass(frozen=True)
class Approval:
    """A person's yes for exactly `preview`, and how it was given (for the audit log)."""

    preview: Preview
    confirmation: dict[str, Any]


class Unconfirmed(BaseModel):
    """The part of a guarded tool's answer that speaks when nothing was done yet."""

    preview: str | None = Field(
        default=None, description="What would happen; show it to the user before confirming."
    )
    confirmation_token: str | None = None
    expires_at: datetime | None = None

    @staticmethod
    def fields(outcome: Outcome) -> dict[str, Any]:
        """The answer's fields for a cancelled or to-be-confirmed outcome."""
        return {
            "status": outcome.status,
            "message": outcome.message,
            "preview": outcome.preview.text(),
            "confirmation_token": outcome.token,
            "expires_at": outcome.expires_at,
        }


@dataclass(frozen=True)
class Guard:
    """Decides whether a guarded action may run, and records every decision."""

    mode: ConfirmMode
    signer: TokenSigner
    answers: AnswerBook
    views: ViewConfirmations
    audit: AuditLog
    account: str
    sandbox: bool = False
    stateless: bool = False
    # Who calls when no bearer token names them: this process (stdio) or anyone (HTTP).
    local_caller: str = "local"

    def caller(self) -> str:
        name = caller_name()
        return f"token:{name}" if name is not None else self.local_caller

    def method(self, ctx: Context[Any]) -> Method | None:
        """The strongest way this client can reach a person on this request, among those
        the operator allows: a form, then a card (MCP Apps), then, only if the operator
        opted in, a token the model hands back."""
        if self.mode in ("auto", "elicit", "token") and can_elicit(ctx):
            return "form"
        if self.mode in ("auto", "view", "token") and client_supports_apps(ctx):
            return "view"
        return "token" if self.mode == "token" else None

    def wants_question(self, ctx: Context[Any]) -> bool:
        return self.method(ctx) == "form"

    async def preview_delete(self, plivo: PlivoClient, pack: Powerpack) -> Preview:
        found = await previews.preview_delete(
            plivo, pack, account=self.account, sandbox=self.sandbox
        )
        return await self._referenced(found)

    async def preview_removal(self, plivo: PlivoClient, pack: Powerpack, number: str) -> Preview:
        found = await previews.preview_removal(
            plivo, pack, number, account=self.account, sandbox=self.sandbox
        )
        return await self._referenced(found)

    async def preview_bulk_removal(
        self, plivo: PlivoClient, pack: Powerpack, numbers: Sequence[str]
    ) -> Preview:
        found = await previews.preview_bulk_removal(
            plivo, pack, numbers, account=self.account, sandbox=self.sandbox
        )
        return await self._referenced(found)

    def question(self, preview: Preview) -> str:
        what = (
            "the Powerpack's exact name"
            if preview.confirm_kind == "name"
            else f"the number: {previews.e164(preview.numbers[0])}"
        )
        return f"{preview.text()}\n\nTo confirm, type {what}. (Reference {preview.reference})"

    async def decide(
        self,
        ctx: Context[Any],
        preview: Preview,
        *,
        answer: Answer | NumberAnswer | None,
        shown: Preview | NotAsked | None,
        token: str | None,
        arguments: Mapping[str, Any],
    ) -> Outcome | Approval:
        """Approve exactly `preview` (the pool as it is now), or say why not."""
        record = {**arguments, "confirmation_token": fingerprint(token)}
        method = self.method(ctx)
        if method == "form":
            return await self._elicited(ctx, preview, answer, shown, record)
        if method == "view":
            return await self._card(preview, record)
        if method == "token":
            return await self._tokened(preview, token, record)
        reason = self._why_no_way(ctx)
        await self._note(preview, record, {"mode": self.mode, "result": reason}, "refused")
        raise ToolError(f"Refused, nothing was changed: {reason}")

    async def _elicited(
        self,
        ctx: Context[Any],
        preview: Preview,
        answer: Answer | NumberAnswer | None,
        shown: Preview | NotAsked | None,
        record: dict[str, Any],
    ) -> Outcome | Approval:
        if answer is None or not isinstance(shown, Preview):
            reason = "the confirmation form was not answered"
            await self._note(preview, record, {"mode": "elicit", "result": reason}, "refused")
            raise ToolError(f"Refused, nothing was changed: {reason}.")
        why = refusal(answer, preview)
        if why is None and shown.digest != preview.digest:
            why = (
                "the pool changed while the person was deciding; "
                "call again to show them the new preview"
            )
        if why is None and not await self._spend_answer(shown, record):
            why = "this confirmation was already used; call again and the person is asked again"
        typed = "the exact name" if preview.confirm_kind == "name" else "the number"
        result = why or f"person typed {typed}"
        confirmation = {"mode": "elicit", "result": result, "reference": shown.reference}
        if why is None:
            return Approval(preview, confirmation)
        await self._note(preview, record, confirmation, "cancelled")
        return Outcome(status="cancelled", message=f"Cancelled: {why}.", preview=preview)

    def _why_no_way(self, ctx: Context[Any]) -> str:
        if self.stateless and (ctx.protocol_version or "") < MODERN_PROTOCOL:
            return (
                "this server runs stateless HTTP, which cannot put a confirmation form to a "
                "person mid-call for clients on protocol versions before 2026-07-28, and "
                "unrenting numbers needs a person's confirmation. The operator can start the "
                "server with --confirm token, or without --stateless."
            )
        allowed = {
            "auto": "a confirmation form or a confirmation card (MCP Apps)",
            "elicit": "a confirmation form",
            "view": "a confirmation card (MCP Apps)",
        }.get(self.mode, "a confirmation form or card")
        return (
            f"this client cannot show a person {allowed}, and unrenting numbers needs a "
            "person's confirmation. Ask the user to do it from a client that can (forms: "
            "Claude Code, Cursor, VS Code, Codex, Goose; cards: Claude Desktop, claude.ai, "
            "ChatGPT), or an operator may start the server with --confirm token."
        )

    async def _card(self, preview: Preview, record: dict[str, Any]) -> Outcome:
        try:
            confirmation_id, pending = await self.views.issue(preview, self.caller())
        except SharedStateUnavailable:
            await self._unshared(preview, record, "view")
        shown = {"mode": "view", "result": "card shown"}
        await self._note(preview, record, shown, "confirmation_required")
        message = (
            "Nothing has been unrented. The user is being shown a confirmation card with "
            "exactly what would be lost; only they can confirm, there, by typing the name. "
            "Tell them to look at the card. Do not call again to confirm: there is no token "
            "to pass back."
        )
        return Outcome(
            status="confirmation_required",
            message=message,
            preview=preview,
            expires_at=pending.expires_at,
            card=card(confirmation_id, pending),
        )

    async def approve_card(
        self, ctx: Context[Any], plivo: PlivoClient, confirmation_id: str, typed: str
    ) -> tuple[Powerpack, Approval]:
        """The card's confirmation: single use, this caller, the exact name, the same pool."""
        if not client_supports_apps(ctx):
            raise ToolError(
                "Refused, nothing was changed: only the confirmation card can confirm, and "
                "this request does not come from a client showing MCP Apps."
            )
        try:
            pending = await self.views.take(confirmation_id, self.caller())
        except SharedStateUnavailable:
            await self._refuse_card(f"refused: {UNSHARED}")
            raise ToolError(f"Refused, nothing was changed: {UNSHARED}.") from None
        except ViewRefused as exc:
            await self._refuse_card(f"refused: {exc}")
            raise ToolError(f"Refused, nothing was changed: {exc}.") from None
        shown = pending.preview
        record = {"confirmation": "view"}
        why = mismatch(shown, typed)
        if why is None:
            pack = await plivo.get_powerpack(shown.powerpack_uuid)
            now = await self._reread(plivo, pack, shown)
            if now.digest == shown.digest:
                return pack, Approval(now, {"mode": "view", "result": "confirmed in the view"})
            why = "the pool changed since the card was shown; ask for the action again"
        await self._note(shown, record, {"mode": "view", "result": why}, "refused")
        raise ToolError(f"Refused, nothing was changed: {why}.")

    async def _reread(self, plivo: PlivoClient, pack: Powerpack, shown: Preview) -> Preview:
        if shown.action == "delete_powerpack":
            return await self.preview_delete(plivo, pack)
        if shown.action == "remove_pool_numbers":
            return await self.preview_bulk_removal(plivo, pack, shown.numbers)
        return await self.preview_removal(plivo, pack, shown.numbers[0])

    async def _tokened(
        self, preview: Preview, token: str | None, record: dict[str, Any]
    ) -> Outcome | Approval:
        if token is None:
            return await self._ask_with_token(preview, record, "")
        caller = self.caller()
        try:
            unchanged = await self.signer.verify(token, preview, caller)
            if unchanged:
                # Spent before anything is sent: a token whose unrent then fails stays spent.
                await self.signer.consume(token)
        except SharedStateUnavailable:
            await self._unshared(preview, record, "token")
        except TokenRefused as exc:
            result = {"mode": "token", "result": f"token refused: it {exc}"}
            await self._note(preview, record, result, "refused")
            raise ToolError(
                f"Refused, nothing was changed: the confirmation token {exc}."
            ) from None
        if not unchanged:
            lead = "The pool changed since the last preview, so nothing was done. "
            return await self._ask_with_token(preview, record, lead)
        confirmation = {"mode": "token", "result": "valid token after user approval"}
        return Approval(preview, {**confirmation, "token": fingerprint(token)})

    async def _ask_with_token(self, preview: Preview, record: dict[str, Any], lead: str) -> Outcome:
        token, expires = self.signer.issue(preview, self.caller())
        await self._note(
            preview, record, {"mode": "token", "result": "preview issued"}, "confirmation_required"
        )
        message = (
            f"{lead}Nothing has been changed yet. Show this preview to the user word for word "
            "and ask whether to proceed. Only if they explicitly agree, call the tool again "
            "with the same arguments plus confirmation_token. Do not agree on their behalf; "
            f"the token expires at {expires.isoformat()}."
        )
        return Outcome(
            status="confirmation_required",
            message=message,
            preview=preview,
            token=token,
            expires_at=expires,
        )

    async def _referenced(self, found: Preview) -> Preview:
        try:
            reference = await self.answers.reference(self.caller(), found.digest)
        except SharedStateUnavailable:
            await self._unshared(found, {}, self.mode)
        return replace(found, reference=reference)

    async def _spend_answer(self, shown: Preview, record: dict[str, Any]) -> bool:
        try:
            return await self.answers.use(self.caller(), shown)
        except SharedStateUnavailable:
            await self._unshared(shown, record, "elicit")

    async def _unshared(self, preview: Preview, record: dict[str, Any], mode: str) -> NoReturn:
        """Fail closed: without the shared state a replayed confirmation could pass."""
        await self._note(preview, record, {"mode": mode, "result": UNSHARED}, "refused")
        raise ToolError(f"Refused, nothing was changed: {UNSHARED}.")

    async def _refuse_card(self, result: str) -> None:
        await self.audit.decision(
            "confirm_unrent",
            target="unknown",
            arguments={},
            confirmation={"mode": "view", "result": result},
            outcome="refused",
        )

    async def _note(
        self,
        preview: Preview,
        record: dict[str, Any],
        confirmation: dict[str, Any],
        outcome: str,
    ) -> None:
        await self.audit.decision(
            preview.action,
            target=preview.target,
            arguments=record,
            numbers=preview.numbers,
            confirmation=confirmation,
            outcome=outcome,
        )
