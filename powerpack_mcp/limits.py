"""Limits no caller can exhaust (HTTP only): sessions per caller and in all, slow connections,
the connection cap and the open-file limit, and what `/healthz` says when one is reached.

Sessions are counted by the caller that opened them: the bearer token's name, or one
`anonymous` caller on loopback without tokens. The SDK's session manager owns the sessions
(and expires idle ones); this module only decides who may open another one.
"""

from __future__ import annotations

import asyncio
import json
import logging
import sys
import time
from collections import Counter
from collections.abc import Callable, Collection
from typing import Any

import h11
from mcp.server.auth.middleware.bearer_auth import AuthenticatedUser
from mcp.server.streamable_http_manager import StreamableHTTPSessionManager
from mcp_types.version import HANDSHAKE_PROTOCOL_VERSIONS
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from uvicorn.protocols.http.h11_impl import H11Protocol

from .settings import Settings

logger = logging.getLogger("powerpack_mcp.limits")

ANONYMOUS = "anonymous"
# A limit reached this recently still shows on /healthz: a scrape every 15-30 s sees it.
RECENT = 60.0
RETRY_AFTER = "30"
LINGER = 1.0  # seconds an answered, refused connection may take to read the answer and close
SERVER_ERROR = -32000  # JSON-RPC's range for errors the server defines


class _Quiet:
    """A warning at most once a minute: a flood must not become a flood of log lines."""

    def __init__(self) -> None:
        self._at = -RECENT

    def warn(self, message: str, *args: object) -> None:
        now = time.monotonic()
        if now - self._at >= RECENT:
            self._at = now
            logger.warning(message + " (repeats within a minute are not logged)", *args)


class SessionLimits:
    """Who holds which open session; refuses the one over a caller's or the server's cap."""

    def __init__(self, per_caller: int, total: int, idle_timeout: float) -> None:
        self.per_caller = per_caller
        self.total = total
        self.idle_timeout = idle_timeout
        self._owners: dict[str, str] = {}  # session id -> caller
        self._opening: Counter[str] = Counter()  # requests that may open one, per caller
        self._live: Callable[[], Collection[str]] = lambda: ()
        self._full_at = -RECENT  # when the server-wide cap last refused someone
        self._quiet = _Quiet()

    def attach(self, manager: StreamableHTTPSessionManager) -> None:
        # The manager ends sessions (DELETE, idle expiry, crash) and has no hook for it: its
        # table of open sessions is the truth, read (never written) here.
        self._live = lambda: manager._server_instances

    def open_sessions(self) -> int:
        """Sessions open right now (for metrics)."""
        return len(self._forget_ended())

    def sessions_by_caller(self) -> dict[str, int]:
        """Open sessions per caller name (for metrics; never for unauthenticated eyes)."""
        return dict(Counter(self._forget_ended().values()))

    def degraded(self) -> list[str]:
        reasons = []
        at_cap = sum(1 for n in self.sessions_by_caller().values() if n >= self.per_caller)
        if at_cap:
            reasons.append(f"{at_cap} caller(s) at the session limit of {self.per_caller}")
        if self.open_sessions() >= self.total or time.monotonic() - self._full_at < RECENT:
            reasons.append(f"the server's session limit ({self.total}) was reached")
        return reasons

    def refusal(self, caller: str) -> Response | None:
        """Why `caller` may not open another session now, or None (then `opening` it)."""
        owners = self._forget_ended()
        held = sum(1 for owner in owners.values() if owner == caller) + self._opening[caller]
        if held >= self.per_caller:
            self._quiet.warn("caller %s is at its limit of %d sessions", caller, self.per_caller)
            return _refused(
                429,
                f"Too many sessions: this server allows {self.per_caller} open sessions per "
                "caller. Close sessions you no longer use (end them with DELETE, as clients do "
                f"on exit), or wait: a session idle for {self.idle_timeout:g} s is closed.",
            )
        if len(owners) + self._opening.total() >= self.total:
            self._full_at = time.monotonic()
            self._quiet.warn("new sessions refused: %d are open, the server's limit", self.total)
            return _refused(
                503,
                f"The server is full: it holds {self.total} open sessions, its limit for all "
                "callers together. Try again later.",
            )
        return None

    def opening(self, caller: str) -> None:
        self._opening[caller] += 1

    def opened(self, caller: str, session_id: str | None) -> None:
        self._opening[caller] -= 1
        if self._opening[caller] <= 0:
            del self._opening[caller]
        if session_id is not None and session_id in self._live():
            self._owners[session_id] = caller

    def _forget_ended(self) -> dict[str, str]:
        live = self._live()
        for ended in [sid for sid in self._owners if sid not in live]:
            del self._owners[ended]
        return self._owners


def _refused(status: int, message: str) -> Response:
    body = {"jsonrpc": "2.0", "id": None, "error": {"code": SERVER_ERROR, "message": message}}
    return Response(
        json.dumps(body),
        status_code=status,
        media_type="application/json",
        headers={"Retry-After": RETRY_AFTER},
    )


class SessionGate:
    """ASGI middleware inside authentication (it needs the caller), before the session manager."""

    def __init__(self, app: ASGIApp, limits: SessionLimits, path: str = "/mcp") -> None:
        self.app = app
        self.limits = limits
        self.path = path

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        caller = self._opener(scope)
        if caller is None:
            await self.app(scope, receive, send)
            return
        refused = self.limits.refusal(caller)
        if refused is not None:
            await refused(scope, receive, send)
            return
        self.limits.opening(caller)
        session_id: str | None = None

        async def watch(message: Message) -> None:
            nonlocal session_id
            if message["type"] == "http.response.start" and message["status"] < 400:
                session_id = _header(message.get("headers", []), b"mcp-session-id")
            await send(message)

        try:
            await self.app(scope, receive, watch)
        finally:
            self.limits.opened(caller, session_id)

    def _opener(self, scope: Scope) -> str | None:
        """The caller of a request the SDK would open a session for, else None.

        That is any request to the endpoint without a session id, on the 2025 protocol (the
        2026 protocol has no sessions). Unauthenticated requests pass: the SDK answers 401.
        """
        if scope["type"] != "http" or scope["path"].rstrip("/") != self.path:
            return None
        headers = scope["headers"]
        if _header(headers, b"mcp-session-id") is not None:
            return None
        version = _header(headers, b"mcp-protocol-version")
        if version is not None and version not in HANDSHAKE_PROTOCOL_VERSIONS:
            return None
        user = scope.get("user")
        if user is None:  # no authentication configured: loopback only
            return ANONYMOUS
        if isinstance(user, AuthenticatedUser):
            return user.access_token.client_id
        return None


def _header(headers: Any, name: bytes) -> str | None:
    for key, value in headers:
        if key.lower() == name:
            return bytes(value).decode("latin-1")
    return None


class ConnectionLimits:
    """A deadline for request headers, and a cap on connections that evicts idle ones first."""

    def __init__(self, max_connections: int, header_timeout: float) -> None:
        self.cap = max_connections
        self.header_timeout = header_timeout
        # Connections waiting for a request's headers (fresh, slow or idle keep-alive), the
        # longest-waiting first: the ones to close when the cap needs room.
        self.waiting: dict[GuardedProtocol, None] = {}
        self._full_at = -RECENT
        self._quiet = _Quiet()

    def fit_to_open_files(self, open_files: int | None) -> None:
        """Keep connections below the open-file limit: the process also needs descriptors
        for Plivo, the audit log and Redis, and accept() failing starves everyone."""
        if open_files is None:
            return
        room = open_files - max(64, open_files // 8)
        if room < self.cap:
            logger.warning(
                "open-file limit %d allows only %d connections (POWERPACK_MCP_MAX_CONNECTIONS "
                "is %d): raise the hard limit (ulimit -Hn) to serve more",
                open_files,
                room,
                self.cap,
            )
            self.cap = max(1, room)

    def make_room(self, connections: int) -> bool:
        """At the cap, close the longest-waiting connection; False if every one is busy."""
        if connections <= self.cap:
            return True
        self._full_at = time.monotonic()
        if not self.waiting:
            self._quiet.warn("connection refused: all %d connections are busy", self.cap)
            return False
        self._quiet.warn("connection limit (%d) reached: closing idle connections", self.cap)
        oldest = next(iter(self.waiting))
        oldest.give_up()
        return True

    def degraded(self) -> list[str]:
        if time.monotonic() - self._full_at < RECENT:
            return [f"the connection limit ({self.cap}) was reached in the last minute"]
        return []


class GuardedProtocol(H11Protocol):
    """uvicorn's h11 protocol with a deadline for each request and the connection cap.

    uvicorn has neither: a connection that never finishes its headers (or its body) is held
    forever (its keep-alive timer runs only between requests), and `limit_concurrency` counts
    such connections and then answers every new request, /healthz too, with 503.
    A request's headers must arrive within `header_timeout` of its first byte (or of the
    connection), and its body within as long again.
    """

    limits: ConnectionLimits  # set by `guarded_protocol`
    _deadline: asyncio.TimerHandle | None = None
    _heard = False  # bytes of the awaited request arrived
    _answered = False  # refused or timed out: the answer is sent, the connection closing

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        if not self.limits.make_room(len(self.connections)):
            self._answer(b"503 Service Unavailable")
            return
        self._await_request(deadline=True)

    def data_received(self, data: bytes) -> None:
        if self._answered:
            return  # read and dropped: closing with unread input would reset the connection
        before = self.conn.their_state
        if before is h11.IDLE:
            self._await_request(deadline=self._deadline is None)
            self._heard = True
        super().data_received(data)
        after = self.conn.their_state
        if after is h11.IDLE:
            return  # the headers are still incomplete
        self.limits.waiting.pop(self, None)
        if after is not h11.SEND_BODY:
            self._cancel_deadline()
        elif before is h11.IDLE:  # headers complete, the body still coming: its own deadline
            self._cancel_deadline()
            self._arm_deadline()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        if not self.transport.is_closing() and self.conn.their_state is h11.IDLE:
            # Idle keep-alive: uvicorn's own timer closes it; until then it may make room.
            # Part of a next request may have come early: its headers' deadline runs now.
            early = bool(self.conn.trailing_data[0])
            self._await_request(deadline=early)
            self._heard = self._heard or early

    def connection_lost(self, exc: Exception | None) -> None:
        self.limits.waiting.pop(self, None)
        self._cancel_deadline()
        super().connection_lost(exc)

    def give_up(self) -> None:
        """Close a connection whose request is overdue, or an idle one to make room."""
        self.limits.waiting.pop(self, None)
        self._cancel_deadline()
        if self.transport.is_closing():
            return
        awaited = self.conn.their_state is h11.IDLE or not self.cycle.response_started
        if self._heard and awaited:
            self._answer(b"408 Request Timeout")
        else:
            self.transport.close()

    def _answer(self, status: bytes) -> None:
        """A bodiless answer outside h11 (the request was not, or not wholly, read), then
        end our side; the client's close, or a second, ends the connection."""
        self._answered = True
        self.transport.write(
            b"HTTP/1.1 " + status + b"\r\nconnection: close\r\ncontent-length: 0\r\n"
            b"retry-after: " + RETRY_AFTER.encode() + b"\r\n\r\n"
        )
        if self.transport.can_write_eof():
            self.transport.write_eof()
        self.loop.call_later(LINGER, self.transport.close)

    def _deadline_passed(self) -> None:
        self._deadline = None
        if self.flow.read_paused:  # the server stopped reading, not the client sending
            self._arm_deadline()
        else:
            self.give_up()

    def _await_request(self, *, deadline: bool) -> None:
        if self not in self.limits.waiting:
            self.limits.waiting[self] = None
            self._heard = False
        if deadline and self._deadline is None:
            self._arm_deadline()

    def _arm_deadline(self) -> None:
        self._deadline = self.loop.call_later(self.limits.header_timeout, self._deadline_passed)

    def _cancel_deadline(self) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
            self._deadline = None


def guarded_protocol(limits: ConnectionLimits) -> type[GuardedProtocol]:
    """The protocol class for `uvicorn.Config(http=...)`, bound to these limits."""
    return type("GuardedProtocol", (GuardedProtocol,), {"limits": limits})


def raise_open_file_limit() -> int | None:
    """Raise the soft open-file limit to the hard one (as Go and systemd services do): the
    common default of 1024 is what 1,100 slow connections exhausted. Returns the limit."""
    if sys.platform == "win32":
        return None
    import resource

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = hard if hard != resource.RLIM_INFINITY else max(soft, 1 << 20)
    if target <= soft:
        return soft
    try:
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
    except (ValueError, OSError) as exc:
        logger.warning("could not raise the open-file limit from %d: %s", soft, exc)
        return soft
    logger.info("open-file limit raised from %d to %d", soft, target)
    return target


class ServerLimits:
    """Every limit of one HTTP server, for `web.http_app` and `web.serve`."""

    def __init__(self, settings: Settings) -> None:
        self.stateless = settings.stateless
        self.sessions = SessionLimits(
            settings.max_sessions_per_caller, settings.max_sessions, settings.session_idle_timeout
        )
        self.connections = ConnectionLimits(settings.max_connections, settings.header_timeout)

    def install(self, app: Starlette, manager: StreamableHTTPSessionManager) -> None:
        """Gate session opening; appended last, so it runs after authentication."""
        if self.stateless:
            return
        self.sessions.attach(manager)
        app.user_middleware.append(Middleware(SessionGate, limits=self.sessions))

    def degraded(self) -> list[str]:
        return [*self.sessions.degraded(), *self.connections.degraded()]


__all__ = [
    "ConnectionLimits",
    "ServerLimits",
    "SessionLimits",
    "guarded_protocol",
    "raise_open_file_limit",
]
