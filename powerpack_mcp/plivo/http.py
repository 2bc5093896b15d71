"""One request to Plivo: send it, bound it in time, and turn the answer into data or a typed error.

Retries live here too, because whether a request may be repeated depends on what it is:
a GET is safe to repeat; a POST or DELETE is repeated only when it provably never left this
machine (the connection was never made), so a retry can never create a Powerpack twice.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Mapping, Sequence
from email.utils import parsedate_to_datetime
from typing import TYPE_CHECKING, Any

import anyio
from tenacity import (
    AsyncRetrying,
    RetryCallState,
    retry_if_exception,
    stop_after_attempt,
    stop_before_delay,
    wait_exponential_jitter,
)

if TYPE_CHECKING:
    # httpx is imported when the first request is made, not at start: a client asking for
    # the tool list should not wait for an HTTP stack it has not used yet.
    import httpx

from .errors import (
    AuthenticationFailed,
    Forbidden,
    InvalidRequest,
    NotFound,
    RateLimited,
    UpstreamUnavailable,
)
from .observe import SILENT, Observer
from .redact import redact_bytes

logger = logging.getLogger("powerpack_mcp.plivo")

MAX_ATTEMPTS = 4
#: Upstream text (error messages) is data; keep it short so it cannot flood an answer.
MAX_DETAIL = 300
_TRANSIENT_STATUSES = frozenset({502, 503, 504})


class NotSent(UpstreamUnavailable):
    """The connection was never made: the request provably did not reach Plivo."""


class Transient(UpstreamUnavailable):
    """A failure that a GET may simply try again (502/503/504, timeout, dropped connection)."""


def _retryable(method: str, exc: BaseException) -> bool:
    if isinstance(exc, NotSent):
        return True
    return method == "GET" and isinstance(exc, RateLimited | Transient)


def _wait(state: RetryCallState) -> float:
    exc = state.outcome.exception() if state.outcome else None
    if isinstance(exc, RateLimited) and exc.retry_after is not None:
        return exc.retry_after
    return _backoff(state)


_backoff = wait_exponential_jitter(multiplier=0.1, max=2.0, jitter=0.2)


def retry_after_seconds(value: str | None) -> float | None:
    """Parse a Retry-After header: delta-seconds or an HTTP date."""
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


def error_detail(status: int, content: bytes) -> str:
    """Plivo's `error` text (a string or a field -> message mapping), bounded."""
    try:
        body = json.loads(content) if content else None
    except ValueError:
        body = None
    raw = body.get("error") if isinstance(body, dict) else None
    if isinstance(raw, Mapping):
        text = "; ".join(f"{key}: {value}" for key, value in raw.items())
    elif raw:
        text = str(raw)
    else:
        text = f"HTTP {status}"
    return text if len(text) <= MAX_DETAIL else text[: MAX_DETAIL - 1] + "…"


def raise_for_status(response: httpx.Response, content: bytes, *, method: str, what: str) -> None:
    """`content` is the answer's body, already scrubbed of credentials."""
    status = response.status_code
    if status < 400:
        return
    if status == 401:
        raise AuthenticationFailed()
    if status == 403:
        raise Forbidden(error_detail(status, content))
    if status == 404:
        raise NotFound(what)
    if status == 429:
        raise RateLimited(retry_after_seconds(response.headers.get("Retry-After")))
    if status >= 500:
        error = Transient if status in _TRANSIENT_STATUSES else UpstreamUnavailable
        raise error(f"HTTP {status}", may_have_applied=method != "GET")
    raise InvalidRequest(error_detail(status, content), status)


def decode(response: httpx.Response, content: bytes, *, method: str) -> Any:
    if response.status_code == 204 or not content:
        return None
    try:
        return json.loads(content)
    except ValueError:
        raise UpstreamUnavailable(
            "it sent an unreadable answer", may_have_applied=method != "GET"
        ) from None


class Transport:
    """Sends requests to one Plivo account with bounded time, concurrency and retries."""

    def __init__(
        self,
        connect: Callable[[], httpx.AsyncClient],
        *,
        timeout: float,
        max_in_flight: int,
        secrets: Sequence[str] = (),
        observer: Observer = SILENT,
    ) -> None:
        self._connect = connect
        self._observer = observer
        self._secrets = tuple(secrets)
        self._http: httpx.AsyncClient | None = None  # made on first use, then pooled
        self._timeout = timeout
        # One bound for the whole server: Plivo allows 300 requests per 5 s per account.
        self._in_flight = anyio.Semaphore(max_in_flight)

    async def aclose(self) -> None:
        if self._http is not None:
            await self._http.aclose()

    async def request(
        self,
        method: str,
        path: str,
        *,
        what: str,
        params: Mapping[str, str | int] | None = None,
        body: Mapping[str, Any] | None = None,
    ) -> Any:
        retrying = AsyncRetrying(
            retry=retry_if_exception(lambda exc: _retryable(method, exc)),
            wait=_wait,
            # Never sleep past the call's time budget (this caps Retry-After too): a longer wait
            # goes back to the model as "retry in N s".
            stop=stop_after_attempt(MAX_ATTEMPTS) | stop_before_delay(self._timeout),
            sleep=anyio.sleep,
            reraise=True,
        )
        async for attempt in retrying:
            with attempt:
                return await self._send(method, path, what=what, params=params, body=body)
        raise AssertionError("unreachable: tenacity re-raises the last error")

    async def _send(
        self,
        method: str,
        path: str,
        *,
        what: str,
        params: Mapping[str, str | int] | None,
        body: Mapping[str, Any] | None,
    ) -> Any:
        import httpx  # loaded once, on the first request

        may_have_applied = method != "GET"
        started = time.perf_counter()
        if self._http is None:
            self._http = self._connect()
        async with self._in_flight:
            try:
                response = await self._observed(method, path, params=params, body=body)
            except TimeoutError:
                raise Transient(
                    f"no answer within {self._timeout:g} s", may_have_applied=may_have_applied
                ) from None
            except (httpx.ConnectError, httpx.ConnectTimeout):
                raise NotSent("could not connect") from None
            except httpx.TransportError:
                raise Transient(
                    "the connection was dropped", may_have_applied=may_have_applied
                ) from None
        logger.debug(
            "%s %s -> %s in %.0f ms",
            method,
            path,
            response.status_code,
            (time.perf_counter() - started) * 1000,
        )
        content = redact_bytes(response.content, self._secrets)
        raise_for_status(response, content, method=method, what=what)
        return decode(response, content, method=method)

    async def _observed(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, str | int] | None,
        body: Mapping[str, Any] | None,
    ) -> httpx.Response:
        """One attempt, reported to the observer: in flight while it runs, then its status
        (None when no answer came) and how long it took."""
        assert self._http is not None
        started = time.perf_counter()
        status: int | None = None
        self._observer.in_flight(1)
        try:
            # anyio's deadline holds for every transport, including in-process ASGI.
            with anyio.fail_after(self._timeout):
                response = await self._http.request(method, path, params=params, json=body)
            status = response.status_code
            return response
        finally:
            self._observer.in_flight(-1)
            self._observer.request(method, status, time.perf_counter() - started)


__all__ = ["NotSent", "Transient", "Transport", "retry_after_seconds"]
