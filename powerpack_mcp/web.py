"""Streamable HTTP: one server for a team, behind a load balancer, safe to expose.

Loaded only for `--transport http`, so a stdio session never imports the HTTP stack.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import logging
import math
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from mcp.server.auth.provider import AccessToken
from mcp.server.mcpserver import MCPServer
from mcp.server.transport_security import TransportSecuritySettings
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse

from . import __version__
from .limits import ServerLimits, guarded_protocol, raise_open_file_limit
from .settings import ConfigError, Settings

logger = logging.getLogger("powerpack_mcp.http")

LOOPBACK_HOSTS = ("127.0.0.1:*", "localhost:*", "[::1]:*")
LOOPBACK_ORIGINS = ("http://127.0.0.1:*", "http://localhost:*", "http://[::1]:*")


class StaticTokenVerifier:
    """Bearer tokens the operator issued, each with a name for the audit log."""

    def __init__(self, tokens: Mapping[str, str]) -> None:
        # name -> token digest; compare digests in constant time, and every one of them.
        self._digests = {name: _digest(token) for name, token in tokens.items()}

    async def verify_token(self, token: str) -> AccessToken | None:
        presented = _digest(token)
        match = None
        for name, digest in self._digests.items():
            if hmac.compare_digest(presented, digest):
                match = name
        if match is None:
            return None
        return AccessToken(token=token, client_id=match, scopes=[])


def _digest(token: str) -> bytes:
    return hashlib.sha256(token.encode()).digest()


def load_tokens(settings: Settings) -> dict[str, str]:
    """`name:token` or bare `token` entries, comma-separated or one per line in the file."""
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
    tokens: dict[str, str] = {}
    for entry in (e.strip() for e in entries):
        if not entry:
            continue
        name, sep, token = entry.partition(":")
        if not sep:
            name, token = f"token-{hashlib.sha256(entry.encode()).hexdigest()[:8]}", entry
        if len(token) < 16:
            raise ConfigError(f"HTTP token '{name}' is too short: use at least 16 characters")
        tokens[name.strip()] = token.strip()
    return tokens


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def check_exposure(settings: Settings, tokens: Mapping[str, str]) -> None:
    if tokens:
        return
    if not is_loopback(settings.host):
        raise ConfigError(
            f"refusing to serve on {settings.host} without authentication: it holds the Plivo "
            "credentials. Set POWERPACK_MCP_HTTP_TOKENS (or POWERPACK_MCP_HTTP_TOKENS_FILE), "
            "or bind to 127.0.0.1"
        )
    logger.warning(
        "no POWERPACK_MCP_HTTP_TOKENS: anyone who can reach %s:%s can use this server",
        settings.host,
        settings.port,
    )


def transport_security(settings: Settings) -> TransportSecuritySettings:
    """Always on, whatever the bind address (the SDK switches it off for 0.0.0.0)."""
    return TransportSecuritySettings(
        enable_dns_rebinding_protection=True,
        allowed_hosts=[*LOOPBACK_HOSTS, *settings.allowed_hosts],
        allowed_origins=[*LOOPBACK_ORIGINS, *settings.allowed_origins],
    )


def http_app(server: MCPServer[Any], settings: Settings) -> Starlette:
    limits = ServerLimits(settings)

    async def healthz(_: Request) -> JSONResponse:
        # For load balancers: no auth, and nothing but liveness, the version and which limit
        # is reached. Degraded is still 200: one caller at its cap must not take the replica out.
        if reasons := limits.degraded():
            return JSONResponse({"status": "degraded", "reasons": reasons, "version": __version__})
        return JSONResponse({"status": "ok", "version": __version__})

    server.custom_route("/healthz", methods=["GET"])(healthz)
    app = server.streamable_http_app(
        stateless_http=settings.stateless,
        # Plain JSON answers suit load balancers; a stateful server keeps SSE streams.
        json_response=settings.stateless,
        max_request_body_size=settings.max_body_bytes,
        session_idle_timeout=settings.session_idle_timeout,
        max_sessions=settings.max_sessions,
        transport_security=transport_security(settings),
        host=settings.host,
    )
    limits.install(app, server.session_manager)
    app.state.limits = limits  # open sessions, per caller: app.state.limits.sessions
    return app


KEEP_ALIVE_SECONDS = 75


def serve(server: MCPServer[Any], settings: Settings) -> None:
    """Run under uvicorn; SIGTERM stops accepting and lets in-flight calls finish."""
    import uvicorn

    app = http_app(server, settings)
    limits: ServerLimits = app.state.limits
    limits.connections.fit_to_open_files(raise_open_file_limit())
    config = uvicorn.Config(
        app,
        http=guarded_protocol(limits.connections),
        host=settings.host,
        port=settings.port,
        log_level=settings.log_level.lower(),
        timeout_graceful_shutdown=math.ceil(settings.shutdown_grace),
        # Longer than load balancers' idle timeouts (commonly 60 s): a server that closes an
        # idle connection first races the client's next request on it, which then fails.
        timeout_keep_alive=KEEP_ALIVE_SECONDS,
        proxy_headers=False,
        server_header=False,
        log_config=None,  # keep our stderr handler and its redaction
    )
    uvicorn.Server(config).run()


__all__ = ["StaticTokenVerifier", "check_exposure", "http_app", "load_tokens", "serve"]
