"""Server middleware: hidden tools refused with a reason, a time limit per tool call, and
argument errors told in a few plain lines instead of pydantic's report."""

from __future__ import annotations

import re
from typing import Any

import anyio
from mcp.server.context import CallNext, HandlerResult, ServerRequestContext
from mcp.types import CallToolResult, TextContent

ServerMiddleware = Any  # the SDK's protocol is generic over the lifespan type

_HEADER = re.compile(r"^Error executing tool (?P<tool>[\w.-]+): \d+ validation errors? for \w+$")
_DETAIL = re.compile(
    r"^(?P<msg>.*?) \[type=(?P<type>\w+)(?:, input_value=(?P<value>.*), input_type=\w+)?\]$"
)


def _error(text: str) -> CallToolResult:
    return CallToolResult(content=[TextContent(type="text", text=text)], is_error=True)


def refuse_hidden(hidden: dict[str, str]) -> ServerMiddleware:
    """A tool that is not served is refused at call time too, with the reason."""

    async def middleware(ctx: ServerRequestContext[Any, Any], call_next: CallNext) -> HandlerResult:
        name = (ctx.params or {}).get("name") if ctx.method == "tools/call" else None
        if isinstance(name, str) and name in hidden:
            return _error(f"{name} is disabled: {hidden[name]}.")
        return await call_next(ctx)

    return middleware


def time_limit(seconds: float) -> ServerMiddleware:
    """No tool call outlives the per-request limit."""

    async def middleware(ctx: ServerRequestContext[Any, Any], call_next: CallNext) -> HandlerResult:
        if ctx.method != "tools/call":
            return await call_next(ctx)
        with anyio.move_on_after(seconds):
            return await call_next(ctx)
        return _error(
            f"The call took longer than {seconds:g} s and was stopped. A change it was making "
            "may or may not have been applied: check the current state before retrying."
        )

    return middleware


def concise_argument_errors() -> ServerMiddleware:
    """Rewrite the SDK's pydantic report as `field: problem (got value)` lines."""

    async def middleware(ctx: ServerRequestContext[Any, Any], call_next: CallNext) -> HandlerResult:
        result = await call_next(ctx)
        if ctx.method != "tools/call":
            return result
        # The handler's answer arrives here already serialised (a dict) or as the model.
        answer = result.model_dump() if isinstance(result, CallToolResult) else result
        if isinstance(answer, dict) and (answer.get("isError") or answer.get("is_error")):
            content = answer.get("content") or [{}]
            text = content[0].get("text") if isinstance(content[0], dict) else None
            concise = condense(text) if isinstance(text, str) else None
            if concise is not None:
                return _error(concise)
        return result

    return middleware


def condense(report: str) -> str | None:
    """The plain form of a pydantic argument report, or None if `report` is not one."""
    lines = report.splitlines()
    header = _HEADER.match(lines[0]) if lines else None
    if header is None:
        return None
    problems = []
    for field, detail in zip(lines[1::3], lines[2::3], strict=False):
        match = _DETAIL.match(detail.strip())
        if match is None:
            return None
        message = match["msg"].removeprefix("Value error, ")
        value = match["value"]
        shown = f" (got {value})" if value is not None and match["type"] != "missing" else ""
        problems.append(f"- {field}: {message}{shown}")
    return f"Invalid arguments for {header['tool']}; nothing was sent:\n" + "\n".join(problems)
