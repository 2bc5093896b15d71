"""Wire JSON for each object, exactly in the shapes Plivo's documentation shows."""

from collections.abc import Sequence
from typing import Any, TypeVar
from urllib.parse import urlencode

from .model import Powerpack, RentedNumber, ShortCode

T = TypeVar("T")
JsonDict = dict[str, Any]

COUNTRY_NAMES = {"US": "United States", "CA": "Canada"}
# The Tollfree endpoints spell the type without the hyphen, as Plivo's number pool docs show.
TOLLFREE_VIEW_TYPE = "tollfree"


def account_path(auth_id: str) -> str:
    return f"/v1/Account/{auth_id}/"


def pool_path(auth_id: str, pool_uuid: str) -> str:
    return f"{account_path(auth_id)}NumberPool/{pool_uuid}/"


def number_path(auth_id: str, number: str) -> str:
    return f"{account_path(auth_id)}Number/{number}/"


def powerpack(pack: Powerpack, auth_id: str, *, listed: bool = False) -> JsonDict:
    """A Powerpack; list items leave out number_priority, as Plivo's list example does."""
    body: JsonDict = {
        "uuid": pack.uuid,
        "name": pack.name,
        "sticky_sender": pack.sticky_sender,
        "local_connect": pack.local_connect,
        "application_type": pack.application_type,
        "application_id": pack.application_id,
        "number_pool": pool_path(auth_id, pack.pool_uuid),
        "created_on": pack.created_on,
    }
    if not listed:
        body["number_priority"] = pack.number_priority
    return body


def number_pool(pool_uuid: str, auth_id: str) -> JsonDict:
    base = pool_path(auth_id, pool_uuid)
    return {
        "uuid": pool_uuid,
        "numbers": f"{base}Number/",
        "shortcodes": f"{base}Shortcode/",
        "tollfree": f"{base}Tollfree/",
    }


def pool_number(number: RentedNumber, auth_id: str, *, tollfree_view: bool = False) -> JsonDict:
    assert number.link is not None  # only pool members are rendered this way
    return {
        "number": number.number,
        "country_iso2": number.country_iso2,
        "type": TOLLFREE_VIEW_TYPE if tollfree_view else number.type,
        "service": number.link.service,
        "added_on": number.link.added_on,
        "number_pool_uuid": number.link.pool_uuid,
        "account_phone_number_resource": number_path(auth_id, number.number),
    }


def shortcode(code: ShortCode) -> JsonDict:
    assert code.link is not None  # only linked short codes are rendered
    return {
        "shortcode": code.shortcode,
        "country_iso2": code.country_iso2,
        "added_on": code.link.added_on,
        "number_pool_uuid": code.link.pool_uuid,
    }


def account_number(number: RentedNumber, auth_id: str) -> JsonDict:
    """A rented number as Plivo's Number/ API shows it (plivo-python's recorded fixtures):
    dates without a time, the country by name, and no pool membership: only pools know it."""
    us_local = number.country_iso2 == "US" and number.type != "toll-free"
    return {
        "number": number.number,
        "alias": None,
        "sub_account": None,
        "added_on": number.added_on[:10],
        "renewal_date": renewal_date(number.added_on[:10]),
        "active": True,
        "application": None,
        "carrier": "Plivo",
        "city": number.region.partition(",")[0],
        "country": COUNTRY_NAMES.get(number.country_iso2, number.country_iso2),
        "region": number.region,
        "number_type": account_number_type(number.type),
        "monthly_rental_rate": "1.00000" if number.type == "toll-free" else "0.80000",
        "sms_enabled": number.sms_enabled,
        "sms_rate": "0.00000",
        "mms_enabled": number.mms_enabled,
        "mms_rate": "0.00000",
        "voice_enabled": number.voice_enabled,
        "voice_rate": "0.00850",
        "cnam_lookup": "disabled" if number.country_iso2 in ("US", "CA") else None,
        "compliance_application_id": None,
        "compliance_status": None,
        "tendlc_campaign_id": None,
        "tendlc_registration_status": "UNREGISTERED" if us_local else None,
        "toll_free_sms_verification": "verified" if number.type == "toll-free" else None,
        "resource_uri": number_path(auth_id, number.number),
    }


def account_number_type(kind: str) -> str:
    """The Number/ API's words: US and Canadian long codes are "local" in its fixtures, and
    toll-free is "tollfree" (the pool endpoints say "fixed" and "toll-free")."""
    return {"fixed": "local", "toll-free": "tollfree"}.get(kind, kind)


def renewal_date(added_on: str) -> str:
    """A month after the rental date (the day capped at 28, so every month has it)."""
    year, month, day = (int(part) for part in added_on.split("-"))
    year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return f"{year:04d}-{month:02d}-{min(day, 28):02d}"


def page(
    items: Sequence[T],
    limit: int,
    offset: int,
    base: str,
    *,
    filters: dict[str, str] | None = None,
    no_link: str | None = None,
) -> tuple[Sequence[T], JsonDict]:
    """One page of items and its meta; next/previous repeat the filters.

    `no_link` is what next/previous hold at the ends: Powerpack and account lists use null,
    number pool lists "" (as in Plivo's examples), so clients must handle both.
    """
    total = len(items)

    def link(at: int) -> str:
        query = {**(filters or {}), "limit": str(limit), "offset": str(at)}
        return f"{base}?{urlencode(query)}"

    meta = {
        "limit": limit,
        "offset": offset,
        "total_count": total,
        "next": link(offset + limit) if offset + limit < total else no_link,
        "previous": link(max(0, offset - limit)) if offset > 0 else no_link,
    }
    return items[offset : offset + limit], meta
