"""What a model sees is pinned: any change to a tool's schemas or hints is a reviewed diff.

Regenerate after a deliberate change with `pytest tests/test_schemas.py --inline-snapshot=fix`.
"""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from inline_snapshot import snapshot
from mcp.types import Tool
from starlette.applications import Starlette
from support import connect, ok, text

pytestmark = pytest.mark.anyio

# Some clients reject a whole server over one property name outside this pattern.
PROPERTY_NAME = re.compile(r"^[a-zA-Z0-9_.-]{1,64}$")


async def _tools(app: Starlette) -> list[Tool]:
    async with connect(app) as client:
        return (await client.list_tools()).tools


def _property_names(schema: Any) -> list[str]:
    names: list[str] = []
    if isinstance(schema, dict):
        for key, value in schema.items():
            if key == "properties" and isinstance(value, dict):
                names.extend(value)
            names.extend(_property_names(value))
    elif isinstance(schema, list):
        for item in schema:
            names.extend(_property_names(item))
    return names


async def test_every_tool_sets_every_annotation(sandbox_app: Starlette) -> None:
    for tool in await _tools(sandbox_app):
        hints = tool.annotations
        assert hints is not None, tool.name
        # The title is the tool's own (clients read it first), not repeated in the hints.
        assert tool.title, tool.name
        for hint in ("read_only_hint", "destructive_hint", "idempotent_hint"):
            assert getattr(hints, hint) is not None, f"{tool.name} leaves {hint} unset"
        assert hints.open_world_hint is not None, tool.name
        assert tool.output_schema is not None, f"{tool.name} has no output schema"
        assert len(tool.description or "") > 80, f"{tool.name} needs a real description"


#: What `tools/list` may cost a model's context before the user says a word (characters / 4).
CONTEXT_BUDGET_TOKENS = 4000


async def test_the_tool_list_fits_the_context_budget(sandbox_app: Starlette) -> None:
    tools = [
        tool.model_dump(mode="json", by_alias=True, exclude_none=True)
        for tool in await _tools(sandbox_app)
    ]
    chars = len(json.dumps({"tools": tools}, separators=(",", ":"), ensure_ascii=False))
    assert chars / 4 < CONTEXT_BUDGET_TOKENS, f"tools/list is {chars / 4:.0f} tokens"


def _keywords(schema: Any, found: set[str]) -> set[str]:
    """Every JSON Schema keyword used anywhere in `schema` (property names are not)."""
    if isinstance(schema, dict):
        for key, value in schema.items():
            if key == "properties":
                for prop in value.values():
                    _keywords(prop, found)
            else:
                found.add(key)
                _keywords(value, found)
    elif isinstance(schema, list):
        for item in schema:
            _keywords(item, found)
    return found


async def test_schemas_carry_no_generated_noise(sandbox_app: Starlette) -> None:
    for tool in await _tools(sandbox_app):
        inputs = _keywords(tool.input_schema, set())
        outputs = _keywords(tool.output_schema, set())
        # Titles repeat property names; $defs used once; optional parameters' descriptions
        # hidden in an anyOf branch the model may not read.
        assert not {"title", "$defs", "$ref", "anyOf"} & (inputs | outputs), tool.name


async def test_answers_are_compact_json(sandbox_app: Starlette) -> None:
    async with connect(sandbox_app) as client:
        for name, arguments in (
            ("get_powerpack", {"powerpack": "marketing"}),
            ("list_powerpacks", {}),
            ("list_pool_numbers", {"powerpack": "marketing"}),
        ):
            answer = await client.call_tool(name, arguments)
            written = text(answer)
            assert json.loads(written) == ok(answer), name
            assert written == json.dumps(ok(answer), separators=(",", ":"), ensure_ascii=False)


async def test_property_names_are_portable(sandbox_app: Starlette) -> None:
    for tool in await _tools(sandbox_app):
        for name in _property_names(tool.input_schema) + _property_names(tool.output_schema):
            assert PROPERTY_NAME.match(name), (tool.name, name)


async def test_hints(sandbox_app: Starlette) -> None:
    hints = {
        tool.name: (
            tool.annotations.read_only_hint,
            tool.annotations.destructive_hint,
            tool.annotations.idempotent_hint,
        )
        for tool in await _tools(sandbox_app)
        if tool.annotations is not None
    }
    assert hints == snapshot(
        {
            "list_powerpacks": (True, False, True),
            "get_powerpack": (True, False, True),
            "create_powerpack": (False, False, False),
            "update_powerpack": (False, True, True),
            "delete_powerpack": (False, True, False),
            "list_pool_numbers": (True, False, True),
            "add_pool_number": (False, False, False),
            "remove_pool_number": (False, True, False),
            "list_account_numbers": (True, False, True),
        }
    )


async def test_input_schemas(sandbox_app: Starlette) -> None:
    schemas = {tool.name: tool.input_schema for tool in await _tools(sandbox_app)}
    assert schemas == snapshot(
        {
            "list_powerpacks": {
                "type": "object",
                "properties": {
                    "limit": {
                        "default": 20,
                        "maximum": 20,
                        "minimum": 1,
                        "type": "integer",
                    },
                    "offset": {
                        "default": 0,
                        "description": "The last answer's next_offset.",
                        "minimum": 0,
                        "type": "integer",
                    },
                },
            },
            "get_powerpack": {
                "type": "object",
                "properties": {
                    "powerpack": {
                        "description": "UUID or exact name.",
                        "type": "string",
                    }
                },
                "required": ["powerpack"],
            },
            "create_powerpack": {
                "type": "object",
                "properties": {
                    "name": {
                        "description": "Unique in the account; printable, no leading or trailing spaces.",
                        "maxLength": 64,
                        "minLength": 1,
                        "type": "string",
                    },
                    "sticky_sender": {
                        "default": True,
                        "description": "A destination always gets messages from the same number.",
                        "type": "boolean",
                    },
                    "local_connect": {
                        "default": True,
                        "description": "Prefer numbers in the destination's area code, then state.",
                        "type": "boolean",
                    },
                    "application_type": {
                        "description": "The application's kind; needs application_id.",
                        "enum": ["xml", "phlo"],
                        "type": "string",
                    },
                    "application_id": {
                        "description": "The XML application's or PHLO's ID the numbers use; 'none' detaches.",
                        "maxLength": 64,
                        "minLength": 1,
                        "type": "string",
                    },
                    "number_priority": {
                        "description": "Per country and service type, the order in which sender types are tried: priority1 first; shortcode, tollfree and longcode each once. One item per pair.",
                        "items": {
                            "additionalProperties": False,
                            "properties": {
                                "country_iso": {
                                    "description": "ISO 3166-1 alpha-2 country code, e.g. US.",
                                    "type": "string",
                                },
                                "service_type": {
                                    "enum": ["SMS", "MMS"],
                                    "type": "string",
                                },
                                "priority": {
                                    "additionalProperties": False,
                                    "properties": {
                                        "priority1": {
                                            "enum": ["shortcode", "tollfree", "longcode"],
                                            "type": "string",
                                        },
                                        "priority2": {
                                            "enum": ["shortcode", "tollfree", "longcode"],
                                            "type": "string",
                                        },
                                        "priority3": {
                                            "enum": ["shortcode", "tollfree", "longcode"],
                                            "type": "string",
                                        },
                                    },
                                    "required": ["priority1", "priority2", "priority3"],
                                    "type": "object",
                                },
                            },
                            "required": ["country_iso", "service_type", "priority"],
                            "type": "object",
                        },
                        "maxItems": 100,
                        "type": "array",
                    },
                },
                "required": ["name"],
            },
            "update_powerpack": {
                "type": "object",
                "properties": {
                    "powerpack": {
                        "description": "UUID or exact name.",
                        "type": "string",
                    },
                    "name": {
                        "description": "Unique in the account; printable, no leading or trailing spaces.",
                        "maxLength": 64,
                        "minLength": 1,
                        "type": "string",
                    },
                    "sticky_sender": {
                        "description": "A destination always gets messages from the same number.",
                        "type": "boolean",
                    },
                    "local_connect": {
                        "description": "Prefer numbers in the destination's area code, then state.",
                        "type": "boolean",
                    },
                    "application_type": {
                        "description": "The application's kind; needs application_id.",
                        "enum": ["xml", "phlo"],
                        "type": "string",
                    },
                    "application_id": {
                        "description": "The XML application's or PHLO's ID the numbers use; 'none' detaches.",
                        "maxLength": 64,
                        "minLength": 1,
                        "type": "string",
                    },
                    "number_priority": {
                        "description": "The whole new list, items as in create_powerpack: {country_iso, service_type, priority: {priority1, priority2, priority3}}.",
                        "items": {"type": "object"},
                        "maxItems": 100,
                        "type": "array",
                    },
                },
                "required": ["powerpack"],
            },
            "delete_powerpack": {
                "type": "object",
                "properties": {
                    "powerpack": {
                        "description": "UUID or exact name.",
                        "type": "string",
                    },
                    "unrent_numbers": {
                        "default": False,
                        "description": "true: every pool number is unrented too (a person must confirm); false: they stay rented.",
                        "type": "boolean",
                    },
                },
                "required": ["powerpack"],
            },
            "list_pool_numbers": {
                "type": "object",
                "properties": {
                    "powerpack": {
                        "description": "UUID or exact name.",
                        "type": "string",
                    },
                    "type": {"enum": ["fixed", "mobile", "toll-free"], "type": "string"},
                    "service": {"enum": ["sms", "mms"], "type": "string"},
                    "country_iso2": {
                        "description": "e.g. US",
                        "type": "string",
                    },
                    "starts_with": {
                        "items": {
                            "description": "e.g. 415",
                            "pattern": "^\\d{1,10}$",
                            "type": "string",
                        },
                        "maxItems": 10,
                        "minItems": 1,
                        "type": "array",
                        "description": "Only numbers whose national part starts with one of these; needs country_iso2.",
                    },
                    "limit": {
                        "default": 20,
                        "maximum": 20,
                        "minimum": 1,
                        "type": "integer",
                    },
                    "offset": {
                        "default": 0,
                        "description": "The last answer's next_offset.",
                        "minimum": 0,
                        "type": "integer",
                    },
                },
                "required": ["powerpack"],
            },
            "add_pool_number": {
                "type": "object",
                "properties": {
                    "powerpack": {
                        "description": "UUID or exact name.",
                        "type": "string",
                    },
                    "number": {
                        "description": "A phone number the account rents, E.164 with or without '+'.",
                        "maxLength": 24,
                        "minLength": 8,
                        "type": "string",
                    },
                    "numbers": {
                        "description": "Up to 100 numbers instead of number, answered one by one.",
                        "items": {"maxLength": 32, "type": "string"},
                        "maxItems": 100,
                        "minItems": 1,
                        "type": "array",
                    },
                    "service": {
                        "default": "sms",
                        "description": "What the numbers send: sms or mms.",
                        "enum": ["sms", "mms"],
                        "type": "string",
                    },
                },
                "required": ["powerpack"],
            },
            "remove_pool_number": {
                "type": "object",
                "properties": {
                    "powerpack": {
                        "description": "UUID or exact name.",
                        "type": "string",
                    },
                    "number": {
                        "description": "A number in the pool: a phone number (E.164, with or without '+') or a short code (3 to 8 digits, no '+').",
                        "maxLength": 24,
                        "minLength": 3,
                        "type": "string",
                    },
                    "numbers": {
                        "description": "Up to 100 numbers instead of number, answered one by one.",
                        "items": {"maxLength": 32, "type": "string"},
                        "maxItems": 100,
                        "minItems": 1,
                        "type": "array",
                    },
                    "unrent": {
                        "default": False,
                        "description": "true: the numbers are unrented too (a person must confirm, once for a whole list; never for short codes); false: they stay rented.",
                        "type": "boolean",
                    },
                },
                "required": ["powerpack"],
            },
            "list_account_numbers": {
                "type": "object",
                "properties": {
                    "spare_only": {
                        "default": False,
                        "description": "Only numbers in no Powerpack's pool.",
                        "type": "boolean",
                    },
                    "with_powerpack": {
                        "default": False,
                        "description": "Name each number's Powerpack.",
                        "type": "boolean",
                    },
                    "type": {
                        "enum": ["local", "fixed", "mobile", "national", "toll-free"],
                        "type": "string",
                    },
                    "country_iso2": {"description": "e.g. US", "type": "string"},
                    "region": {
                        "maxLength": 64,
                        "minLength": 2,
                        "type": "string",
                        "description": "Contains this, e.g. Texas.",
                    },
                    "number_startswith": {
                        "pattern": "^\\+?\\d{1,15}$",
                        "type": "string",
                        "description": "Country code first, e.g. 1512.",
                    },
                    "services": {
                        "items": {"enum": ["voice", "sms", "mms"], "type": "string"},
                        "maxItems": 3,
                        "minItems": 1,
                        "type": "array",
                        "description": "Offers all of these.",
                    },
                    "limit": {
                        "default": 20,
                        "maximum": 100,
                        "minimum": 1,
                        "type": "integer",
                    },
                    "offset": {
                        "default": 0,
                        "description": "The last answer's next_offset.",
                        "minimum": 0,
                        "type": "integer",
                    },
                },
            },
        }
    )


async def test_output_schemas(sandbox_app: Starlette) -> None:
    schemas = {tool.name: tool.output_schema for tool in await _tools(sandbox_app)}
    assert schemas == snapshot(
        {
            "list_powerpacks": {
                "properties": {
                    "powerpacks": {
                        "items": {
                            "type": "object",
                            "description": "A Powerpack, with the fields get_powerpack describes.",
                            "properties": {
                                "uuid": {"type": "string"},
                                "name": {"type": "string"},
                                "local_connect": {"type": "boolean"},
                            },
                            "required": ["uuid", "name", "local_connect"],
                        },
                        "type": "array",
                    },
                    "total_count": {"type": "integer"},
                    "limit": {"type": "integer"},
                    "offset": {"type": "integer"},
                    "has_more": {"type": "boolean"},
                    "next_offset": {"type": ["integer", "null"]},
                },
                "required": [
                    "powerpacks",
                    "total_count",
                    "limit",
                    "offset",
                    "has_more",
                    "next_offset",
                ],
                "type": "object",
            },
            "get_powerpack": {
                "properties": {
                    "uuid": {"type": "string"},
                    "name": {"type": "string"},
                    "sticky_sender": {
                        "type": ["boolean", "null"],
                        "description": "Absent if Plivo omits it (some older answers).",
                    },
                    "local_connect": {"type": "boolean"},
                    "application_type": {"enum": ["xml", "phlo", None]},
                    "application_id": {"type": ["string", "null"]},
                    "number_priority": {
                        "items": {
                            "properties": {
                                "country_iso": {"type": "string"},
                                "service_type": {"enum": ["SMS", "MMS"]},
                                "priority": {"type": "object"},
                            },
                            "required": ["country_iso", "service_type", "priority"],
                            "type": "object",
                        },
                        "type": ["array", "null"],
                        "description": "Absent if Plivo omits it (list results): not the same as none.",
                    },
                    "number_pool_uuid": {"type": ["string", "null"]},
                    "created_on": {"type": ["string", "null"]},
                },
                "required": ["uuid", "name", "local_connect"],
                "type": "object",
            },
            "create_powerpack": {
                "description": "A Powerpack, with the fields get_powerpack describes.",
                "properties": {
                    "uuid": {"type": "string"},
                    "name": {"type": "string"},
                    "local_connect": {"type": "boolean"},
                },
                "required": ["uuid", "name", "local_connect"],
                "type": "object",
            },
            "update_powerpack": {
                "description": "A Powerpack, with the fields get_powerpack describes.",
                "properties": {
                    "uuid": {"type": "string"},
                    "name": {"type": "string"},
                    "local_connect": {"type": "boolean"},
                },
                "required": ["uuid", "name", "local_connect"],
                "type": "object",
            },
            "delete_powerpack": {
                "properties": {
                    "status": {"enum": ["deleted", "cancelled", "confirmation_required"]},
                    "uuid": {"type": "string"},
                    "name": {"type": "string"},
                    "unrent_numbers": {"type": "boolean"},
                    "numbers_unrented": {
                        "items": {"type": "string"},
                        "type": "array",
                    },
                    "message": {"type": "string"},
                    "preview": {
                        "type": ["string", "null"],
                        "description": "What would happen; show it to the user before confirming.",
                    },
                    "expires_at": {"type": ["string", "null"]},
                },
                "required": ["status", "uuid", "name", "unrent_numbers", "message"],
                "type": "object",
            },
            "list_pool_numbers": {
                "properties": {
                    "powerpack_uuid": {"type": "string"},
                    "powerpack_name": {"type": "string"},
                    "numbers": {
                        "items": {
                            "properties": {
                                "number": {"type": "string"},
                                "country_iso2": {"type": ["string", "null"]},
                                "type": {"type": ["string", "null"]},
                                "service": {"type": ["string", "null"]},
                                "added_on": {"type": ["string", "null"]},
                            },
                            "required": ["number"],
                            "type": "object",
                        },
                        "type": "array",
                    },
                    "shortcodes": {
                        "description": "Short codes linked to the pool (at most one US and one CA).",
                        "items": {
                            "properties": {
                                "shortcode": {"type": "string"},
                                "country_iso2": {"type": ["string", "null"]},
                                "added_on": {"type": ["string", "null"]},
                            },
                            "required": ["shortcode"],
                            "type": "object",
                        },
                        "type": "array",
                    },
                    "total_count": {"type": "integer"},
                    "limit": {"type": "integer"},
                    "offset": {"type": "integer"},
                    "has_more": {"type": "boolean"},
                    "next_offset": {"type": ["integer", "null"]},
                },
                "required": [
                    "powerpack_uuid",
                    "powerpack_name",
                    "numbers",
                    "shortcodes",
                    "total_count",
                    "limit",
                    "offset",
                    "has_more",
                    "next_offset",
                ],
                "type": "object",
            },
            "add_pool_number": {
                "properties": {
                    "status": {"enum": ["added", "partial", "unchanged"]},
                    "powerpack_uuid": {"type": "string"},
                    "powerpack_name": {"type": "string"},
                    "number": {"type": ["string", "null"]},
                    "message": {"type": "string"},
                    "results": {
                        "items": {
                            "properties": {
                                "number": {"type": "string"},
                                "result": {
                                    "enum": [
                                        "added",
                                        "already_in_this_pool",
                                        "in_another_pool",
                                        "not_rented",
                                        "removed",
                                        "unrented",
                                        "not_in_this_pool",
                                        "invalid",
                                        "failed",
                                        "unknown",
                                        "not_tried",
                                    ]
                                },
                                "why": {"type": ["string", "null"]},
                            },
                            "required": ["number", "result"],
                            "type": "object",
                        },
                        "type": ["array", "null"],
                        "description": "Per number, for a list.",
                    },
                },
                "required": ["status", "powerpack_uuid", "powerpack_name", "message"],
                "type": "object",
            },
            "remove_pool_number": {
                "properties": {
                    "status": {
                        "enum": [
                            "removed",
                            "partial",
                            "unchanged",
                            "cancelled",
                            "confirmation_required",
                        ]
                    },
                    "powerpack_uuid": {"type": "string"},
                    "powerpack_name": {"type": "string"},
                    "number": {"type": ["string", "null"]},
                    "unrented": {"type": "boolean"},
                    "message": {"type": "string"},
                    "preview": {
                        "type": ["string", "null"],
                        "description": "What would happen; show it to the user before confirming.",
                    },
                    "results": {
                        "items": {
                            "properties": {
                                "number": {"type": "string"},
                                "result": {
                                    "enum": [
                                        "added",
                                        "already_in_this_pool",
                                        "in_another_pool",
                                        "not_rented",
                                        "removed",
                                        "unrented",
                                        "not_in_this_pool",
                                        "invalid",
                                        "failed",
                                        "unknown",
                                        "not_tried",
                                    ]
                                },
                                "why": {"type": ["string", "null"]},
                            },
                            "required": ["number", "result"],
                            "type": "object",
                        },
                        "type": ["array", "null"],
                        "description": "Per number, for a list.",
                    },
                    "expires_at": {"type": ["string", "null"]},
                },
                "required": ["status", "powerpack_uuid", "powerpack_name", "message"],
                "type": "object",
            },
            "list_account_numbers": {
                "properties": {
                    "numbers": {
                        "items": {
                            "properties": {
                                "number": {"type": "string"},
                                "type": {"type": ["string", "null"]},
                                "country": {"type": ["string", "null"]},
                                "region": {"type": ["string", "null"]},
                                "services": {
                                    "items": {"enum": ["voice", "sms", "mms"]},
                                    "type": "array",
                                },
                                "added_on": {"type": ["string", "null"]},
                                "spare": {"type": ["boolean", "null"]},
                                "powerpack": {"type": ["string", "null"]},
                            },
                            "required": [
                                "number",
                                "type",
                                "country",
                                "region",
                                "services",
                                "added_on",
                            ],
                            "type": "object",
                        },
                        "type": "array",
                    },
                    "total_count": {"type": "integer"},
                    "limit": {"type": "integer"},
                    "offset": {"type": "integer"},
                    "has_more": {"type": "boolean"},
                    "next_offset": {"type": ["integer", "null"]},
                    "read": {
                        "description": "What was read from Plivo to answer.",
                        "type": "string",
                    },
                },
                "required": [
                    "numbers",
                    "total_count",
                    "limit",
                    "offset",
                    "has_more",
                    "next_offset",
                    "read",
                ],
                "type": "object",
            },
        }
    )


async def test_resolved_guard_parameters_are_not_in_the_schema(sandbox_app: Starlette) -> None:
    async with connect(sandbox_app) as client:
        tools = {tool.name: tool for tool in (await client.list_tools()).tools}
    delete = tools["delete_powerpack"].input_schema["properties"]
    assert set(delete) == {"powerpack", "unrent_numbers"}


async def test_only_token_mode_tells_the_model_about_confirmation_tokens(
    sandbox_app: Starlette,
) -> None:
    """Outside token mode no token is ever issued: the schemas do not spend context on one."""
    for mode, shown in (("auto", False), ("elicit", False), ("view", False), ("token", True)):
        async with connect(sandbox_app, confirm=mode) as client:
            tools = {tool.name: tool for tool in (await client.list_tools()).tools}
        for name in ("delete_powerpack", "remove_pool_number"):
            tool = tools[name]
            assert tool.output_schema is not None
            assert ("confirmation_token" in tool.input_schema["properties"]) is shown, (mode, name)
            assert ("confirmation_token" in tool.output_schema["properties"]) is shown, (mode, name)
