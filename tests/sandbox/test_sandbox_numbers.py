"""The account's inventory (Number/): Plivo's recorded shape, its filters and honest pages."""

import httpx
import pytest

# The keys of an object in plivo-python's recorded numberListResponse.json, with the types
# of their values there (None: null in every recorded object).
RECORDED = {
    "added_on": str, "alias": None, "application": None, "carrier": str,
    "monthly_rental_rate": str, "number": str, "number_type": str, "region": str,
    "resource_uri": str, "sms_enabled": bool, "sms_rate": str, "sub_account": None,
    "active": bool, "city": str, "compliance_application_id": None,
    "compliance_status": None, "country": str, "mms_enabled": bool, "mms_rate": str,
    "tendlc_campaign_id": None, "tendlc_registration_status": str,
    "toll_free_sms_verification": None, "renewal_date": str, "cnam_lookup": str,
    "voice_enabled": bool, "voice_rate": str,
}  # fmt: skip


def listed(api: httpx.Client, **query: object) -> list[str]:
    response = api.get("Number/", params=query)
    assert response.status_code == 200, response.text
    return [n["number"] for n in response.json()["objects"]]


def test_objects_have_the_recorded_fields_and_types(api: httpx.Client) -> None:
    number = api.get("Number/14155550101/").json()
    assert set(number) - {"api_id"} == set(RECORDED)
    for key, kind in RECORDED.items():
        assert kind is None or isinstance(number[key], kind), key
    assert number["added_on"] == "2024-01-15"
    assert number["country"] == "United States"


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"type": "tollfree"}, ["18005550301", "18885550302", "18775550303"]),
        ({"number_type": "toll-free"}, ["18005550301", "18885550302", "18775550303"]),
        ({"type": "mobile", "number_startswith": "1312"}, ["13125550204"]),
        ({"number_startswith": "+1604"}, ["16045550401"]),
        ({"services": "mms", "number_startswith": "1206"}, ["12065550107", "12065550205"]),
        ({"services": "voice,mms", "number_startswith": "1206"}, ["12065550107"]),
        ({"services": "voice", "type": "mobile"}, []),
    ],
)
def test_each_filter(api: httpx.Client, query: dict[str, str], expected: list[str]) -> None:
    assert listed(api, **query) == expected


def test_pages_repeat_the_filters_and_add_up(api: httpx.Client) -> None:
    first = api.get("Number/", params={"type": "local", "limit": 3}).json()
    assert first["meta"]["total_count"] == 8
    assert first["meta"]["next"].endswith("Number/?type=local&limit=3&offset=3")
    seen = [n["number"] for n in first["objects"]]
    for offset in (3, 6):
        seen += listed(api, type="local", limit=3, offset=offset)
    assert len(set(seen)) == 8
    assert listed(api, type="local", offset=8) == []


@pytest.mark.parametrize(
    ("query", "text"),
    [
        ({"type": "premium"}, "type must be one of"),
        ({"number_startswith": "1a"}, "must be digits"),
        ({"services": "fax"}, "services must be"),
    ],
)
def test_bad_filters_are_400(api: httpx.Client, query: dict[str, str], text: str) -> None:
    response = api.get("Number/", params=query)
    assert response.status_code == 400
    assert text in response.json()["error"]


def test_control_rents_more_numbers(api: httpx.Client, control: httpx.Client) -> None:
    body = {"numbers": ["15125550900", "+15125550901"], "region": "TEXAS, UNITED STATES"}
    assert control.post("numbers", json=body).json()["rented"] == ["15125550900", "15125550901"]
    assert listed(api, number_startswith="15125550") == [
        "15125550105", "15125550203", "15125550900", "15125550901",
    ]  # fmt: skip
    assert control.post("numbers", json=body).status_code == 400  # already rented
