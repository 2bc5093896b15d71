"""Phone numbers and short codes as the tools accept them, normalised to Plivo's form."""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import AfterValidator, Field

_SEPARATORS = re.compile(r"[\s().-]")
_PHONE = re.compile(r"^\+?[1-9]\d{7,14}$")
_SHORTCODE = re.compile(r"^\d{3,8}$")


def phone_number(value: str) -> str:
    """E.164, with or without '+', separators allowed; returned as digits only."""
    compact = _SEPARATORS.sub("", value)
    if not _PHONE.match(compact):
        raise ValueError(
            "must be a phone number in E.164 form: 8 to 15 digits, country code first, "
            "with or without '+', e.g. +14155550123"
        )
    return compact.lstrip("+")


def is_shortcode(value: str) -> bool:
    return bool(_SHORTCODE.match(value.strip()))


def pool_member(value: str) -> str:
    """A phone number, or a short code (3 to 8 digits, no '+')."""
    if is_shortcode(value):
        return value.strip()
    try:
        return phone_number(value)
    except ValueError:
        raise ValueError(
            "must be a phone number in E.164 form (8 to 15 digits, e.g. +14155550123) or a "
            "short code (3 to 8 digits)"
        ) from None


PhoneNumber = Annotated[
    str,
    Field(
        min_length=8,
        max_length=24,
        description="A phone number the account rents, E.164 with or without '+'.",
    ),
    AfterValidator(phone_number),
]

PoolMember = Annotated[
    str,
    Field(
        min_length=3,
        max_length=24,
        description=(
            "A number in the pool: a phone number (E.164, with or without '+') or a short "
            "code (3 to 8 digits, no '+')."
        ),
    ),
    AfterValidator(pool_member),
]
