"""Input types shared by the tools: each one carries Plivo's rule and says it in its schema."""

from __future__ import annotations

from typing import Annotated

from pydantic import AfterValidator, BeforeValidator, Field

from ..plivo.models import ApplicationType, NumberPriority, NumberService, lower, upper

NAME_MAX = 64


def _printable_name(value: str) -> str:
    if value != value.strip():
        raise ValueError("must not start or end with spaces")
    if not value.isprintable():
        raise ValueError("must contain only printable characters (no tabs or line breaks)")
    return value


PowerpackRef = Annotated[
    str,
    Field(
        min_length=1,
        max_length=128,
        description="The Powerpack's UUID, or its exact name (names are unique per account).",
    ),
]

PowerpackName = Annotated[
    str,
    Field(
        min_length=1,
        max_length=NAME_MAX,
        description=(
            f"1 to {NAME_MAX} printable characters, no leading or trailing spaces; "
            "unique across the account's Powerpacks."
        ),
    ),
    AfterValidator(_printable_name),
]

StickySender = Annotated[
    bool,
    Field(
        description=(
            "Sticky Sender: a destination always receives messages from the same pool number, "
            "so recipients see one consistent sender."
        )
    ),
]

LocalConnect = Annotated[
    bool,
    Field(
        description=(
            "Local Connect: prefer pool numbers matching the destination's area code, then its "
            "state, so recipients see a local sender."
        )
    ),
]

AppType = Annotated[
    ApplicationType,
    BeforeValidator(lower),
    Field(description="The kind of application: 'xml' (an XML application) or 'phlo'."),
]

AppId = Annotated[
    str,
    Field(
        min_length=1,
        max_length=64,
        description=(
            "The ID of the XML application or PHLO that numbers in this Powerpack use, "
            "or 'none' for no application. Needs application_type unless 'none'."
        ),
    ),
]

Priorities = Annotated[
    list[NumberPriority],
    Field(
        max_length=100,
        description=(
            "Per country and service type (SMS/MMS), the order in which short codes, toll-free "
            "and long codes send. Each of shortcode, tollfree, longcode appears once per item; "
            "one item per (country_iso, service_type)."
        ),
    ),
]

Limit = Annotated[int, Field(ge=1, le=20, description="Page size, 1 to 20 (Plivo's maximum).")]
Offset = Annotated[int, Field(ge=0, description="How many items to skip; use next_offset.")]

Country = Annotated[
    str,
    BeforeValidator(upper),
    Field(pattern=r"^[A-Z]{2}$", description="ISO 3166-1 alpha-2 country code, e.g. US."),
]
Service = Annotated[NumberService, BeforeValidator(lower)]

ConfirmationToken = Annotated[
    str | None,
    Field(
        max_length=2048,
        description=(
            "Only when unrenting, on servers in token mode: the confirmation_token from the "
            "previous answer, passed back after the user explicitly agreed to its preview."
        ),
    ),
]
