"""The sandbox's records: plain dataclasses, so persisting them is `asdict` and back."""

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any


def utc_now() -> str:
    """Plivo's timestamp style: ISO-8601 UTC with microseconds and a Z."""
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


@dataclass
class Link:
    """Membership of a number or short code in one number pool."""

    pool_uuid: str
    added_on: str
    service: str = "sms"


@dataclass
class RentedNumber:
    """A number in the account inventory; `type` is fixed, mobile or toll-free."""

    number: str
    country_iso2: str
    type: str
    region: str
    added_on: str
    link: Link | None = None
    # What the number can receive (Plivo's Number/ `services` filter and *_enabled fields).
    voice_enabled: bool = True
    sms_enabled: bool = True
    mms_enabled: bool = True


@dataclass
class ShortCode:
    shortcode: str
    country_iso2: str
    link: Link | None = None


@dataclass
class Powerpack:
    uuid: str
    pool_uuid: str
    name: str
    created_on: str
    sticky_sender: bool = True
    local_connect: bool = True
    application_type: str = ""
    application_id: str = ""
    number_priority: list[dict[str, Any]] = field(default_factory=list)


def link_from(raw: Any) -> Link | None:
    return None if raw is None else Link(**raw)


def number_from(raw: dict[str, Any]) -> RentedNumber:
    return RentedNumber(**{**raw, "link": link_from(raw.get("link"))})


def shortcode_from(raw: dict[str, Any]) -> ShortCode:
    return ShortCode(**{**raw, "link": link_from(raw.get("link"))})
