"""The audit log of mutations, written ahead: a change is on disk before it is sent.

For every mutation an `intent` line (tool, caller, target, arguments, the numbers a person
saw, how it was confirmed) is written and flushed to disk before any write request leaves the
process; if that fails for any reason (a full disk, an I/O error, no permission, a deleted
directory), the change is refused and nothing is sent. An `outcome` line with the same `id`
follows whatever happens to the call: success, an upstream error, a time limit, a client's
cancel or a server shutdown. Where the change may or may not have reached Plivo, it says
`unknown`. A guarded call that changes nothing (a preview, a refusal) leaves one `decision`
line. Each line is one `write` on its own `O_APPEND` descriptor, closed at once, so
concurrent calls never interleave within a line and no descriptor outlives its line.
"""

from __future__ import annotations

import errno
import json
import logging
import os
import secrets
from collections.abc import AsyncIterator, Callable, Iterable, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

import anyio
import anyio.to_thread
from mcp.server.auth.middleware.auth_context import get_access_token
from mcp.server.mcpserver.exceptions import ToolError

from .plivo import PlivoError, UpstreamUnavailable
from .plivo.redact import redact

logger = logging.getLogger("powerpack_mcp.audit")

Outcome = Literal["ok", "error", "unknown", "partial"]
# fsync on a device or pipe that cannot sync (a container's /dev/stdout) is not a lost line.
_UNSYNCABLE = frozenset({errno.EINVAL, errno.ENOTSUP, errno.EROFS})


@dataclass
class Change:
    """One mutation on record. Tools fill `result` as they learn what happened."""

    tool: str
    target: str
    arguments: dict[str, Any]
    caller: str | None = None
    numbers: list[str] | None = None
    confirmation: dict[str, Any] | None = None
    id: str = field(default_factory=lambda: secrets.token_hex(8))
    outcome: Outcome | None = None
    error: str | None = None
    result: dict[str, Any] = field(default_factory=dict)

    def intent(self) -> dict[str, Any]:
        return {
            "event": "intent",
            "id": self.id,
            "tool": self.tool,
            "caller": self.caller,
            "target": self.target,
            "arguments": self.arguments,
            "numbers": self.numbers,
            "confirmation": self.confirmation,
        }

    def outcome_line(self) -> dict[str, Any]:
        return {
            "event": "outcome",
            "id": self.id,
            "tool": self.tool,
            "target": self.target,
            "outcome": self.outcome,
            "error": self.error,
            **self.result,
        }


def caller_name() -> str | None:
    """Over HTTP with tokens: the name of the operator-issued token that made the call."""
    token = get_access_token()
    return token.client_id if token is not None else None


class AuditLog:
    """Appends to `path`; with no path, records nothing (and refuses nothing).

    `secrets` are masked in every line, whatever text they arrive in."""

    def __init__(
        self,
        path: Path | None,
        secrets: Iterable[str] = (),
        on_decision: Callable[[str, str], None] | None = None,
    ) -> None:
        self.path = path
        self._secrets = tuple(secrets)
        # Told (method, outcome) of every decision on a guarded action, for metrics.
        self._on_decision = on_decision

    def _decided(self, confirmation: Mapping[str, Any] | None, outcome: str) -> None:
        if self._on_decision is not None and confirmation is not None:
            self._on_decision(str(confirmation.get("mode", "unknown")), outcome)

    @asynccontextmanager
    async def change(
        self,
        tool: str,
        *,
        target: str,
        arguments: Mapping[str, Any],
        numbers: Iterable[str] | None = None,
        confirmation: Mapping[str, Any] | None = None,
    ) -> AsyncIterator[Change]:
        """Write the intent (or refuse), run the body, then write the outcome, always."""
        change = Change(
            tool=tool,
            target=target,
            arguments=dict(arguments),
            caller=caller_name(),
            numbers=None if numbers is None else list(numbers),
            confirmation=None if confirmation is None else dict(confirmation),
        )
        await self._intent(change)
        self._decided(confirmation, "approved")  # only guarded changes carry a confirmation
        cancelled = False
        try:
            yield change
        except BaseException as exc:
            cancelled = isinstance(exc, anyio.get_cancelled_exc_class())
            outcome, change.error = _classify(exc)
            change.outcome = change.outcome or outcome
            raise
        else:
            change.outcome = change.outcome or "ok"
        finally:
            await self._outcome(change, cancelled=cancelled)

    async def decision(
        self,
        tool: str,
        *,
        target: str,
        arguments: Mapping[str, Any],
        confirmation: Mapping[str, Any],
        outcome: str,
        numbers: Iterable[str] | None = None,
    ) -> None:
        """A guarded call that sent nothing: a preview, a cancel, a refusal."""
        line = {
            "event": "decision",
            "tool": tool,
            "caller": caller_name(),
            "target": target,
            "arguments": dict(arguments),
            "numbers": None if numbers is None else list(numbers),
            "confirmation": dict(confirmation),
            "outcome": outcome,
        }
        self._decided(confirmation, outcome)
        with anyio.CancelScope(shield=True):
            await self._append(line, must=False)

    async def _outcome(self, change: Change, *, cancelled: bool) -> None:
        if cancelled:
            # A cancelled call may be a server shutting down, when worker threads may no
            # longer run: this one line is written on the spot, so it cannot be lost.
            self._append_now(change.outcome_line())
            return
        with anyio.CancelScope(shield=True):
            await self._append(change.outcome_line(), must=False)

    async def _intent(self, change: Change) -> None:
        try:
            await self._append(change.intent(), must=True)
        except OSError as exc:
            logger.error("cannot write the audit log %s: %s", self.path, exc.strerror or exc)
            raise ToolError(
                "Refused, nothing was sent: the audit log cannot be written "
                f"({exc.strerror or type(exc).__name__}), and no change is made without a "
                "record. The operator must fix POWERPACK_MCP_AUDIT_LOG."
            ) from None

    async def _append(self, record: dict[str, Any], *, must: bool) -> None:
        if self.path is None:
            return
        line = self._line(record)
        try:
            await anyio.to_thread.run_sync(_append_line, self.path, line)
        except OSError as exc:
            if must:
                raise
            _lost(line, exc)

    def _append_now(self, record: dict[str, Any]) -> None:
        if self.path is None:
            return
        line = self._line(record)
        try:
            _append_line(self.path, line)
        except OSError as exc:
            _lost(line, exc)

    def _line(self, record: dict[str, Any]) -> bytes:
        record = {"time": datetime.now(UTC).isoformat(), **record}
        text = json.dumps(
            {key: value for key, value in record.items() if value is not None},
            ensure_ascii=False,
            default=str,
        )
        return (redact(text, self._secrets) + "\n").encode()


def _lost(line: bytes, exc: OSError) -> None:
    # Too late to refuse: the change was sent. Say so loudly, with the record itself.
    logger.error("audit log write failed (%s); lost record: %s", exc.strerror, line)


def _append_line(path: Path, line: bytes) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_CLOEXEC, 0o600)
    try:
        written = os.write(fd, line)
        if written != len(line):
            raise OSError(errno.ENOSPC, f"only {written} of {len(line)} bytes written")
        try:
            os.fsync(fd)
        except OSError as exc:
            if exc.errno not in _UNSYNCABLE:
                raise
    finally:
        os.close(fd)


_CANCELLED = (
    "the call was cancelled (by the client, a time limit or a shutdown) while the change "
    "was being sent: it may or may not have applied"
)


def _classify(exc: BaseException) -> tuple[Outcome, str]:
    """Whether a failed call may have changed something, and what to record of it."""
    if isinstance(exc, anyio.get_cancelled_exc_class()):
        return "unknown", _CANCELLED
    if isinstance(exc, UpstreamUnavailable) and exc.may_have_applied:
        return "unknown", str(exc)
    if isinstance(exc, PlivoError | ToolError):
        return "error", str(exc)
    return "unknown", f"unexpected {type(exc).__name__}"
