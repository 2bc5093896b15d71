"""The schemas a model reads, trimmed of what pydantic generates for people reading code.

Every tool's schemas are sent to the model before the user says a word, so each key costs
context. pydantic adds a `title` that repeats each property's name, wraps every optional
value in `anyOf [X, null]` (with the parameter's description inside the branch), and moves
every model into `$defs` even when it is used once. Rewritten here, once per process:

- no `title`; `$defs` inlined (ours are used once each and are not recursive); no model
  docstrings: the field holding a model, or the tool's description, says what it is;
- inputs: an optional parameter is its plain type (leave it out to leave it unset), with its
  description on the property itself, and no `default: null`;
- outputs: a nullable value is `type: [X, "null"]` (what the client validates against, and
  cheaper to validate than `anyOf`); no defaults, `format`s, `additionalProperties` or nested
  `required`s; descriptions only on the answer's own fields; objects nested two levels down
  are plain objects; and a model another tool's answer already spells out (the Powerpack,
  in get_powerpack's) is published as its required fields and a pointer to that tool.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from .base import compact_answers

if TYPE_CHECKING:
    from mcp.server.mcpserver.tools import Tool

_DEFS = "#/$defs/"
#: Objects nested this deep in an answer are published as plain objects.
_OUTPUT_DEPTH = 2
_OUTPUT_ONLY_DROPPED = frozenset({"default", "format", "additionalProperties"})


def slim_tool(
    tool: Tool,
    brief: Mapping[str, str] | None = None,
    brief_items: Mapping[str, str] | None = None,
    unused: frozenset[str] = frozenset(),
) -> Tool:
    """The SDK's tool with both schemas slimmed (the SDK reads them live, per call), its
    answers' text compact.

    `brief` maps a model's name to the sentence that replaces its fields in the answer's
    schema (all but the required ones). `brief_items` maps a list parameter to the sentence
    that replaces its description and items' schema, spelled out by another tool's (they are
    still checked).
    `unused` names fields this server never uses, left out of both schemas (a call that
    passes one anyway is still validated against the function's own signature)."""
    tool.parameters = _without(slim_input(tool.parameters), unused)
    for name, sentence in (brief_items or {}).items():
        prop = tool.parameters["properties"][name]
        prop["items"] = {"type": "object"}
        prop["description"] = sentence
    output = tool.fn_metadata.output_schema
    if output is not None:
        tool.fn_metadata.output_schema = _without(slim_output(output, brief or {}), unused)
        tool.fn = compact_answers(tool.fn)
        # Every answer is now a CallToolResult dumped from an instance of the output model,
        # so it matches by construction: without the model, the SDK does not validate the
        # dump again on every call (it still publishes the schema, and clients validate).
        tool.fn_metadata.output_model = None
    return tool


def _without(schema: dict[str, Any], names: frozenset[str]) -> dict[str, Any]:
    props = schema.get("properties", {})
    if not names & props.keys():
        return schema
    kept = {name: value for name, value in props.items() if name not in names}
    required = [name for name in schema.get("required", []) if name not in names]
    slim = {**schema, "properties": kept}
    if "required" in schema:
        slim["required"] = required
    return slim


def slim_input(schema: dict[str, Any]) -> dict[str, Any]:
    return _node(_inline(schema, {}), output=False)


def slim_output(schema: dict[str, Any], brief: Mapping[str, str]) -> dict[str, Any]:
    name = str(schema.get("title", ""))
    root = _brief(schema, brief[name]) if name in brief else schema
    slim = _node(_inline(root, brief), output=True)
    if name not in brief:
        slim.pop("description", None)  # the model's docstring: the tool says what it returns
    return slim


def _brief(definition: dict[str, Any], sentence: str) -> dict[str, Any]:
    required = definition.get("required", [])
    props = definition.get("properties", {})
    return {
        "type": "object",
        "description": sentence,
        "properties": {name: props[name] for name in required},
        "required": required,
    }


def _inline(schema: dict[str, Any], brief: Mapping[str, str]) -> dict[str, Any]:
    """Replace each `$ref` by its definition, or by its brief form."""
    defs: dict[str, Any] = schema.get("$defs", {})

    def walk(value: Any) -> Any:
        if isinstance(value, list):
            return [walk(item) for item in value]
        if not isinstance(value, dict):
            return value
        ref = value.get("$ref")
        if isinstance(ref, str) and ref.startswith(_DEFS):
            name = ref.removeprefix(_DEFS)
            definition = dict(defs[name])
            if name in brief:
                definition = _brief(definition, brief[name])
            else:
                definition.pop("description", None)  # the model's docstring
            siblings = {k: v for k, v in value.items() if k != "$ref"}
            return walk({**definition, **siblings})
        return {k: walk(v) for k, v in value.items() if k != "$defs"}

    inlined: dict[str, Any] = walk(schema)
    return inlined


def _node(schema: dict[str, Any], *, output: bool, depth: int = 0) -> dict[str, Any]:
    schema = _nullable(schema, output=output)
    if output and depth >= _OUTPUT_DEPTH and _is_object(schema):
        # The model reads the data itself; the input schema of the tool that sets such a
        # value (create_powerpack's number_priority) spells out its structure.
        return {"type": schema["type"]}
    slim: dict[str, Any] = {}
    for key, value in schema.items():
        if key == "title" or (output and key in _OUTPUT_ONLY_DROPPED):
            continue
        if key == "default" and value is None:
            continue
        if output and depth > 1 and key in ("description", "required"):
            continue
        if key == "type" and output and "enum" in schema:
            continue  # the enum says it
        if key == "description" and _lists_enum(value, schema.get("enum")):
            continue  # "SMS or MMS." next to enum [SMS, MMS]
        slim[key] = _children(key, value, output=output, depth=depth)
    return slim


def _children(key: str, value: Any, *, output: bool, depth: int) -> Any:
    if key == "properties":
        return {name: _node(p, output=output, depth=depth + 1) for name, p in value.items()}
    if key == "items" and isinstance(value, dict):
        return _node(value, output=output, depth=depth)
    if key in ("anyOf", "oneOf", "allOf"):
        return [_node(branch, output=output, depth=depth) for branch in value]
    return value


def _lists_enum(description: Any, enum: Any) -> bool:
    """A description that only names the enum's values, which the enum already lists."""
    if not isinstance(description, str) or not isinstance(enum, list):
        return False
    words = description.replace(",", " ").rstrip(".").split()
    return {w for w in words if w != "or"} == {str(v) for v in enum if v is not None}


def _is_object(schema: dict[str, Any]) -> bool:
    return schema.get("type") in ("object", ["object", "null"])


def _nullable(schema: dict[str, Any], *, output: bool) -> dict[str, Any]:
    """`anyOf [X, null]` -> X (inputs: leave it out) or X with null allowed (outputs)."""
    branches = schema.get("anyOf")
    if not isinstance(branches, list) or len(branches) != 2 or {"type": "null"} not in branches:
        return schema
    (inner,) = [b for b in branches if b != {"type": "null"}]
    if "type" not in inner:
        return schema
    outer = {k: v for k, v in schema.items() if k != "anyOf"}
    merged = {**inner, **outer}  # the field's own description wins over the type's
    if output:
        merged["type"] = [inner["type"], "null"]
        if "enum" in inner:
            merged["enum"] = [*inner["enum"], None]
    return merged
