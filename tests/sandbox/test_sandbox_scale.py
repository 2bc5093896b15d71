"""Volume and concurrency over loopback (behaviour only; wall time is not asserted)."""

import ssl

import anyio
import httpx
import pytest

from powerpack_mcp.sandbox import DEFAULT_AUTH_ID, DEFAULT_AUTH_TOKEN

ACCOUNT = f"/v1/Account/{DEFAULT_AUTH_ID}/"
AUTH = (DEFAULT_AUTH_ID, DEFAULT_AUTH_TOKEN)


def test_a_thousand_seeded_powerpacks_list_page_by_page(
    api: httpx.Client, control: httpx.Client
) -> None:
    control.post("reset", json={"demo": False})
    assert control.post("seed", json={"powerpacks": 1000}).json()["total"] == 1000
    names: list[str] = []
    path: str | None = "Powerpack/?limit=20&offset=0"
    while path:
        body = api.get(path).json()
        meta = body["meta"]
        assert meta["total_count"] == 1000
        assert meta["limit"] == 20
        assert meta["offset"] == len(names)
        names += [pack["name"] for pack in body["objects"]]
        path = meta["next"].removeprefix(ACCOUNT) if meta["next"] else None
    assert names == [f"seed-{i:05d}" for i in range(1, 1001)]
    last = api.get("Powerpack/", params={"offset": 980}).json()["meta"]
    assert last["next"] is None
    assert last["previous"] == f"{ACCOUNT}Powerpack/?limit=20&offset=960"


@pytest.mark.anyio
async def test_fifty_concurrent_clients_without_an_error(sandbox_url: str) -> None:
    statuses: list[int] = []
    # One TLS context for all clients: building fifty would dominate the test's run time.
    tls = ssl.create_default_context()

    async def one_client(index: int) -> None:
        async with httpx.AsyncClient(
            base_url=sandbox_url + ACCOUNT, auth=AUTH, verify=tls
        ) as client:
            created = await client.post("Powerpack/", json={"name": f"client-{index}"})
            fetched = await client.get(f"Powerpack/{created.json()['uuid']}/")
            listed = await client.get("Powerpack/", params={"limit": 5})
            statuses.extend(r.status_code for r in (created, fetched, listed))

    async with anyio.create_task_group() as group:
        for index in range(50):
            group.start_soon(one_client, index)
    assert statuses == [200] * 150
    async with httpx.AsyncClient(base_url=sandbox_url + ACCOUNT, auth=AUTH) as client:
        total = (await client.get("Powerpack/")).json()["meta"]["total_count"]
    assert total == 53
