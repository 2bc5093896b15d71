"""Plivo's account rate limit in the emulator: opt-in, 429 with Retry-After beyond it."""

import httpx
import pytest

from powerpack_mcp.sandbox import SandboxState, create_app
from powerpack_mcp.sandbox.__main__ import parse_args
from powerpack_mcp.sandbox.ratelimit import RateLimit


def test_off_unless_asked_for(api: httpx.Client, control: httpx.Client) -> None:
    assert control.get("rate_limit").json() == {"rate_limit": None}
    assert all(api.get("Powerpack/").status_code == 200 for _ in range(50))


def test_beyond_the_limit_plivo_answers_429_with_retry_after(
    api: httpx.Client, control: httpx.Client
) -> None:
    assert control.post("rate_limit", json={"rate_limit": "3/60s"}).json() == {
        "rate_limit": "3/60s"
    }
    assert [api.get("Powerpack/").status_code for _ in range(3)] == [200, 200, 200]
    refused = api.get("Powerpack/")
    assert refused.status_code == 429
    # Whole seconds until the oldest of the three leaves the window: at most the window.
    assert 1 <= int(refused.headers["Retry-After"]) <= 60
    body = refused.json()
    assert set(body) == {"api_id", "error"}
    assert body["error"] == "too many requests: this account is limited to 3 requests per 60 s"
    statuses = [entry["status"] for entry in control.get("requests").json()["requests"]]
    assert statuses == [200, 200, 200, 429]


def test_clearing_the_limit_admits_again(api: httpx.Client, control: httpx.Client) -> None:
    control.post("rate_limit", json={"rate_limit": "1/60s"})
    api.get("Powerpack/")
    assert api.get("Powerpack/").status_code == 429
    assert control.delete("rate_limit").json() == {"rate_limit": None}
    assert api.get("Powerpack/").status_code == 200


def test_a_bad_limit_is_refused_with_the_expected_form(control: httpx.Client) -> None:
    for bad in ("300", "0/5s", "5/0s", "many/5s", 300):
        answer = control.post("rate_limit", json={"rate_limit": bad})
        assert answer.status_code == 400
        assert "300/5s" in answer.json()["error"]
    assert control.get("rate_limit").json() == {"rate_limit": None}


def test_the_window_slides_and_refusals_do_not_count() -> None:
    limit = RateLimit.parse("2/1s")
    assert limit.admit(0.0) is None
    assert limit.admit(0.5) is None
    assert limit.admit(0.9) == pytest.approx(0.1)  # refused: the first leaves at 1.0
    assert limit.admit(0.95) == pytest.approx(0.05)
    assert limit.admit(1.0) is None  # the first left; the refusals never counted
    assert limit.admit(1.2) == pytest.approx(0.3)
    assert limit.admit(1.5) is None


@pytest.mark.anyio
async def test_reset_returns_to_the_limit_it_started_with() -> None:
    app = create_app(SandboxState(rate_limit="1/60s"))
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://sandbox.invalid/_sandbox/"
    ) as control:
        await control.delete("rate_limit")
        await control.post("reset", json={})
        assert (await control.get("rate_limit")).json() == {"rate_limit": "1/60s"}


def test_command_line_flag_is_checked() -> None:
    assert parse_args(["--rate-limit", "300/5s"]).rate_limit == "300/5s"
    with pytest.raises(SystemExit):
        parse_args(["--rate-limit", "300 per 5 s"])
