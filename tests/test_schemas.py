"""What a model sees is pinned: any change to a tool's schemas or hints is a reviewed diff.

Regenerate after a deliberate change with `pytest tests/test_schemas.py --inline-snapshot=fix`.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from inline_snapshot import snapshot
from mcp.types import Tool
from starlette.applications import Starlette
from support import connect

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
        for hint in ("title", "read_only_hint", "destructive_hint", "idempotent_hint"):
            assert getattr(hints, hint) is not None, f"{tool.name} leaves {hint} unset"
        assert hints.open_world_hint is not None, tool.name
        assert tool.output_schema is not None, f"{tool.name} has no output schema"
        assert len(tool.description or "") > 80, f"{tool.name} needs a real description"


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
            "confirm_unrent": (False, True, False),
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
                        "description": "Page size, 1 to 20 (Plivo's maximum).",
                        "maximum": 20,
                        "minimum": 1,
                        "title": "Limit",
                        "type": "integer",
                    },
                    "offset": {
                        "default": 0,
                        "description": "How many items to skip; use next_offset.",
                        "minimum": 0,
                        "title": "Offset",
                        "type": "integer",
                    },
                },
                "title": "list_powerpacksArguments",
            },
            "get_powerpack": {
                "type": "object",
                "properties": {
                    "powerpack": {
                        "description": "The Powerpack's UUID, or its exact name (names are unique per account).",
                        "maxLength": 128,
                        "minLength": 1,
                        "title": "Powerpack",
                        "type": "string",
                    }
                },
                "required": ["powerpack"],
                "title": "get_powerpackArguments",
            },
            "create_powerpack": {
                "type": "object",
                "$defs": {
                    "NumberPriority": {
                        "additionalProperties": False,
                        "description": "For one country and service type, which kind of number sends first.",
                        "properties": {
                            "country_iso": {
                                "description": "ISO 3166-1 alpha-2 country code, e.g. US.",
                                "title": "Country Iso",
                                "type": "string",
                            },
                            "service_type": {
                                "description": "SMS or MMS.",
                                "enum": ["SMS", "MMS"],
                                "title": "Service Type",
                                "type": "string",
                            },
                            "priority": {"$ref": "#/$defs/Priority"},
                        },
                        "required": ["country_iso", "service_type", "priority"],
                        "title": "NumberPriority",
                        "type": "object",
                    },
                    "Priority": {
                        "additionalProperties": False,
                        "description": "The order in which a country's sender types are tried; each type once.",
                        "properties": {
                            "priority1": {
                                "enum": ["shortcode", "tollfree", "longcode"],
                                "title": "Priority1",
                                "type": "string",
                            },
                            "priority2": {
                                "enum": ["shortcode", "tollfree", "longcode"],
                                "title": "Priority2",
                                "type": "string",
                            },
                            "priority3": {
                                "enum": ["shortcode", "tollfree", "longcode"],
                                "title": "Priority3",
                                "type": "string",
                            },
                        },
                        "required": ["priority1", "priority2", "priority3"],
                        "title": "Priority",
                        "type": "object",
                    },
                },
                "properties": {
                    "name": {
                        "description": "1 to 64 printable characters, no leading or trailing spaces; unique across the account's Powerpacks.",
                        "maxLength": 64,
                        "minLength": 1,
                        "title": "Name",
                        "type": "string",
                    },
                    "sticky_sender": {
                        "default": True,
                        "description": "Sticky Sender: a destination always receives messages from the same pool number, so recipients see one consistent sender.",
                        "title": "Sticky Sender",
                        "type": "boolean",
                    },
                    "local_connect": {
                        "default": True,
                        "description": "Local Connect: prefer pool numbers matching the destination's area code, then its state, so recipients see a local sender.",
                        "title": "Local Connect",
                        "type": "boolean",
                    },
                    "application_type": {
                        "anyOf": [
                            {
                                "description": "The kind of application: 'xml' (an XML application) or 'phlo'.",
                                "enum": ["xml", "phlo"],
                                "type": "string",
                            },
                            {"type": "null"},
                        ],
                        "default": None,
                        "title": "Application Type",
                    },
                    "application_id": {
                        "anyOf": [
                            {
                                "description": "The ID of the XML application or PHLO that numbers in this Powerpack use, or 'none' for no application. Needs application_type unless 'none'.",
                                "maxLength": 64,
                                "minLength": 1,
                                "type": "string",
                            },
                            {"type": "null"},
                        ],
                        "default": None,
                        "title": "Application Id",
                    },
                    "number_priority": {
                        "anyOf": [
                            {
                                "description": "Per country and service type (SMS/MMS), the order in which short codes, toll-free and long codes send. Each of shortcode, tollfree, longcode appears once per item; one item per (country_iso, service_type).",
                                "items": {"$ref": "#/$defs/NumberPriority"},
                                "maxItems": 100,
                                "type": "array",
                            },
                            {"type": "null"},
                        ],
                        "default": None,
                        "title": "Number Priority",
                    },
                },
                "required": ["name"],
                "title": "create_powerpackArguments",
            },
            "update_powerpack": {
                "type": "object",
                "$defs": {
                    "NumberPriority": {
                        "additionalProperties": False,
                        "description": "For one country and service type, which kind of number sends first.",
                        "properties": {
                            "country_iso": {
                                "description": "ISO 3166-1 alpha-2 country code, e.g. US.",
                                "title": "Country Iso",
                                "type": "string",
                            },
                            "service_type": {
                                "description": "SMS or MMS.",
                                "enum": ["SMS", "MMS"],
                                "title": "Service Type",
                                "type": "string",
                            },
                            "priority": {"$ref": "#/$defs/Priority"},
                        },
                        "required": ["country_iso", "service_type", "priority"],
                        "title": "NumberPriority",
                        "type": "object",
                    },
                    "Priority": {
                        "additionalProperties": False,
                        "description": "The order in which a country's sender types are tried; each type once.",
                        "properties": {
                            "priority1": {
                                "enum": ["shortcode", "tollfree", "longcode"],
                                "title": "Priority1",
                                "type": "string",
                            },
                            "priority2": {
                                "enum": ["shortcode", "tollfree", "longcode"],
                                "title": "Priority2",
                                "type": "string",
                            },
                            "priority3": {
                                "enum": ["shortcode", "tollfree", "longcode"],
                                "title": "Priority3",
                                "type": "string",
                            },
                        },
                        "required": ["priority1", "priority2", "priority3"],
                        "title": "Priority",
                        "type": "object",
                    },
                },
                "properties": {
                    "powerpack": {
                        "description": "The Powerpack's UUID, or its exact name (names are unique per account).",
                        "maxLength": 128,
                        "minLength": 1,
                        "title": "Powerpack",
                        "type": "string",
                    },
                    "name": {
                        "anyOf": [
                            {
                                "description": "1 to 64 printable characters, no leading or trailing spaces; unique across the account's Powerpacks.",
                                "maxLength": 64,
                                "minLength": 1,
                                "type": "string",
                            },
                            {"type": "null"},
                        ],
                        "default": None,
                        "title": "Name",
                    },
                    "sticky_sender": {
                        "anyOf": [
                            {
                                "description": "Sticky Sender: a destination always receives messages from the same pool number, so recipients see one consistent sender.",
                                "type": "boolean",
                            },
                            {"type": "null"},
                        ],
                        "default": None,
                        "title": "Sticky Sender",
                    },
                    "local_connect": {
                        "anyOf": [
                            {
                                "description": "Local Connect: prefer pool numbers matching the destination's area code, then its state, so recipients see a local sender.",
                                "type": "boolean",
                            },
                            {"type": "null"},
                        ],
                        "default": None,
                        "title": "Local Connect",
                    },
                    "application_type": {
                        "anyOf": [
                            {
                                "description": "The kind of application: 'xml' (an XML application) or 'phlo'.",
                                "enum": ["xml", "phlo"],
                                "type": "string",
                            },
                            {"type": "null"},
                        ],
                        "default": None,
                        "title": "Application Type",
                    },
                    "application_id": {
                        "anyOf": [
                            {
                                "description": "The ID of the XML application or PHLO that numbers in this Powerpack use, or 'none' for no application. Needs application_type unless 'none'.",
                                "maxLength": 64,
                                "minLength": 1,
                                "type": "string",
                            },
                            {"type": "null"},
                        ],
                        "default": None,
                        "title": "Application Id",
                    },
                    "number_priority": {
                        "anyOf": [
                            {
                                "description": "Per country and service type (SMS/MMS), the order in which short codes, toll-free and long codes send. Each of shortcode, tollfree, longcode appears once per item; one item per (country_iso, service_type).",
                                "items": {"$ref": "#/$defs/NumberPriority"},
                                "maxItems": 100,
                                "type": "array",
                            },
                            {"type": "null"},
                        ],
                        "default": None,
                        "title": "Number Priority",
                    },
                },
                "required": ["powerpack"],
                "title": "update_powerpackArguments",
            },
            "delete_powerpack": {
                "type": "object",
                "properties": {
                    "powerpack": {
                        "description": "The Powerpack's UUID, or its exact name (names are unique per account).",
                        "maxLength": 128,
                        "minLength": 1,
                        "title": "Powerpack",
                        "type": "string",
                    },
                    "unrent_numbers": {
                        "default": False,
                        "description": "false (default): the pool's numbers stay rented in the account. true: every number in the pool is unrented too, which needs a person's confirmation.",
                        "title": "Unrent Numbers",
                        "type": "boolean",
                    },
                    "confirmation_token": {
                        "anyOf": [{"maxLength": 2048, "type": "string"}, {"type": "null"}],
                        "default": None,
                        "description": "Only when unrenting, on servers in token mode: the confirmation_token from the previous answer, passed back after the user explicitly agreed to its preview.",
                        "title": "Confirmation Token",
                    },
                },
                "required": ["powerpack"],
                "title": "delete_powerpackArguments",
            },
            "list_pool_numbers": {
                "type": "object",
                "properties": {
                    "powerpack": {
                        "description": "The Powerpack's UUID, or its exact name (names are unique per account).",
                        "maxLength": 128,
                        "minLength": 1,
                        "title": "Powerpack",
                        "type": "string",
                    },
                    "type": {
                        "anyOf": [
                            {"enum": ["fixed", "mobile", "toll-free"], "type": "string"},
                            {"type": "null"},
                        ],
                        "default": None,
                        "description": "Only fixed, mobile or toll-free numbers.",
                        "title": "Type",
                    },
                    "service": {
                        "anyOf": [{"enum": ["sms", "mms"], "type": "string"}, {"type": "null"}],
                        "default": None,
                        "description": "Only sms or mms numbers.",
                        "title": "Service",
                    },
                    "country_iso2": {
                        "anyOf": [
                            {
                                "description": "ISO 3166-1 alpha-2 country code, e.g. US.",
                                "type": "string",
                            },
                            {"type": "null"},
                        ],
                        "default": None,
                        "description": "Only this country.",
                        "title": "Country Iso2",
                    },
                    "starts_with": {
                        "anyOf": [
                            {
                                "items": {
                                    "description": "Leading digits, e.g. 415.",
                                    "pattern": "^\\d{1,10}$",
                                    "type": "string",
                                },
                                "maxItems": 10,
                                "minItems": 1,
                                "type": "array",
                            },
                            {"type": "null"},
                        ],
                        "default": None,
                        "description": "Only numbers whose national part starts with one of these prefixes (at most 10). Needs country_iso2.",
                        "title": "Starts With",
                    },
                    "limit": {
                        "default": 20,
                        "description": "Page size, 1 to 20 (Plivo's maximum).",
                        "maximum": 20,
                        "minimum": 1,
                        "title": "Limit",
                        "type": "integer",
                    },
                    "offset": {
                        "default": 0,
                        "description": "How many items to skip; use next_offset.",
                        "minimum": 0,
                        "title": "Offset",
                        "type": "integer",
                    },
                },
                "required": ["powerpack"],
                "title": "list_pool_numbersArguments",
            },
            "add_pool_number": {
                "type": "object",
                "properties": {
                    "powerpack": {
                        "description": "The Powerpack's UUID, or its exact name (names are unique per account).",
                        "maxLength": 128,
                        "minLength": 1,
                        "title": "Powerpack",
                        "type": "string",
                    },
                    "number": {
                        "anyOf": [
                            {
                                "description": "A phone number the account rents, E.164 with or without '+'.",
                                "maxLength": 24,
                                "minLength": 8,
                                "type": "string",
                            },
                            {"type": "null"},
                        ],
                        "default": None,
                        "title": "Number",
                    },
                    "numbers": {
                        "anyOf": [
                            {
                                "description": "Several numbers at once (up to 100), instead of number; answered per number.",
                                "items": {"maxLength": 32, "type": "string"},
                                "maxItems": 100,
                                "minItems": 1,
                                "type": "array",
                            },
                            {"type": "null"},
                        ],
                        "default": None,
                        "title": "Numbers",
                    },
                    "service": {
                        "default": "sms",
                        "description": "What the numbers send: sms or mms.",
                        "enum": ["sms", "mms"],
                        "title": "Service",
                        "type": "string",
                    },
                },
                "required": ["powerpack"],
                "title": "add_pool_numberArguments",
            },
            "remove_pool_number": {
                "type": "object",
                "properties": {
                    "powerpack": {
                        "description": "The Powerpack's UUID, or its exact name (names are unique per account).",
                        "maxLength": 128,
                        "minLength": 1,
                        "title": "Powerpack",
                        "type": "string",
                    },
                    "number": {
                        "anyOf": [
                            {
                                "description": "A number in the pool: a phone number (E.164, with or without '+') or a short code (3 to 8 digits, no '+').",
                                "maxLength": 24,
                                "minLength": 3,
                                "type": "string",
                            },
                            {"type": "null"},
                        ],
                        "default": None,
                        "title": "Number",
                    },
                    "numbers": {
                        "anyOf": [
                            {
                                "description": "Several numbers at once (up to 100), instead of number; answered per number.",
                                "items": {"maxLength": 32, "type": "string"},
                                "maxItems": 100,
                                "minItems": 1,
                                "type": "array",
                            },
                            {"type": "null"},
                        ],
                        "default": None,
                        "title": "Numbers",
                    },
                    "unrent": {
                        "default": False,
                        "description": "false (default): the numbers leave the pool but stay rented. true: they are also unrented, which needs a person's confirmation (once for a whole list). Never for short codes.",
                        "title": "Unrent",
                        "type": "boolean",
                    },
                    "confirmation_token": {
                        "anyOf": [{"maxLength": 2048, "type": "string"}, {"type": "null"}],
                        "default": None,
                        "description": "Only when unrenting, on servers in token mode: the confirmation_token from the previous answer, passed back after the user explicitly agreed to its preview.",
                        "title": "Confirmation Token",
                    },
                },
                "required": ["powerpack"],
                "title": "remove_pool_numberArguments",
            },
            "list_account_numbers": {
                "type": "object",
                "properties": {
                    "spare_only": {
                        "default": False,
                        "description": "Only numbers in no Powerpack's pool (reads every pool).",
                        "title": "Spare Only",
                        "type": "boolean",
                    },
                    "with_powerpack": {
                        "default": False,
                        "description": "Say which Powerpack holds each number (reads every pool).",
                        "title": "With Powerpack",
                        "type": "boolean",
                    },
                    "type": {
                        "anyOf": [
                            {
                                "enum": ["local", "fixed", "mobile", "national", "toll-free"],
                                "type": "string",
                            },
                            {"type": "null"},
                        ],
                        "default": None,
                        "description": "Only this type.",
                        "title": "Type",
                    },
                    "country_iso2": {
                        "anyOf": [
                            {
                                "description": "ISO 3166-1 alpha-2 country code, e.g. US.",
                                "type": "string",
                            },
                            {"type": "null"},
                        ],
                        "default": None,
                        "description": "Only this country.",
                        "title": "Country Iso2",
                    },
                    "region": {
                        "anyOf": [
                            {"maxLength": 64, "minLength": 2, "type": "string"},
                            {"type": "null"},
                        ],
                        "default": None,
                        "description": "Only regions containing this, e.g. Texas.",
                        "title": "Region",
                    },
                    "number_startswith": {
                        "anyOf": [
                            {"pattern": "^\\+?\\d{1,15}$", "type": "string"},
                            {"type": "null"},
                        ],
                        "default": None,
                        "description": "Leading digits, country code first: 1512.",
                        "title": "Number Startswith",
                    },
                    "services": {
                        "anyOf": [
                            {
                                "items": {"enum": ["voice", "sms", "mms"], "type": "string"},
                                "maxItems": 3,
                                "minItems": 1,
                                "type": "array",
                            },
                            {"type": "null"},
                        ],
                        "default": None,
                        "description": "Only numbers offering all of these.",
                        "title": "Services",
                    },
                    "limit": {
                        "default": 20,
                        "description": "Page size, 1 to 100.",
                        "maximum": 100,
                        "minimum": 1,
                        "title": "Limit",
                        "type": "integer",
                    },
                    "offset": {
                        "default": 0,
                        "description": "How many items to skip; use next_offset.",
                        "minimum": 0,
                        "title": "Offset",
                        "type": "integer",
                    },
                },
                "title": "list_account_numbersArguments",
            },
            "confirm_unrent": {
                "type": "object",
                "properties": {
                    "confirmation_id": {
                        "maxLength": 128,
                        "minLength": 1,
                        "title": "Confirmation Id",
                        "type": "string",
                    },
                    "typed": {
                        "description": "What the person typed.",
                        "maxLength": 256,
                        "title": "Typed",
                        "type": "string",
                    },
                },
                "required": ["confirmation_id", "typed"],
                "title": "confirm_unrentArguments",
            },
        }
    )


async def test_output_schemas(sandbox_app: Starlette) -> None:
    schemas = {tool.name: tool.output_schema for tool in await _tools(sandbox_app)}
    assert schemas == snapshot(
        {
            "list_powerpacks": {
                "$defs": {
                    "NumberPriority": {
                        "additionalProperties": False,
                        "description": "For one country and service type, which kind of number sends first.",
                        "properties": {
                            "country_iso": {
                                "description": "ISO 3166-1 alpha-2 country code, e.g. US.",
                                "title": "Country Iso",
                                "type": "string",
                            },
                            "service_type": {
                                "description": "SMS or MMS.",
                                "enum": ["SMS", "MMS"],
                                "title": "Service Type",
                                "type": "string",
                            },
                            "priority": {"$ref": "#/$defs/Priority"},
                        },
                        "required": ["country_iso", "service_type", "priority"],
                        "title": "NumberPriority",
                        "type": "object",
                    },
                    "Powerpack": {
                        "description": "A Powerpack: a named sender pool with its routing settings.",
                        "properties": {
                            "uuid": {"title": "Uuid", "type": "string"},
                            "name": {"title": "Name", "type": "string"},
                            "sticky_sender": {
                                "anyOf": [{"type": "boolean"}, {"type": "null"}],
                                "default": None,
                                "description": "Left out if Plivo's answer does not carry it (some older answers).",
                                "title": "Sticky Sender",
                            },
                            "local_connect": {"title": "Local Connect", "type": "boolean"},
                            "application_type": {
                                "anyOf": [
                                    {"enum": ["xml", "phlo"], "type": "string"},
                                    {"type": "null"},
                                ],
                                "default": None,
                                "title": "Application Type",
                            },
                            "application_id": {
                                "anyOf": [{"type": "string"}, {"type": "null"}],
                                "default": None,
                                "title": "Application Id",
                            },
                            "number_priority": {
                                "anyOf": [
                                    {"items": {"$ref": "#/$defs/NumberPriority"}, "type": "array"},
                                    {"type": "null"},
                                ],
                                "default": None,
                                "description": "Left out where Plivo does not send it, as in list results: get_powerpack has it.",
                                "title": "Number Priority",
                            },
                            "number_pool_uuid": {
                                "anyOf": [{"type": "string"}, {"type": "null"}],
                                "default": None,
                                "title": "Number Pool Uuid",
                            },
                            "created_on": {
                                "anyOf": [
                                    {"format": "date-time", "type": "string"},
                                    {"type": "null"},
                                ],
                                "default": None,
                                "title": "Created On",
                            },
                        },
                        "required": ["uuid", "name", "local_connect"],
                        "title": "Powerpack",
                        "type": "object",
                    },
                    "Priority": {
                        "additionalProperties": False,
                        "description": "The order in which a country's sender types are tried; each type once.",
                        "properties": {
                            "priority1": {
                                "enum": ["shortcode", "tollfree", "longcode"],
                                "title": "Priority1",
                                "type": "string",
                            },
                            "priority2": {
                                "enum": ["shortcode", "tollfree", "longcode"],
                                "title": "Priority2",
                                "type": "string",
                            },
                            "priority3": {
                                "enum": ["shortcode", "tollfree", "longcode"],
                                "title": "Priority3",
                                "type": "string",
                            },
                        },
                        "required": ["priority1", "priority2", "priority3"],
                        "title": "Priority",
                        "type": "object",
                    },
                },
                "description": "One page of Powerpacks. If has_more, call again with offset=next_offset.",
                "properties": {
                    "powerpacks": {
                        "items": {"$ref": "#/$defs/Powerpack"},
                        "title": "Powerpacks",
                        "type": "array",
                    },
                    "total_count": {"title": "Total Count", "type": "integer"},
                    "limit": {"title": "Limit", "type": "integer"},
                    "offset": {"title": "Offset", "type": "integer"},
                    "has_more": {"title": "Has More", "type": "boolean"},
                    "next_offset": {
                        "anyOf": [{"type": "integer"}, {"type": "null"}],
                        "title": "Next Offset",
                    },
                },
                "required": [
                    "powerpacks",
                    "total_count",
                    "limit",
                    "offset",
                    "has_more",
                    "next_offset",
                ],
                "title": "PowerpackList",
                "type": "object",
            },
            "get_powerpack": {
                "$defs": {
                    "NumberPriority": {
                        "additionalProperties": False,
                        "description": "For one country and service type, which kind of number sends first.",
                        "properties": {
                            "country_iso": {
                                "description": "ISO 3166-1 alpha-2 country code, e.g. US.",
                                "title": "Country Iso",
                                "type": "string",
                            },
                            "service_type": {
                                "description": "SMS or MMS.",
                                "enum": ["SMS", "MMS"],
                                "title": "Service Type",
                                "type": "string",
                            },
                            "priority": {"$ref": "#/$defs/Priority"},
                        },
                        "required": ["country_iso", "service_type", "priority"],
                        "title": "NumberPriority",
                        "type": "object",
                    },
                    "Priority": {
                        "additionalProperties": False,
                        "description": "The order in which a country's sender types are tried; each type once.",
                        "properties": {
                            "priority1": {
                                "enum": ["shortcode", "tollfree", "longcode"],
                                "title": "Priority1",
                                "type": "string",
                            },
                            "priority2": {
                                "enum": ["shortcode", "tollfree", "longcode"],
                                "title": "Priority2",
                                "type": "string",
                            },
                            "priority3": {
                                "enum": ["shortcode", "tollfree", "longcode"],
                                "title": "Priority3",
                                "type": "string",
                            },
                        },
                        "required": ["priority1", "priority2", "priority3"],
                        "title": "Priority",
                        "type": "object",
                    },
                },
                "description": "A Powerpack: a named sender pool with its routing settings.",
                "properties": {
                    "uuid": {"title": "Uuid", "type": "string"},
                    "name": {"title": "Name", "type": "string"},
                    "sticky_sender": {
                        "anyOf": [{"type": "boolean"}, {"type": "null"}],
                        "default": None,
                        "description": "Left out if Plivo's answer does not carry it (some older answers).",
                        "title": "Sticky Sender",
                    },
                    "local_connect": {"title": "Local Connect", "type": "boolean"},
                    "application_type": {
                        "anyOf": [{"enum": ["xml", "phlo"], "type": "string"}, {"type": "null"}],
                        "default": None,
                        "title": "Application Type",
                    },
                    "application_id": {
                        "anyOf": [{"type": "string"}, {"type": "null"}],
                        "default": None,
                        "title": "Application Id",
                    },
                    "number_priority": {
                        "anyOf": [
                            {"items": {"$ref": "#/$defs/NumberPriority"}, "type": "array"},
                            {"type": "null"},
                        ],
                        "default": None,
                        "description": "Left out where Plivo does not send it, as in list results: get_powerpack has it.",
                        "title": "Number Priority",
                    },
                    "number_pool_uuid": {
                        "anyOf": [{"type": "string"}, {"type": "null"}],
                        "default": None,
                        "title": "Number Pool Uuid",
                    },
                    "created_on": {
                        "anyOf": [{"format": "date-time", "type": "string"}, {"type": "null"}],
                        "default": None,
                        "title": "Created On",
                    },
                },
                "required": ["uuid", "name", "local_connect"],
                "title": "Powerpack",
                "type": "object",
            },
            "create_powerpack": {
                "$defs": {
                    "NumberPriority": {
                        "additionalProperties": False,
                        "description": "For one country and service type, which kind of number sends first.",
                        "properties": {
                            "country_iso": {
                                "description": "ISO 3166-1 alpha-2 country code, e.g. US.",
                                "title": "Country Iso",
                                "type": "string",
                            },
                            "service_type": {
                                "description": "SMS or MMS.",
                                "enum": ["SMS", "MMS"],
                                "title": "Service Type",
                                "type": "string",
                            },
                            "priority": {"$ref": "#/$defs/Priority"},
                        },
                        "required": ["country_iso", "service_type", "priority"],
                        "title": "NumberPriority",
                        "type": "object",
                    },
                    "Priority": {
                        "additionalProperties": False,
                        "description": "The order in which a country's sender types are tried; each type once.",
                        "properties": {
                            "priority1": {
                                "enum": ["shortcode", "tollfree", "longcode"],
                                "title": "Priority1",
                                "type": "string",
                            },
                            "priority2": {
                                "enum": ["shortcode", "tollfree", "longcode"],
                                "title": "Priority2",
                                "type": "string",
                            },
                            "priority3": {
                                "enum": ["shortcode", "tollfree", "longcode"],
                                "title": "Priority3",
                                "type": "string",
                            },
                        },
                        "required": ["priority1", "priority2", "priority3"],
                        "title": "Priority",
                        "type": "object",
                    },
                },
                "description": "A Powerpack: a named sender pool with its routing settings.",
                "properties": {
                    "uuid": {"title": "Uuid", "type": "string"},
                    "name": {"title": "Name", "type": "string"},
                    "sticky_sender": {
                        "anyOf": [{"type": "boolean"}, {"type": "null"}],
                        "default": None,
                        "description": "Left out if Plivo's answer does not carry it (some older answers).",
                        "title": "Sticky Sender",
                    },
                    "local_connect": {"title": "Local Connect", "type": "boolean"},
                    "application_type": {
                        "anyOf": [{"enum": ["xml", "phlo"], "type": "string"}, {"type": "null"}],
                        "default": None,
                        "title": "Application Type",
                    },
                    "application_id": {
                        "anyOf": [{"type": "string"}, {"type": "null"}],
                        "default": None,
                        "title": "Application Id",
                    },
                    "number_priority": {
                        "anyOf": [
                            {"items": {"$ref": "#/$defs/NumberPriority"}, "type": "array"},
                            {"type": "null"},
                        ],
                        "default": None,
                        "description": "Left out where Plivo does not send it, as in list results: get_powerpack has it.",
                        "title": "Number Priority",
                    },
                    "number_pool_uuid": {
                        "anyOf": [{"type": "string"}, {"type": "null"}],
                        "default": None,
                        "title": "Number Pool Uuid",
                    },
                    "created_on": {
                        "anyOf": [{"format": "date-time", "type": "string"}, {"type": "null"}],
                        "default": None,
                        "title": "Created On",
                    },
                },
                "required": ["uuid", "name", "local_connect"],
                "title": "Powerpack",
                "type": "object",
            },
            "update_powerpack": {
                "$defs": {
                    "NumberPriority": {
                        "additionalProperties": False,
                        "description": "For one country and service type, which kind of number sends first.",
                        "properties": {
                            "country_iso": {
                                "description": "ISO 3166-1 alpha-2 country code, e.g. US.",
                                "title": "Country Iso",
                                "type": "string",
                            },
                            "service_type": {
                                "description": "SMS or MMS.",
                                "enum": ["SMS", "MMS"],
                                "title": "Service Type",
                                "type": "string",
                            },
                            "priority": {"$ref": "#/$defs/Priority"},
                        },
                        "required": ["country_iso", "service_type", "priority"],
                        "title": "NumberPriority",
                        "type": "object",
                    },
                    "Priority": {
                        "additionalProperties": False,
                        "description": "The order in which a country's sender types are tried; each type once.",
                        "properties": {
                            "priority1": {
                                "enum": ["shortcode", "tollfree", "longcode"],
                                "title": "Priority1",
                                "type": "string",
                            },
                            "priority2": {
                                "enum": ["shortcode", "tollfree", "longcode"],
                                "title": "Priority2",
                                "type": "string",
                            },
                            "priority3": {
                                "enum": ["shortcode", "tollfree", "longcode"],
                                "title": "Priority3",
                                "type": "string",
                            },
                        },
                        "required": ["priority1", "priority2", "priority3"],
                        "title": "Priority",
                        "type": "object",
                    },
                },
                "description": "A Powerpack: a named sender pool with its routing settings.",
                "properties": {
                    "uuid": {"title": "Uuid", "type": "string"},
                    "name": {"title": "Name", "type": "string"},
                    "sticky_sender": {
                        "anyOf": [{"type": "boolean"}, {"type": "null"}],
                        "default": None,
                        "description": "Left out if Plivo's answer does not carry it (some older answers).",
                        "title": "Sticky Sender",
                    },
                    "local_connect": {"title": "Local Connect", "type": "boolean"},
                    "application_type": {
                        "anyOf": [{"enum": ["xml", "phlo"], "type": "string"}, {"type": "null"}],
                        "default": None,
                        "title": "Application Type",
                    },
                    "application_id": {
                        "anyOf": [{"type": "string"}, {"type": "null"}],
                        "default": None,
                        "title": "Application Id",
                    },
                    "number_priority": {
                        "anyOf": [
                            {"items": {"$ref": "#/$defs/NumberPriority"}, "type": "array"},
                            {"type": "null"},
                        ],
                        "default": None,
                        "description": "Left out where Plivo does not send it, as in list results: get_powerpack has it.",
                        "title": "Number Priority",
                    },
                    "number_pool_uuid": {
                        "anyOf": [{"type": "string"}, {"type": "null"}],
                        "default": None,
                        "title": "Number Pool Uuid",
                    },
                    "created_on": {
                        "anyOf": [{"format": "date-time", "type": "string"}, {"type": "null"}],
                        "default": None,
                        "title": "Created On",
                    },
                },
                "required": ["uuid", "name", "local_connect"],
                "title": "Powerpack",
                "type": "object",
            },
            "delete_powerpack": {
                "description": "What delete_powerpack did, or why it did nothing.",
                "properties": {
                    "status": {
                        "enum": ["deleted", "cancelled", "confirmation_required"],
                        "title": "Status",
                        "type": "string",
                    },
                    "uuid": {"title": "Uuid", "type": "string"},
                    "name": {"title": "Name", "type": "string"},
                    "unrent_numbers": {"title": "Unrent Numbers", "type": "boolean"},
                    "numbers_unrented": {
                        "items": {"type": "string"},
                        "title": "Numbers Unrented",
                        "type": "array",
                    },
                    "message": {"title": "Message", "type": "string"},
                    "preview": {
                        "anyOf": [{"type": "string"}, {"type": "null"}],
                        "default": None,
                        "description": "What would happen; show it to the user before confirming.",
                        "title": "Preview",
                    },
                    "confirmation_token": {
                        "anyOf": [{"type": "string"}, {"type": "null"}],
                        "default": None,
                        "title": "Confirmation Token",
                    },
                    "expires_at": {
                        "anyOf": [{"format": "date-time", "type": "string"}, {"type": "null"}],
                        "default": None,
                        "title": "Expires At",
                    },
                },
                "required": ["status", "uuid", "name", "unrent_numbers", "message"],
                "title": "DeleteResult",
                "type": "object",
            },
            "list_pool_numbers": {
                "$defs": {
                    "PoolNumber": {
                        "description": "A long-code or toll-free number in a Powerpack's pool.",
                        "properties": {
                            "number": {"title": "Number", "type": "string"},
                            "country_iso2": {
                                "anyOf": [{"type": "string"}, {"type": "null"}],
                                "default": None,
                                "title": "Country Iso2",
                            },
                            "type": {
                                "anyOf": [{"type": "string"}, {"type": "null"}],
                                "default": None,
                                "description": "fixed, mobile or toll-free.",
                                "title": "Type",
                            },
                            "service": {
                                "anyOf": [{"type": "string"}, {"type": "null"}],
                                "default": None,
                                "description": "sms or mms.",
                                "title": "Service",
                            },
                            "added_on": {
                                "anyOf": [
                                    {"format": "date-time", "type": "string"},
                                    {"type": "null"},
                                ],
                                "default": None,
                                "title": "Added On",
                            },
                        },
                        "required": ["number"],
                        "title": "PoolNumber",
                        "type": "object",
                    },
                    "Shortcode": {
                        "description": "A short code linked to a Powerpack's pool (linked and unlinked, never rented here).",
                        "properties": {
                            "shortcode": {"title": "Shortcode", "type": "string"},
                            "country_iso2": {
                                "anyOf": [{"type": "string"}, {"type": "null"}],
                                "default": None,
                                "title": "Country Iso2",
                            },
                            "added_on": {
                                "anyOf": [
                                    {"format": "date-time", "type": "string"},
                                    {"type": "null"},
                                ],
                                "default": None,
                                "title": "Added On",
                            },
                        },
                        "required": ["shortcode"],
                        "title": "Shortcode",
                        "type": "object",
                    },
                },
                "description": "One page of a pool's phone numbers, plus its short codes. Follow next_offset.",
                "properties": {
                    "powerpack_uuid": {"title": "Powerpack Uuid", "type": "string"},
                    "powerpack_name": {"title": "Powerpack Name", "type": "string"},
                    "numbers": {
                        "items": {"$ref": "#/$defs/PoolNumber"},
                        "title": "Numbers",
                        "type": "array",
                    },
                    "shortcodes": {
                        "description": "Short codes linked to the pool (at most one US and one CA).",
                        "items": {"$ref": "#/$defs/Shortcode"},
                        "title": "Shortcodes",
                        "type": "array",
                    },
                    "total_count": {"title": "Total Count", "type": "integer"},
                    "limit": {"title": "Limit", "type": "integer"},
                    "offset": {"title": "Offset", "type": "integer"},
                    "has_more": {"title": "Has More", "type": "boolean"},
                    "next_offset": {
                        "anyOf": [{"type": "integer"}, {"type": "null"}],
                        "title": "Next Offset",
                    },
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
                "title": "PoolListing",
                "type": "object",
            },
            "add_pool_number": {
                "$defs": {
                    "NumberResult": {
                        "description": "What happened to one number of a list.",
                        "properties": {
                            "number": {"title": "Number", "type": "string"},
                            "result": {
                                "description": "added, removed, unrented: changed. already_in_this_pool, in_another_pool, not_rented, not_in_this_pool, invalid, failed, not_tried: unchanged. unknown: may have changed, check before retrying.",
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
                                ],
                                "title": "Result",
                                "type": "string",
                            },
                            "why": {
                                "anyOf": [{"type": "string"}, {"type": "null"}],
                                "default": None,
                                "title": "Why",
                            },
                        },
                        "required": ["number", "result"],
                        "title": "NumberResult",
                        "type": "object",
                    }
                },
                "description": "What add_pool_number or remove_pool_number did, or why it did nothing.",
                "properties": {
                    "status": {
                        "enum": [
                            "added",
                            "removed",
                            "partial",
                            "unchanged",
                            "cancelled",
                            "confirmation_required",
                        ],
                        "title": "Status",
                        "type": "string",
                    },
                    "powerpack_uuid": {"title": "Powerpack Uuid", "type": "string"},
                    "powerpack_name": {"title": "Powerpack Name", "type": "string"},
                    "number": {
                        "anyOf": [{"type": "string"}, {"type": "null"}],
                        "default": None,
                        "title": "Number",
                    },
                    "unrented": {"default": False, "title": "Unrented", "type": "boolean"},
                    "message": {"title": "Message", "type": "string"},
                    "preview": {
                        "anyOf": [{"type": "string"}, {"type": "null"}],
                        "default": None,
                        "description": "What would happen; show it to the user before confirming.",
                        "title": "Preview",
                    },
                    "results": {
                        "anyOf": [
                            {"items": {"$ref": "#/$defs/NumberResult"}, "type": "array"},
                            {"type": "null"},
                        ],
                        "default": None,
                        "description": "Per number, for a list.",
                        "title": "Results",
                    },
                    "confirmation_token": {
                        "anyOf": [{"type": "string"}, {"type": "null"}],
                        "default": None,
                        "title": "Confirmation Token",
                    },
                    "expires_at": {
                        "anyOf": [{"format": "date-time", "type": "string"}, {"type": "null"}],
                        "default": None,
                        "title": "Expires At",
                    },
                },
                "required": ["status", "powerpack_uuid", "powerpack_name", "message"],
                "title": "PoolChange",
                "type": "object",
            },
            "remove_pool_number": {
                "$defs": {
                    "NumberResult": {
                        "description": "What happened to one number of a list.",
                        "properties": {
                            "number": {"title": "Number", "type": "string"},
                            "result": {
                                "description": "added, removed, unrented: changed. already_in_this_pool, in_another_pool, not_rented, not_in_this_pool, invalid, failed, not_tried: unchanged. unknown: may have changed, check before retrying.",
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
                                ],
                                "title": "Result",
                                "type": "string",
                            },
                            "why": {
                                "anyOf": [{"type": "string"}, {"type": "null"}],
                                "default": None,
                                "title": "Why",
                            },
                        },
                        "required": ["number", "result"],
                        "title": "NumberResult",
                        "type": "object",
                    }
                },
                "description": "What add_pool_number or remove_pool_number did, or why it did nothing.",
                "properties": {
                    "status": {
                        "enum": [
                            "added",
                            "removed",
                            "partial",
                            "unchanged",
                            "cancelled",
                            "confirmation_required",
                        ],
                        "title": "Status",
                        "type": "string",
                    },
                    "powerpack_uuid": {"title": "Powerpack Uuid", "type": "string"},
                    "powerpack_name": {"title": "Powerpack Name", "type": "string"},
                    "number": {
                        "anyOf": [{"type": "string"}, {"type": "null"}],
                        "default": None,
                        "title": "Number",
                    },
                    "unrented": {"default": False, "title": "Unrented", "type": "boolean"},
                    "message": {"title": "Message", "type": "string"},
                    "preview": {
                        "anyOf": [{"type": "string"}, {"type": "null"}],
                        "default": None,
                        "description": "What would happen; show it to the user before confirming.",
                        "title": "Preview",
                    },
                    "results": {
                        "anyOf": [
                            {"items": {"$ref": "#/$defs/NumberResult"}, "type": "array"},
                            {"type": "null"},
                        ],
                        "default": None,
                        "description": "Per number, for a list.",
                        "title": "Results",
                    },
                    "confirmation_token": {
                        "anyOf": [{"type": "string"}, {"type": "null"}],
                        "default": None,
                        "title": "Confirmation Token",
                    },
                    "expires_at": {
                        "anyOf": [{"format": "date-time", "type": "string"}, {"type": "null"}],
                        "default": None,
                        "title": "Expires At",
                    },
                },
                "required": ["status", "powerpack_uuid", "powerpack_name", "message"],
                "title": "PoolChange",
                "type": "object",
            },
            "list_account_numbers": {
                "$defs": {
                    "RentedNumber": {
                        "description": "A number the account rents.",
                        "properties": {
                            "number": {"title": "Number", "type": "string"},
                            "type": {
                                "anyOf": [{"type": "string"}, {"type": "null"}],
                                "description": "local, fixed, mobile, national or toll-free.",
                                "title": "Type",
                            },
                            "country": {
                                "anyOf": [{"type": "string"}, {"type": "null"}],
                                "title": "Country",
                            },
                            "region": {
                                "anyOf": [{"type": "string"}, {"type": "null"}],
                                "title": "Region",
                            },
                            "services": {
                                "description": "What it can receive.",
                                "items": {"enum": ["voice", "sms", "mms"], "type": "string"},
                                "title": "Services",
                                "type": "array",
                            },
                            "added_on": {
                                "anyOf": [{"type": "string"}, {"type": "null"}],
                                "description": "Rented on (YYYY-MM-DD).",
                                "title": "Added On",
                            },
                            "spare": {
                                "anyOf": [{"type": "boolean"}, {"type": "null"}],
                                "default": None,
                                "description": "In no Powerpack's pool. Present only when pools were read.",
                                "title": "Spare",
                            },
                            "powerpack": {
                                "anyOf": [{"type": "string"}, {"type": "null"}],
                                "default": None,
                                "description": "Name of the Powerpack whose pool holds it, when pools were read.",
                                "title": "Powerpack",
                            },
                        },
                        "required": ["number", "type", "country", "region", "services", "added_on"],
                        "title": "RentedNumber",
                        "type": "object",
                    }
                },
                "description": "One page of the account's numbers. Follow next_offset.",
                "properties": {
                    "numbers": {
                        "items": {"$ref": "#/$defs/RentedNumber"},
                        "title": "Numbers",
                        "type": "array",
                    },
                    "total_count": {"title": "Total Count", "type": "integer"},
                    "limit": {"title": "Limit", "type": "integer"},
                    "offset": {"title": "Offset", "type": "integer"},
                    "has_more": {"title": "Has More", "type": "boolean"},
                    "next_offset": {
                        "anyOf": [{"type": "integer"}, {"type": "null"}],
                        "title": "Next Offset",
                    },
                    "read": {
                        "description": "What was read from Plivo to answer.",
                        "title": "Read",
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
                "title": "AccountNumbers",
                "type": "object",
            },
            "confirm_unrent": {
                "description": "What the card's confirmation did.",
                "properties": {
                    "status": {"const": "unrented", "title": "Status", "type": "string"},
                    "numbers_unrented": {
                        "description": "In E.164, exactly those whose rental ended.",
                        "items": {"type": "string"},
                        "title": "Numbers Unrented",
                        "type": "array",
                    },
                    "powerpack_deleted": {"title": "Powerpack Deleted", "type": "boolean"},
                    "message": {"title": "Message", "type": "string"},
                },
                "required": ["status", "numbers_unrented", "powerpack_deleted", "message"],
                "title": "CardConfirmed",
                "type": "object",
            },
        }
    )


async def test_resolved_guard_parameters_are_not_in_the_schema(sandbox_app: Starlette) -> None:
    async with connect(sandbox_app) as client:
        tools = {tool.name: tool for tool in (await client.list_tools()).tools}
    delete = tools["delete_powerpack"].input_schema["properties"]
    assert set(delete) == {"powerpack", "unrent_numbers", "confirmation_token"}
