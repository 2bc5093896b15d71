"""Streamable HTTP: one server for a team, behind a load balancer, safe to expose.

Loaded only for `--transport http`, so a stdio session never imports the HTTP stack.
"""

from __future__ import annotations

import ipaddress
import logging
import math
from collections.abc import Sequence
from typing import Any

from mcp.server.mcpserver import MCPServer
from mcp.server.transport_security import TransportSecuritySettings
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse

from . import __version__
from .access import Grant, StaticTokenVerifier, load_grants
from .hosts import AllowList, HostOriginCheck, url_host
from .limits import ServerLimits, guarded_protocol, raise_open_file_limit
from .metrics import Metrics, metrics_endpoint
from .settings import ConfigError, Settings
from .shared import SharedHealth

logger = logging.getLogger("powerpack_mcp.http")


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def check_exposure(settings: Settings, tokens: Sequence[Grant]) -> None:
    if tokens:
        return
    if not is_loopback(settings.host):
        raise ConfigError(
            f"refusing to serve on {settings.host} without authentication: it holds the Plivo "
            "credentials. Set POWERPACK_MCP_HTTP_TOKENS (or POWERPACK_MCP_HTTP_TOKENS_FILE), "
            "or bind to 127.0.0.1"
        )
    logger.warning(
        "no POWERPACK_MCP_HTTP_TOKENS: anyone who can reach this server (%s) can use it",
        address(settings),
    )


def address(settings: Settings) -> str:
    """host:port; with --port 0 the port is chosen when the socket is bound, after this is
    logged, and uvicorn's start line names it."""
    host = url_host(settings.host)
    if settings.port:
        return f"{host}:{settings.port}"
    return f"{host}, on the free port uvicorn names at start"


def transport_security() -> TransportSecuritySettings:
    """The SDK's Host/Origin check matches by prefix; `HostOriginCheck` (always on, whatever
    the bind address) compares exactly, in front of everything, so the SDK's is off. Passing
    it explicitly also stops the SDK from switching its own on for loopback."""
    return TransportSecuritySettings(enable_dns_rebinding_protection=False)


def http_app(
    server: MCPServer[Any],
    settings: Settings,
    metrics: Metrics | None = None,
    health: SharedHealth | None = None,
) -> Starlette:
    limits = ServerLimits(settings)

    async def healthz(_: Request) -> JSONResponse:
        # For load balancers: no auth, and nothing but liveness, the version, which limit is
        # reached and whether Redis answers. Degraded is still 200: one caller at its cap, or
        # unrenting refused while reads go on, must not take the replica out.
        shared = await health.problems() if health is not None else []
        if reasons := limits.degraded() + shared:
            return JSONResponse({"status": "degraded", "reasons": reasons, "version": __version__})
        return JSONResponse({"status": "ok", "version": __version__})

    allow = AllowList(settings.allowed_hosts, settings.allowed_origins)  # ConfigError if bad
    server.custom_route("/healthz", methods=["GET"])(healthz)
    if metrics is not None:
        server.custom_route("/metrics", methods=["GET"])(metrics_endpoint(metrics))
    app = server.streamable_http_app(
        stateless_http=settings.stateless,
        # Plain JSON answers suit load balancers; a stateful server keeps SSE streams.
        json_response=settings.stateless,
        max_request_body_size=settings.max_body_bytes,
        session_idle_timeout=settings.session_idle_timeout,
        max_sessions=settings.max_sessions,
        transport_security=transport_security(),
        host=settings.host,
    )
    app.add_middleware(HostOriginCheck, allow=allow)  # outermost: before authentication
    limits.install(app, server.session_manager)
    app.state.limits = limits  # open sessions, per caller: app.state.limits.sessions
    if metrics is not None:
        metrics.count_sessions(limits.sessions.open_sessions)
    return app


KEEP_ALIVE_SECONDS = 75


def serve(
    server: MCPServer[Any],
    settings: Settings,
    metrics: Metrics | None = None,
    health: SharedHealth | None = None,
) -> None:
    """Run under uvicorn; SIGTERM stops accepting and lets in-flight calls finish."""
    import uvicorn

    app = http_app(server, settings, metrics, health)
    limits: ServerLimits = app.state.limits
    limits.connections.fit_to_open_files(raise_open_file_limit())
    config = uvicorn.Config(
        app,
        http=guarded_protocol(limits.connections),
        loop="asyncio",  # the loop the connection limits are tested on (uvloop is for stdio)
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


__all__ = [
    "StaticTokenVerifier",
    "address",
    "check_exposure",
    "http_app",
    "load_grants",
    "serve",
]
