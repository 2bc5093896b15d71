"""One request to Plivo: send it, bound it in time, and turn the answer into data or a typed error.

Retries live here too, because whether a request may be repeated depends on what it is:
a GET is safe to repeat; a POST or DELETE is repeated only when it provably never left this
machine (the connection was never made), so a retry can never create a Powerpack twice.
"""

from __future__ import annotations

import functools
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
    PlivoError,
    RateLimited,
    UpstreamUnavailable,
)
from .observe import SILENT, Observer
from .ratelimit import LocalBudget, RateLimit, RequestBudget, Slot, seconds_left
from .redact import redact_bytes

logger = logging.getLogger("powerpack_mcp.plivo")

MAX_ATTEMPTS = 4
#: Upstream text (error messages) is data; keep it short so it cannot flood an answer.
MAX_DETAIL = 300
_TRANSIENT_STATUSES = frozenset({502, 503, 504})
#: Plivo's default account limit, held when no budget is given.
PLIVO_RATE_LIMIT = RateLimit(300, 5.0)


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


def _retry_reason(exc: BaseException | None) -> str:
    if isinstance(exc, RateLimited):
        return "rate_limited"
    return "not_sent" if isinstance(exc, NotSent) else "transient"


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


#: Absolute URLs kept, by path (each a few hundred bytes).
_URLS_KEPT = 1024


def _no_cookies() -> httpx.Cookies:
    """A cookie jar that keeps nothing: an API client with credentials in every request."""
    import httpx

    class NoCookies(httpx.Cookies):
        def extract_cookies(self, response: httpx.Response) -> None:
            return None

    return NoCookies()


class Transport:
    """Sends requests to one Plivo account with bounded time, concurrency and retries."""

    def __init__(
        self,
        connect: Callable[[], httpx.AsyncClient],
        *,
        timeout: float,
        max_in_flight: int,
        secrets: Sequence[str] = (),
        budget: RequestBudget | None = None,
        observer: Observer = SILENT,
    ) -> None:
        self._connect = connect
        self._budget = budget if budget is not None else LocalBudget(PLIVO_RATE_LIMIT)
        self._observer = observer
        self._secrets = tuple(secrets)
        self._http: httpx.AsyncClient | None = None  # made on first use, then pooled
        self._timeout = timeout
        # Bounds this client's connections; the budget bounds the account's request rate.
        self._in_flight = anyio.Semaphore(max_in_flight)
        # Absolute URLs by path: httpx parses and checks a URL twice per request otherwise
        # (a quarter of a request's CPU), and the same paths come back (a Powerpack by UUID).
        self._urls: dict[str, httpx.URL] = {}

    async def aclose(self) -> None:
        try:
            if self._http is not None:
                await self._http.aclose()
        finally:
            await self._budget.aclose()

    async def request(
        self,
        method: str,
        path: str,
        *,
        what: str,
        params: Mapping[str, str | int] | None = None,
        body: Mapping[str, Any] | None = None,
    ) -> Any:
        send = functools.partial(self._send, method, path, what=what, params=params, body=body)
        started = time.monotonic()
        try:
            # Most requests succeed at once: the first attempt pays nothing for retries.
            return await send()
        except PlivoError as exc:
            if not _retryable(method, exc):
                raise
            failed: PlivoError | None = exc

        async def attempt() -> Any:
            # Tenacity's first attempt is the failure above, not a second request.
            nonlocal failed
            if failed is not None:
                first, failed = failed, None
                raise first
            return await send()

        retrying = AsyncRetrying(
            retry=retry_if_exception(lambda exc: _retryable(method, exc)),
            wait=_wait,
            # Never sleep past the call's time budget (this caps Retry-After too): a longer wait
            # goes back to the model as "retry in N s".
            stop=stop_after_attempt(MAX_ATTEMPTS)
            | stop_before_delay(self._timeout - (time.monotonic() - started)),
            sleep=anyio.sleep,
            before_sleep=lambda state: self._observer.retry(
                method, _retry_reason(state.outcome.exception() if state.outcome else None)
            ),
            reraise=True,
        )
        return await retrying(attempt)

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
        http = self._http if self._http is not None else self._open()
        url = self._url(http, path)
        # Taken with a checkpoint even when free: requests started together (a scan's pages,
        # the guard's unrents) all leave before the first answer is read.
        await self._in_flight.acquire()
        try:
            slot = await self._take_budget()
            self._observer.in_flight(1)
            started = time.perf_counter()
            status: int | None = None
            try:
                # anyio's deadline holds for every transport, including in-process ASGI.
                with anyio.CancelScope(deadline=anyio.current_time() + self._timeout) as bound:
                    response = await http.request(method, url, params=params, json=body)
                if bound.cancelled_caught:
                    raise TimeoutError
                status = response.status_code
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
            finally:
                await self._release(slot, method, status, time.perf_counter() - started)
        finally:
            self._in_flight.release()
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

    def _open(self) -> httpx.AsyncClient:
        self._http = self._connect()
        # This client never sends cookies, and Plivo's API sets none: not reading Set-Cookie
        # spares every answer a trip through the standard library's cookie jar (a sixth of
        # a request's CPU). Had httpx renamed the attribute, only that saving is lost.
        self._http._cookies = _no_cookies()
        return self._http

    def _url(self, http: httpx.AsyncClient, path: str) -> httpx.URL:
        url = self._urls.get(path)
        if url is None:
            import httpx

            if len(self._urls) >= _URLS_KEPT:
                self._urls.clear()
            # What httpx would make of `path` against the base URL, made once.
            url = self._urls[path] = httpx.URL(f"{http.base_url}{path}")
        return url

    async def _take_budget(self) -> Slot:
        """A slot of the account's budget, waiting no longer than the call has left."""
        started = time.perf_counter()
        try:
            # The hold covers this attempt's own time bound, with a second to spare: it is what
            # protects the account if the answer's report never reaches the budget (Redis down).
            return await self._budget.take(seconds_left(), hold=self._timeout + 1)
        finally:
            self._observer.budget_wait(time.perf_counter() - started)

    async def _release(self, slot: Slot, method: str, status: int | None, seconds: float) -> None:
        # Shielded: a cancelled call's request may still reach Plivo, so its slot is kept.
        with anyio.CancelScope(shield=True):
            await slot.done()
        self._observer.in_flight(-1)
        self._observer.request(method, status, seconds)


__all__ = ["PLIVO_RATE_LIMIT", "NotSent", "Transient", "Transport", "retry_after_seconds"]
