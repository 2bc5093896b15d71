"""`powerpack-mcp demo`: what an assistant does with this server, against the built-in
emulator, told as a readable transcript. It needs no account and no network, and exits 0 only
if every step behaved as expected, so it doubles as a smoke test."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import anyio
import httpx
from mcp import Client
from mcp.client.context import ClientRequestContext
from mcp.types import CallToolResult, ElicitRequestParams, ElicitResult

from ..sandbox import create_app
from ..server import build_server
from ..settings import Settings
from .style import Style, table

NEW = "spring-campaign"
SPARE = {"spare_only": True, "country_iso2": "US", "type": "local", "limit": 100}
SPARE_LOCAL = 4  # in the emulator's demo account
Arguments = dict[str, Any] | Callable[[dict[str, Any]], dict[str, Any]]


@dataclass
class Step:
    title: str
    tool: str
    # Or built from the previous step's answer, as an assistant does with what it just read.
    arguments: Arguments
    expect: Callable[[CallToolResult], bool]


def _data(result: CallToolResult) -> dict[str, Any]:
    return result.structured_content or {}


def _ok(check: Callable[[dict[str, Any]], bool]) -> Callable[[CallToolResult], bool]:
    return lambda result: not result.is_error and check(_data(result))


STEPS = [
    Step(
        "List the account's Powerpacks", "list_powerpacks", {}, _ok(lambda d: d["total_count"] >= 3)
    ),
    Step(
        "Create one for a campaign, Local Connect off",
        "create_powerpack",
        {"name": NEW, "local_connect": False},
        _ok(lambda d: d["name"] == NEW and d["local_connect"] is False),
    ),
    Step(
        "Look it up by name",
        "get_powerpack",
        {"powerpack": NEW},
        _ok(lambda d: d["name"] == NEW),
    ),
    Step(
        "Turn Local Connect on",
        "update_powerpack",
        {"powerpack": NEW, "local_connect": True},
        _ok(lambda d: d["local_connect"] is True),
    ),
    Step(
        "Fill its pool with our spare US local numbers. Call 1: find them",
        "list_account_numbers",
        SPARE,
        _ok(lambda d: d["total_count"] >= 2 and all(n["spare"] for n in d["numbers"])),
    ),
    Step(
        "Call 2: add them all at once",
        "add_pool_number",
        lambda found: {"powerpack": NEW, "numbers": [n["number"] for n in found["numbers"]]},
        _ok(lambda d: d["status"] == "added"),
    ),
    Step(
        "See the pool",
        "list_pool_numbers",
        {"powerpack": NEW},
        _ok(lambda d: d["total_count"] == SPARE_LOCAL),
    ),
    Step(
        "Delete it and unrent its numbers: the person says no",
        "delete_powerpack",
        {"powerpack": NEW, "unrent_numbers": True},
        _ok(lambda d: d["status"] == "cancelled"),
    ),
    Step(
        "Ask again: the person types the name to confirm",
        "delete_powerpack",
        {"powerpack": NEW, "unrent_numbers": True},
        _ok(lambda d: d["status"] == "deleted" and len(d["numbers_unrented"]) == SPARE_LOCAL),
    ),
    Step(
        "Check that it is gone",
        "get_powerpack",
        {"powerpack": NEW},
        lambda result: result.is_error,
    ),
]


class Person:
    """Stands in for the human at the confirmation form: says no once, then confirms."""

    def __init__(self, out: Style) -> None:
        self.out = out
        self.answers = iter(
            [ElicitResult(action="decline"), ElicitResult(action="accept", content={"name": NEW})]
        )

    async def __call__(
        self, context: ClientRequestContext, params: ElicitRequestParams
    ) -> ElicitResult:
        self.out.print(self.out("   The server asks the person, in a form:", "yellow"))
        for line in params.message.splitlines():
            self.out.print(self.out(f"     | {line}".rstrip(), "yellow"))
        answer = next(self.answers)
        said = "declines" if answer.action == "decline" else f"types '{NEW}' and confirms"
        self.out.print(self.out(f"   The person {said}.", "yellow"))
        return answer


def summary(tool: str, result: CallToolResult) -> list[str]:
    """A few readable lines instead of raw JSON."""
    if result.is_error:
        first = result.content[0] if result.content else None
        message = first.text if first is not None and first.type == "text" else "?"
        return [f"error: {message.removeprefix(f'Error executing tool {tool}: ')}"]
    data = _data(result)
    if tool == "list_powerpacks":
        rows = [
            [
                p["name"],
                _on(p["sticky_sender"]),
                _on(p["local_connect"]),
                p["application_type"] or "-",
            ]
            for p in data["powerpacks"]
        ]
        return [
            f"{data['total_count']} Powerpacks:",
            *table(rows, ["NAME", "STICKY", "LOCAL", "APP"]),
        ]
    if tool == "list_pool_numbers":
        rows = [[n["number"], n.get("type") or "", n.get("service") or ""] for n in data["numbers"]]
        return [
            f"{data['total_count']} number(s) in the pool:",
            *table(rows, ["NUMBER", "TYPE", "SERVICE"]),
        ]
    if tool == "list_account_numbers":
        rows = [[n["number"], n["type"] or "", n["region"] or ""] for n in data["numbers"]]
        return [
            f"{data['total_count']} spare number(s). {data['read']}",
            *table(rows, ["NUMBER", "TYPE", "REGION"]),
        ]
    if "uuid" in data and "sticky_sender" in data:
        sticky, local = _on(data["sticky_sender"]), _on(data["local_connect"])
        return [
            f"{data['name']} ({data['uuid']})",
            f"Sticky Sender {sticky}, Local Connect {local}",
        ]
    return [data.get("message") or json.dumps(data)]


def _on(flag: bool) -> str:
    return "on" if flag else "off"


async def run_demo(out: Style) -> bool:
    settings = Settings(sandbox=True, confirm="elicit")
    server = build_server(settings, transport=httpx.ASGITransport(app=create_app()))
    out.print(out("powerpack-mcp demo", "bold") + ": an assistant at work, against the built-in")
    out.print("Plivo emulator (no account, no network). Each step is one MCP tool call.")
    passed = True
    previous: dict[str, Any] = {}
    async with Client(server, elicitation_callback=Person(out)) as client:
        for number, step in enumerate(STEPS, 1):
            out.print()
            out.print(out(f"{number}. {step.title}", "bold"))
            arguments = step.arguments(previous) if callable(step.arguments) else step.arguments
            out.print(out(f"   -> {step.tool} {json.dumps(arguments)}", "cyan"))
            result = await client.call_tool(step.tool, arguments)
            previous = _data(result)
            for line in summary(step.tool, result):
                out.print(f"   {line}")
            good = step.expect(result)
            passed = passed and good
            out.print(out("   ok", "green") if good else out("   UNEXPECTED", "red", "bold"))
    out.print()
    verdict = (
        "Every step behaved as expected." if passed else "Some steps did not behave as expected."
    )
    out.print(out(verdict, "green" if passed else "red", "bold"))
    return passed


def main() -> int:
    return 0 if anyio.run(run_demo, Style()) else 1
