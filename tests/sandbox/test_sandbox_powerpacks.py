"""Powerpack CRUD and every validation rule, over real HTTP."""

from typing import Any

import httpx
import pytest

from powerpack_mcp.sandbox import DEFAULT_AUTH_ID, DEMO_POWERPACK_NAMES
from powerpack_mcp.sandbox.data import ALERTS_UUID, MARKETING_POOL, MARKETING_UUID, SUPPORT_UUID

PRIORITY = {
    "country_iso": "US",
    "service_type": "SMS",
    "priority": {"priority1": "longcode", "priority2": "shortcode", "priority3": "tollfree"},
}


def create(api: httpx.Client, **fields: Any) -> httpx.Response:
    return api.post("Powerpack/", json={"name": "new-pack", **fields})


def assert_error(response: httpx.Response, status: int, text: str) -> None:
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"api_id", "error"}
    assert text in body["error"]


def test_fresh_start_lists_the_demo_powerpacks_in_creation_order(api: httpx.Client) -> None:
    body = api.get("Powerpack/").json()
    assert [p["name"] for p in body["objects"]] == list(DEMO_POWERPACK_NAMES)
    assert body["meta"] == {
        "limit": 20,
        "offset": 0,
        "total_count": 3,
        "next": None,
        "previous": None,
    }


def test_demo_powerpacks_have_the_documented_settings(api: httpx.Client) -> None:
    marketing = api.get(f"Powerpack/{MARKETING_UUID}/").json()
    assert marketing["number_pool"] == f"/v1/Account/{DEFAULT_AUTH_ID}/NumberPool/{MARKETING_POOL}/"
    assert marketing["number_priority"][0]["priority"]["priority1"] == "shortcode"
    alerts = api.get(f"Powerpack/{ALERTS_UUID}/").json()
    assert (alerts["application_type"], alerts["application_id"]) == ("XML", "20372631212782780")
    support = api.get(f"Powerpack/{SUPPORT_UUID}/").json()
    assert support["local_connect"] is False


def test_create_with_the_sdk_defaults_means_no_app_and_no_priority(api: httpx.Client) -> None:
    response = create(api, application_type="", application_id="", number_priority=[])
    assert response.status_code == 200
    body = response.json()
    assert body["application_type"] == body["application_id"] == ""
    assert body["number_priority"] == []
    assert body["sticky_sender"] is True
    assert body["local_connect"] is True
    assert body["number_pool"].split("/")[5]  # the pool UUID where every SDK looks for it
    assert api.get(f"Powerpack/{body['uuid']}/").json()["name"] == "new-pack"


def test_create_with_an_application_shows_its_type_in_capitals(api: httpx.Client) -> None:
    body = create(api, application_type="phlo", application_id="abc-123").json()
    assert (body["application_type"], body["application_id"]) == ("PHLO", "abc-123")


@pytest.mark.parametrize("app_id", ["none", "None", ""])
def test_application_id_none_or_empty_means_no_application(api: httpx.Client, app_id: str) -> None:
    body = create(api, application_type="xml", application_id=app_id).json()
    assert (body["application_type"], body["application_id"]) == ("", "")


def test_create_accepts_true_false_strings(api: httpx.Client) -> None:
    body = create(api, sticky_sender="false", local_connect="FALSE").json()
    assert body["sticky_sender"] is False
    assert body["local_connect"] is False


@pytest.mark.parametrize(
    ("fields", "text"),
    [
        ({"name": None}, "name is required"),
        ({"name": ""}, "name is required"),
        ({"name": "   "}, "name is required"),
        ({"name": 42}, "name is required"),
        ({"name": "x" * 65}, "at most 64"),
        ({"name": "tab\there"}, "printable"),
        ({"name": "marketing"}, "already exists"),
        ({"sticky_sender": "yes"}, "sticky_sender must be true or false"),
        ({"local_connect": 1}, "local_connect must be true or false"),
        ({"application_id": "123"}, "application_type is required"),
        ({"application_id": "123", "application_type": "voice"}, "xml or phlo"),
        ({"application_type": "sms"}, "xml or phlo"),
        ({"application_id": 5, "application_type": "xml"}, "application_id must be a string"),
        ({"number_priority": {}}, "must be a list"),
        ({"number_priority": ["x"]}, "must be an object"),
        ({"number_priority": [{**PRIORITY, "country_iso": "USA"}]}, "2-letter"),
        ({"number_priority": [{**PRIORITY, "service_type": "VOICE"}]}, "SMS or MMS"),
        ({"number_priority": [{**PRIORITY, "priority": None}]}, "priority1..priority3"),
        (
            {"number_priority": [{**PRIORITY, "priority": {"priority1": "longcode"}}]},
            "priority2 must be one of",
        ),
        (
            {
                "number_priority": [
                    {
                        **PRIORITY,
                        "priority": {
                            "priority1": "longcode",
                            "priority2": "longcode",
                            "priority3": "tollfree",
                        },
                    }
                ]
            },
            "distinct",
        ),
        ({"number_priority": [PRIORITY, PRIORITY]}, "more than one item"),
    ],
)
def test_create_rejects_invalid_fields(
    api: httpx.Client, fields: dict[str, Any], text: str
) -> None:
    before = api.get("Powerpack/").json()["meta"]["total_count"]
    assert_error(create(api, **fields), 400, text)
    assert api.get("Powerpack/").json()["meta"]["total_count"] == before


def test_name_of_64_printable_characters_is_accepted(api: httpx.Client) -> None:
    name = "Ünïcode ok · " + "x" * 51
    assert len(name) == 64
    assert create(api, name=name).json()["name"] == name


def test_one_priority_item_per_country_and_service(api: httpx.Client) -> None:
    items = [PRIORITY, {**PRIORITY, "service_type": "mms"}, {**PRIORITY, "country_iso": "ca"}]
    body = create(api, number_priority=items).json()
    keys = [(i["country_iso"], i["service_type"]) for i in body["number_priority"]]
    assert keys == [("US", "SMS"), ("US", "MMS"), ("CA", "SMS")]


def test_update_changes_only_the_fields_sent(api: httpx.Client) -> None:
    response = api.post(f"Powerpack/{MARKETING_UUID}/", json={"local_connect": "false"})
    assert response.status_code == 200
    body = response.json()
    assert body["local_connect"] is False
    assert body["name"] == "marketing"
    assert body["sticky_sender"] is True
    assert body["number_priority"][0]["priority"]["priority1"] == "shortcode"


def test_update_renames_but_names_stay_unique(api: httpx.Client) -> None:
    url = f"Powerpack/{SUPPORT_UUID}/"
    assert_error(api.post(url, json={"name": "alerts"}), 400, "already exists")
    assert api.post(url, json={"name": "support"}).status_code == 200  # its own name is fine
    assert api.post(url, json={"name": "helpdesk"}).json()["name"] == "helpdesk"


def test_update_application_rules(api: httpx.Client) -> None:
    url = f"Powerpack/{ALERTS_UUID}/"
    assert_error(api.post(url, json={"application_id": "999"}), 400, "application_type is required")
    relabelled = api.post(url, json={"application_type": "phlo"}).json()
    assert (relabelled["application_type"], relabelled["application_id"]) == (
        "PHLO",
        "20372631212782780",
    )
    cleared = api.post(url, json={"application_id": "none"}).json()
    assert (cleared["application_type"], cleared["application_id"]) == ("", "")


def test_update_validates_like_create(api: httpx.Client) -> None:
    url = f"Powerpack/{MARKETING_UUID}/"
    assert_error(api.post(url, json={"sticky_sender": "maybe"}), 400, "sticky_sender")
    assert_error(api.post(url, json={"number_priority": [PRIORITY, PRIORITY]}), 400, "more than")
    # A rejected update changes nothing, even the fields that were valid.
    bad = {"name": "renamed", "number_priority": "x"}
    assert_error(api.post(url, json=bad), 400, "must be a list")
    assert api.get(url).json()["name"] == "marketing"


def test_unknown_powerpack_is_404_everywhere(api: httpx.Client) -> None:
    url = "Powerpack/00000000-0000-0000-0000-000000000000/"
    assert_error(api.get(url), 404, "not found")
    assert_error(api.post(url, json={"name": "x"}), 404, "not found")
    assert_error(api.request("DELETE", url), 404, "not found")


def test_delete_answers_204_and_the_powerpack_is_gone(api: httpx.Client) -> None:
    response = api.request("DELETE", f"Powerpack/{SUPPORT_UUID}/", json={"unrent_numbers": False})
    assert response.status_code == 204
    assert response.content == b""
    assert api.get(f"Powerpack/{SUPPORT_UUID}/").status_code == 404


def test_delete_can_answer_200_success_instead(api: httpx.Client, control: httpx.Client) -> None:
    assert control.post("config", json={"delete_status": 200}).json()["delete_status"] == 200
    response = api.request("DELETE", f"Powerpack/{SUPPORT_UUID}/")
    assert response.status_code == 200
    assert response.json()["response"] == "success"
    control.post("reset")
    assert control.get("config").json()["delete_status"] == 204


def test_config_rejects_other_delete_statuses(control: httpx.Client) -> None:
    assert control.post("config", json={"delete_status": 202}).status_code == 400


def test_delete_without_unrent_keeps_the_numbers_rented(api: httpx.Client) -> None:
    api.request("DELETE", f"Powerpack/{MARKETING_UUID}/")
    assert api.get("Number/14155550101/").status_code == 200  # still rented


@pytest.mark.parametrize("unrent", [True, "true"])
def test_delete_with_unrent_gives_the_numbers_back(api: httpx.Client, unrent: object) -> None:
    before = api.get("Number/").json()["meta"]["total_count"]
    response = api.request(
        "DELETE", f"Powerpack/{MARKETING_UUID}/", json={"unrent_numbers": unrent}
    )
    assert response.status_code == 204
    # Three long codes and one toll-free leave the account; the short code is only unlinked.
    assert api.get("Number/").json()["meta"]["total_count"] == before - 4
    for gone in ("14155550101", "12125550202", "15125550105", "18005550301"):
        assert api.get(f"Number/{gone}/").status_code == 404


def test_delete_rejects_a_non_boolean_unrent(api: httpx.Client) -> None:
    response = api.request("DELETE", f"Powerpack/{MARKETING_UUID}/", json={"unrent_numbers": 1})
    assert_error(response, 400, "unrent_numbers must be true or false")
    assert api.get(f"Powerpack/{MARKETING_UUID}/").status_code == 200


@pytest.mark.parametrize(
    ("query", "text"),
    [
        ({"limit": 0}, "limit must be between 1 and 20"),
        ({"limit": 21}, "limit must be between 1 and 20"),
        ({"limit": "ten"}, "limit must be an integer"),
        ({"offset": -1}, "offset must be 0 or more"),
        ({"offset": "1.5"}, "offset must be an integer"),
    ],
)
def test_list_rejects_bad_pagination(api: httpx.Client, query: dict[str, Any], text: str) -> None:
    assert_error(api.get("Powerpack/", params=query), 400, text)


def test_body_must_be_a_json_object(api: httpx.Client) -> None:
    assert_error(api.post("Powerpack/", content=b"{nope"), 400, "must be JSON")
    assert_error(api.post("Powerpack/", json=["name"]), 400, "JSON object")


def test_create_without_a_name_is_a_400_naming_it(api: httpx.Client) -> None:
    assert_error(api.post("Powerpack/", json={"sticky_sender": True}), 400, "name is required")


@pytest.mark.parametrize(
    "raw",
    [
        b'{"name": NaN}',  # Python's parser takes these; JSON has no such values
        b'{"name": "a", "sticky_sender": Infinity}',
        b'{"name": "\\ud800"}',  # a lone surrogate cannot be stored or echoed
        b"[" * 100_000,  # deeper than the parser's recursion limit
    ],
)
def test_bodies_that_are_not_quite_json_are_a_400(api: httpx.Client, raw: bytes) -> None:
    assert_error(api.post("Powerpack/", content=raw), 400, "must be JSON")
