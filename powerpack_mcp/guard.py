"""The confirmation guard: no number is unrented without a person's explicit yes.

A `confirm: true` argument would protect nothing, since the model can set it. So the guard
asks a person through the client (elicit mode: they type the Powerpack's exact name), or
hands the model a signed, expiring, single-use token bound to exactly what was previewed
(token mode), which it may pass back only after the user agreed. Either way the pool is read
again right before acting; if it changed, nothing happens and the person is asked again.
There is no switch to turn the guard off.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal

from mcp.server.mcpserver import (
    AcceptedElicitation,
    CancelledElicitation,
    Context,
    DeclinedElicitation,
    ElicitationResult,
)
from mcp.server.mcpserver.exceptions import ToolError
from pydantic import BaseModel, Field

from .audit import AuditEntry, AuditLog
from .plivo import PlivoClient, Powerpack

PREVIEW_LIMIT = 20
MODERN_PROTOCOL = "2026-07-28"  # elicitation rides the answer (InputRequiredResult)
HOLD_DAYS = 10  # Plivo keeps an unrented number this long, then returns it to the carrier.
Action = Literal["delete_powerpack", "remove_pool_number"]


@dataclass(frozen=True)
class Preview:
    """The facts a person needs before numbers are unrented."""

    action: Action
    powerpack_uuid: str
    powerpack_name: str
    numbers: tuple[str, ...]
    shortcodes: tuple[str, ...] = ()

    @property
    def target(self) -> str:
        if self.action == "remove_pool_number":
            return f"{self.powerpack_uuid}/{self.numbers[0]}"
        return self.powerpack_uuid

    @property
    def digest(self) -> str:
        facts = [self.action, self.powerpack_uuid, self.powerpack_name, *self.numbers]
        return hashlib.sha256(json.dumps(facts).encode()).hexdigest()[:32]

    @property
    def confirm_with(self) -> str:
        """What the person must type: the Powerpack's name, or the one number."""
        return self.numbers[0] if self.action == "remove_pool_number" else self.powerpack_name

    def text(self) -> str:
        pack = f"Powerpack '{self.powerpack_name}' ({self.powerpack_uuid})"
        if self.action == "remove_pool_number":
            head = f"Remove number {self.numbers[0]} from {pack} and unrent it."
        else:
            count = len(self.numbers)
            head = f"Delete {pack} and unrent {count} number{'s' * (count != 1)}"
            shown = ", ".join(self.numbers[:PREVIEW_LIMIT])
            more = f", and {count - PREVIEW_LIMIT} more" if count > PREVIEW_LIMIT else ""
            head += f": {shown}{more}." if count else " (its pool has none)."
        lines = [head]
        if self.shortcodes:
            lines.append(
                f"Short codes in the pool ({', '.join(self.shortcodes)}) are only unlinked, "
                "never unrented."
            )
        lines.append(
            f"Plivo holds unrented numbers for {HOLD_DAYS} days, then returns them to the "
            "carrier for good. This cannot be undone."
        )
        return "\n".join(lines)


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


@dataclass(frozen=True)
class Outcome:
    """What the guard decided, and the facts for the tool's answer."""

    status: Literal["done", "cancelled", "confirmation_required"]
    message: str
    preview: Preview
    token: str | None = None
    expires_at: datetime | None = None


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


class TokenRefused(Exception):
    pass


class TokenSigner:
    """HMAC-signed confirmation tokens: bound, expiring and single-use."""

    def __init__(self, key: bytes, *, account: str, ttl: float) -> None:
        self._key = key
        self._account = account
        self._ttl = ttl
        self._used: dict[str, float] = {}  # nonce -> expiry, pruned as they lapse

    def issue(self, preview: Preview) -> tuple[str, datetime]:
        expires = int(time.time() + self._ttl)
        claims = {
            "acct": self._account,
            "act": preview.action,
            "tgt": preview.target,
            "dig": preview.digest,
            "exp": expires,
            "nonce": secrets.token_urlsafe(12),
        }
        body = _b64(json.dumps(claims, separators=(",", ":")).encode())
        return f"{body}.{self._sign(body)}", datetime.fromtimestamp(expires, UTC)

    def verify(self, token: str, preview: Preview) -> bool:
        """True if valid for this preview; False if valid but the pool has changed since."""
        claims = self._claims(token)
        if claims.get("exp", 0) < time.time():
            raise TokenRefused("it has expired: ask the user again with a fresh preview")
        if (claims.get("acct"), claims.get("act"), claims.get("tgt")) != (
            self._account,
            preview.action,
            preview.target,
        ):
            raise TokenRefused("it was issued for another action or target")
        if claims.get("nonce") in self._used:
            raise TokenRefused("it has already been used")
        return bool(claims.get("dig") == preview.digest)

    def consume(self, token: str) -> None:
        claims = self._claims(token)
        now = time.time()
        self._used = {nonce: exp for nonce, exp in self._used.items() if exp >= now}
        self._used[str(claims["nonce"])] = float(claims["exp"])

    def _claims(self, token: str) -> dict[str, Any]:
        body, _, signature = token.partition(".")
        if not body or not hmac.compare_digest(signature, self._sign(body)):
            raise TokenRefused("it is not a token this server issued (tampered or malformed)")
        claims: dict[str, Any] = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
        return claims

    def _sign(self, body: str) -> str:
        return _b64(hmac.new(self._key, body.encode(), hashlib.sha256).digest())


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def can_elicit(ctx: Context[Any]) -> bool:
    """Whether a form can reach a person: the client declared form elicitation (a bare
    `elicitation: {}` counts) and, before 2026-07-28, the connection has a back-channel
    (a stateless HTTP server has none for those clients)."""
    capabilities = ctx.client_capabilities
    elicitation = capabilities.elicitation if capabilities is not None else None
    if elicitation is None or (elicitation.form is None and elicitation.url is not None):
        return False
    version = ctx.protocol_version or ""
    return version >= MODERN_PROTOCOL or ctx.request_context.session.can_send_request


# A resolver that asks nothing hands back `NotAsked` wrapped as an accepted outcome.
Answer = ElicitationResult[ConfirmByName]
NumberAnswer = ElicitationResult[ConfirmByNumber]


class Guard:
    """Decides whether a guarded action may run, records how, and runs it."""

    def __init__(
        self, *, mode: Literal["elicit", "token"], signer: TokenSigner, audit: AuditLog
    ) -> None:
        self.mode = mode
        self._signer = signer
        self._audit = audit

    async def preview_delete(self, plivo: PlivoClient, powerpack: Powerpack) -> Preview:
        pool = powerpack.number_pool_uuid or ""
        numbers = await plivo.all_pool_numbers(pool) if pool else []
        shortcodes = (await plivo.list_shortcodes(pool)).objects if pool else []
        return Preview(
            action="delete_powerpack",
            powerpack_uuid=powerpack.uuid,
            powerpack_name=powerpack.name,
            numbers=tuple(sorted(n.number for n in numbers)),
            shortcodes=tuple(sorted(s.shortcode for s in shortcodes)),
        )

    def wants_question(self, ctx: Context[Any]) -> bool:
        return self.mode == "elicit" and can_elicit(ctx)

    async def run(
        self,
        ctx: Context[Any],
        preview: Preview,
        *,
        answer: Answer | NumberAnswer | None,
        shown: Preview | NotAsked | None,
        token: str | None,
        perform: Callable[[], Awaitable[None]],
        arguments: Mapping[str, Any],
    ) -> Outcome:
        args = {**arguments, "confirmation_token": _fingerprint(token)}
        async with self._audit.record(
            preview.action, target=preview.target, arguments=args
        ) as entry:
            entry.confirmation = {"mode": self.mode}
            if self.mode == "elicit":
                outcome = self._decide_elicited(ctx, preview, answer, shown, entry)
            else:
                outcome = self._decide_token(preview, token, entry)
            if outcome is not None:
                entry.outcome = outcome.status
                return outcome
            await perform()
            return Outcome(status="done", message="Confirmed by a person.", preview=preview)

    def _decide_elicited(
        self,
        ctx: Context[Any],
        preview: Preview,
        answer: Answer | NumberAnswer | None,
        shown: Preview | NotAsked | None,
        entry: AuditEntry,
    ) -> Outcome | None:
        if not can_elicit(ctx) or answer is None:
            entry.confirmation = {"mode": "elicit", "result": "client cannot ask a person"}
            raise ToolError(
                "Refused, nothing was deleted: this client cannot show a confirmation form to "
                "a person, and unrenting numbers needs one. Ask the user to do it from a "
                "client with form elicitation, or an operator may start the server with "
                "--confirm token."
            )
        reason = _refusal(answer, preview)
        if reason is None and not (isinstance(shown, Preview) and shown.digest == preview.digest):
            reason = (
                "the pool changed while the person was deciding; "
                "call again to show them the new preview"
            )
        typed = "the exact name" if preview.action == "delete_powerpack" else "the number"
        entry.confirmation = {"mode": "elicit", "result": reason or f"person typed {typed}"}
        if reason is not None:
            return Outcome(status="cancelled", message=f"Cancelled: {reason}.", preview=preview)
        return None

    def _decide_token(
        self, preview: Preview, token: str | None, entry: AuditEntry
    ) -> Outcome | None:
        if token is None:
            return self._ask_with_token(preview, entry, "")
        try:
            unchanged = self._signer.verify(token, preview)
        except TokenRefused as exc:
            entry.confirmation = {"mode": "token", "result": f"token refused: {exc}"}
            raise ToolError(
                f"Refused, nothing was changed: the confirmation token {exc}."
            ) from None
        if not unchanged:
            return self._ask_with_token(
                preview, entry, "The pool changed since the last preview, so nothing was done. "
            )
        self._signer.consume(token)
        entry.confirmation = {"mode": "token", "result": "valid token after user approval"}
        return None

    def _ask_with_token(self, preview: Preview, entry: AuditEntry, lead: str) -> Outcome:
        token, expires = self._signer.issue(preview)
        entry.confirmation = {"mode": "token", "result": "preview issued"}
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


def _refusal(answer: Answer | NumberAnswer, preview: Preview) -> str | None:
    if isinstance(answer, DeclinedElicitation):
        return "the person declined"
    if isinstance(answer, CancelledElicitation):
        return "the person dismissed the confirmation"
    data = answer.data if isinstance(answer, AcceptedElicitation) else None
    if isinstance(data, ConfirmByName):
        if data.name.strip() != preview.confirm_with:
            return "the name the person typed does not match the Powerpack's name"
        return None
    if isinstance(data, ConfirmByNumber):
        if _digits(data.number) != preview.confirm_with:
            return "the number the person typed does not match the number to unrent"
        return None
    return "no confirmation was given"


def _digits(value: str) -> str:
    return "".join(ch for ch in value if ch.isdigit())


def _fingerprint(token: str | None) -> str | None:
    """Audit a token by a short hash, never the token itself."""
    return None if token is None else hashlib.sha256(token.encode()).hexdigest()[:12]
