"""Serves the Markdown templates in `prompts/` as MCP prompts.

Each file starts with a small header between `---` lines:

    name: audit-powerpacks
    title: Audit all Powerpacks
    description: One line on what the prompt is for.
    arg: focus (optional): What to pay most attention to.

and its body may use `{argument}` placeholders. The templates ship inside the wheel as
`powerpack_mcp/_prompts`; from a source checkout they are read from the repository root.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mcp.server.mcpserver import MCPServer
from mcp.server.mcpserver.prompts.base import Prompt, PromptArgument

_ARG = re.compile(r"^(?P<name>[a-z_]+)\s*(?P<opt>\(optional\))?\s*:\s*(?P<desc>.+)$")


@dataclass(frozen=True)
class Template:
    name: str
    title: str
    description: str
    arguments: tuple[PromptArgument, ...]
    body: str

    def required_arguments(self) -> frozenset[str]:
        return frozenset(arg.name for arg in self.arguments if arg.required)

    def render(self, values: dict[str, str]) -> str:
        known = {arg.name: values.get(arg.name) or "(not given)" for arg in self.arguments}
        return self.body.format_map(known).strip()


def prompts_dir() -> Path:
    packaged = Path(__file__).parent / "_prompts"
    return packaged if packaged.is_dir() else Path(__file__).parent.parent / "prompts"


def parse(text: str) -> Template:
    _, header, body = text.split("---\n", 2)
    fields: dict[str, str] = {}
    arguments: list[PromptArgument] = []
    for line in header.strip().splitlines():
        key, _, value = line.partition(":")
        if key.strip() == "arg":
            match = _ARG.match(value.strip())
            if match is None:
                raise ValueError(f"bad prompt argument line: {line!r}")
            arguments.append(
                PromptArgument(
                    name=match["name"], description=match["desc"], required=not match["opt"]
                )
            )
        else:
            fields[key.strip()] = value.strip()
    return Template(
        name=fields["name"],
        title=fields.get("title", fields["name"]),
        description=fields["description"],
        arguments=tuple(arguments),
        body=body,
    )


def load_templates(directory: Path | None = None) -> list[Template]:
    folder = directory or prompts_dir()
    return [parse(path.read_text(encoding="utf-8")) for path in sorted(folder.glob("*.md"))]


def register_prompts(server: MCPServer[Any], templates: list[Template]) -> None:
    for template in templates:
        server.add_prompt(
            Prompt(
                name=template.name,
                title=template.title,
                description=template.description,
                arguments=list(template.arguments),
                fn=_renderer(template),
            )
        )


def _renderer(template: Template) -> Any:
    async def render(**values: str) -> str:
        return template.render(values)

    return render
