"""Many numbers in one call: per-number answers, and one guarded unrent for a whole list.

The emulator's own state and request log are the witnesses."""

from __future__ import annotations

from typing import Any

import anyio
import pytest
from mcp.client.context import ClientRequestContext
from mcp.types import ElicitRequestParams, ElicitResult, InputRequiredResult
from support import ERAS, Emulator, Era, connect, error, ok

from powerpack_mcp.views import CONFIRMATION_KEY

pytestmark = pytest.mark.anyio

MARKETING_POOL = "9b0c0001-2e4f-4a6b-8c1d-000000000001"
SUPPORT_POOL = "9b0c0003-2e4f-4a6b-8c1d-000000000003"
IN_ALERTS = "13125550106"
NOT_RENTED = "19995550000"
SPARE_TOLL_FREE = "18885550302"
TEXAS = [f"1512555{i:04d}" for i in range(700, 727)]  # 27 numbers, rented for the test


def results(answer: dict[str, Any]) -> dict[str, str]:
    return {r["number"]: r["result"] for r in answer["results"]}


async def test_thirty_numbers_added_in_one_call(emulator: Emulator) -> None:
    await emulator.rent(TEXAS[:26], region="TEXAS, UNITED STATES")
    given = [*TEXAS[:26], f"+{SPARE_TOLL_FREE}", NOT_RENTED, IN_ALERTS, "not-a-number"]
    async with connect(emulator.app) as client:
        answer = ok(
            await client.call_tool(
                "add_pool_number", {"powerpack": "support", "numbers": given, "service": "mms"}
            )
        )
    assert answer["status"] == "partial"
    assert [r["number"] for r in answer["results"]] == [*given[:26], SPARE_TOLL_FREE, *given[27:]]
    assert results(answer) == {
        **dict.fromkeys([*TEXAS[:26], SPARE_TOLL_FREE], "added"),
        NOT_RENTED: "not_rented",
        IN_ALERTS: "in_another_pool",
        "not-a-number": "invalid",
    }
    assert "Added 27 of 30" in answer["message"]
    # The witness: exactly the 27 joined the pool; the others are where they were.
    for number in [*TEXAS[:26], SPARE_TOLL_FREE]:
        assert emulator.pool_of(number) == SUPPORT_POOL
    assert emulator.pool_of(IN_ALERTS) != SUPPORT_POOL
    posts = [path for _, path in await emulator.api_calls("POST")]
    assert f"NumberPool/{SUPPORT_POOL}/Tollfree/{SPARE_TOLL_FREE}/" in posts
    assert not any(NOT_RENTED in path or "not-a-number" in path for path in posts)


async def test_already_in_this_pool_is_said_and_nothing_sent(emulator: Emulator) -> None:
    async with connect(emulator.app) as client:
        answer = ok(
            await client.call_tool(
                "add_pool_number", {"powerpack": "marketing", "numbers": ["14155550101"]}
            )
        )
    assert (answer["status"], results(answer)) == (
        "unchanged",
        {"14155550101": "already_in_this_pool"},
    )
    assert await emulator.api_calls("POST") == []


async def test_one_or_many_not_both(emulator: Emulator) -> None:
    async with connect(emulator.app) as client:
        both = {"powerpack": "support", "number": "12065550107", "numbers": ["12065550107"]}
        assert "either number" in error(await client.call_tool("add_pool_number", both))
        assert "either number" in error(
            await client.call_tool("remove_pool_number", {"powerpack": "support"})
        )
        too_many = {"powerpack": "support", "numbers": [str(15125550000 + i) for i in range(101)]}
        assert error(await client.call_tool("add_pool_number", too_many))
    assert await emulator.api_calls("POST") == []


async def test_removing_many_keeps_them_rented(emulator: Emulator) -> None:
    given = ["14155550101", "+1 (212) 555-0202", "555888", "12065550107", "bad"]
    async with connect(emulator.app) as client:
        answer = ok(
            await client.call_tool(
                "remove_pool_number", {"powerpack": "marketing", "numbers": given}
            )
        )
    assert answer["status"] == "partial"
    assert results(answer) == {
        "14155550101": "removed",
        "12125550202": "removed",
        "555888": "removed",
        "12065550107": "not_in_this_pool",
        "bad": "invalid",
    }
    assert emulator.pool_of("14155550101") is None
    assert await emulator.rented("14155550101")
    assert await emulator.unrent_requests() == []


# One guarded unrent for a whole list ---------------------------------------------------------


class Person:
    """Answers the confirmation form by typing `typed`; meanwhile, `during` runs."""

    def __init__(self, typed: str | None, during: Any = None) -> None:
        self.typed = typed
        self.during = during
        self.questions: list[ElicitRequestParams] = []

    async def __call__(
        self, context: ClientRequestContext, params: ElicitRequestParams
    ) -> ElicitResult:
        self.questions.append(params)
        if self.during is not None:
            await self.during()
        if self.typed is None:
            return ElicitResult(action="decline")
        return ElicitResult(action="accept", content={"name": self.typed})


async def crowded_marketing(emulator: Emulator) -> list[str]:
    """Marketing's pool with 27 more numbers: more than any short preview would show."""
    await emulator.rent(TEXAS, region="TEXAS, UNITED STATES")
    for number in TEXAS:
        await emulator.add_to_pool(MARKETING_POOL, number)
    await emulator.clear_requests()
    return TEXAS[:25]


@pytest.mark.parametrize("era", ERAS)
async def test_bulk_unrent_shows_the_whole_list_once_and_unrents_exactly_those(
    emulator: Emulator, era: Era
) -> None:
    chosen = await crowded_marketing(emulator)
    joiner = emulator.spare_numbers()[0]

    async def someone_adds_a_number() -> None:
        await emulator.add_to_pool(MARKETING_POOL, joiner)

    person = Person("marketing", during=someone_adds_a_number)
    arguments = {"powerpack": "marketing", "numbers": chosen, "unrent": True}
    async with connect(emulator.app, era, elicitation=person) as client:
        answer = ok(await client.call_tool("remove_pool_number", arguments))
    assert len(person.questions) == 1  # the whole list, confirmed once
    question = person.questions[0]
    assert all(f"+{number}" in question.message for number in chosen)
    assert "Powerpack's exact name" in question.message
    assert answer["status"] == "removed"
    assert results(answer) == dict.fromkeys(chosen, "unrented")
    # The witness: exactly the chosen numbers were unrented, one request each, nothing else.
    assert sorted(await emulator.unrent_requests()) == sorted(chosen)
    for number in chosen:
        assert not await emulator.rented(number)
    assert emulator.pool_of(joiner) == MARKETING_POOL  # joined meanwhile: untouched
    for number in [*TEXAS[25:], "14155550101", "18005550301"]:
        assert emulator.pool_of(number) == MARKETING_POOL


@pytest.mark.parametrize("typed", ["25", "Marketing", None])
async def test_bulk_unrent_needs_the_exact_name(emulator: Emulator, typed: str | None) -> None:
    chosen = await crowded_marketing(emulator)
    arguments = {"powerpack": "marketing", "numbers": chosen, "unrent": True}
    async with connect(emulator.app, elicitation=Person(typed)) as client:
        answer = ok(await client.call_tool("remove_pool_number", arguments))
    assert answer["status"] == "cancelled"
    assert await emulator.unrent_requests() == []


async def test_bulk_unrent_refuses_a_list_not_all_in_the_pool(emulator: Emulator) -> None:
    person = Person("marketing")
    arguments = {
        "powerpack": "marketing",
        "numbers": ["14155550101", "12065550107"],
        "unrent": True,
    }
    async with connect(emulator.app, elicitation=person) as client:
        message = error(await client.call_tool("remove_pool_number", arguments))
        short = {**arguments, "numbers": ["14155550101", "555888"]}
        refused = error(await client.call_tool("remove_pool_number", short))
    assert "+12065550107" in message
    assert "never unrented" in refused
    assert person.questions == []
    assert await emulator.unrent_requests() == []


async def test_bulk_unrent_with_a_token_binds_the_list(emulator: Emulator) -> None:
    arguments = {
        "powerpack": "marketing",
        "numbers": ["14155550101", "15125550105"],
        "unrent": True,
    }
    async with connect(emulator.app, confirm="token") as client:
        first = ok(await client.call_tool("remove_pool_number", arguments))
        assert first["status"] == "confirmation_required"
        token = first["confirmation_token"]
        other = {**arguments, "numbers": ["14155550101"], "confirmation_token": token}
        refused = ok(await client.call_tool("remove_pool_number", other))
        assert refused["status"] == "confirmation_required"  # another list: asked anew
        done = ok(
            await client.call_tool("remove_pool_number", {**arguments, "confirmation_token": token})
        )
    assert done["status"] == "removed"
    assert sorted(await emulator.unrent_requests()) == ["14155550101", "15125550105"]


async def test_bulk_unrent_in_a_card_lists_every_number_and_asks_for_the_name(
    emulator: Emulator,
) -> None:
    chosen = await crowded_marketing(emulator)
    arguments = {"powerpack": "marketing", "numbers": chosen, "unrent": True}
    async with connect(emulator.app, apps=True) as client:
        shown = await client.call_tool("remove_pool_number", arguments)
        assert ok(shown)["status"] == "confirmation_required"
        assert shown.meta is not None
        card = shown.meta[CONFIRMATION_KEY]
        typed_count = {"confirmation_id": card["id"], "typed": "25"}
        refused = error(await client.call_tool("confirm_unrent", typed_count))
        again = await client.call_tool("remove_pool_number", arguments)
        assert again.meta is not None
        card = again.meta[CONFIRMATION_KEY]
        done = ok(
            await client.call_tool(
                "confirm_unrent", {"confirmation_id": card["id"], "typed": "marketing"}
            )
        )
    assert (card["action"], card["confirm_kind"], card["confirm_with"]) == (
        "remove_pool_numbers",
        "name",
        "marketing",
    )
    assert sorted(n["e164"] for n in card["numbers"]) == sorted(f"+{n}" for n in chosen)
    assert "does not match" in refused
    assert sorted(done["numbers_unrented"]) == sorted(f"+{n}" for n in chosen)
    assert done["powerpack_deleted"] is False
    assert sorted(await emulator.unrent_requests()) == sorted(chosen)


async def test_a_partial_failure_names_what_changed_and_what_may_have(emulator: Emulator) -> None:
    await emulator.rent(TEXAS[:6], region="TEXAS, UNITED STATES")
    await emulator.fault(method="POST", path=f"/{TEXAS[1]}/", status=503, times=1)
    await emulator.fault(method="POST", path=f"/{TEXAS[2]}/", status=400, times=1)
    async with connect(emulator.app) as client:
        answer = ok(
            await client.call_tool(
                "add_pool_number", {"powerpack": "support", "numbers": TEXAS[:6]}
            )
        )
    assert answer["status"] == "partial"
    found = {r["number"]: r for r in answer["results"]}
    assert found[TEXAS[1]]["result"] == "unknown"  # a 503 on a change: it may have applied
    assert "check its state" in found[TEXAS[1]]["why"]
    assert found[TEXAS[2]]["result"] == "failed"
    added = [n for n in TEXAS[:6] if found[n]["result"] == "added"]
    assert added == [TEXAS[0], *TEXAS[3:6]]
    # The witness agrees with the answer, number by number.
    assert [n for n in TEXAS[:6] if emulator.pool_of(n) == SUPPORT_POOL] == added
    assert "Added 4 of 6" in answer["message"]


# The guard's guarantees hold for a list ------------------------------------------------------


async def test_a_replayed_answer_for_a_list_is_asked_again(emulator: Emulator) -> None:
    await emulator.fault(method="DELETE", path="/Number/", status=503, times=1)
    arguments = {"powerpack": "marketing", "numbers": ["14155550101"], "unrent": True}
    async with connect(emulator.app, "modern", elicitation=Person("marketing")) as client:
        first = await client.session.call_tool(
            "remove_pool_number", arguments, allow_input_required=True
        )
        assert isinstance(first, InputRequiredResult)
        [key] = first.input_requests
        answers = {key: ElicitResult(action="accept", content={"name": "marketing"})}

        async def answered() -> Any:
            return await client.session.call_tool(
                "remove_pool_number",
                arguments,
                input_responses=answers,
                request_state=first.request_state,
                allow_input_required=True,
            )

        failed = await answered()
        assert not isinstance(failed, InputRequiredResult)
        assert failed.structured_content["results"][0]["result"] == "unknown"
        sent = await emulator.unrent_requests()
        replayed = await answered()
    assert isinstance(replayed, InputRequiredResult)  # the person is asked again
    assert await emulator.unrent_requests() == sent == ["14155550101"]  # the replay sent nothing


async def test_two_concurrent_calls_with_one_token_unrent_a_list_once(emulator: Emulator) -> None:
    chosen = ["14155550101", "15125550105", "18005550301"]
    arguments = {"powerpack": "marketing", "numbers": chosen, "unrent": True}
    answers: list[Any] = []
    async with connect(emulator.app, confirm="token") as client:
        first = ok(await client.call_tool("remove_pool_number", arguments))
        confirmed = {**arguments, "confirmation_token": first["confirmation_token"]}

        async def confirm() -> None:
            answers.append(await client.call_tool("remove_pool_number", confirmed))

        async with anyio.create_task_group() as tg:
            tg.start_soon(confirm)
            tg.start_soon(confirm)
    assert sorted(a.is_error for a in answers) == [False, True]
    assert sorted(await emulator.unrent_requests()) == sorted(chosen)


async def test_number_and_numbers_together_asks_no_one(emulator: Emulator) -> None:
    person = Person("marketing")
    both = {
        "powerpack": "marketing",
        "number": "14155550101",
        "numbers": ["15125550105"],
        "unrent": True,
    }
    async with connect(emulator.app, elicitation=person) as client:
        assert "either number" in error(await client.call_tool("remove_pool_number", both))
    assert person.questions == []
    assert await emulator.unrent_requests() == []
