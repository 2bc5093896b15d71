"""Who may do what: operator-issued bearer tokens, each with a name and its scopes.

Scopes: `read` (list and get), `write` (create, update, delete, add and remove pool numbers),
`unrent` (also give numbers back to the carrier: `delete_powerpack` with
`unrent_numbers=true`, `remove_pool_number` with `unrent=true`, and the card's
`confirm_unrent`; unrenting also needs `write`, since it changes the Powerpack too) and
`metrics` (scrape `/metrics`). A token entry without scopes gets `read+write`: unrenting and
metrics are granted only by name. Without tokens (stdio, or HTTP on loopback) the one local
caller may read, write and unrent, as before; `/metrics` always needs a token.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from mcp.server.auth.middleware.auth_context import get_access_token
from mcp.server.auth.provider import AccessToken
from pydantic import TypeAdapter, ValidationError

from .settings import ConfigError, Settings

SCOPES: Final = ("read", "write", "unrent", "metrics")
DEFAULT_SCOPES: Final = frozenset({"read", "write"})
#: No token names the caller: this process's own user (stdio) or anyone on loopback.
LOCAL_SCOPES: Final = frozenset({"read", "write", "unrent"})
MIN_TOKEN_LENGTH = 16

#: The argument that turns each guarded tool's call into an unrent.
GUARDED_ARGUMENTS: Final = {"delete_powerpack": "unrent_numbers", "remove_pool_number": "unrent"}
#: Tools that exist only to unrent.
UNRENT_TOOLS: Final = frozenset({"confirm_unrent"})


@dataclass(frozen=True)
class Grant:
    """One token entry: who presents it, and what it may do."""

    name: str
    token: str
    scopes: frozenset[str]


class StaticTokenVerifier:
    """Bearer tokens the operator issued, each with a name for the audit log and its scopes."""

    def __init__(self, grants: Iterable[Grant]) -> None:
        # Compare digests in constant time, and every one of them.
        self._grants = [(_digest(grant.token), grant) for grant in grants]

    async def verify_token(self, token: str) -> AccessToken | None:
        presented = _digest(token)
        match = None
        for digest, grant in self._grants:
            if hmac.compare_digest(presented, digest):
                match = grant
        if match is None:
            return None
        return AccessToken(token=token, client_id=match.name, scopes=sorted(match.scopes))


def _digest(token: str) -> bytes:
    return hashlib.sha256(token.encode()).digest()


def load_grants(settings: Settings) -> list[Grant]:
    """`name:token:scopes`, `name:token` or bare `token` entries, comma-separated in
    POWERPACK_MCP_HTTP_TOKENS or one per line in POWERPACK_MCP_HTTP_TOKENS_FILE."""
    entries: list[str] = []
    if settings.http_tokens is not None:
        entries += settings.http_tokens.get_secret_value().split(",")
    if settings.http_tokens_file is not None:
        try:
            text = Path(settings.http_tokens_file).read_text(encoding="utf-8")
        except OSError as exc:
            raise ConfigError(
                f"cannot read POWERPACK_MCP_HTTP_TOKENS_FILE: {exc.strerror}"
            ) from None
        entries += [line for line in text.splitlines() if not line.lstrip().startswith("#")]
    grants: dict[str, Grant] = {}
    for entry in (e.strip() for e in entries):
        if entry:
            grant = parse_entry(entry)
            grants[grant.name] = grant
    return list(grants.values())


def parse_entry(entry: str) -> Grant:
    parts = [part.strip() for part in entry.split(":")]
    if len(parts) == 1:
        # A bare token is named by a digest prefix, so the audit log never shows the token.
        name, token, scopes = f"token-{hashlib.sha256(entry.encode()).hexdigest()[:8]}", entry, ""
    elif len(parts) == 2:
        (name, token), scopes = parts, ""
    elif len(parts) == 3:
        name, token, scopes = parts
        if not scopes:
            raise ConfigError(f"HTTP token '{name}' has no scopes after its second ':'")
    else:
        raise ConfigError(
            "an HTTP token entry has more than two ':' (use name:TOKEN or name:TOKEN:scopes)"
        )
    if len(token) < MIN_TOKEN_LENGTH:
        raise ConfigError(
            f"HTTP token '{name}' is too short: use at least {MIN_TOKEN_LENGTH} characters"
        )
    return Grant(name=name, token=token, scopes=parse_scopes(name, scopes))


def parse_scopes(name: str, text: str) -> frozenset[str]:
    if not text:
        return DEFAULT_SCOPES
    scopes = frozenset(scope.strip().lower() for scope in text.split("+") if scope.strip())
    unknown = sorted(scopes - set(SCOPES))
    if unknown or not scopes:
        raise ConfigError(
            f"HTTP token '{name}' has unknown scope(s): {', '.join(unknown) or '(none)'}; "
            f"known scopes: {'+'.join(SCOPES)}"
        )
    return scopes


def granted(tokens_required: bool) -> frozenset[str]:
    """The scopes of the caller of the current request.

    With tokens configured every request to /mcp carries one; if none is found here, nothing
    is granted (fail closed) rather than the local caller's rights."""
    token = get_access_token()
    if token is not None:
        return frozenset(token.scopes)
    return frozenset() if tokens_required else LOCAL_SCOPES


_AS_BOOL: TypeAdapter[bool] = TypeAdapter(bool)


def _asks_to_unrent(value: Any) -> bool:
    """Whether the SDK would read this argument as true (it validates "true", 1, ... too)."""
    try:
        return _AS_BOOL.validate_python(value)
    except ValidationError:
        return False  # the SDK refuses the argument itself; nothing is sent


@dataclass(frozen=True)
class Rights:
    """What each tool needs: `read` for tools that only read, else `write`; unrenting adds
    `unrent`."""

    read_only: Mapping[str, bool]  # every tool's name -> whether it only reads

    def to_list(self, tool: str) -> frozenset[str]:
        """The scopes a caller needs to be shown `tool` (to call it at all)."""
        if tool in UNRENT_TOOLS:
            return frozenset({"write", "unrent"})
        return frozenset({"read"}) if self.read_only.get(tool, False) else frozenset({"write"})

    def to_call(self, tool: str, arguments: Mapping[str, Any]) -> frozenset[str]:
        needed = self.to_list(tool)
        guarded = GUARDED_ARGUMENTS.get(tool)
        if guarded is not None and _asks_to_unrent(arguments.get(guarded)):
            needed |= {"unrent"}
        return needed


def refusal(tool: str, lacking: Iterable[str]) -> str:
    missing = sorted(lacking)
    what = tool
    guarded = GUARDED_ARGUMENTS.get(tool)
    if missing == ["unrent"] and guarded is not None:
        what = f"{tool} with {guarded}=true"
    return (
        f"Refused, nothing was sent: {what} needs the {' and '.join(missing)} scope(s), which "
        "the token this call came with does not have. Ask the operator for a token with "
        f"{'+'.join(missing)}."
    )


__all__ = [
    "DEFAULT_SCOPES",
    "LOCAL_SCOPES",
    "SCOPES",
    "Grant",
    "Rights",
    "StaticTokenVerifier",
    "granted",
    "load_grants",
    "parse_entry",
    "refusal",
]
