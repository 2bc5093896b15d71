"""Number pools: numbers, toll-free, short codes, filters, unrent, and the account inventory."""

import httpx
import pytest

from powerpack_mcp.sandbox import DEFAULT_AUTH_ID
from powerpack_mcp.sandbox.data import ALERTS_POOL, MARKETING_POOL, SUPPORT_POOL, US_SHORTCODE

MARKETING = f"NumberPool/{MARKETING_POOL}/"
SUPPORT = f"NumberPool/{SUPPORT_POOL}/"
OUTSIDE_LONG_CODE = "12065550107"
OUTSIDE_TOLL_FREE = "18885550302"


def numbers_in(api: httpx.Client, pool: str, kind: str = "Number", **query: object) -> list[str]:
    response = api.get(f"{pool}{kind}/", params=query)
    assert response.status_code == 200, response.text
    return [item["number"] for item in response.json()["objects"]]


def error_of(response: httpx.Response, status: int) -> str:
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"api_id", "error"}
    return str(body["error"])


def test_account_inventory_on_a_fresh_start(api: httpx.Client) -> None:
    body = api.get("Number/").json()
    numbers = body["objects"] + api.get("Number/", params={"offset": 20}).json()["objects"]
    us = [n for n in numbers if n["country"] == "United States"]
    assert len([n for n in us if n["number_type"] in ("local", "mobile")]) >= 10
    assert {n["number_type"] for n in us} == {"local", "mobile", "tollfree"}
    assert len([n for n in us if n["number_type"] == "tollfree"]) >= 2
    first = numbers[0]
    assert first["resource_uri"] == f"/v1/Account/{DEFAULT_AUTH_ID}/Number/{first['number']}/"
    assert first["added_on"] == "2024-01-15"  # a date, as Plivo writes it
    assert first["renewal_date"] == "2024-02-15"
    assert "number_pool" not in first  # Number/ says nothing of pools; only pools do


def test_marketing_pool_holds_three_long_codes_a_toll_free_and_the_short_code(
    api: httpx.Client,
) -> None:
    objects = api.get(f"{MARKETING}Number/").json()["objects"]
    assert sorted(o["type"] for o in objects) == ["fixed", "fixed", "mobile", "toll-free"]
    assert objects[0]["account_phone_number_resource"].endswith(f"/Number/{objects[0]['number']}/")
    assert {o["number_pool_uuid"] for o in objects} == {MARKETING_POOL}
    codes = api.get(f"{MARKETING}Shortcode/").json()
    assert [c["shortcode"] for c in codes["objects"]] == [US_SHORTCODE]
    assert set(codes["objects"][0]) == {"shortcode", "country_iso2", "added_on", "number_pool_uuid"}
    assert codes["meta"]["next"] == ""
    assert codes["meta"]["previous"] == ""


def test_get_pool_gives_its_subresources(api: httpx.Client) -> None:
    body = api.get(MARKETING).json()
    assert body["uuid"] == MARKETING_POOL
    assert body["numbers"].endswith(f"{MARKETING}Number/")


def test_add_list_and_remove_a_number(api: httpx.Client) -> None:
    added = api.post(f"{SUPPORT}Number/{OUTSIDE_LONG_CODE}/", json={"service": "mms"})
    assert added.status_code == 200, added.text
    assert added.json()["service"] == "mms"
    assert added.json()["number_pool_uuid"] == SUPPORT_POOL
    assert numbers_in(api, SUPPORT) == [OUTSIDE_LONG_CODE]
    removed = api.request("DELETE", f"{SUPPORT}Number/{OUTSIDE_LONG_CODE}/", json={"unrent": False})
    assert removed.status_code == 200
    assert removed.json()["response"] == "success"
    assert numbers_in(api, SUPPORT) == []
    assert api.get(f"Number/{OUTSIDE_LONG_CODE}/").status_code == 200  # still rented


@pytest.mark.parametrize("spelling", ["+12065550107", "%2B12065550107"])
def test_a_leading_plus_is_normalised_away(api: httpx.Client, spelling: str) -> None:
    added = api.post(f"{SUPPORT}Number/{spelling}/")
    assert added.status_code == 200, added.text
    assert added.json()["number"] == OUTSIDE_LONG_CODE
    assert api.get(f"{SUPPORT}Number/{spelling}/").json()["service"] == "sms"


def test_add_rules(api: httpx.Client) -> None:
    url = f"{SUPPORT}Number/"
    assert "not rented" in error_of(api.post(f"{url}19995550000/"), 400)
    assert "already in another" in error_of(api.post(f"{url}14155550101/"), 400)
    assert "already in this" in error_of(api.post(f"{MARKETING}Number/14155550101/"), 400)
    assert "service must be sms or mms" in error_of(
        api.post(f"{url}{OUTSIDE_LONG_CODE}/", json={"service": "voice"}), 400
    )
    assert "not a valid phone number" in error_of(api.post(f"{url}not-a-number/"), 400)
    assert "not supported by the sandbox" in error_of(
        api.post(f"{url}{OUTSIDE_LONG_CODE}/", json={"rent": "true"}), 400
    )
    assert numbers_in(api, SUPPORT) == []  # nothing was added along the way


def test_rent_false_is_an_ordinary_add(api: httpx.Client) -> None:
    response = api.post(f"{SUPPORT}Number/{OUTSIDE_LONG_CODE}/", json={"rent": "false"})
    assert response.status_code == 200


def test_remove_with_unrent_is_for_good(api: httpx.Client) -> None:
    url = f"{MARKETING}Number/14155550101/"
    assert api.request("DELETE", url, json={"unrent": "true"}).status_code == 200
    assert api.get("Number/14155550101/").status_code == 404
    assert "not rented" in error_of(api.post(f"{SUPPORT}Number/14155550101/"), 400)


def test_remove_takes_unrent_from_the_query_too(api: httpx.Client) -> None:
    url = f"{MARKETING}Tollfree/18005550301/"
    assert api.delete(url, params={"unrent": "true"}).status_code == 200
    assert api.get("Number/18005550301/").status_code == 404


def test_remove_rules(api: httpx.Client) -> None:
    assert "is not in number pool" in error_of(
        api.request("DELETE", f"{SUPPORT}Number/{OUTSIDE_LONG_CODE}/"), 404
    )
    assert "unrent must be true or false" in error_of(
        api.request("DELETE", f"{MARKETING}Number/14155550101/", json={"unrent": "yes"}), 400
    )


def test_get_number_by_service(api: httpx.Client) -> None:
    url = f"{MARKETING}Number/12125550202/"
    assert api.get(url, params={"service": "mms"}).json()["service"] == "mms"
    assert "for sms" in error_of(api.get(url, params={"service": "sms"}), 404)
    assert "service must be" in error_of(api.get(url, params={"service": "fax"}), 400)


def test_list_filters(api: httpx.Client) -> None:
    assert numbers_in(api, MARKETING, type="mobile") == ["12125550202"]
    assert numbers_in(api, MARKETING, type="toll-free") == ["18005550301"]
    assert numbers_in(api, MARKETING, type="tollfree") == ["18005550301"]
    assert numbers_in(api, MARKETING, service="mms") == ["12125550202"]
    assert numbers_in(api, MARKETING, country_iso2="ca") == []
    assert numbers_in(api, MARKETING, country_iso2="US", starts_with="415,512") == [
        "14155550101",
        "15125550105",
    ]


@pytest.mark.parametrize(
    ("query", "text"),
    [
        ({"starts_with": "415"}, "starts_with requires country_iso2"),
        ({"starts_with": ",".join(["41"] * 11), "country_iso2": "US"}, "at most 10"),
        ({"starts_with": "4a", "country_iso2": "US"}, "digit prefixes"),
        ({"type": "landline"}, "type must be fixed, mobile or toll-free"),
        ({"service": "fax"}, "service must be sms or mms"),
        ({"country_iso2": "USA"}, "2-letter"),
        ({"limit": 50}, "limit must be between 1 and 20"),
    ],
)
def test_list_filter_validation(api: httpx.Client, query: dict[str, object], text: str) -> None:
    assert text in error_of(api.get(f"{MARKETING}Number/", params=query), 400)


def test_pool_pagination_keeps_the_filters(api: httpx.Client) -> None:
    page = api.get(f"{MARKETING}Number/", params={"limit": 1, "type": "fixed"}).json()
    assert page["meta"]["total_count"] == 2
    next_page = page["meta"]["next"]
    assert "type=fixed" in next_page
    assert "offset=1" in next_page
    second = api.get(next_page.removeprefix(f"/v1/Account/{DEFAULT_AUTH_ID}/")).json()
    assert second["meta"]["next"] == ""
    assert [o["number"] for o in page["objects"] + second["objects"]] == [
        "14155550101",
        "15125550105",
    ]


def test_tollfree_endpoints_only_see_toll_free(api: httpx.Client) -> None:
    listed = api.get(f"{MARKETING}Tollfree/").json()["objects"]
    assert [(o["number"], o["type"]) for o in listed] == [("18005550301", "tollfree")]
    assert api.get(f"{MARKETING}Tollfree/14155550101/").status_code == 404
    assert "not a toll-free number" in error_of(
        api.post(f"{SUPPORT}Tollfree/{OUTSIDE_LONG_CODE}/"), 400
    )
    added = api.post(f"{SUPPORT}Tollfree/{OUTSIDE_TOLL_FREE}/")
    assert added.status_code == 200
    assert added.json()["type"] == "tollfree"
    assert numbers_in(api, SUPPORT, "Tollfree") == [OUTSIDE_TOLL_FREE]
    assert api.request("DELETE", f"{SUPPORT}Tollfree/{OUTSIDE_TOLL_FREE}/").status_code == 200
    assert api.get(f"Number/{OUTSIDE_TOLL_FREE}/").status_code == 200  # still rented


def test_shortcodes_are_only_unlinked(api: httpx.Client) -> None:
    url = f"{MARKETING}Shortcode/{US_SHORTCODE}/"
    assert api.get(url).json()["country_iso2"] == "US"
    assert api.request("DELETE", url).status_code == 200
    assert api.get(url).status_code == 404
    assert api.get(f"{MARKETING}Shortcode/").json()["objects"] == []
    assert "not a valid short code" in error_of(api.get(f"{MARKETING}Shortcode/abc/"), 400)
    assert api.post(url).status_code == 405  # no API adds a short code


def test_unknown_pool_is_404(api: httpx.Client) -> None:
    unknown = "NumberPool/00000000-0000-0000-0000-000000000000/"
    for path in ("", "Number/", "Tollfree/", "Shortcode/", "Number/14155550101/"):
        assert "number pool" in error_of(api.get(unknown + path), 404)
    assert "number pool" in error_of(api.post(f"{unknown}Number/{OUTSIDE_LONG_CODE}/"), 404)


def test_deleted_powerpacks_take_their_pool_with_them(api: httpx.Client) -> None:
    pack = api.post("Powerpack/", json={"name": "short-lived"}).json()
    pool = pack["number_pool"].split("/")[5]
    assert api.post(f"NumberPool/{pool}/Number/{OUTSIDE_LONG_CODE}/").status_code == 200
    api.request("DELETE", f"Powerpack/{pack['uuid']}/")
    assert api.get(f"NumberPool/{pool}/Number/").status_code == 404
    assert api.get(f"Number/{OUTSIDE_LONG_CODE}/").status_code == 200  # still rented


def test_alerts_pool_is_separate(api: httpx.Client) -> None:
    assert numbers_in(api, f"NumberPool/{ALERTS_POOL}/") == ["13125550106"]


def test_number_endpoint_writes_refuse_toll_free_numbers(api: httpx.Client) -> None:
    """Every Plivo SDK writes toll-free numbers through Tollfree/; so does a client that
    passes these tests, since Number/ writes refuse them (reads still list them)."""
    refused = api.post(f"{SUPPORT}Number/{OUTSIDE_TOLL_FREE}/")
    assert "use the pool's Tollfree endpoint" in error_of(refused, 400)
    removal = api.request("DELETE", f"{MARKETING}Number/18005550301/", json={"unrent": True})
    assert "use the pool's Tollfree endpoint" in error_of(removal, 400)
    assert "18005550301" in numbers_in(api, MARKETING)  # still listed, still rented
    assert api.get("Number/18005550301/").status_code == 200
