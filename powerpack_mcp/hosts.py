"""DNS-rebinding protection: Host and Origin compared exactly (scheme, host, port).

The SDK's own check matches `127.0.0.1:*` as a prefix, so `Host: 127.0.0.1:evil.example`
passed while a plain `Host: localhost` got 421. Here a header is parsed first (anything that
is not `host[:port]`, or `scheme://host[:port]` for an Origin, is refused) and then compared
field by field, case-insensitively. A Host without a port means a default port (80 or 443:
behind a TLS proxy the server cannot tell which); an Origin without one means its scheme's.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Final

from starlette.datastructures import Headers
from starlette.responses import PlainTextResponse
from starlette.types import ASGIApp, Receive, Scope, Send

from .settings import ConfigError

ANY_PORT: Final = -1
DEFAULT_PORTS: Final = {"http": 80, "https": 443}
LOOPBACK_NAMES: Final = ("127.0.0.1", "localhost", "[::1]")
#: Answered without the check: load balancers' probes and scrapers use the address they
#: reach, and /metrics needs a bearer token, which a rebinding page does not have.
UNCHECKED_PATHS: Final = frozenset({"/healthz", "/metrics"})

_HOST = r"(?P<host>\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?)"
_PORT = r"(?::(?P<port>[0-9]{1,5}|\*))?"
_HOST_HEADER = re.compile(rf"{_HOST}{_PORT}")
_ORIGIN_HEADER = re.compile(rf"(?P<scheme>[A-Za-z][A-Za-z0-9+.-]*)://{_HOST}{_PORT}")


@dataclass(frozen=True)
class Authority:
    scheme: str | None  # None for a Host: the header carries no scheme
    host: str
    port: int | None  # None: no port given (a default one); ANY_PORT: a `*` pattern


def _host(raw: str) -> str:
    host = raw.lower()
    if host.startswith("["):
        try:
            # [::1] and [0:0::1] are the same address; compare the canonical form.
            return f"[{ipaddress.IPv6Address(host[1:-1]).compressed}]"
        except ValueError:
            return ""
    return host


def _port(raw: str | None, *, pattern: bool) -> int | None:
    if raw is None:
        return None
    if raw == "*":
        if not pattern:
            raise ValueError("a header has no wildcard")
        return ANY_PORT
    port = int(raw)
    if not 0 < port < 65536:
        raise ValueError("port out of range")
    return port


def parse_host(value: str, *, pattern: bool = False) -> Authority | None:
    match = _HOST_HEADER.fullmatch(value.strip() if pattern else value)
    try:
        port = _port(match["port"], pattern=pattern) if match else None
    except ValueError:
        return None
    host = _host(match["host"]) if match else ""
    return Authority(None, host, port) if host else None


def parse_origin(value: str, *, pattern: bool = False) -> Authority | None:
    match = _ORIGIN_HEADER.fullmatch(value.strip() if pattern else value)
    if match is None or match["scheme"].lower() not in DEFAULT_PORTS:
        return None
    scheme = match["scheme"].lower()
    try:
        port = _port(match["port"], pattern=pattern)
    except ValueError:
        return None
    host = _host(match["host"])
    # An Origin's port is its scheme's default when absent: https://a == https://a:443.
    if not host:
        return None
    return Authority(scheme, host, DEFAULT_PORTS[scheme] if port is None else port)


def _host_matches(allowed: Authority, given: Authority) -> bool:
    if allowed.host != given.host:
        return False
    if allowed.port in (ANY_PORT, given.port):
        return True
    defaults = (None, *DEFAULT_PORTS.values())
    return allowed.port in defaults and given.port in defaults


def _origin_matches(allowed: Authority, given: Authority) -> bool:
    same_port = allowed.port in (ANY_PORT, given.port)
    return allowed.scheme == given.scheme and allowed.host == given.host and same_port


class AllowList:
    """The loopback names on any port, plus the operator's entries (`host`, `host:port`,
    `host:*`; `scheme://host`, `scheme://host:port`, `scheme://host:*`)."""

    def __init__(self, hosts: Iterable[str] = (), origins: Iterable[str] = ()) -> None:
        loopback_hosts = [f"{name}:*" for name in LOOPBACK_NAMES]
        loopback_origins = [f"{s}://{name}:*" for s in DEFAULT_PORTS for name in LOOPBACK_NAMES]
        self.hosts = [_entry(parse_host, e, "host") for e in [*loopback_hosts, *hosts]]
        self.origins = [_entry(parse_origin, e, "origin") for e in [*loopback_origins, *origins]]

    def host_ok(self, value: str) -> bool:
        given = parse_host(value)
        return given is not None and any(_host_matches(a, given) for a in self.hosts)

    def origin_ok(self, value: str) -> bool:
        given = parse_origin(value)
        return given is not None and any(_origin_matches(a, given) for a in self.origins)


def _entry(parse: Callable[..., Authority | None], entry: str, what: str) -> Authority:
    parsed = parse(entry, pattern=True)
    if parsed is None:
        example = "mcp.example.com:443" if what == "host" else "https://ops.example.com"
        raise ConfigError(
            f"allowed {what} {entry!r} is not valid: write it like {example} (or with :* "
            "for any port)"
        )
    return parsed


class HostOriginCheck:
    """ASGI middleware: a bad Host is 421, a bad Origin 403, before anything else runs.

    No Origin is fine (clients other than browsers send none); more than one of either
    header is refused, since proxies may disagree about which one counts."""

    def __init__(self, app: ASGIApp, allow: AllowList) -> None:
        self.app = app
        self.allow = allow

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"] not in UNCHECKED_PATHS:
            refused = self._refusal(Headers(scope=scope))
            if refused is not None:
                await refused(scope, receive, send)
                return
        await self.app(scope, receive, send)

    def _refusal(self, headers: Headers) -> PlainTextResponse | None:
        hosts, origins = headers.getlist("host"), headers.getlist("origin")
        if len(hosts) != 1 or not self.allow.host_ok(hosts[0]):
            return PlainTextResponse("Invalid Host header", status_code=421)
        if len(origins) > 1 or (origins and not self.allow.origin_ok(origins[0])):
            return PlainTextResponse("Invalid Origin header", status_code=403)
        return None


def url_host(host: str) -> str:
    """The host as a URL writes it: an IPv6 address in brackets ([::1])."""
    return f"[{host}]" if ":" in host and not host.startswith("[") else host


__all__ = ["AllowList", "HostOriginCheck", "parse_host", "parse_origin", "url_host"]
