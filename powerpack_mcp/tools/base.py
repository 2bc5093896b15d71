"""What every tool module shares: the tool spec, the app context, and the error rule.

The error rule: anything the user or model can act on (Plivo's refusals, rate limits,
outages, our own validation) becomes a tool result with `is_error` and a plain message.
Only a bug in this server is a real exception, and the SDK hides its text.
"""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ParamSpec, TypeVar

import pydantic_core
from mcp.server.mcpserver import Context
from mcp.server.mcpserver.exceptions import ToolError
from mcp.types import CallToolResult, TextContent, ToolAnnotations
from pydantic import BaseModel

from ..plivo import PlivoClient, PlivoError
from ..plivo.models import PageMeta

if TYPE_CHECKING:
    from ..audit import AuditLog
    from ..guard import Guard
    from ..settings import Settings
    from ..shared import SharedState

P = ParamSpec("P")
R = TypeVar("R")


@dataclass(frozen=True)
class AppContext:
    """What the lifespan yields: one per server, shared by every call."""

    plivo: PlivoClient
    settings: Settings
    guard: Guard
    audit: AuditLog
    # What replicas share (Redis), or this process's state; other parts may use `.redis`.
    shared: SharedState | None = None


def app(ctx: Context[Any]) -> AppContext:
    lifespan: AppContext = ctx.request_context.lifespan_context
    return lifespan


@dataclass(frozen=True)
class ToolSpec:
    """A tool and everything a client is told about it, in one place."""

    fn: Callable[..., Awaitable[Any]]
    name: str
    title: str
    description: str
    read_only: bool
    destructive: bool
    idempotent: bool
    open_world: bool = True  # Every tool talks to Plivo, outside this process.
    view: str | None = None  # the MCP Apps view (ui:// resource) hosts render its results in
    visibility: tuple[str, ...] | None = None  # ("app",): only a view may call it
    #: (model name, sentence): in the answer's schema, that model is its required fields
    #: and the sentence, because another tool's answer spells it out (see tools.schema).
    brief_output: tuple[tuple[str, str], ...] = ()
    #: (list parameter, sentence): its items' schema is left to the tool that spells it out.
    brief_input_items: tuple[tuple[str, str], ...] = ()

    @property
    def meta(self) -> dict[str, Any] | None:
        if self.view is None:
            return None
        ui: dict[str, Any] = {"resourceUri": self.view}
        if self.visibility is not None:
            ui["visibility"] = list(self.visibility)
        return {"ui": ui}

    @property
    def annotations(self) -> ToolAnnotations:
        # No title here: the tool's own title says it (clients read that first).
        return ToolAnnotations(
            read_only_hint=self.read_only,
            destructive_hint=self.destructive,
            idempotent_hint=self.idempotent,
            open_world_hint=self.open_world,
        )


def result(answer: BaseModel, meta: dict[str, Any] | None = None) -> CallToolResult:
    """The answer as structured content and its compact JSON text (a model reads the text:
    indenting it would cost about a third more of its context), plus `_meta` for the host's
    view only."""
    structured = answer.model_dump(mode="json", by_alias=True)
    text = pydantic_core.to_json(structured).decode()
    return CallToolResult(
        content=[TextContent(type="text", text=text)], structured_content=structured, meta=meta
    )


def compact_answers(fn: Callable[..., Awaitable[Any]]) -> Callable[..., Awaitable[Any]]:
    """A tool that returns its output model answers through `result`: compact text (the SDK
    would indent it), and the structured content dumped once from the validated model."""

    @functools.wraps(fn)
    async def wrapper(*args: Any, **kwargs: Any) -> Any:
        answer = await fn(*args, **kwargs)
        if isinstance(answer, CallToolResult) or not isinstance(answer, BaseModel):
            return answer  # already an answer (with _meta for a view, or an error)
        return result(answer)

    return wrapper


def page_position(meta: PageMeta, count: int) -> dict[str, Any]:
    """Honest pagination: where this page sits, and where the next one starts."""
    end = meta.offset + count
    has_more = end < meta.total_count
    return {
        "total_count": meta.total_count,
        "limit": meta.limit,
        "offset": meta.offset,
        "has_more": has_more,
        "next_offset": end if has_more else None,
    }


def plivo_errors(fn: Callable[P, Awaitable[R]]) -> Callable[P, Awaitable[R]]:
    """Turn Plivo's typed errors into tool errors with their actionable message."""

    @functools.wraps(fn)
    async def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return await fn(*args, **kwargs)
        except PlivoError as exc:
            raise ToolError(str(exc)) from None

    return wrapper


def progress_reporter(ctx: Context[Any], what: str) -> Callable[[int, int], Awaitable[None]]:
    """A callback reporting scan progress, sent only if the client asked for progress."""

    async def report(done: int, total: int) -> None:
        await ctx.report_progress(done, total, f"{what}: page {done} of {total}")

    return report
