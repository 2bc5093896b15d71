"""Server middleware: hidden tools refused with a reason, each caller's scopes (what it is
shown and what it may call), a time limit per tool call, argument errors told in a few plain
lines instead of pydantic's report, and the JSON-RPC error codes each protocol version
specifies for prompts and resources."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

import anyio
from mcp import MCPError
from mcp.server.apps import client_supports_apps
from mcp.server.context import CallNext, HandlerResult, ServerRequestContext
from mcp.types import INVALID_PARAMS, INVALID_REQUEST, CallToolResult, TextContent
from mcp_types.version import HANDSHAKE_PROTOCOL_VERSIONS

from .access import Rights, granted, refusal

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


#: Only what a refusal's audit line needs: which Powerpack, which number, whether to unrent.
_AUDITED_ARGUMENTS = ("powerpack", "number", "unrent", "unrent_numbers", "confirmation_id")


def app_only_for_apps(names: frozenset[str]) -> ServerMiddleware:
    """App-only tools (the card's confirm_unrent) are listed only to clients that negotiated
    MCP Apps on this request. A host that shows views keeps them from the model; any other
    client would hand them to the model, which can do nothing with them but spend context
    (a call without a card is refused anyway)."""

    async def middleware(ctx: ServerRequestContext[Any, Any], call_next: CallNext) -> HandlerResult:
        result = await call_next(ctx)
        if ctx.method != "tools/list" or client_supports_apps(ctx):
            return result
        return _filtered(result, lambda name: name not in names)

    return middleware


def enforce_scopes(rights: Rights, *, tokens_required: bool) -> ServerMiddleware:
    """`tools/list` shows each caller only the tools it may call; a call outside its scopes
    is refused with the reason (and recorded) before anything reads or sends."""

    async def middleware(ctx: ServerRequestContext[Any, Any], call_next: CallNext) -> HandlerResult:
        scopes = granted(tokens_required)
        if ctx.method == "tools/list":
            return _visible(await call_next(ctx), rights, scopes)
        params = ctx.params or {}
        if ctx.method == "tools/call" and isinstance(params.get("name"), str):
            name, arguments = params["name"], params.get("arguments")
            arguments = arguments if isinstance(arguments, Mapping) else {}
            lacking = rights.to_call(name, arguments) - scopes
            if lacking:
                await _record_refusal(ctx, name, arguments, lacking)
                return _error(refusal(name, lacking))
        uri = params.get("uri") if ctx.method == "resources/read" else None
        # ui:// views are static HTML; powerpack:// resources are the account's data.
        if isinstance(uri, str) and uri.startswith("powerpack://") and "read" not in scopes:
            raise MCPError(INVALID_REQUEST, "Reading resources needs the read scope.")
        return await call_next(ctx)

    return middleware


def _visible(result: HandlerResult, rights: Rights, scopes: frozenset[str]) -> HandlerResult:
    return _filtered(result, lambda name: rights.to_list(name) <= scopes)


def _filtered(result: HandlerResult, shown: Callable[[str], bool]) -> HandlerResult:
    """A tools/list answer (a dict or the model) with only the tools `shown` keeps."""

    def keep(name: Any) -> bool:
        return isinstance(name, str) and shown(name)

    if isinstance(result, dict) and isinstance(result.get("tools"), list):
        return {**result, "tools": [t for t in result["tools"] if keep(t.get("name"))]}
    tools = getattr(result, "tools", None)
    if isinstance(tools, list) and hasattr(result, "model_copy"):
        return result.model_copy(update={"tools": [t for t in tools if keep(t.name)]})  # type: ignore[union-attr]
    return result


async def _record_refusal(
    ctx: ServerRequestContext[Any, Any],
    tool: str,
    arguments: Mapping[str, Any],
    lacking: frozenset[str],
) -> None:
    audit = getattr(ctx.lifespan_context, "audit", None)
    if audit is None:
        return
    target = arguments.get("powerpack")
    await audit.decision(
        tool,
        target=target if isinstance(target, str) else "unknown",
        arguments={k: arguments[k] for k in _AUDITED_ARGUMENTS if k in arguments},
        confirmation={"mode": "scope", "result": f"needs {'+'.join(sorted(lacking))}"},
        outcome="refused",
    )


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
        # An answer that is no error is passed on untouched (dumping it costs a whole answer).
        if ctx.method != "tools/call" or not is_error(result):
            return result
        answer = result.model_dump() if isinstance(result, CallToolResult) else result
        if isinstance(answer, dict):
            content = answer.get("content") or [{}]
            text = content[0].get("text") if isinstance(content[0], dict) else None
            concise = condense(text) if isinstance(text, str) else None
            if concise is not None:
                return _error(concise)
        return result

    return middleware


def is_error(result: HandlerResult) -> bool:
    """Whether a tools/call answer is an error; it arrives here already serialised (a dict)
    or as the model."""
    if isinstance(result, Mapping):
        return bool(result.get("isError") or result.get("is_error"))
    return bool(getattr(result, "is_error", False))


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
