"""Plivo's answers vary: every shape recorded in Plivo's SDK test fixtures for the calls we
make is read, and shown to a real MCP client, without a validation error.

The objects below are ours, written to the field names and JSON types of the fixtures in
plivo-python, plivo-go, plivo-java, plivo-ruby, plivo-php and plivo-dotnet. Plivo is
replayed by an httpx transport: the emulator answers in one shape only, by design.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
import pytest
from mcp import Client
from support import ERAS, Era, ok, settings

from powerpack_mcp.plivo.models import PoolNumber
from powerpack_mcp.sandbox import DEFAULT_AUTH_ID
from powerpack_mcp.server import build_server

pytestmark = pytest.mark.anyio

PACK = "5ec4c8c9-0000-4000-8000-00000000000a"
POOL = "d35f2e82-0000-4000-8000-00000000000b"
POOL_PATH = f"/v1/Account/{DEFAULT_AUTH_ID}/NumberPool/{POOL}/"

# GET Powerpack/{uuid}/ as plivo-python's fixtures record it: "smart_sender" where later
# answers say "sticky_sender", a number for application_id, whole seconds, no api_id.
POWERPACK_WITHOUT_STICKY_SENDER = {
    "uuid": PACK,
    "name": "Older shape",
    "smart_sender": True,
    "local_connect": False,
    "application_type": "XML",
    "application_id": 123912833468,
    "number_pool": POOL_PATH,
    "created_on": "2019-07-15T12:22:00Z",
}
# A list page as most SDKs record it: no number_priority, next null, previous absent.
POWERPACK_PAGE = {
    "api_id": "ff25223a-0000-4000-8000-000000000001",
    "meta": {"limit": 20, "next": None, "offset": 0, "total_count": 2},
    "objects": [
        {
            "application_id": "33660394121755210",
            "application_type": "XML",
            "created_on": "2019-09-03T08:50:09.510692Z",
            "local_connect": False,
            "name": "with-app",
            "number_pool": POOL_PATH,
            "sticky_sender": True,
            "uuid": PACK,
        },
        {
            "application_id": "",
            "application_type": "",
            "created_on": "2019-10-09T16:54:34.0117Z",  # four fraction digits
            "local_connect": True,
            "name": "without-app",
            "number_pool": f"/v1/Account/{DEFAULT_AUTH_ID}/NumberPool/<number_pool_uuid>/",
            "sticky_sender": False,
            "uuid": "<powerpack_uuid>",
        },
    ],
}
# Pool listings: "" links, no service on the numbers.
NUMBER_PAGE = {
    "api_id": "21a04c42-0000-4000-8000-000000000001",
    "meta": {"limit": 20, "next": "", "offset": 0, "previous": "", "total_count": 1},
    "objects": [
        {
            "account_phone_number_resource": f"/v1/Account/{DEFAULT_AUTH_ID}/Number/15799140348/",
            "added_on": "2019-09-03T08:50:09.578928Z",
            "country_iso2": "CA",
            "number": "15799140348",
            "number_pool_uuid": POOL,
            "type": "fixed",
        }
    ],
}
SHORTCODE_PAGE = {
    "api_id": "cd5fde12-0000-4000-8000-000000000001",
    "meta": {"limit": 20, "next": "", "offset": 0, "previous": "", "total_count": 1},
    "objects": [
        {
            "added_on": "2019-09-03T08:50:09.578928Z",
            "country_iso2": "CA",
            "number_pool_uuid": POOL,
            "shortcode": "444444",
        }
    ],
}
# Toll-free numbers as the pool's Tollfree/ views record them: under "tollfree" instead of
# "number" (plivo-python, plivo-dotnet), type "tollfree", "numberpool_uuid" without "_".
TOLLFREE_VIEWS = [
    {
        "added_on": "2019-10-09T11:10:59.741978Z",
        "country_iso2": "US",
        "number_pool_uuid": POOL,
        "tollfree": "18772209942",
    },
    {
        "added_on": "2019-09-03T08:50:09.578928Z",
        "country_iso2": "US",
        "tollfree": "18772209942",
        "numberpool_uuid": POOL,
        "type": "tollfree",
    },
    {
        "account_phone_number_resource": f"/v1/Account/{DEFAULT_AUTH_ID}/Number/18772209942/",
        "added_on": "2019-09-03T08:50:09.578928Z",
        "country_iso2": "CA",
        "number": "18772209942",
        "numberpool_uuid": POOL,
        "type": "tollfree",
        "service": "mms",
    },
]


def replay(answers: dict[str, Any]) -> httpx.MockTransport:
    """Plivo answering GETs by path (below the account), as recorded."""
    account = f"/v1/Account/{DEFAULT_AUTH_ID}/"

    def answer(request: httpx.Request) -> httpx.Response:
        body = answers.get(request.url.path.removeprefix(account))
        if request.method != "GET" or body is None:
            return httpx.Response(404, json={"api_id": "x", "error": "not replayed"})
        return httpx.Response(200, content=json.dumps(body))

    return httpx.MockTransport(answer)


@asynccontextmanager
async def plivo_answering(era: Era, answers: dict[str, Any]) -> AsyncIterator[Client]:
    server = build_server(settings(), transport=replay(answers))
    async with Client(server, mode="legacy" if era == "legacy" else "auto") as client:
        yield client


@pytest.mark.parametrize("era", ERAS)
async def test_a_powerpack_without_sticky_sender_and_a_numeric_app_id(era: Era) -> None:
    answers = {f"Powerpack/{PACK}/": POWERPACK_WITHOUT_STICKY_SENDER}
    async with plivo_answering(era, answers) as client:
        pack = ok(await client.call_tool("get_powerpack", {"powerpack": PACK}))
    assert pack["application_id"] == "123912833468"
    assert pack["application_type"] == "xml"
    assert pack["number_pool_uuid"] == POOL
    assert "sticky_sender" not in pack  # unknown, so not claimed either way
    assert pack["local_connect"] is False


@pytest.mark.parametrize("era", ERAS)
async def test_list_pages_in_every_recorded_shape(era: Era) -> None:
    async with plivo_answering(era, {"Powerpack/": POWERPACK_PAGE}) as client:
        page = ok(await client.call_tool("list_powerpacks", {}))
    first, second = page["powerpacks"]
    assert (first["application_id"], first["number_pool_uuid"]) == ("33660394121755210", POOL)
    assert (second["application_id"], second["application_type"]) == (None, None)
    assert page["has_more"] is False


@pytest.mark.parametrize("era", ERAS)
async def test_pool_listings_in_the_recorded_shape(era: Era) -> None:
    answers = {
        f"Powerpack/{PACK}/": POWERPACK_WITHOUT_STICKY_SENDER,
        f"NumberPool/{POOL}/Number/": NUMBER_PAGE,
        f"NumberPool/{POOL}/Shortcode/": SHORTCODE_PAGE,
    }
    async with plivo_answering(era, answers) as client:
        listing = ok(await client.call_tool("list_pool_numbers", {"powerpack": PACK}))
    assert "15799140348" in json.dumps(listing)
    assert "444444" in json.dumps(listing)


@pytest.mark.parametrize("view", TOLLFREE_VIEWS)
def test_tollfree_views_read_as_pool_numbers(view: dict[str, Any]) -> None:
    """For the pool's Tollfree/ endpoint: its recorded objects are pool numbers too."""
    number = PoolNumber.model_validate(view)
    assert number.number == "18772209942"
    assert number.type in (None, "toll-free")  # one spelling for the type filter's value


# GET Number/ as plivo-python's numberListResponse.json records it (our values): dates without
# a time, the country by name, "local" and "tollfree", nulls, rates as strings.
def _account_number(number: str, kind: str, region: str) -> dict[str, Any]:
    return {
        "added_on": "2014-08-05",
        "alias": None,
        "application": f"/v1/Account/{DEFAULT_AUTH_ID}/Application/29986316244302815/",
        "carrier": "Plivo",
        "monthly_rental_rate": "0.80000",
        "number": number,
        "number_type": kind,
        "region": region,
        "resource_uri": f"/v1/Account/{DEFAULT_AUTH_ID}/Number/{number}/",
        "sms_enabled": True,
        "sms_rate": "0.00000",
        "sub_account": None,
        "active": True,
        "city": "USA",
        "compliance_application_id": None,
        "compliance_status": None,
        "country": "United States",
        "mms_enabled": False,
        "mms_rate": "0.00000",
        "tendlc_campaign_id": "C012345",
        "tendlc_registration_status": "PROCESSING",
        "toll_free_sms_verification": None,
        "renewal_date": "2014-09-05",
        "cnam_lookup": "enabled",
        "voice_enabled": True,
        "voice_rate": "0.00850",
    }


ACCOUNT_NUMBER_PAGE = {
    "api_id": "114de006-0000-4000-8000-000000000001",
    "meta": {"limit": 20, "next": None, "offset": 0, "previous": None, "total_count": 2},
    "objects": [
        _account_number("18135401302", "local", "Florida, UNITED STATES"),
        _account_number("14152753408", "tollfree", "California, UNITED STATES"),
    ],
}


@pytest.mark.parametrize("era", ERAS)
async def test_account_numbers_in_the_recorded_shape(era: Era) -> None:
    async with plivo_answering(era, {"Number/": ACCOUNT_NUMBER_PAGE}) as client:
        listing = ok(await client.call_tool("list_account_numbers", {}))
    local, toll_free = listing["numbers"]
    assert local == {
        "number": "18135401302",
        "type": "local",
        "country": "United States",
        "region": "Florida, UNITED STATES",
        "services": ["voice", "sms"],
        "added_on": "2014-08-05",
    }
    assert toll_free["type"] == "toll-free"  # one spelling, as the pool tools write it
    assert (listing["total_count"], listing["has_more"]) == (2, False)
