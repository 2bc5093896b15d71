"""The account's inventory (Plivo's Number/ API): its filters, and renting test numbers.

Plivo documents these list filters: `type` (local, fixed, mobile, national, tollfree; the
recorded objects call the field `number_type`, so that spelling is taken too),
`number_startswith` (the number's leading digits, country code included) and `services`
(voice, sms, mms, comma-separated: a number must offer them all). There is no country
filter and no pool membership: which numbers are in a pool only the pools say.
"""

from collections.abc import Mapping
from typing import Any

from . import coerce, render
from .errors import bad_request
from .model import RentedNumber
from .state import SandboxState

ACCOUNT_TYPES = ("local", "fixed", "mobile", "national", "tollfree")
ACCOUNT_SERVICES = ("voice", "sms", "mms")
MAX_RENT = 500


def filters(query: Mapping[str, str]) -> dict[str, str]:
    """The filters given, under the names the next/previous links repeat them with."""
    given = {key: query[key] for key in ("number_startswith", "services") if query.get(key)}
    kind = query.get("type") or query.get("number_type")
    if kind:
        given["type"] = kind
    return given


def filtered(numbers: list[RentedNumber], query: Mapping[str, str]) -> list[RentedNumber]:
    given = filters(query)
    kind = _parse_type(given["type"]) if "type" in given else None
    prefix = _parse_prefix(given["number_startswith"]) if "number_startswith" in given else ""
    services = _parse_services(given["services"]) if "services" in given else ()
    return [
        number
        for number in numbers
        if (kind is None or render.account_number_type(number.type) == kind)
        and number.number.startswith(prefix)
        and all(_offers(number, service) for service in services)
    ]


def _offers(number: RentedNumber, service: str) -> bool:
    enabled: bool = getattr(number, f"{service}_enabled")
    return enabled


def _parse_type(raw: str) -> str:
    kind = raw.strip().lower().replace("toll-free", "tollfree")
    if kind not in ACCOUNT_TYPES:
        raise bad_request(f"type must be one of {', '.join(ACCOUNT_TYPES)}")
    return kind


def _parse_prefix(raw: str) -> str:
    prefix = raw.strip().lstrip("+")
    if not (prefix.isascii() and prefix.isdigit()):
        raise bad_request("number_startswith must be digits")
    return prefix


def _parse_services(raw: str) -> tuple[str, ...]:
    services = tuple(part.strip().lower() for part in raw.split(","))
    if not services or any(s not in ACCOUNT_SERVICES for s in services):
        raise bad_request("services must be voice, sms or mms, comma-separated")
    return services


def rent(state: SandboxState, body: dict[str, Any]) -> list[str]:
    """Control surface: add numbers to the account's inventory, as if rented (no pool)."""
    raw = body.get("numbers")
    if not isinstance(raw, list) or not 1 <= len(raw) <= MAX_RENT:
        raise bad_request(f"numbers must be a list of 1 to {MAX_RENT} numbers")
    kind = coerce.parse_number_type(str(body.get("type", "fixed")))
    country = coerce.parse_country(str(body.get("country_iso2", "US")))
    region = body.get("region", "UNITED STATES")
    if not isinstance(region, str) or not region.strip():
        raise bad_request("region must be a non-empty string")
    rented = [coerce.parse_number(str(number)) for number in raw]
    taken = sorted(set(rented) & set(state.numbers))
    if taken:
        raise bad_request(f"already rented: {', '.join(taken)}")
    for number in rented:
        state.numbers[number] = RentedNumber(
            number,
            country,
            kind,
            region,
            "2024-03-01T08:00:00.000000Z",
            mms_enabled=kind != "toll-free" and country == "US",
        )
    return rented
