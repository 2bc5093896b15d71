"""Input types shared by the tools: each one carries Plivo's rule and says it in its schema."""

from __future__ import annotations

from typing import Annotated

from pydantic import AfterValidator, BeforeValidator, Field

from ..plivo.models import ApplicationType, NumberPriority, NumberService, lower, upper

NAME_MAX = 64
REF_MAX = 128


def _printable_name(value: str) -> str:
    if value != value.strip():
        raise ValueError("must not start or end with spaces")
    if not value.isprintable():
        raise ValueError("must contain only printable characters (no tabs or line breaks)")
    return value


def _ref_length(value: str) -> str:
    # Checked, not published: a bound on our side, not a rule a model needs to read.
    if not 1 <= len(value) <= REF_MAX:
        raise ValueError(f"must be 1 to {REF_MAX} characters")
    return value


PowerpackRef = Annotated[str, AfterValidator(_ref_length), Field(description="UUID or exact name.")]

PowerpackName = Annotated[
    str,
    Field(
        min_length=1,
        max_length=NAME_MAX,
        description="Unique in the account; printable, no leading or trailing spaces.",
    ),
    AfterValidator(_printable_name),
]

StickySender = Annotated[
    bool,
    Field(description="A destination always gets messages from the same number."),
]

LocalConnect = Annotated[
    bool,
    Field(description="Prefer numbers in the destination's area code, then state."),
]

AppType = Annotated[
    ApplicationType,
    BeforeValidator(lower),
    Field(description="The application's kind; needs application_id."),
]

AppId = Annotated[
    str,
    Field(
        min_length=1,
        max_length=64,
        description="The XML application's or PHLO's ID the numbers use; 'none' detaches.",
    ),
]

Priorities = Annotated[
    list[NumberPriority],
    Field(
        max_length=100,
        description=(
            "Per country and service type, the order in which sender types are tried: "
            "priority1 first; shortcode, tollfree and longcode each once. One item per pair."
        ),
    ),
]

Limit = Annotated[int, Field(ge=1, le=20)]  # the bounds say it: Plivo's largest page is 20
Offset = Annotated[int, Field(ge=0, description="The last answer's next_offset.")]

Country = Annotated[
    str,
    BeforeValidator(upper),
    Field(pattern=r"^[A-Z]{2}$", description="ISO 3166-1 alpha-2, e.g. US."),
]
Service = Annotated[NumberService, BeforeValidator(lower)]

ConfirmationToken = Annotated[
    str | None,
    Field(
        max_length=2048,
        description=(
            "Token mode only: the previous answer's confirmation_token, passed back only after "
            "the user explicitly agreed to its preview."
        ),
    ),
]
