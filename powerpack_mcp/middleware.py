"""Server middleware: hidden tools refused with a reason, a time limit per tool call,
argument errors told in a few plain lines instead of pydantic's report, and the JSON-RPC
error codes each protocol version specifies for prompts and resources."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

import anyio
from mcp import MCPError
from mcp.server.context import CallNext, HandlerResult, ServerRequestContext
from mcp.types import INVALID_PARAMS, CallToolResult, TextContent
from mcp_types.version import HANDSHAKE_PROTOCOL_VERSIONS

ServerMiddleware = Any  # the SDK's protocol is generic over the lifespan type

#: "Resource not found" up to 2025-11-25; SEP-2164 retired it for INVALID_PARAMS in 2026-07-28.
RESOURCE_NOT_FOUND = -32002

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


def prompt_arguments(required: Mapping[str, frozenset[str]]) -> ServerMiddleware:
    """An unknown prompt, or one asked for without a required argument, is invalid params.

    `required` maps each prompt to its required argument names. The SDK would raise a plain
    ValueError for both, which reaches the client as code 0 or -32603 (an internal error).
    """

    async def middleware(ctx: ServerRequestContext[Any, Any], call_next: CallNext) -> HandlerResult:
        params = ctx.params or {}
        name, given = params.get("name"), params.get("arguments") or {}
        # Malformed params are left to the SDK's own validation, which already says so.
        if ctx.method == "prompts/get" and isinstance(name, str) and isinstance(given, Mapping):
            if name not in required:
                known = ", ".join(sorted(required))
                raise MCPError(INVALID_PARAMS, f"Unknown prompt: {name!r}; known: {known}")
            missing = sorted(required[name] - set(given))
            if missing:
                raise MCPError(
                    INVALID_PARAMS,
                    f"Prompt {name!r} needs the argument(s): {', '.join(missing)}",
                    data={"missing": missing},
                )
        return await call_next(ctx)

    return middleware


def resource_not_found_code() -> ServerMiddleware:
    """Before 2026-07-28 a resource that does not exist is -32002, not invalid params.

    The SDK answers a `ResourceNotFoundError` (an unknown URI, or one our handler raises) with
    INVALID_PARAMS and `{"uri": ...}` as data, which is right for 2026-07-28 only.
    """

    async def middleware(ctx: ServerRequestContext[Any, Any], call_next: CallNext) -> HandlerResult:
        legacy = ctx.protocol_version in HANDSHAKE_PROTOCOL_VERSIONS
        if ctx.method != "resources/read" or not legacy:
            return await call_next(ctx)
        try:
            return await call_next(ctx)
        except MCPError as exc:
            if exc.code == INVALID_PARAMS and isinstance(exc.data, dict) and "uri" in exc.data:
                raise MCPError(RESOURCE_NOT_FOUND, exc.message, exc.data) from None
            raise

    return middleware
