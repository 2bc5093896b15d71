"""Plivo's Powerpack and number-pool objects, as this project reads and writes them.

Wire quirks are absorbed here, once: `number_pool` arrives as a path and becomes
`number_pool_uuid`; an empty `application_type`/`application_id` becomes `None`; numbers are
digits without `+`; a numeric `application_id` becomes a string; a toll-free number's
`tollfree` key becomes `number` and its type `toll-free`; a `number_priority` or
`sticky_sender` Plivo did not send is left out of what we return, never shown as null.
Everything above this layer sees clean, typed values.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal

from pydantic import (
    AliasChoices,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    model_validator,
)

PriorityValue = Literal["shortcode", "tollfree", "longcode"]
ServiceType = Literal["SMS", "MMS"]
ApplicationType = Literal["xml", "phlo"]
NumberType = Literal["fixed", "mobile", "toll-free"]
NumberService = Literal["sms", "mms"]


def lower(value: Any) -> Any:
    return value.strip().lower() if isinstance(value, str) else value


def upper(value: Any) -> Any:
    return value.strip().upper() if isinstance(value, str) else value


def _empty_to_none(value: Any) -> Any:
    if isinstance(value, str) and value.strip().lower() in {"", "none"}:
        return None
    return value


def _app_id(value: Any) -> Any:
    # Some recorded answers carry the application ID as a JSON number.
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return _empty_to_none(value)


def _number_type(value: Any) -> Any:
    # The pool's Tollfree/ views write "tollfree"; the Number/ views and filters "toll-free".
    return "toll-free" if isinstance(value, str) and value.lower() == "tollfree" else value


def _day(value: Any) -> Any:
    # Recorded answers write a date ("2014-02-14"); take the day from a timestamp too.
    return value[:10] if isinstance(value, str) and len(value) > 10 else value


def _unknown(value: Any) -> bool:
    """Left out of what we return: a value Plivo did not send is not claimed either way."""
    return value is None


class Priority(BaseModel):
    """The order in which a country's sender types are tried; each type once."""

    model_config = ConfigDict(extra="forbid")

    priority1: Annotated[PriorityValue, BeforeValidator(lower)]
    priority2: Annotated[PriorityValue, BeforeValidator(lower)]
    priority3: Annotated[PriorityValue, BeforeValidator(lower)]

    @model_validator(mode="after")
    def _distinct(self) -> Priority:
        if len({self.priority1, self.priority2, self.priority3}) != 3:
            raise ValueError(
                "priority1, priority2 and priority3 must be shortcode, tollfree and longcode, "
                "each used once"
            )
        return self


class NumberPriority(BaseModel):
    """For one country and service type, which kind of number sends first."""

    model_config = ConfigDict(extra="forbid")

    country_iso: Annotated[
        str,
        BeforeValidator(upper),
        Field(pattern=r"^[A-Z]{2}$", description="ISO 3166-1 alpha-2 country code, e.g. US."),
    ]
    service_type: Annotated[ServiceType, BeforeValidator(upper), Field(description="SMS or MMS.")]
    priority: Priority


def _pool_uuid_from_path(path: Any) -> Any:
    # Plivo returns "/v1/Account/{auth_id}/NumberPool/{uuid}/"; every SDK takes segment 5.
    if isinstance(path, str) and "/" in path:
        segments = path.split("/")
        return segments[5] if len(segments) > 5 else None
    return path


class Powerpack(BaseModel):
    """A Powerpack: a named sender pool with its routing settings."""

    model_config = ConfigDict(extra="ignore")

    uuid: str
    name: str
    sticky_sender: bool | None = Field(
        default=None,
        exclude_if=_unknown,
        description="Absent if Plivo omits it (some older answers).",
    )
    local_connect: bool
    application_type: Annotated[ApplicationType | None, BeforeValidator(_empty_to_none)] = None
    application_id: Annotated[str | None, BeforeValidator(_app_id)] = None
    number_priority: list[NumberPriority] | None = Field(
        default=None,
        # Unknown is not "none": a list entry must not claim a Powerpack has no priority.
        exclude_if=_unknown,
        description="Absent if Plivo omits it (list results): not the same as none.",
    )
    number_pool_uuid: str | None = None
    created_on: datetime | None = None

    @model_validator(mode="before")
    @classmethod
    def _from_wire(cls, data: Any) -> Any:
        if isinstance(data, dict) and "number_pool" in data and "number_pool_uuid" not in data:
            data = {**data, "number_pool_uuid": _pool_uuid_from_path(data["number_pool"])}
        if isinstance(data, dict) and isinstance(data.get("application_type"), str):
            data = {**data, "application_type": lower(data["application_type"])}
        return data


class PageMeta(BaseModel):
    """Plivo's pagination block."""

    model_config = ConfigDict(extra="ignore")

    limit: int
    offset: int
    total_count: int


class PowerpackPage(BaseModel):
    meta: PageMeta
    objects: list[Powerpack]


class ListedName(BaseModel):
    """What a name scan reads of a listed Powerpack; the one it finds is fetched whole."""

    model_config = ConfigDict(extra="ignore")

    uuid: str
    name: str


class NamePage(BaseModel):
    """A page of the Powerpack list as a name scan reads it: a third of the CPU of reading
    every field of its twenty Powerpacks, and a Powerpack of an odd shape elsewhere on the
    page cannot fail the lookup of another."""

    meta: PageMeta
    objects: list[ListedName]


class PoolNumber(BaseModel):
    """A long-code or toll-free number in a Powerpack's pool."""

    model_config = ConfigDict(extra="ignore")

    # Toll-free views of a pool name the number "tollfree".
    number: str = Field(validation_alias=AliasChoices("number", "tollfree"))
    country_iso2: str | None = None
    type: Annotated[
        str | None,
        BeforeValidator(_number_type),
        Field(description="fixed, mobile or toll-free."),
    ] = None
    service: str | None = Field(default=None, description="sms or mms.")
    added_on: datetime | None = None

    @property
    def toll_free(self) -> bool:
        """Which pool endpoint writes for this number go through."""
        return is_toll_free(self.type)


class PoolNumberPage(BaseModel):
    meta: PageMeta
    objects: list[PoolNumber]


class Shortcode(BaseModel):
    """A short code linked to a Powerpack's pool (linked and unlinked, never rented here)."""

    model_config = ConfigDict(extra="ignore")

    shortcode: str
    country_iso2: str | None = None
    added_on: datetime | None = None


class ShortcodePage(BaseModel):
    meta: PageMeta
    objects: list[Shortcode]


class AccountNumber(BaseModel):
    """A number the account rents (its inventory), as Plivo's Number/ API shows it.

    It says nothing of pools: which Powerpack holds a number only the pools say."""

    model_config = ConfigDict(extra="ignore")

    number: str
    type: str | None = None  # some answers say "type" where the recorded ones say number_type
    number_type: Annotated[
        str | None,
        BeforeValidator(_number_type),
        Field(description="local, fixed, mobile, national or toll-free."),
    ] = None
    country: str | None = Field(default=None, description="By name, e.g. United States.")
    region: str | None = None
    sms_enabled: bool | None = None
    mms_enabled: bool | None = None
    voice_enabled: bool | None = None
    added_on: Annotated[date | None, BeforeValidator(_day)] = Field(
        default=None, description="When the account rented it."
    )

    @property
    def toll_free(self) -> bool:
        return is_toll_free(self.type or self.number_type)

    @property
    def kind(self) -> str | None:
        kind = self.number_type or self.type
        return "toll-free" if is_toll_free(kind) else kind


class AccountNumberPage(BaseModel):
    meta: PageMeta
    objects: list[AccountNumber]


def is_toll_free(kind: str | None) -> bool:
    """Plivo spells the type "toll-free", "tollfree" or "TOLLFREE" depending on the endpoint."""
    return kind is not None and kind.replace("-", "").replace("_", "").lower() == "tollfree"
