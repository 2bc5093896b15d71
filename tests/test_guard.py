"""No number is unrented without a person's yes: every path through the guard, with the
emulator's request log as proof of what reached "Plivo"."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from pathlib import Path
from typing import Any

import pytest
from mcp.client.context import ClientRequestContext
from mcp.types import ElicitRequestParams, ElicitResult
from starlette.applications import Starlette
from support import ERAS, Emulator, Era, connect, error, ok

from powerpack_mcp.sandbox import DEFAULT_AUTH_ID

pytestmark = pytest.mark.anyio

SECRET = "test-confirm-secret"
MARKETING_POOL_SIZE = 4  # 3 long codes and 1 toll-free in the demo data


class Person:
    """Answers the confirmation form as scripted, and remembers what it was shown."""

    def __init__(self, *answers: tuple[str, str | None]) -> None:
        self.answers = list(answers)
        self.shown: list[str] = []
        self.before_answer: Any = None

    async def __call__(
        self, context: ClientRequestContext, params: ElicitRequestParams
    ) -> ElicitResult:
        self.shown.append(params.message)
        if self.before_answer is not None:
            await self.before_answer()
            self.before_answer = None
        action, name = self.answers.pop(0) if len(self.answers) > 1 else self.answers[0]
        content = {"name": name} if name is not None else None
        return ElicitResult(action=action, content=content)  # type: ignore[arg-type]


@pytest.fixture
def emulator(sandbox_app: Starlette) -> Emulator:
    return Emulator(sandbox_app)


async def unrent_deletes(emulator: Emulator) -> list[str]:
    """What reached the emulator's unrent endpoints: numbers, or POOL:<uuid> for a bulk one."""
    return await emulator.unrent_requests()


async def marketing_numbers(emulator: Emulator, client: Any) -> list[str]:
    pack = ok(await client.call_tool("get_powerpack", {"powerpack": "marketing"}))
    pool = pack["number_pool_uuid"]
    listed = await emulator.api("GET", f"NumberPool/{pool}/Number/")
    return sorted(n["number"] for n in listed.json()["objects"])


# Elicit mode --------------------------------------------------------------------------------


@pytest.mark.parametrize("era", ERAS)
async def test_person_types_the_exact_name_and_numbers_are_unrented(
    emulator: Emulator, era: Era
) -> None:
    person = Person(("accept", "marketing"))
    async with connect(emulator.app, era, elicitation=person) as client:
        numbers = await marketing_numbers(emulator, client)
        result = ok(
            await client.call_tool(
                "delete_powerpack", {"powerpack": "marketing", "unrent_numbers": True}
            )
        )
    assert result["status"] == "deleted"
    assert result["numbers_unrented"] == numbers
    assert len(numbers) == MARKETING_POOL_SIZE
    [question] = person.shown
    assert "marketing" in question
    assert "10 days" in question
    assert all(f"+{number}" in question for number in numbers)
    assert sorted(await unrent_deletes(emulator)) == numbers
    for number in numbers:
        assert not await emulator.rented(number)


@pytest.mark.parametrize("era", ERAS)
@pytest.mark.parametrize(
    ("answer", "reason"),
    [
        (("accept", "Marketing"), "does not match"),
        (("accept", "alerts"), "does not match"),
        (("decline", None), "declined"),
        (("cancel", None), "dismissed"),
    ],
)
async def test_anything_but_the_exact_name_cancels(
    emulator: Emulator, era: Era, answer: tuple[str, str | None], reason: str
) -> None:
    async with connect(emulator.app, era, elicitation=Person(answer)) as client:
        result = ok(
            await client.call_tool(
                "delete_powerpack", {"powerpack": "marketing", "unrent_numbers": True}
            )
        )
        still_there = ok(await client.call_tool("get_powerpack", {"powerpack": "marketing"}))
    assert result["status"] == "cancelled"
    assert reason in result["message"]
    assert still_there["name"] == "marketing"
    assert await unrent_deletes(emulator) == []


@pytest.mark.parametrize("era", ERAS)
@pytest.mark.parametrize("flag", [True, "true", "True"])
async def test_a_client_that_cannot_ask_is_refused(emulator: Emulator, era: Era, flag: Any) -> None:
    async with connect(emulator.app, era) as client:
        message = error(
            await client.call_tool(
                "delete_powerpack", {"powerpack": "marketing", "unrent_numbers": flag}
            )
        )
    assert "cannot show a person a confirmation form or a confirmation card" in message
    assert "--confirm token" in message
    assert [r for r in await emulator.requests() if r["method"] == "DELETE"] == []


async def test_pool_change_while_deciding_asks_again_modern(emulator: Emulator) -> None:
    person = Person(("accept", "marketing"))
    async with connect(emulator.app, "modern", elicitation=person) as client:
        pack = ok(await client.call_tool("get_powerpack", {"powerpack": "marketing"}))
        spare = await emulator.spare_number()

        async def add_spare() -> None:
            await emulator.add_to_pool(pack["number_pool_uuid"], spare)

        person.before_answer = add_spare
        result = ok(
            await client.call_tool(
                "delete_powerpack", {"powerpack": "marketing", "unrent_numbers": True}
            )
        )
    assert len(person.shown) == 2  # asked again, with the new preview
    assert spare not in person.shown[0]
    assert spare in person.shown[1]
    assert result["status"] == "deleted"
    assert spare in result["numbers_unrented"]


async def test_pool_change_while_deciding_cancels_legacy(emulator: Emulator) -> None:
    person = Person(("accept", "marketing"))
    async with connect(emulator.app, "legacy", elicitation=person) as client:
        pack = ok(await client.call_tool("get_powerpack", {"powerpack": "marketing"}))
        spare = await emulator.spare_number()

        async def add_spare() -> None:
            await emulator.add_to_pool(pack["number_pool_uuid"], spare)

        person.before_answer = add_spare
        result = ok(
            await client.call_tool(
                "delete_powerpack", {"powerpack": "marketing", "unrent_numbers": True}
            )
        )
    assert result["status"] == "cancelled"
    assert "pool changed" in result["message"]
    assert await unrent_deletes(emulator) == []


# Token mode ---------------------------------------------------------------------------------


async def ask_token(client: Any, powerpack: str = "marketing") -> dict[str, Any]:
    first = ok(
        await client.call_tool("delete_powerpack", {"powerpack": powerpack, "unrent_numbers": True})
    )
    assert first["status"] == "confirmation_required"
    return first


async def confirm(client: Any, token: str, powerpack: str = "marketing") -> Any:
    arguments = {"powerpack": powerpack, "unrent_numbers": True, "confirmation_token": token}
    return await client.call_tool("delete_powerpack", arguments)


def token_mode(**extra: Any) -> dict[str, Any]:
    return {"confirm": "token", "confirm_secret": SECRET, **extra}


@pytest.mark.parametrize("era", ERAS)
async def test_token_flow_previews_then_deletes(emulator: Emulator, era: Era) -> None:
    async with connect(emulator.app, era, **token_mode()) as client:
        first = await ask_token(client)
        assert await unrent_deletes(emulator) == []
        assert first["confirmation_token"]
        assert first["expires_at"]
        assert "marketing" in first["preview"]
        assert "explicitly agree" in first["message"]
        done = ok(await confirm(client, first["confirmation_token"]))
    assert done["status"] == "deleted"
    assert len(done["numbers_unrented"]) == MARKETING_POOL_SIZE
    assert sorted(await unrent_deletes(emulator)) == done["numbers_unrented"]


def resign(token: str, **changes: Any) -> str:
    """An independent HMAC implementation: proves the format, and forges what we need."""
    body, _, _ = token.partition(".")
    claims = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    raw = json.dumps({**claims, **changes}, separators=(",", ":")).encode()
    new_body = base64.urlsafe_b64encode(raw).rstrip(b"=").decode()
    signature = hmac.new(SECRET.encode(), new_body.encode(), hashlib.sha256).digest()
    return f"{new_body}.{base64.urlsafe_b64encode(signature).rstrip(b'=').decode()}"


def tamper(token: str) -> str:
    body, _, signature = token.partition(".")
    claims = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    raw = json.dumps({**claims, "exp": claims["exp"] + 3600}).encode()
    return f"{base64.urlsafe_b64encode(raw).rstrip(b'=').decode()}.{signature}"


@pytest.mark.parametrize(
    ("forge", "reason"),
    [
        (tamper, "tampered"),
        (lambda token: token[:-2], "tampered"),
        (lambda token: "garbage", "tampered"),
        (lambda token: resign(token, exp=1), "expired"),
        (lambda token: resign(token, acct="MAYYYYYYYYYYYYYYYYYY"), "another action or target"),
    ],
)
async def test_bad_tokens_are_refused(emulator: Emulator, forge: Any, reason: str) -> None:
    async with connect(emulator.app, **token_mode()) as client:
        first = await ask_token(client)
        message = error(await confirm(client, forge(first["confirmation_token"])))
    assert reason in message
    assert "nothing was changed" in message
    assert await unrent_deletes(emulator) == []


async def test_a_token_for_another_powerpack_is_refused(emulator: Emulator) -> None:
    async with connect(emulator.app, **token_mode()) as client:
        for_alerts = await ask_token(client, "alerts")
        message = error(await confirm(client, for_alerts["confirmation_token"], "marketing"))
    assert "another action or target" in message
    assert await unrent_deletes(emulator) == []


async def test_a_token_works_once(emulator: Emulator) -> None:
    await emulator.fault(method="DELETE", path="/Powerpack/", status=503, times=1)
    async with connect(emulator.app, **token_mode()) as client:
        token = (await ask_token(client))["confirmation_token"]
        failed = error(await confirm(client, token))
        sent = await unrent_deletes(emulator)
        reused = error(await confirm(client, token))
    assert "Deleting Powerpack 'marketing' then failed" in failed
    assert "already been used" in reused
    assert len(sent) == MARKETING_POOL_SIZE
    assert await unrent_deletes(emulator) == sent  # the reuse sent nothing


async def test_pool_change_after_preview_asks_again(emulator: Emulator) -> None:
    async with connect(emulator.app, **token_mode()) as client:
        first = await ask_token(client)
        pack = ok(await client.call_tool("get_powerpack", {"powerpack": "marketing"}))
        spare = await emulator.spare_number()
        await emulator.add_to_pool(pack["number_pool_uuid"], spare)
        again = ok(await confirm(client, first["confirmation_token"]))
        assert again["status"] == "confirmation_required"
        assert "pool changed" in again["message"]
        assert spare in again["preview"]
        assert await unrent_deletes(emulator) == []
        done = ok(await confirm(client, again["confirmation_token"]))
    assert spare in done["numbers_unrented"]


async def test_http_replicas_sharing_a_secret_confirm_each_others_tokens(
    emulator: Emulator,
) -> None:
    replica = token_mode(transport="http", stateless=True)
    async with connect(emulator.app, **replica) as one:
        token = (await ask_token(one))["confirmation_token"]
    async with connect(emulator.app, **replica) as other:
        assert ok(await confirm(other, token))["status"] == "deleted"


async def test_a_token_from_another_stdio_process_is_refused(emulator: Emulator) -> None:
    async with connect(emulator.app, **token_mode()) as one:
        token = (await ask_token(one))["confirmation_token"]
    async with connect(emulator.app, **token_mode()) as other:
        message = error(await confirm(other, token))
    assert "issued to another caller" in message
    assert await unrent_deletes(emulator) == []


# Audit log ----------------------------------------------------------------------------------


def audit_lines(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text().splitlines()]


async def test_audit_records_every_outcome(emulator: Emulator, tmp_path: Path) -> None:
    log = tmp_path / "audit.jsonl"
    async with connect(emulator.app, **token_mode(audit_log=log)) as client:
        ok(await client.call_tool("create_powerpack", {"name": "audited"}))
        ok(await client.call_tool("update_powerpack", {"powerpack": "audited", "name": "a2"}))
        error(await client.call_tool("create_powerpack", {"name": "a2"}))  # Plivo says no
        token = (await ask_token(client))["confirmation_token"]
        error(await confirm(client, tamper(token)))
        ok(await confirm(client, token))
        ok(await client.call_tool("delete_powerpack", {"powerpack": "a2"}))
    lines = audit_lines(log)
    summary = [(line["event"], line["tool"], line.get("outcome")) for line in lines]
    assert summary == [
        ("intent", "create_powerpack", None),
        ("outcome", "create_powerpack", "ok"),
        ("intent", "update_powerpack", None),
        ("outcome", "update_powerpack", "ok"),
        ("intent", "create_powerpack", None),
        ("outcome", "create_powerpack", "error"),
        ("decision", "delete_powerpack", "confirmation_required"),
        ("decision", "delete_powerpack", "refused"),
        ("intent", "delete_powerpack", None),
        ("outcome", "delete_powerpack", "ok"),
        ("intent", "delete_powerpack", None),
        ("outcome", "delete_powerpack", "ok"),
    ]
    intents = {line["id"]: line for line in lines if line["event"] == "intent"}
    outcomes = [line for line in lines if line["event"] == "outcome"]
    assert [line["id"] for line in outcomes] == list(intents)  # each intent, then its outcome
    assert lines[5]["error"].startswith("Plivo rejected the request")
    assert lines[7]["confirmation"]["result"].startswith("token refused")
    unrent = lines[8]
    assert unrent["confirmation"]["mode"] == "token"
    assert unrent["confirmation"]["result"] == "valid token after user approval"
    assert unrent["confirmation"]["token"] not in (None, token)  # a fingerprint, not the token
    assert len(unrent["numbers"]) == MARKETING_POOL_SIZE
    assert lines[9]["numbers_unrented"] == unrent["numbers"]
    assert all(line["time"] and line["target"] for line in lines)
    assert SECRET not in log.read_text()


@pytest.mark.parametrize("era", ERAS)
async def test_audit_records_how_a_person_answered(
    emulator: Emulator, era: Era, tmp_path: Path
) -> None:
    log = tmp_path / "audit.jsonl"
    person = Person(("decline", None))
    async with connect(emulator.app, era, elicitation=person, audit_log=log) as client:
        ok(
            await client.call_tool(
                "delete_powerpack", {"powerpack": "alerts", "unrent_numbers": True}
            )
        )
    [line] = audit_lines(log)
    assert (line["event"], line["outcome"]) == ("decision", "cancelled")
    assert line["confirmation"]["result"] == "the person declined"
    assert line["numbers"] == ["13125550106"]  # what the person was shown


async def test_unwritable_audit_log_refuses_the_change(emulator: Emulator, tmp_path: Path) -> None:
    log = tmp_path / "missing-dir" / "audit.jsonl"
    async with connect(emulator.app, audit_log=log) as client:
        message = error(await client.call_tool("create_powerpack", {"name": "unrecorded"}))
    assert "audit log cannot be written" in message
    assert await emulator.api_calls("POST") == []


@pytest.mark.parametrize("era", ERAS)
async def test_an_unknown_powerpack_is_not_found_before_anyone_is_asked(
    emulator: Emulator, era: Era
) -> None:
    person = Person(("accept", "ghost"))
    async with connect(emulator.app, era, elicitation=person) as client:
        message = error(
            await client.call_tool(
                "delete_powerpack", {"powerpack": "ghost", "unrent_numbers": True}
            )
        )
    assert "Powerpack 'ghost' not found" in message
    assert person.shown == []


# What a person reads -----------------------------------------------------------------------


@pytest.mark.parametrize("mode", ["modern", "legacy", "token"])
async def test_the_confirmation_says_everything_a_person_needs(
    emulator: Emulator, mode: str
) -> None:
    person = Person(("decline", None))
    era: Era = "legacy" if mode == "legacy" else "modern"
    if mode == "token":
        async with connect(emulator.app, **token_mode()) as client:
            shown = (await ask_token(client))["preview"]
    else:
        async with connect(emulator.app, era, elicitation=person) as client:
            ok(
                await client.call_tool(
                    "delete_powerpack", {"powerpack": "marketing", "unrent_numbers": True}
                )
            )
        [shown] = person.shown
    assert shown.startswith("SANDBOX")
    assert f"in Plivo account {DEFAULT_AUTH_ID}" in shown
    assert "unrent its 4 numbers: +12125550202, +14155550101, +15125550105, +18005550301." in shown
    assert "Short codes in the pool (555888) are only unlinked, never unrented." in shown
    assert "after 10 days. Those days are not a grace period" in shown
    assert "Safer: delete the Powerpack with unrent_numbers=false" in shown
