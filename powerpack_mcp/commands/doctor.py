"""`powerpack-mcp doctor`: checks a real setup and says what is wrong, in plain words.

Each check is one line: ok or problem, and for a problem how to fix it. The token is never
printed, only whether it is set and how long it is."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass

import anyio
import httpx
from pydantic import SecretStr

from ..plivo import AuthenticationFailed, Credentials, Forbidden, PlivoError, open_client
from ..settings import Settings
from .netfail import describe
from .style import Style

_AUTH_ID = re.compile(r"^(MA|SA)[A-Z0-9]{18}$")


@dataclass
class Check:
    name: str
    ok: bool
    detail: str
    fix: str = ""


def credentials(settings: Settings) -> Check:
    token = settings.auth_token.get_secret_value() if settings.auth_token else ""
    missing = [
        n for n, v in (("PLIVO_AUTH_ID", settings.auth_id), ("PLIVO_AUTH_TOKEN", token)) if not v
    ]
    if missing:
        return Check(
            "credentials",
            False,
            f"{' and '.join(missing)} not set",
            "export them in the server's environment (your client's 'env' block); "
            "find them on the Plivo console's overview page",
        )
    assert settings.auth_id is not None
    if not _AUTH_ID.match(settings.auth_id):
        return Check(
            "credentials",
            False,
            f"PLIVO_AUTH_ID '{settings.auth_id}' is not an auth ID",
            "auth IDs are 20 characters starting with MA or SA: copy it again from the console",
        )
    return Check(
        "credentials",
        True,
        f"PLIVO_AUTH_ID {settings.auth_id}, token set ({len(token)} characters)",
    )


async def reachable(settings: Settings, transport: httpx.AsyncBaseTransport | None) -> Check:
    try:
        async with httpx.AsyncClient(transport=transport, timeout=settings.timeout) as http:
            await http.get(settings.api_url.rstrip("/") + "/")
    except httpx.HTTPError as exc:
        failure = describe(exc, settings.api_url, settings.timeout)
        return Check("API reachable", False, f"{settings.api_url}: {failure}", failure.fix)
    return Check("API reachable", True, settings.api_url)


async def account(settings: Settings, transport: httpx.AsyncBaseTransport | None) -> list[Check]:
    """One cheap read proves both that the credentials work and that they may list Powerpacks."""
    assert settings.auth_id is not None
    creds = Credentials(settings.auth_id, settings.auth_token or SecretStr(""))
    try:
        async with open_client(
            creds, api_url=settings.api_url, request_timeout=settings.timeout, transport=transport
        ) as plivo:
            page = await plivo.list_powerpacks(limit=1)
    except AuthenticationFailed:
        fix = "copy the auth ID and token again from the Plivo console; a subaccount uses its own"
        return [Check("credentials accepted", False, "Plivo answered 401", fix)]
    except Forbidden as exc:
        return [
            Check("credentials accepted", True, "yes"),
            Check(
                "may list Powerpacks",
                False,
                str(exc),
                "use credentials allowed to manage messaging",
            ),
        ]
    except PlivoError as exc:
        return [
            Check(
                "credentials accepted", False, str(exc), "try again, or check Plivo's status page"
            )
        ]
    return [
        Check("credentials accepted", True, "yes"),
        Check("may list Powerpacks", True, f"{page.meta.total_count} Powerpack(s) in the account"),
    ]


def confirmation(settings: Settings) -> Check:
    mode = f"--confirm {settings.confirm}"
    shared = "POWERPACK_MCP_CONFIRM_SECRET set" if settings.confirm_secret else "per-process key"
    if settings.stateless and not (settings.confirm_secret and settings.state_key):
        return Check(
            "confirmation",
            False,
            f"{mode}, {shared}, but --stateless replicas need shared keys",
            "set the same POWERPACK_MCP_CONFIRM_SECRET and POWERPACK_MCP_STATE_KEY everywhere",
        )
    hint = "" if settings.confirm_secret else " (set POWERPACK_MCP_CONFIRM_SECRET to run replicas)"
    return Check("confirmation", True, f"{mode}, {shared}{hint}")


def forms(settings: Settings) -> Check | None:
    """Stateless HTTP cannot put a form to a client mid-call before protocol 2026-07-28."""
    if not settings.stateless or settings.confirm == "token":
        return None
    return Check(
        "confirmation forms",
        False,
        f"--stateless with --confirm {settings.confirm}: clients on protocol versions before "
        "2026-07-28 cannot be shown a confirmation form or card, so every unrent they ask "
        "for is refused",
        "use --confirm token (POWERPACK_MCP_CONFIRM=token), or serve without --stateless",
    )


async def redis(settings: Settings) -> Check | None:
    """Replicas share confirmations, Plivo's rate budget and name hints through Redis."""
    if settings.redis_url is None:
        if not settings.stateless:
            return None
        return Check(
            "shared state",
            True,
            "no POWERPACK_MCP_REDIS_URL: confirmations are single-use and Plivo's rate limit is "
            "held per replica only (fine for one replica)",
        )
    from ..shared import redis_client
    from ..shared_redis import RedisState

    client = redis_client(settings)
    assert client is not None
    state = RedisState(client, namespace="doctor")
    try:
        up, where = await state.ping(), state.where
    finally:
        await state.aclose()
    if not up:
        return Check(
            "shared state",
            False,
            f"Redis at {where} cannot be reached: unrenting is refused until it answers",
            "start Redis, or check POWERPACK_MCP_REDIS_URL (host, port, password)",
        )
    return Check("shared state", True, f"Redis at {where} answers")


def audit_log(settings: Settings) -> Check:
    path = settings.audit_log
    if path is None:
        return Check(
            "audit log", True, "off (set POWERPACK_MCP_AUDIT_LOG to keep a record of changes)"
        )
    try:
        os.close(os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600))
    except OSError as exc:
        return Check(
            "audit log",
            False,
            f"{path}: {exc.strerror}",
            "point POWERPACK_MCP_AUDIT_LOG at a writable file; changes are refused without it",
        )
    return Check("audit log", True, f"{path} is writable")


async def run_checks(settings: Settings, transport: httpx.AsyncBaseTransport | None) -> list[Check]:
    checks = [credentials(settings)]
    if checks[0].ok:
        checks.append(await reachable(settings, transport))
        if checks[-1].ok:
            checks += await account(settings, transport)
    setup = [confirmation(settings), forms(settings), await redis(settings), audit_log(settings)]
    return [*checks, *(check for check in setup if check is not None)]


def report(checks: list[Check], out: Style) -> bool:
    width = max(len(check.name) for check in checks)
    for check in checks:
        verdict = out("ok     ", "green") if check.ok else out("problem", "red", "bold")
        out.print(f"{verdict}  {check.name.ljust(width)}  {check.detail}")
        if not check.ok:
            out.print(f"{' ' * 9}{' ' * width}  fix: {check.fix}")
    good = all(check.ok for check in checks)
    out.print()
    out.print(out("All checks passed." if good else "Some checks failed.", "bold"))
    return good


def main(settings: Settings) -> int:
    transport: httpx.AsyncBaseTransport | None = None
    out = Style()
    if settings.sandbox:
        from ..sandbox import DEFAULT_AUTH_ID, DEFAULT_AUTH_TOKEN, create_app

        transport = httpx.ASGITransport(app=create_app())
        settings = settings.model_copy(
            update={
                "auth_id": DEFAULT_AUTH_ID,
                "auth_token": SecretStr(DEFAULT_AUTH_TOKEN),
                "api_url": "http://sandbox.invalid",
            }
        )
        out.print("Checking against the built-in emulator (--sandbox).\n")
    return 0 if report(anyio.run(run_checks, settings, transport), out) else 1
