"""Parsing of request values, with the error texts Plivo-style clients see.

Everything here is pure: a raw JSON or query value goes in, a clean value comes out,
or an ApiError(400) is raised.
"""

import json
import re
from collections.abc import Mapping
from typing import Any

from .errors import bad_request

JsonDict = dict[str, Any]

NAME_MAX_LENGTH = 64
PAGE_LIMIT_MAX = 20
MAX_PREFIXES = 10
PRIORITY_VALUES = ("shortcode", "tollfree", "longcode")
PRIORITY_KEYS = ("priority1", "priority2", "priority3")
SERVICE_TYPES = ("SMS", "MMS")
SERVICES = ("sms", "mms")
NUMBER_TYPES = ("fixed", "mobile", "toll-free")
# Plivo writes "tollfree" in some places and "toll-free" in others; accept both spellings.
_TYPE_ALIASES = {"tollfree": "toll-free"}
_NO_APPLICATION = ("", "none")
_NUMBER_RE = re.compile(r"\+?(\d{3,15})")
_COUNTRY_RE = re.compile(r"[A-Za-z]{2}")


def strict_json(raw: bytes) -> Any:
    """JSON as RFC 8259 has it, or ValueError.

    Python's parser also takes NaN and Infinity, lone surrogates (\\ud800) and nesting deeper
    than its recursion limit; none of them can be stored and echoed back as JSON.
    """
    try:
        value = json.loads(raw, parse_constant=_no_constant)
        # Lone surrogates parse, but cannot be encoded again.
        json.dumps(value, ensure_ascii=False).encode("utf-8")
    except RecursionError:
        raise ValueError("JSON nested too deeply") from None
    return value


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def parse_bool(value: object, field: str) -> bool:
    """JSON booleans, or the strings "true"/"false" some SDKs send."""
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("true", "false"):
        return value.strip().lower() == "true"
    raise bad_request(f"{field} must be true or false")


def parse_name(value: object) -> str:
    """1..64 printable characters, not only blanks (Plivo documents no rule; this is ours)."""
    if not isinstance(value, str) or not value.strip():
        raise bad_request("name is required and must be a non-empty string")
    if len(value) > NAME_MAX_LENGTH:
        raise bad_request(f"name must be at most {NAME_MAX_LENGTH} characters")
    if not value.isprintable():
        raise bad_request("name must contain only printable characters")
    return value


def parse_application_type(value: object) -> str:
    """Returns "XML", "PHLO" or "" (not given), as responses show it."""
    if value is None:
        return ""
    if not isinstance(value, str) or value.strip().lower() not in ("", "xml", "phlo"):
        raise bad_request("application_type must be xml or phlo")
    return value.strip().upper()


def parse_application(app_type: object, app_id: object) -> tuple[str, str]:
    """(type, id) as responses show them; ("", "") means no application."""
    kind = parse_application_type(app_type)
    if app_id is None:
        app_id = ""
    if not isinstance(app_id, str):
        raise bad_request("application_id must be a string")
    if app_id.strip().lower() in _NO_APPLICATION:
        return "", ""
    if not kind:
        raise bad_request("application_type is required when application_id is set")
    return kind, app_id.strip()


def parse_priorities(value: object) -> list[JsonDict]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise bad_request("number_priority must be a list")
    items = [_parse_priority_item(item, index) for index, item in enumerate(value)]
    seen: set[tuple[str, str]] = set()
    for item in items:
        key = (item["country_iso"], item["service_type"])
        if key in seen:
            raise bad_request(
                f"number_priority has more than one item for country_iso {key[0]} "
                f"and service_type {key[1]}"
            )
        seen.add(key)
    return items


def _parse_priority_item(item: object, index: int) -> JsonDict:
    where = f"number_priority[{index}]"
    if not isinstance(item, dict):
        raise bad_request(f"{where} must be an object")
    country = item.get("country_iso")
    if not isinstance(country, str) or not _COUNTRY_RE.fullmatch(country):
        raise bad_request(f"{where}.country_iso must be a 2-letter ISO country code")
    service = item.get("service_type")
    if not isinstance(service, str) or service.upper() not in SERVICE_TYPES:
        raise bad_request(f"{where}.service_type must be SMS or MMS")
    return {
        "country_iso": country.upper(),
        "service_type": service.upper(),
        "priority": _parse_order(item.get("priority"), where),
    }


def _parse_order(value: object, where: str) -> dict[str, str]:
    if not isinstance(value, dict):
        raise bad_request(f"{where}.priority must be an object with priority1..priority3")
    order: dict[str, str] = {}
    for key in PRIORITY_KEYS:
        choice = value.get(key)
        if not isinstance(choice, str) or choice.lower() not in PRIORITY_VALUES:
            raise bad_request(
                f"{where}.priority.{key} must be one of shortcode, tollfree, longcode"
            )
        order[key] = choice.lower()
    if len(set(order.values())) != len(PRIORITY_KEYS):
        raise bad_request(f"{where}.priority values must be distinct")
    return order


def parse_number(raw: str) -> str:
    """Digits only, as Plivo stores numbers; a leading "+" is dropped."""
    match = _NUMBER_RE.fullmatch(raw.strip())
    # isascii: \d would also accept other scripts' digits, which no phone number uses.
    if match is None or not raw.isascii():
        raise bad_request(f"{raw!r} is not a valid phone number (digits with country code)")
    return match.group(1)


def parse_shortcode(raw: str) -> str:
    code = raw.strip()
    if not code.isascii() or not code.isdigit() or not 3 <= len(code) <= 8:
        raise bad_request(f"{raw!r} is not a valid short code")
    return code


def parse_prefixes(raw: str) -> list[str]:
    """starts_with: a comma list of at most 10 digit prefixes (without the country code)."""
    prefixes = [part.strip() for part in raw.split(",")]
    if any(not (p.isascii() and p.isdigit()) for p in prefixes):
        raise bad_request("starts_with must be a comma-separated list of digit prefixes")
    if len(prefixes) > MAX_PREFIXES:
        raise bad_request(f"starts_with takes at most {MAX_PREFIXES} prefixes")
    return prefixes


def parse_service(value: object) -> str:
    if value is None or value == "":
        return "sms"
    if not isinstance(value, str) or value.lower() not in SERVICES:
        raise bad_request("service must be sms or mms")
    return value.lower()


def parse_number_type(value: str) -> str:
    kind = _TYPE_ALIASES.get(value.lower(), value.lower())
    if kind not in NUMBER_TYPES:
        raise bad_request("type must be fixed, mobile or toll-free")
    return kind


def parse_country(value: str, field: str = "country_iso2") -> str:
    if not _COUNTRY_RE.fullmatch(value):
        raise bad_request(f"{field} must be a 2-letter ISO country code")
    return value.upper()


def parse_page(query: Mapping[str, str]) -> tuple[int, int]:
    """(limit, offset) with Plivo's bounds: limit 1..20 (default 20), offset >= 0."""
    limit = _int_param(query, "limit", PAGE_LIMIT_MAX)
    offset = _int_param(query, "offset", 0)
    if not 1 <= limit <= PAGE_LIMIT_MAX:
        raise bad_request(f"limit must be between 1 and {PAGE_LIMIT_MAX}")
    if offset < 0:
        raise bad_request("offset must be 0 or more")
    return limit, offset


def _int_param(query: Mapping[str, str], key: str, default: int) -> int:
    raw = query.get(key, "").strip()
    if not raw:
        return default
    try:
        return int(raw)
    except ValueError:
        raise bad_request(f"{key} must be an integer") from None
