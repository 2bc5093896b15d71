"""The guard under attack (issue 12): a misbehaving upstream, a race with the pool, cancelled
and timed-out calls, a full disk, replayed answers and borrowed tokens. The emulator's request
log is the witness of what reached "Plivo"; the audit log must agree with it."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import anyio
import pytest
from mcp.types import ElicitResult, InputRequiredResult
from proxy import Proxy
from starlette.requests import Request
from support import ERAS, Emulator, Era, connect, error, ok

from powerpack_mcp.sandbox import create_app
from powerpack_mcp.sandbox.data import MARKETING_POOL, MARKETING_UUID

pytestmark = pytest.mark.anyio

SECRET = "attack-confirm-secret"
MARKETING = ["12125550202", "14155550101", "15125550105", "18005550301"]
UNRENT_ALL = {"powerpack": "marketing", "unrent_numbers": True}


@pytest.fixture
def proxy() -> Proxy:
    return Proxy(create_app())


@pytest.fixture
def emulator(proxy: Proxy) -> Emulator:
    return Emulator(proxy.inner)


def accept(name: str) -> Any:
    async def person(context: Any, params: Any) -> ElicitResult:
        person.shown.append(params.message)  # type: ignore[attr-defined]
        return ElicitResult(action="accept", content={"name": name})

    person.shown = []  # type: ignore[attr-defined]
    return person


async def token_then_confirm(
    client: Any, arguments: dict[str, Any], tool: str = "delete_powerpack"
) -> Any:
    first = ok(await client.call_tool(tool, arguments))
    assert first["status"] == "confirmation_required", first
    token = first["confirmation_token"]
    return await client.call_tool(tool, {**arguments, "confirmation_token": token})


def audit_lines(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


def assert_every_intent_has_an_outcome(lines: list[dict[str, Any]]) -> None:
    intents = [line["id"] for line in lines if line["event"] == "intent"]
    outcomes = [line["id"] for line in lines if line["event"] == "outcome"]
    assert sorted(intents) == sorted(outcomes)


# 1. An unknown pool is never "empty" ----------------------------------------------------------

BROKEN_POOLS: list[Any] = [
    "leave-out",
    None,
    "",
    "garbage",
    "/v1/Account/MAXXXXXXXXXXXXXXXXXX/NumberPool//",
    "/v1/Account/MAXXXXXXXXXXXXXXXXXX/NumberPool/not-a-pool/",
]


def break_pool(value: Any) -> Any:
    def rewrite(request: Request, data: Any) -> Any:
        objects = data.get("objects", [data]) if isinstance(data, dict) else []
        for item in objects:
            if isinstance(item, dict) and item.get("uuid") == MARKETING_UUID:
                item.pop("number_pool", None)
                if value != "leave-out":
                    item["number_pool"] = value
        return data

    return rewrite


@pytest.mark.parametrize("pool", BROKEN_POOLS)
@pytest.mark.parametrize("mode", ["modern", "legacy", "token"])
async def test_a_pool_that_cannot_be_identified_refuses_the_unrent(
    proxy: Proxy, emulator: Emulator, pool: Any, mode: str
) -> None:
    proxy.rewrite = break_pool(pool)
    person = accept("marketing")
    era: Era = "legacy" if mode == "legacy" else "modern"
    options: dict[str, Any] = {"confirm": "token"} if mode == "token" else {}
    async with connect(proxy, era, elicitation=person, **options) as client:
        message = error(await client.call_tool("delete_powerpack", UNRENT_ALL))
    assert "does not identify its number pool" in message
    assert "nothing was sent" in message
    assert person.shown == []  # nobody was asked to approve an empty-looking pool
    assert await emulator.api_calls("DELETE") == []


async def test_a_pool_listing_that_does_not_add_up_refuses(
    proxy: Proxy, emulator: Emulator
) -> None:
    def drop_one(request: Request, data: Any) -> Any:
        if request.url.path.endswith(f"NumberPool/{MARKETING_POOL}/Number/"):
            data["objects"] = data["objects"][1:]  # total_count still says 4
        return data

    proxy.rewrite = drop_one
    async with connect(proxy, elicitation=accept("marketing")) as client:
        message = error(await client.call_tool("delete_powerpack", UNRENT_ALL))
    assert "lists 3 numbers where it counts 4" in message
    assert await emulator.api_calls("DELETE") == []


async def test_an_answer_of_unexpected_shape_refuses(proxy: Proxy, emulator: Emulator) -> None:
    def garble(request: Request, data: Any) -> Any:
        if request.url.path.endswith(f"NumberPool/{MARKETING_POOL}/Number/"):
            return {"surprise": True}
        return data

    proxy.rewrite = garble
    async with connect(proxy, confirm="token") as client:
        message = error(await client.call_tool("delete_powerpack", UNRENT_ALL))
    assert "not in the expected shape" in message
    assert await emulator.api_calls("DELETE") == []


async def test_a_later_page_that_fails_says_plivos_reason(proxy: Proxy, emulator: Emulator) -> None:
    """A pool of more than a page: when the second page is refused, the person reads Plivo's
    reason, not a hidden internal error (the pages are read at once, in a task group)."""
    extra = [f"1646555{n:04d}" for n in range(30)]
    await emulator.rent(extra)
    for number in extra:
        await emulator.add_to_pool(MARKETING_POOL, number)

    def refuse_page_two(request: Request) -> tuple[int, Any] | None:
        if request.url.path.endswith(f"NumberPool/{MARKETING_POOL}/Number/") and (
            request.query_params.get("offset") == "20"
        ):
            return 400, {"api_id": "x", "error": "page two is unavailable"}
        return None

    proxy.fake = refuse_page_two
    async with connect(proxy, confirm="token") as client:
        message = error(await client.call_tool("delete_powerpack", UNRENT_ALL))
    assert "page two is unavailable" in message
    assert await emulator.api_calls("DELETE") == []


# 2. Only the numbers a person saw are unrented -------------------------------------------------


def on_first_delete(proxy: Proxy, act: Any) -> None:
    """Run `act` once, as the first DELETE reaches the proxy (after every preview was read)."""
    done: list[bool] = []

    async def before(request: Request) -> None:
        if request.method == "DELETE" and not done:
            done.append(True)
            await act()

    proxy.before = before


@pytest.mark.parametrize("mode", ["modern", "legacy", "token"])
async def test_a_number_that_joins_after_the_preview_stays_rented(
    proxy: Proxy, emulator: Emulator, mode: str
) -> None:
    spare = await emulator.spare_number()

    async def join() -> None:
        await emulator.add_to_pool(MARKETING_POOL, spare)

    on_first_delete(proxy, join)
    era: Era = "legacy" if mode == "legacy" else "modern"
    person = accept("marketing")
    if mode == "token":
        async with connect(proxy, confirm="token") as client:
            done = ok(await token_then_confirm(client, UNRENT_ALL))
    else:
        async with connect(proxy, era, elicitation=person) as client:
            done = ok(await client.call_tool("delete_powerpack", UNRENT_ALL))
        assert spare not in "".join(person.shown)
    assert done["status"] == "deleted"
    assert done["numbers_unrented"] == MARKETING
    assert sorted(await emulator.unrent_requests()) == MARKETING  # never the spare, never bulk
    assert await emulator.rented(spare)
    assert [await emulator.rented(number) for number in MARKETING] == [False] * 4


async def test_a_number_that_leaves_the_pool_keeps_the_powerpack(
    proxy: Proxy, emulator: Emulator, tmp_path: Path
) -> None:
    moved = "14155550101"

    async def leave() -> None:
        path = f"NumberPool/{MARKETING_POOL}/Number/{moved}/"
        (await emulator.api("DELETE", path, json={"unrent": False})).raise_for_status()

    on_first_delete(proxy, leave)
    log = tmp_path / "audit.jsonl"
    async with connect(proxy, elicitation=accept("marketing"), audit_log=log) as client:
        message = error(await client.call_tool("delete_powerpack", UNRENT_ALL))
        still = ok(await client.call_tool("get_powerpack", {"powerpack": "marketing"}))
    others = [n for n in MARKETING if n != moved]
    assert "Unrented 3 of 4: +12125550202, +15125550105, +18005550301." in message
    assert "+14155550101: it is no longer in this Powerpack's pool" in message
    assert "was kept" in message
    assert still["uuid"] == MARKETING_UUID
    assert await emulator.rented(moved)
    assert [await emulator.rented(n) for n in others] == [False] * 3
    outcome = audit_lines(log)[-1]
    assert outcome["outcome"] == "partial"
    assert outcome["numbers_unrented"] == others
    assert outcome["numbers_not_unrented"] == [moved]


async def test_a_failed_unrent_says_exactly_what_happened(emulator: Emulator, proxy: Proxy) -> None:
    await emulator.fault(method="DELETE", path="/Tollfree/", status=400, times=1)
    async with connect(proxy, confirm="token") as client:
        message = error(await token_then_confirm(client, UNRENT_ALL))
    assert "Not unrented, still rented: +18005550301" in message
    assert await emulator.rented("18005550301")
    assert ("DELETE", f"Powerpack/{MARKETING_UUID}/") not in await emulator.api_calls("DELETE")


# 3 and 4. Write-ahead audit: cancelled, timed out, full disk -----------------------------------


def hang_on_first_delete(proxy: Proxy) -> anyio.Event:
    """The first DELETE reaches the proxy and then hangs until the call is given up."""
    reached = anyio.Event()

    async def hang() -> None:
        reached.set()
        await anyio.sleep_forever()

    on_first_delete(proxy, hang)
    return reached


@pytest.mark.parametrize("era", ERAS)
@pytest.mark.parametrize("unrent", [False, True])
async def test_a_cancelled_call_still_leaves_its_outcome(
    proxy: Proxy, emulator: Emulator, tmp_path: Path, era: Era, unrent: bool
) -> None:
    log = tmp_path / "audit.jsonl"
    reached = hang_on_first_delete(proxy)
    arguments = {"powerpack": "marketing", "unrent_numbers": unrent}
    person = accept("marketing")
    async with (
        connect(proxy, era, elicitation=person, audit_log=log) as client,
        anyio.create_task_group() as tg,
    ):
        tg.start_soon(client.call_tool, "delete_powerpack", arguments)
        await reached.wait()
        tg.cancel_scope.cancel()  # the client gives up: notifications/cancelled
    lines = audit_lines(log)
    assert [line["event"] for line in lines] == ["intent", "outcome"]
    assert lines[1]["outcome"] == "unknown"
    assert "cancelled" in lines[1]["error"]
    assert reached.is_set()  # the write had reached the upstream when the call was given up


async def test_a_cancelled_bulk_add_leaves_its_outcome(
    proxy: Proxy, emulator: Emulator, tmp_path: Path
) -> None:
    """A list being added when the client gives up: the outcome says which numbers may have
    changed, rather than the record breaking on the numbers still awaiting an answer."""
    log = tmp_path / "audit.jsonl"
    numbers = ["15125559901", "15125559902", "15125559903"]
    await emulator.rent(numbers)
    reached = proxy.hang("POST", "/NumberPool/")
    arguments = {"powerpack": "marketing", "numbers": numbers}
    async with connect(proxy, audit_log=log) as client, anyio.create_task_group() as tg:
        tg.start_soon(client.call_tool, "add_pool_number", arguments)
        await reached.wait()
        tg.cancel_scope.cancel()
    lines = audit_lines(log)
    assert [line["event"] for line in lines] == ["intent", "outcome"]
    assert lines[1]["outcome"] == "unknown"
    assert sorted(lines[1]["numbers_unknown"]) == numbers


async def test_the_time_limit_still_leaves_the_outcome(
    proxy: Proxy, emulator: Emulator, tmp_path: Path
) -> None:
    log = tmp_path / "audit.jsonl"
    hang_on_first_delete(proxy)
    async with connect(proxy, audit_log=log, request_timeout=0.5, timeout=30) as client:
        message = error(await client.call_tool("delete_powerpack", {"powerpack": "alerts"}))
    assert "may or may not have been applied" in message
    lines = audit_lines(log)
    assert [(line["event"], line.get("outcome")) for line in lines] == [
        ("intent", None),
        ("outcome", "unknown"),
    ]


def unwritable(kind: str, tmp_path: Path) -> Path:
    if kind == "full disk":
        return Path("/dev/full")
    if kind == "deleted directory":
        gone = tmp_path / "gone"
        gone.mkdir()
        gone.rmdir()
        return gone / "audit.jsonl"
    return tmp_path  # a directory where the file should be


@pytest.mark.parametrize("kind", ["full disk", "deleted directory", "a directory"])
async def test_an_audit_log_that_cannot_be_written_refuses_every_change(
    emulator: Emulator, proxy: Proxy, tmp_path: Path, kind: str
) -> None:
    log = unwritable(kind, tmp_path)
    spare = ["15125559901", "15125559902"]
    await emulator.rent(spare)
    in_pool = {"powerpack": "marketing", "numbers": MARKETING[:2]}
    async with connect(proxy, confirm="token", audit_log=log) as client:
        created = error(await client.call_tool("create_powerpack", {"name": "unrecorded"}))
        unrent = error(await token_then_confirm(client, UNRENT_ALL))
        plain = error(await client.call_tool("delete_powerpack", {"powerpack": "alerts"}))
        # Lists: each is one change, refused whole before any number is sent.
        added = error(
            await client.call_tool("add_pool_number", {"powerpack": "alerts", "numbers": spare})
        )
        removed = error(await client.call_tool("remove_pool_number", in_pool))
        unrented = error(
            await token_then_confirm(client, {**in_pool, "unrent": True}, "remove_pool_number")
        )
    for message in (created, unrent, plain, added, removed, unrented):
        assert "audit log cannot be written" in message
        assert "nothing was sent" in message
    assert await emulator.api_calls("POST") == []
    assert await emulator.api_calls("DELETE") == []


async def test_no_descriptor_is_left_open(proxy: Proxy, tmp_path: Path) -> None:
    log = tmp_path / "audit.jsonl"

    def open_on_log() -> int:
        fds = Path("/proc/self/fd").iterdir()
        return sum(1 for fd in fds if _points_to(fd, log))

    async with connect(proxy, confirm="token", audit_log=log) as client:
        ok(await client.call_tool("create_powerpack", {"name": "fd-check"}))
        ok(await token_then_confirm(client, UNRENT_ALL))
        assert open_on_log() == 0
    assert len(audit_lines(log)) == 5  # intent, outcome; the preview; intent, outcome


def _points_to(fd: Path, target: Path) -> bool:
    try:
        return os.readlink(fd) == str(target)
    except OSError:
        return False


# 6. A person's answer and a token authorise one attempt, for one caller -----------------------


async def test_a_replayed_answer_is_asked_again_modern(proxy: Proxy, emulator: Emulator) -> None:
    await emulator.fault(method="DELETE", path="/Number/|/Tollfree/", status=503, times=1)
    async with connect(proxy, "modern", elicitation=accept("marketing")) as client:
        first = await client.session.call_tool(
            "delete_powerpack", UNRENT_ALL, allow_input_required=True
        )
        assert isinstance(first, InputRequiredResult)
        [key] = first.input_requests
        answers = {key: ElicitResult(action="accept", content={"name": "marketing"})}
        state = first.request_state
        failed = await client.session.call_tool(
            "delete_powerpack",
            UNRENT_ALL,
            input_responses=answers,
            request_state=state,
            allow_input_required=True,
        )
        assert not isinstance(failed, InputRequiredResult)
        assert failed.is_error
        sent = await emulator.unrent_requests()
        replayed = await client.session.call_tool(
            "delete_powerpack",
            UNRENT_ALL,
            input_responses=answers,
            request_state=state,
            allow_input_required=True,
        )
    assert isinstance(replayed, InputRequiredResult)  # the person is asked again
    assert await emulator.unrent_requests() == sent  # and the replay sent nothing


async def test_two_concurrent_calls_with_one_token_unrent_once(
    proxy: Proxy, emulator: Emulator
) -> None:
    results: list[Any] = []
    async with connect(proxy, confirm="token") as client:
        first = ok(await client.call_tool("delete_powerpack", UNRENT_ALL))
        arguments = {**UNRENT_ALL, "confirmation_token": first["confirmation_token"]}

        async def confirm() -> None:
            results.append(await client.call_tool("delete_powerpack", arguments))

        async with anyio.create_task_group() as tg:
            tg.start_soon(confirm)
            tg.start_soon(confirm)
    assert sorted(r.is_error for r in results) == [False, True]
    assert sorted(await emulator.unrent_requests()) == MARKETING


# 7. The small items --------------------------------------------------------------------------


@pytest.mark.parametrize("token", ["jalapeño.ñ", "é", "x" * 500, "a.b.c", "e30.", "W10.x"])
async def test_a_malformed_token_is_refused_cleanly(proxy: Proxy, token: str) -> None:
    async with connect(proxy, confirm="token") as client:
        arguments = {**UNRENT_ALL, "confirmation_token": token}
        message = error(await client.call_tool("delete_powerpack", arguments))
    assert message.endswith(
        "Refused, nothing was changed: the confirmation token was not issued by this server "
        "(tampered or malformed)."
    )
