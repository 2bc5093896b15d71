"""Requests made at once (a listing's pages), failing as one request would.

anyio wraps the errors of a task group's tasks in an exception group. Whoever reads the
pages of a listing wants Plivo's reason ("page two is unavailable"), not a group that the
MCP layer can only report as an internal error; so the first Plivo error is raised alone.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import anyio
from anyio.abc import TaskGroup

from .errors import PlivoError


@asynccontextmanager
async def together() -> AsyncIterator[TaskGroup]:
    """A task group whose failure is the first Plivo error among its tasks' errors."""
    try:
        async with anyio.create_task_group() as tg:
            yield tg
    except BaseExceptionGroup as group:
        first = first_plivo_error(group)
        if first is None:
            raise
        raise first from None


def first_plivo_error(group: BaseExceptionGroup[Any]) -> PlivoError | None:
    for exc in group.exceptions:
        found = first_plivo_error(exc) if isinstance(exc, BaseExceptionGroup) else exc
        if isinstance(found, PlivoError):
            return found
    return None


__all__ = ["first_plivo_error", "together"]
