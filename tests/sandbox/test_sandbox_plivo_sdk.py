"""Plivo's official Python SDK against the served emulator: the wire format, proven by a
client nobody here wrote. The SDK is blocking, so these are plain sync tests over uvicorn."""

from collections.abc import Iterator
from typing import Any

import httpx
import plivo
import plivo.rest.client
import pytest
from plivo import exceptions

from powerpack_mcp.sandbox import DEFAULT_AUTH_ID, DEFAULT_AUTH_TOKEN
from powerpack_mcp.sandbox.data import MARKETING_UUID, US_SHORTCODE

PRIORITY = [
    {
        "country_iso": "US",
        "priority": {"priority1": "longcode", "priority2": "shortcode", "priority3": "tollfree"},
        "service_type": "SMS",
    }
]


def sdk_client(auth_id: str = DEFAULT_AUTH_ID, token: str = DEFAULT_AUTH_TOKEN) -> Any:
    client = plivo.RestClient(auth_id, token)
    client.session.trust_env = False  # never route loopback through a proxy from the env
    return client


@pytest.fixture
def sdk(sandbox_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    # The SDK re-reads this module constant before every request; it is its only base URL.
    monkeypatch.setattr(plivo.rest.client, "PLIVO_API_BASE_URI", f"{sandbox_url}/v1/Account")
    with sdk_client() as client:
        yield client


def test_sdk_full_lifecycle(sdk: Any, control: httpx.Client) -> None:
    control.post("seed", json={"powerpacks": 25})

    created = sdk.powerpacks.create(name="sdk-pack", number_priority=PRIORITY)
    assert created.name == "sdk-pack"
    assert created.number_priority[0].service_type == "SMS"

    pack = sdk.powerpacks.get(uuid=created.uuid)
    assert pack.sticky_sender is True
    assert pack.application_type == ""

    first = sdk.powerpacks.list(limit=20, offset=0)
    second = sdk.powerpacks.list(limit=20, offset=20)
    assert first.meta.total_count == 29
    assert first.meta.next.endswith("offset=20")
    names = [p.name for p in first.objects + second.objects]
    assert len(names) == 29
    assert names[-1] == "sdk-pack"

    updated = pack.update({"name": "sdk-renamed", "local_connect": False})
    assert updated.name == "sdk-renamed"
    assert updated.local_connect is False

    added = pack.add_number("12065550107", service="mms")
    assert added.number == "12065550107"
    assert added.service == "mms"
    assert [n.number for n in pack.list_numbers(type="fixed").objects] == ["12065550107"]
    assert pack.count_numbers() == 1
    assert pack.find_number("12065550107").type == "fixed"
    assert pack.remove_number("12065550107").response == "success"
    assert pack.count_numbers() == 0

    assert pack.add_tollfree("18885550302").type == "tollfree"
    assert [n.number for n in pack.list_tollfree().objects] == ["18885550302"]
    pack.remove_tollfree("18885550302")

    assert pack.delete(unrent_numbers=False) is None  # 204, no body
    with pytest.raises(exceptions.ResourceNotFoundError):
        sdk.powerpacks.get(uuid=created.uuid)


def test_sdk_reads_short_codes_and_the_pool_helpers(sdk: Any) -> None:
    pack = sdk.powerpacks.get(uuid=MARKETING_UUID)
    assert [c.shortcode for c in pack.list_shortcodes().objects] == [US_SHORTCODE]
    assert pack.find_shortcode(US_SHORTCODE).country_iso2 == "US"
    numbers = pack.numberpool.numbers.list(country_iso2="US", starts_with="415")
    assert [n.number for n in numbers.objects] == ["14155550101"]
    assert pack.remove_shortcode(US_SHORTCODE).response == "success"
    assert pack.list_shortcodes().objects == []


def test_sdk_accepts_a_200_delete(sdk: Any, control: httpx.Client) -> None:
    control.post("config", json={"delete_status": 200})
    response = sdk.powerpacks.get(uuid=MARKETING_UUID).delete()
    assert response.response == "success"


def test_sdk_error_classes_fire_where_plivos_would(sdk: Any, sandbox_url: str) -> None:
    with pytest.raises(exceptions.ResourceNotFoundError, match="not found"):
        sdk.powerpacks.get(uuid="00000000-0000-0000-0000-000000000000")
    with pytest.raises(exceptions.ValidationError, match="already exists"):
        sdk.powerpacks.create(name="marketing")
    with pytest.raises(exceptions.ValidationError, match="application_type is required"):
        sdk.powerpacks.create(name="app", application_id="123")
    pack = sdk.powerpacks.get(uuid=MARKETING_UUID)
    with pytest.raises(exceptions.ValidationError, match="not rented"):
        pack.add_number("19995550000")
    with pytest.raises(exceptions.ResourceNotFoundError):
        pack.find_number("12065550107")
    with (
        sdk_client(token="wrong-token") as stranger,
        pytest.raises(exceptions.AuthenticationError, match="authentication failed"),
    ):
        stranger.powerpacks.list()
    with pytest.raises(exceptions.InvalidRequestError):
        sdk.request("PUT", ("Powerpack",), {})


def test_sdk_sees_injected_server_errors(sdk: Any, control: httpx.Client) -> None:
    control.post("faults", json={"path": "Powerpack", "status": 500, "times": 1})
    with pytest.raises(exceptions.PlivoServerError):
        sdk.powerpacks.list()


def test_sdk_lists_the_account_numbers_with_filters_and_pages(sdk: Any) -> None:
    first = sdk.numbers.list(limit=5, offset=0)
    assert first.meta.total_count == 16
    assert first.meta.next.endswith("Number/?limit=5&offset=5")
    assert first.meta.previous is None
    number = first.objects[0]
    # The recorded fixtures' shape: a date, the country by name, Plivo's type words.
    assert (number.number, number.added_on, number.country) == (
        "14155550101",
        "2024-01-15",
        "United States",
    )
    assert (number.number_type, number.sms_enabled, number.voice_enabled) == ("local", True, True)
    assert number.region == "CALIFORNIA, UNITED STATES"
    rest = sdk.numbers.list(limit=20, offset=5)
    assert len(first.objects) + len(rest.objects) == 16
    assert rest.meta.next is None

    texas = sdk.numbers.list(number_startswith="1512")
    assert [n.number for n in texas.objects] == ["15125550105", "15125550203"]
    tollfree = sdk.numbers.list(type="tollfree")
    assert [n.number for n in tollfree.objects] == ["18005550301", "18885550302", "18775550303"]
    voice_mms = sdk.numbers.list(services=["voice", "mms"], number_startswith="1")
    assert {n.number_type for n in voice_mms.objects} == {"local"}  # no mobile, no toll-free
    assert sdk.numbers.get("16045550401").country == "Canada"
