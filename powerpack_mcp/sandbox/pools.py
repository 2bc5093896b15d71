"""Number pool rules: which numbers a pool holds, and adding or removing them."""

from collections.abc import Mapping
from typing import Any

from . import coerce
from .errors import bad_request, not_found
from .model import Link, RentedNumber, ShortCode, utc_now
from .state import SandboxState

TOLL_FREE = "toll-free"
# starts_with prefixes exclude the country code, so it is cut off before comparing.
CALLING_CODES = {"US": "1", "CA": "1"}


def members(state: SandboxState, pool_uuid: str, *, toll_free_only: bool) -> list[RentedNumber]:
    state.pool_owner(pool_uuid)
    return [
        number
        for number in state.numbers.values()
        if _in_pool(number, pool_uuid) and (number.type == TOLL_FREE or not toll_free_only)
    ]


def filtered(numbers: list[RentedNumber], query: Mapping[str, str]) -> list[RentedNumber]:
    """Apply the list filters type, service, country_iso2 and starts_with."""
    country = coerce.parse_country(query["country_iso2"]) if query.get("country_iso2") else None
    prefixes = coerce.parse_prefixes(query["starts_with"]) if query.get("starts_with") else None
    if prefixes is not None and country is None:
        raise bad_request("starts_with requires country_iso2")
    kind = coerce.parse_number_type(query["type"]) if query.get("type") else None
    service = coerce.parse_service(query["service"]) if query.get("service") else None
    return [
        number
        for number in numbers
        if (kind is None or number.type == kind)
        and (service is None or (number.link is not None and number.link.service == service))
        and (country is None or number.country_iso2 == country)
        and (prefixes is None or _national(number).startswith(tuple(prefixes)))
    ]


def find(
    state: SandboxState, pool_uuid: str, raw: str, *, toll_free_only: bool, service: str | None
) -> RentedNumber:
    state.pool_owner(pool_uuid)
    number = coerce.parse_number(raw)
    member = state.numbers.get(number)
    label = "toll-free number" if toll_free_only else "number"
    if member is None or not _in_pool(member, pool_uuid):
        raise not_found(f"{label} {number} is not in number pool {pool_uuid}")
    if toll_free_only and member.type != TOLL_FREE:
        raise not_found(f"{label} {number} is not in number pool {pool_uuid}")
    if service is not None and member.link is not None and member.link.service != service:
        raise not_found(f"{label} {number} is not in number pool {pool_uuid} for {service}")
    return member


def add(
    state: SandboxState, pool_uuid: str, raw: str, body: dict[str, Any], *, toll_free_only: bool
) -> RentedNumber:
    state.pool_owner(pool_uuid)
    if coerce.parse_bool(body.get("rent", False), "rent"):
        raise bad_request(
            "buying numbers is not supported by the sandbox: add a number the account rents"
        )
    service = coerce.parse_service(body.get("service"))
    number = coerce.parse_number(raw)
    rented = state.numbers.get(number)
    if rented is None:
        raise bad_request(f"number {number} is not rented by this account")
    _check_endpoint(rented, toll_free_only=toll_free_only)
    if rented.link is not None:
        where = "this" if rented.link.pool_uuid == pool_uuid else "another"
        raise bad_request(f"number {number} is already in {where} number pool")
    rented.link = Link(pool_uuid=pool_uuid, added_on=utc_now(), service=service)
    return rented


def remove(
    state: SandboxState, pool_uuid: str, raw: str, *, unrent: bool, toll_free_only: bool
) -> None:
    """Unlink the number; with unrent it also leaves the account, for good."""
    member = find(state, pool_uuid, raw, toll_free_only=toll_free_only, service=None)
    _check_endpoint(member, toll_free_only=toll_free_only)
    if unrent:
        del state.numbers[member.number]
    else:
        member.link = None


def _check_endpoint(number: RentedNumber, *, toll_free_only: bool) -> None:
    """Writes go through the endpoint for the number's kind, as every Plivo SDK sends them:
    toll-free numbers through .../Tollfree/, all others through .../Number/."""
    if toll_free_only and number.type != TOLL_FREE:
        raise bad_request(f"number {number.number} is not a toll-free number")
    if not toll_free_only and number.type == TOLL_FREE:
        raise bad_request(
            f"number {number.number} is a toll-free number: use the pool's Tollfree endpoint"
        )


def shortcodes(state: SandboxState, pool_uuid: str) -> list[ShortCode]:
    state.pool_owner(pool_uuid)
    return [code for code in state.shortcodes.values() if _in_pool(code, pool_uuid)]


def find_shortcode(state: SandboxState, pool_uuid: str, raw: str) -> ShortCode:
    state.pool_owner(pool_uuid)
    code = state.shortcodes.get(coerce.parse_shortcode(raw))
    if code is None or not _in_pool(code, pool_uuid):
        raise not_found(f"short code {raw.strip()} is not in number pool {pool_uuid}")
    return code


def remove_shortcode(state: SandboxState, pool_uuid: str, raw: str) -> None:
    """Short codes are only unlinked: Plivo never unrents them through this API."""
    find_shortcode(state, pool_uuid, raw).link = None


def _in_pool(item: RentedNumber | ShortCode, pool_uuid: str) -> bool:
    return item.link is not None and item.link.pool_uuid == pool_uuid


def _national(number: RentedNumber) -> str:
    code = CALLING_CODES.get(number.country_iso2, "")
    return number.number[len(code) :] if number.number.startswith(code) else number.number
