"""Wire format: auth, paths, error bodies, and the documented example objects' shapes."""

import base64
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette

from powerpack_mcp.sandbox import DEFAULT_AUTH_ID, DEFAULT_AUTH_TOKEN, create_app, serve
from powerpack_mcp.sandbox.data import MARKETING_UUID

ACCOUNT = f"/v1/Account/{DEFAULT_AUTH_ID}/"
AUTH = (DEFAULT_AUTH_ID, DEFAULT_AUTH_TOKEN)

# The example objects of Plivo's Powerpack documentation (seed-powerpack-api.md), verbatim.
DOC_POWERPACK: dict[str, Any] = {
    "api_id": "8b583f08-ae57-11eb-8840-0242ac110003",
    "application_id": "",
    "application_type": "",
    "created_on": "2020-09-23T09:31:25.924044Z",
    "local_connect": True,
    "name": "my_powerpack",
    "number_pool": "/v1/Account/MAXXXXXXXXXX/NumberPool/abc123-def456/",
    "number_priority": [
        {
            "country_iso": "US",
            "priority": {
                "priority1": "shortcode",
                "priority2": "tollfree",
                "priority3": "longcode",
            },
            "service_type": "SMS",
        }
    ],
    "sticky_sender": True,
    "uuid": "abc123-def456-ghi789",
}
DOC_LIST_ITEM: dict[str, Any] = {
    "application_id": "",
    "application_type": "",
    "created_on": "2020-10-09T11:10:59.666461Z",
    "local_connect": True,
    "name": "powerpack_one",
    "number_pool": "/v1/Account/MAXXXXXXXXXX/NumberPool/abc123/",
    "sticky_sender": True,
    "uuid": "abc123-def456",
}
DOC_META: dict[str, Any] = {
    "limit": 20,
    "next": "/api/v1/account/MAXXXXXXXXXX/Powerpack?offset=20&limit=20",
    "offset": 0,
    "total_count": 53,
}


def shape(value: Any) -> Any:
    """Keys and JSON types, recursively: what a client's parser depends on."""
    if isinstance(value, dict):
        return {key: shape(item) for key, item in value.items()}
    if isinstance(value, list):
        return [shape(item) for item in value]
    return type(value).__name__


def assert_plivo_error(response: httpx.Response, status: int) -> str:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/json"
    body = response.json()
    assert set(body) == {"api_id", "error"}
    return str(body["error"])


def test_single_powerpack_has_the_documented_keys_and_types(api: httpx.Client) -> None:
    body = api.get(f"Powerpack/{MARKETING_UUID}/").json()
    assert shape(body) == shape(DOC_POWERPACK)
    created = api.post("Powerpack/", json={"name": "doc", "number_priority": []}).json()
    assert set(created) == set(DOC_POWERPACK)


def test_list_items_and_meta_have_the_documented_keys_and_types(api: httpx.Client) -> None:
    api.post("Powerpack/", json={"name": "doc"})
    body = api.get("Powerpack/", params={"limit": 2}).json()
    assert set(body) == {"api_id", "meta", "objects"}
    assert all(shape(item) == shape(DOC_LIST_ITEM) for item in body["objects"])
    meta_shape = shape(body["meta"])
    assert meta_shape.pop("previous") == "NoneType"  # Plivo's pages list previous too
    assert meta_shape == shape(DOC_META)


def test_every_api_answer_carries_an_api_id(api: httpx.Client) -> None:
    paths = ["Powerpack/", f"Powerpack/{MARKETING_UUID}/", "Number/", "Number/14155550101/"]
    for path in paths:
        assert "api_id" in api.get(path).json()


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": "Bearer " + DEFAULT_AUTH_TOKEN},
        {"Authorization": "Basic !!!not-base64"},
        {"Authorization": "Basic " + base64.b64encode(b"no-colon").decode()},
    ],
)
def test_missing_or_unreadable_credentials_are_401(
    sandbox_url: str, headers: dict[str, str]
) -> None:
    response = httpx.get(f"{sandbox_url}{ACCOUNT}Powerpack/", headers=headers)
    assert "authentication failed" in assert_plivo_error(response, 401)


@pytest.mark.parametrize(
    "auth", [(DEFAULT_AUTH_ID, "wrong-token"), ("MAYYYYYYYYYYYYYYYYYY", DEFAULT_AUTH_TOKEN)]
)
def test_wrong_credentials_are_401(sandbox_url: str, auth: tuple[str, str]) -> None:
    response = httpx.get(f"{sandbox_url}{ACCOUNT}Powerpack/", auth=auth)
    assert_plivo_error(response, 401)


def test_auth_is_checked_before_the_body(sandbox_url: str) -> None:
    response = httpx.post(f"{sandbox_url}{ACCOUNT}Powerpack/", content=b"{broken")
    assert_plivo_error(response, 401)


def test_the_path_auth_id_must_be_the_basic_user(sandbox_url: str) -> None:
    response = httpx.get(f"{sandbox_url}/v1/Account/MAYYYYYYYYYYYYYYYYYY/Powerpack/", auth=AUTH)
    assert_plivo_error(response, 401)


def test_configured_credentials_replace_the_defaults() -> None:
    app = create_app(auth_id="MA0123456789ABCDEFGH", auth_token="s3cret")
    with serve(app) as url:
        path = f"{url}/v1/Account/MA0123456789ABCDEFGH/Powerpack/"
        assert httpx.get(path, auth=("MA0123456789ABCDEFGH", "s3cret")).status_code == 200
        assert httpx.get(path, auth=AUTH).status_code == 401
        pack = httpx.get(path, auth=("MA0123456789ABCDEFGH", "s3cret")).json()["objects"][0]
        assert pack["number_pool"].startswith("/v1/Account/MA0123456789ABCDEFGH/NumberPool/")


def test_doubled_slashes_are_tolerated(sandbox_url: str) -> None:
    url = f"{sandbox_url}/v1/Account/{DEFAULT_AUTH_ID}//Powerpack//{MARKETING_UUID}/"
    response = httpx.get(url, auth=AUTH)
    assert response.status_code == 200
    assert response.json()["name"] == "marketing"


def test_unknown_query_keys_are_ignored(api: httpx.Client) -> None:
    response = api.get("Powerpack/", params={"limit": 1, "utm_source": "x", "cursor": ""})
    assert response.status_code == 200
    assert len(response.json()["objects"]) == 1


def test_unknown_paths_are_404_with_plivos_body(api: httpx.Client, sandbox_url: str) -> None:
    assert "no such resource" in assert_plivo_error(api.get("Call/"), 404)
    assert "end with '/'" in assert_plivo_error(api.get("Powerpack"), 404)
    assert_plivo_error(httpx.get(f"{sandbox_url}/v2/Powerpack/", auth=AUTH), 404)


def test_wrong_method_is_405_with_allow(api: httpx.Client) -> None:
    response = api.put(f"Powerpack/{MARKETING_UUID}/", json={})
    assert_plivo_error(response, 405)
    assert response.headers["Allow"] == "GET, POST, DELETE"
    assert_plivo_error(api.delete("Powerpack/"), 405)


@pytest.mark.anyio
async def test_the_app_works_in_process_without_lifespan(sandbox_app: Starlette) -> None:
    transport = httpx.ASGITransport(app=sandbox_app)
    async with httpx.AsyncClient(transport=transport, base_url="http://sandbox", auth=AUTH) as c:
        created = await c.post(f"{ACCOUNT}Powerpack/", json={"name": "in-process"})
        assert created.status_code == 200
    names = {pack.name for pack in sandbox_app.state.sandbox.powerpacks.values()}
    assert "in-process" in names


def test_reset_returns_to_the_fresh_start(api: httpx.Client, control: httpx.Client) -> None:
    api.request("DELETE", f"Powerpack/{MARKETING_UUID}/", json={"unrent_numbers": True})
    api.post("Powerpack/", json={"name": "extra"})
    control.post("faults", json={"path": "nothing-matches", "status": 500})
    assert control.post("reset").json() == {"demo": True, "powerpacks": 3, "numbers": 16}
    assert [p["name"] for p in api.get("Powerpack/").json()["objects"]] == [
        "marketing",
        "alerts",
        "support",
    ]
    assert api.get("Number/14155550101/").status_code == 200
    assert control.get("faults").json()["faults"] == []


def test_reset_without_demo_keeps_only_the_inventory(
    api: httpx.Client, control: httpx.Client
) -> None:
    assert control.post("reset", json={"demo": False}).json()["powerpacks"] == 0
    assert api.get("Powerpack/").json()["objects"] == []
    numbers = api.get("Number/").json()["objects"]
    assert len(numbers) == 16  # all rented still; with no Powerpack, no pool holds any


def test_seeded_names_stay_unique_across_seeds(api: httpx.Client, control: httpx.Client) -> None:
    first = control.post("seed", json={"powerpacks": 2}).json()
    assert (first["first"], first["last"], first["total"]) == ("seed-00001", "seed-00002", 5)
    api.post("Powerpack/", json={"name": "seed-00003"})  # a user-made name is skipped over
    second = control.post("seed", json={"powerpacks": 2}).json()
    assert (second["first"], second["last"]) == ("seed-00004", "seed-00005")


@pytest.mark.parametrize("count", [0, -1, "10", None, True])
def test_seed_needs_a_positive_count(control: httpx.Client, count: object) -> None:
    response = control.post("seed", json={"powerpacks": count})
    assert response.status_code == 400
    assert "powerpacks must be" in response.json()["error"]


def test_control_surface_404_and_405(control: httpx.Client) -> None:
    assert control.get("nothing").status_code == 404
    assert control.get("reset").status_code == 405
