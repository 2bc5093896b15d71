"""Injected faults, the request log and concurrency stats, seen by raw httpx over HTTP."""

import contextlib
import threading
import time

import anyio
import httpx
import pytest
from starlette.applications import Starlette

from powerpack_mcp.sandbox import (
    DEFAULT_AUTH_ID,
    DEFAULT_AUTH_TOKEN,
    SandboxState,
    create_app,
    serve,
)
from powerpack_mcp.sandbox.data import SUPPORT_UUID

AUTH = (DEFAULT_AUTH_ID, DEFAULT_AUTH_TOKEN)
PACKS = f"/v1/Account/{DEFAULT_AUTH_ID}/Powerpack/"


def logged(control: httpx.Client) -> list[dict[str, object]]:
    return list(control.get("requests").json()["requests"])


def test_status_fault_answers_plivos_error_body_with_retry_after(
    api: httpx.Client, control: httpx.Client
) -> None:
    fault = control.post(
        "faults", json={"path": "Powerpack/$", "status": 429, "retry_after": 2, "times": 1}
    ).json()
    assert fault["id"] >= 1
    assert fault["times"] == 1
    response = api.get("Powerpack/")
    assert response.status_code == 429
    assert response.headers["Retry-After"] == "2"
    assert set(response.json()) == {"api_id", "error"}
    assert api.get("Powerpack/").status_code == 200  # times: 1 is used up
    assert control.get("faults").json()["faults"] == []


def test_status_fault_does_not_touch_state(api: httpx.Client, control: httpx.Client) -> None:
    control.post("faults", json={"method": "POST", "path": "Powerpack", "status": 500})
    assert api.post("Powerpack/", json={"name": "never-made"}).status_code == 500
    assert api.get("Powerpack/").json()["meta"]["total_count"] == 3  # GET is not matched
    assert [e["status"] for e in logged(control)] == [500, 200]


def test_fault_without_times_lasts_until_cleared(api: httpx.Client, control: httpx.Client) -> None:
    control.post("faults", json={"path": "Number", "status": 503})
    assert [api.get("Number/").status_code for _ in range(3)] == [503, 503, 503]
    control.delete("faults")
    assert api.get("Number/").status_code == 200


def test_first_matching_fault_wins(api: httpx.Client, control: httpx.Client) -> None:
    control.post("faults", json={"path": "Powerpack", "status": 502, "times": 1})
    control.post("faults", json={"path": ".", "status": 503, "times": 1})
    assert [api.get("Powerpack/").status_code for _ in range(3)] == [502, 503, 200]


def test_method_must_match(api: httpx.Client, control: httpx.Client) -> None:
    control.post("faults", json={"method": "DELETE", "path": "Powerpack", "status": 500})
    assert api.get(f"Powerpack/{SUPPORT_UUID}/").status_code == 200
    assert api.request("DELETE", f"Powerpack/{SUPPORT_UUID}/").status_code == 500
    assert api.get(f"Powerpack/{SUPPORT_UUID}/").status_code == 200  # still there


def test_malformed_answers_200_with_broken_json(api: httpx.Client, control: httpx.Client) -> None:
    control.post("faults", json={"path": "Powerpack", "malformed": True, "times": 1})
    response = api.get("Powerpack/")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    with pytest.raises(ValueError, match=r"Unterminated|Expecting"):
        response.json()


def test_drop_closes_the_connection_without_an_answer(
    api: httpx.Client, control: httpx.Client
) -> None:
    control.post("faults", json={"path": "Powerpack", "drop": True, "times": 1})
    with pytest.raises(httpx.RemoteProtocolError):
        api.get("Powerpack/")
    assert api.get("Powerpack/").status_code == 200  # the next connection is fine
    assert [e["status"] for e in logged(control)] == ["dropped", 200]


@pytest.mark.anyio
async def test_drop_in_process_raises_a_transport_error(sandbox_app: Starlette) -> None:
    sandbox_app.state.sandbox.faults.add({"path": "Powerpack", "drop": True})
    transport = httpx.ASGITransport(app=sandbox_app)
    async with httpx.AsyncClient(transport=transport, base_url="http://sandbox", auth=AUTH) as c:
        with pytest.raises(httpx.TransportError):
            await c.get(PACKS)


def test_delay_alone_is_latency_then_a_normal_answer(
    api: httpx.Client, control: httpx.Client
) -> None:
    control.post("faults", json={"path": "Powerpack", "delay_ms": 150, "times": 1})
    started = time.monotonic()
    response = api.get("Powerpack/")
    assert response.status_code == 200
    assert time.monotonic() - started >= 0.15
    assert response.json()["meta"]["total_count"] == 3


def test_delay_with_a_status(api: httpx.Client, control: httpx.Client) -> None:
    control.post("faults", json={"path": "Powerpack", "delay_ms": 50, "status": 500, "times": 1})
    started = time.monotonic()
    assert api.get("Powerpack/").status_code == 500
    assert time.monotonic() - started >= 0.05


@pytest.mark.parametrize(
    ("spec", "text"),
    [
        ({"status": 500}, "path is required"),
        ({"path": "(", "status": 500}, "not a valid regular expression"),
        ({"path": "x", "method": "PUT", "status": 500}, "method must be"),
        ({"path": "x", "status": 200}, "status must be between 400 and 599"),
        ({"path": "x", "status": "500"}, "status must be an integer"),
        ({"path": "x", "status": 500, "times": 0}, "times must be at least 1"),
        ({"path": "x", "delay_ms": -1}, "delay_ms must be between"),
        ({"path": "x", "status": 429, "retry_after": "soon"}, "retry_after"),
        ({"path": "x", "malformed": "yes"}, "malformed must be true or false"),
        ({"path": "x", "status": 500, "drop": True}, "only one of"),
        ({"path": "x"}, "needs status, malformed, drop or delay_ms"),
    ],
)
def test_fault_validation(control: httpx.Client, spec: dict[str, object], text: str) -> None:
    response = control.post("faults", json=spec)
    assert response.status_code == 400
    assert text in response.json()["error"]


def test_faults_are_listed_and_cleared(control: httpx.Client) -> None:
    control.post("faults", json={"path": "a", "status": 500})
    control.post("faults", json={"path": "b", "delay_ms": 5, "method": "get"})
    listed = control.get("faults").json()["faults"]
    assert [(f["path"], f["method"]) for f in listed] == [("a", "*"), ("b", "GET")]
    assert control.delete("faults").json()["faults"] == []
    assert control.get("faults").json()["faults"] == []


def test_control_surface_is_not_faulted_or_logged(control: httpx.Client) -> None:
    control.post("faults", json={"path": ".", "status": 500})
    assert control.get("stats").status_code == 200
    assert logged(control) == []


def test_request_log_records_method_path_query_body_status(
    api: httpx.Client, control: httpx.Client
) -> None:
    before = time.time()
    api.get("Powerpack/", params={"limit": 5, "whatever": "x"})
    api.post("Powerpack/", json={"name": "logged"})
    entries = logged(control)
    arrived = [entry.pop("arrived") for entry in entries]
    # Arrival times (Unix seconds) in order: what a rate limit counts.
    assert isinstance(arrived[0], float)
    assert before <= arrived[0] <= arrived[1] <= time.time()
    assert entries == [
        {
            "method": "GET",
            "path": PACKS,
            "query": {"limit": "5", "whatever": "x"},
            "body": None,
            "status": 200,
        },
        {"method": "POST", "path": PACKS, "query": {}, "body": {"name": "logged"}, "status": 200},
    ]
    control.delete("requests")
    assert logged(control) == []


def test_unauthenticated_requests_are_logged_too(sandbox_url: str, control: httpx.Client) -> None:
    httpx.get(sandbox_url + PACKS)
    assert [e["status"] for e in logged(control)] == [401]


@pytest.mark.anyio
async def test_stats_count_concurrent_requests(sandbox_url: str) -> None:
    async with (
        httpx.AsyncClient(base_url=sandbox_url + "/_sandbox/") as control,
        httpx.AsyncClient(base_url=sandbox_url, auth=AUTH) as client,
    ):
        await control.post("faults", json={"path": "Powerpack", "delay_ms": 200})
        async with anyio.create_task_group() as group:
            for _ in range(5):
                group.start_soon(client.get, PACKS)
        stats = (await control.get("stats")).json()
        assert stats == {"in_flight": 0, "max_in_flight": 5}
        cleared = (await control.delete("stats")).json()
        assert cleared == {"in_flight": 0, "max_in_flight": 0}


def test_in_process_state_drives_the_same_machinery() -> None:
    state = SandboxState()
    app = create_app(state)
    assert app.state.sandbox is state
    state.faults.add({"path": "x", "status": 500, "times": 2})
    assert state.faults.take("GET", "/x/") is not None
    assert state.faults.take("GET", "/y/") is None


def test_stopping_does_not_wait_out_a_delayed_request() -> None:
    app = create_app()
    app.state.sandbox.faults.add({"path": "Powerpack", "delay_ms": 60_000})

    def held() -> None:
        with contextlib.suppress(httpx.HTTPError):  # cut at shutdown: that is the point
            httpx.get(url + PACKS, auth=AUTH, timeout=120)

    with serve(app) as url:
        threading.Thread(target=held, daemon=True).start()
        # Polls the emulator's own stats until the request is being held (not timing).
        while httpx.get(url + "/_sandbox/stats").json()["in_flight"] == 0:
            time.sleep(0.01)
        stopping = time.monotonic()
    assert time.monotonic() - stopping < 5  # a second of grace, not the fault's minute
