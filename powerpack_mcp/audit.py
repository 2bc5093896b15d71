"""The audit log: one JSON line per mutating call, appended atomically.

The file is opened before the mutation and written after it: if it cannot be opened, the
mutation is refused rather than done without a record. Each line is written with a single
`write` on an `O_APPEND` descriptor, so concurrent calls never interleave within a line.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import anyio.to_thread
from mcp.server.auth.middleware.auth_context import get_access_token
from mcp.server.mcpserver.exceptions import ToolError

from .plivo import PlivoError

logger = logging.getLogger("powerpack_mcp.audit")


@dataclass
class AuditEntry:
    tool: str
    target: str
    arguments: dict[str, Any]
    outcome: str = "ok"
    error: str | None = None
    confirmation: dict[str, Any] | None = None
    caller: str | None = None
    time: str = field(default_factory=lambda: datetime.now(UTC).isoformat())

    def line(self) -> bytes:
        record = {key: value for key, value in self.__dict__.items() if value is not None}
        return (json.dumps(record, ensure_ascii=False, default=str) + "\n").encode()


class AuditLog:
    """Appends to `path`; with no path, records nothing (and refuses nothing)."""

    def __init__(self, path: Path | None) -> None:
        self.path = path

    @asynccontextmanager
    async def record(
        self, tool: str, *, target: str, arguments: Mapping[str, Any]
    ) -> AsyncIterator[AuditEntry]:
        entry = AuditEntry(tool=tool, target=target, arguments=dict(arguments))
        token = get_access_token()  # over HTTP: which operator-issued token made the call
        entry.caller = token.client_id if token is not None else None
        fd = await self._open()
        try:
            yield entry
        except BaseException as exc:
            entry.outcome = "error"
            entry.error = (
                str(exc) if isinstance(exc, PlivoError | ToolError) else type(exc).__name__
            )
            raise
        finally:
            if fd is not None:
                await anyio.to_thread.run_sync(_write_and_close, fd, entry)

    async def _open(self) -> int | None:
        if self.path is None:
            return None
        try:
            return await anyio.to_thread.run_sync(_open_append, self.path)
        except OSError as exc:
            logger.error("cannot write the audit log %s: %s", self.path, exc.strerror)
            raise ToolError(
                "Refused: the audit log cannot be written, and no change is made without a "
                "record. The operator must fix POWERPACK_MCP_AUDIT_LOG."
            ) from None


def _open_append(path: Path) -> int:
    return os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)


def _write_and_close(fd: int, entry: AuditEntry) -> None:
    try:
        os.write(fd, entry.line())
    except OSError as exc:
        # Too late to refuse: the change happened. Say so loudly, with the record itself.
        logger.error("audit log write failed (%s); lost record: %s", exc.strerror, entry.line())
    finally:
        os.close(fd)
