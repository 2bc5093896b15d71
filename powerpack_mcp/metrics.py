"""What an operator watches: Prometheus metrics for one server, served at /metrics (HTTP).

Each server has its own `CollectorRegistry`, not prometheus-client's global one, so several
servers in one process (the tests) never count into each other. Label values come only from
this server's own vocabulary (tool names, HTTP methods, statuses, the guard's modes), never
from what a client sends, so a client cannot grow the number of series.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Iterable
from typing import Any, Final

import anyio
from mcp.server.auth.middleware.bearer_auth import AuthenticatedUser
from mcp.server.context import CallNext, HandlerResult, ServerRequestContext
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response

from .middleware import is_error
from .tools import ALL_TOOLS

CONTENT_TYPE: Final = CONTENT_TYPE_LATEST
OTHER: Final = "other"
_METHODS: Final = frozenset({"GET", "POST", "PUT", "PATCH", "DELETE"})
# Tool calls range from a cached read (ms) to a 1,000-Powerpack name scan or a person
# deciding on a confirmation form (minutes, bounded by the request time limit).
_TOOL_BUCKETS: Final = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120)
_UPSTREAM_BUCKETS: Final = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10)
_WAIT_BUCKETS: Final = (0, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5)


class Metrics:
    """The counters, and the hooks that feed them: the Plivo client's `Observer`
    (request, retry, budget_wait, in_flight), `guard_decision` for the audit log, the
    `middleware` timing tool calls, and `count_sessions` for the open-session gauge."""

    def __init__(self, tools: Iterable[str] | None = None) -> None:
        self.registry = CollectorRegistry()
        self._tools = frozenset(tools if tools is not None else (t.name for t in ALL_TOOLS))
        r = self.registry
        self.tool_calls = Counter(
            "powerpack_mcp_tool_calls",
            "Tool calls by tool and outcome (error: an is_error result or a protocol error; "
            "cancelled: the client gave up, or the server stopped).",
            ["tool", "outcome"],
            registry=r,
        )
        self.tool_seconds = Histogram(
            "powerpack_mcp_tool_call_duration_seconds",
            "Time from a tools/call request to its answer.",
            ["tool"],
            buckets=_TOOL_BUCKETS,
            registry=r,
        )
        self.upstream = Counter(
            "powerpack_mcp_plivo_requests",
            "Requests to Plivo by method and status (none: no answer came).",
            ["method", "status"],
            registry=r,
        )
        self.upstream_seconds = Histogram(
            "powerpack_mcp_plivo_request_duration_seconds",
            "Time for one request to Plivo (one attempt).",
            ["method"],
            buckets=_UPSTREAM_BUCKETS,
            registry=r,
        )
        self.rate_limited = Counter(
            "powerpack_mcp_plivo_rate_limited",
            "429 answers from Plivo (its account rate limit).",
            registry=r,
        )
        self.retries = Counter(
            "powerpack_mcp_plivo_retries",
            "Requests to Plivo repeated, by method and reason.",
            ["method", "reason"],
            registry=r,
        )
        self.budget_waits = Histogram(
            "powerpack_mcp_plivo_rate_limit_wait_seconds",
            "Time a request waited for the account's rate budget before it was sent.",
            buckets=_WAIT_BUCKETS,
            registry=r,
        )
        self.upstream_in_flight = Gauge(
            "powerpack_mcp_plivo_requests_in_flight",
            "Requests to Plivo sent and not yet answered.",
            registry=r,
        )
        self.guard_decisions = Counter(
            "powerpack_mcp_guard_decisions",
            "Decisions on guarded actions and scope refusals, by confirmation method and "
            "outcome (approved, confirmation_required, cancelled, refused).",
            ["method", "outcome"],
            registry=r,
        )
        self.sessions = Gauge(
            "powerpack_mcp_sessions_open",
            "MCP sessions open in this process (0 when stateless).",
            registry=r,
        )

    # The Plivo client's Observer (plivo/observe.py) ------------------------------------

    def request(self, method: str, status: int | None, seconds: float) -> None:
        method = method if method in _METHODS else OTHER
        self.upstream.labels(method, "none" if status is None else str(status)).inc()
        self.upstream_seconds.labels(method).observe(seconds)
        if status == 429:
            self.rate_limited.inc()

    def retry(self, method: str, reason: str) -> None:
        self.retries.labels(method if method in _METHODS else OTHER, reason).inc()

    def budget_wait(self, seconds: float) -> None:
        self.budget_waits.observe(seconds)

    def in_flight(self, delta: int) -> None:
        self.upstream_in_flight.inc(delta)

    # The rest of the server -----------------------------------------------------------

    def guard_decision(self, method: str, outcome: str) -> None:
        self.guard_decisions.labels(method, outcome).inc()

    def count_sessions(self, count: Callable[[], int]) -> None:
        """Read the open-session count from `count` at each scrape."""
        self.sessions.set_function(count)

    def middleware(self) -> Any:
        """Server middleware (outermost): every tools/call, counted and timed, whatever
        answers it (a refusal by scope, a time limit, the tool itself)."""

        async def middleware(
            ctx: ServerRequestContext[Any, Any], call_next: CallNext
        ) -> HandlerResult:
            if ctx.method != "tools/call":
                return await call_next(ctx)
            name = (ctx.params or {}).get("name")
            tool = name if isinstance(name, str) and name in self._tools else OTHER
            started = time.perf_counter()
            outcome = "error"
            try:
                result = await call_next(ctx)
                outcome = "error" if is_error(result) else "ok"
                return result
            except anyio.get_cancelled_exc_class():
                outcome = "cancelled"  # the client gave up (or the server is stopping)
                raise
            finally:
                self.tool_calls.labels(tool, outcome).inc()
                self.tool_seconds.labels(tool).observe(time.perf_counter() - started)

        return middleware

    def exposition(self) -> bytes:
        """The text format Prometheus scrapes."""
        return generate_latest(self.registry)


def metrics_endpoint(metrics: Metrics) -> Callable[[Request], Awaitable[Response]]:
    """/metrics for a bearer token with the `metrics` scope: 401 without a valid token (and
    always when the server runs without tokens), 403 for a token without the scope."""

    async def endpoint(request: Request) -> Response:
        user = request.scope.get("user")
        if not isinstance(user, AuthenticatedUser):
            return PlainTextResponse(
                "/metrics needs a bearer token with the metrics scope "
                "(POWERPACK_MCP_HTTP_TOKENS=name:TOKEN:metrics)",
                status_code=401,
                headers={"WWW-Authenticate": 'Bearer scope="metrics"'},
            )
        if "metrics" not in user.scopes:
            return PlainTextResponse("this token lacks the metrics scope", status_code=403)
        return Response(metrics.exposition(), media_type=CONTENT_TYPE)

    return endpoint


__all__ = ["CONTENT_TYPE", "Metrics", "metrics_endpoint"]
