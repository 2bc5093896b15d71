"""Confirmation in a view (MCP Apps): a card the host shows the person, and the app-only tool
it calls.

The guarded tool answers the model with "nothing has been unrented" and puts a confirmation
id in the result's `_meta`, which hosts keep from the model (SEP-2200); the card sends it back
through `confirm_unrent`, a tool hosts keep out of the model's tool list. The server cannot
tell a view's call from a model's (the host enforces visibility, as it shows forms), so the
id is what it checks: unguessable, short-lived, single-use, bound to the caller and to
exactly the previewed numbers.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import secrets
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from ..shared import SharedState
from ..views.display import number_display
from .preview import HOLD_DAYS, Preview

ID_BYTES = 24
# Kept a while past expiry, so a late confirmation is told it expired rather than unknown.
GRACE = 60.0


class ViewRefused(Exception):
    """Why a confirmation id authorises nothing, for the person reading the card."""


@dataclass(frozen=True)
class Pending:
    preview: Preview
    caller: str
    expires: float

    @property
    def expires_at(self) -> datetime:
        return datetime.fromtimestamp(self.expires, UTC)

    def dumps(self) -> bytes:
        """JSON, so that another replica can take it."""
        return json.dumps(dataclasses.asdict(self)).encode()

    @staticmethod
    def loads(raw: bytes) -> Pending:
        data = json.loads(raw)
        shown = data["preview"]
        for name in ("numbers", "shortcodes"):
            shown[name] = tuple(shown[name])
        shown["types"] = tuple(tuple(pair) for pair in shown["types"])
        return Pending(Preview(**shown), data["caller"], data["expires"])


class ViewConfirmations:
    """Confirmation ids handed to cards, each good for one attempt by one caller.

    They live in the shared state: a card shown by one replica can be confirmed through any
    other, once. The methods raise `SharedStateUnavailable` when that is down."""

    def __init__(self, ttl: float, pending: SharedState) -> None:
        self._ttl = ttl
        self._pending = pending

    async def issue(self, preview: Preview, caller: str) -> tuple[str, Pending]:
        pending = Pending(preview, caller, time.time() + self._ttl)
        confirmation_id = secrets.token_urlsafe(ID_BYTES)
        await self._pending.put(_slot(confirmation_id), pending.dumps(), self._ttl + GRACE)
        return confirmation_id, pending

    async def take(self, confirmation_id: str, caller: str) -> Pending:
        """Spend the id (one atomic get-and-delete): whatever happens next, it cannot be
        used again, on this replica or any other."""
        raw = await self._pending.take(_slot(confirmation_id))
        pending = None if raw is None else Pending.loads(raw)
        if pending is None:
            raise ViewRefused(
                "this confirmation is unknown or was already used: ask for the action again "
                "to get a new card"
            )
        if pending.caller != caller:
            raise ViewRefused("this confirmation was given to another caller")
        if pending.expires < time.time():
            raise ViewRefused("this confirmation has expired: ask for the action again")
        return pending


def _slot(confirmation_id: str) -> str:
    # Hashed: the id is a secret, and a key name shows up in Redis tools and slow logs.
    return "view:" + hashlib.sha256(confirmation_id.encode("utf-8", "replace")).hexdigest()


def card(confirmation_id: str, pending: Pending) -> dict[str, Any]:
    """Everything the card shows, for the result's `_meta` (never for the model)."""
    preview = pending.preview
    kinds = dict(preview.types)
    numbers = [{**number_display(n), "type": kinds.get(n, "")} for n in preview.numbers]
    return {
        "id": confirmation_id,
        "expires_at": pending.expires_at.isoformat(),
        "action": preview.action,
        "account": preview.account,
        "sandbox": preview.sandbox,
        "powerpack": {"uuid": preview.powerpack_uuid, "name": preview.powerpack_name},
        "confirm_with": preview.confirm_with,
        "confirm_kind": preview.confirm_kind,
        "numbers": numbers,
        "shortcodes": list(preview.shortcodes),
        "hold_days": HOLD_DAYS,
        "explanation": preview.consequence(),
        "safer": preview.safer(),
    }
