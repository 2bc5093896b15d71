"""The account's request budget: Plivo allows N requests per T seconds per account, never more.

Plivo counts a request when it *arrives*, at some instant between our send and our receipt of
the answer. So a request holds its slot from before it is sent until its answer is received
plus one window: then every request Plivo counts within any window of T seconds was holding a
slot at that window's end, and there are only N slots. A slot taken is first held for `hold`
(the longest the request can last) plus a window, in case this process dies mid-request; when
the answer comes it is shortened to "now + window".

Two budgets behind one interface (`RequestBudget`): `LocalBudget` for one process and
`RedisBudget` for replicas sharing an account, which checks and takes a slot atomically in a
Lua script on Redis' own clock (replicas' clocks do not matter). If Redis cannot be reached, the
Redis budget falls back to a local one and says so once per outage: reads go on.
"""

from __future__ import annotations

import contextlib
import itertools
import logging
import re
import secrets
import time
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

import anyio

from .errors import BudgetExhausted

if TYPE_CHECKING:
    from redis.asyncio import Redis

logger = logging.getLogger("powerpack_mcp.plivo")

#: Added to every hold: clocks of different machines tick at slightly different rates and
#: timestamps are rounded; a few milliseconds of budget buy certainty at window edges.
SAFETY = 0.05
_RATE = re.compile(r"\s*(\d+)\s*/\s*(\d+(?:\.\d+)?)\s*s?\s*")


@dataclass(frozen=True)
class RateLimit:
    """`requests` per `seconds`, as Plivo states an account's limit."""

    requests: int
    seconds: float

    @classmethod
    def parse(cls, text: str) -> RateLimit:
        """ "300/5s" (the `s` is optional); a ValueError says what is expected."""
        match = _RATE.fullmatch(text)
        if match is None:
            raise ValueError(
                f"{text!r} is not a rate: write requests/seconds, such as 300/5s "
                "(Plivo's account limit)"
            )
        limit = cls(int(match[1]), float(match[2]))
        if limit.requests < 1 or not 0 < limit.seconds <= 3600:
            raise ValueError(
                f"{text!r}: needs at least 1 request and a window of more than 0 and at most "
                "3600 seconds"
            )
        return limit

    def __str__(self) -> str:
        return f"{self.requests}/{self.seconds:g}s"

    def describe(self) -> str:
        return f"{self.requests} per {self.seconds:g} s"


class Slot(Protocol):
    async def done(self) -> None:
        """The answer arrived (or the request was abandoned): keep the slot one window more."""


class RequestBudget(Protocol):
    limit: RateLimit

    async def take(self, within: float, hold: float) -> Slot:
        """A slot, waiting at most `within` seconds, else BudgetExhausted (nothing was sent);
        `hold`: the longest the request can last."""

    async def aclose(self) -> None: ...


Attempt = Callable[[], Awaitable[float | None]]


async def wait_for_slot(limit: RateLimit, within: float, attempt: Attempt) -> None:
    """Call `attempt` until it takes a slot (None) or the wait it names would pass `within`.

    `attempt` returns the earliest a slot could be free, a lower bound: a request still in
    flight frees its slot one window after it ends, so no earlier than a window from now."""
    deadline = time.monotonic() + within
    while (wait := await attempt()) is not None:
        left = deadline - time.monotonic()
        if wait > left:
            # The safety margin is ours, not Plivo's: "30 s" for a 30-second window.
            raise BudgetExhausted(limit.describe(), wait - SAFETY)
        await anyio.sleep(wait)


class LocalBudget:
    """The budget within this process.

    Slots in two places, so that taking one costs next to nothing while the budget is far
    from spent: requests in flight (slot id -> the instant its hold ends, monotonic), and
    answered requests (the instants their window ends, in order: each is "now + window")."""

    def __init__(self, limit: RateLimit) -> None:
        self.limit = limit
        self._window = limit.seconds + SAFETY
        self._held: dict[int, float] = {}
        self._answered: deque[float] = deque()
        self._next_id = 0

    async def take(self, within: float, hold: float) -> Slot:
        slot = self._take_now(hold, time.monotonic())
        if slot is None:
            taken: list[int] = []

            async def attempt() -> float | None:
                now = time.monotonic()
                if (slot := self._take_now(hold, now)) is None:
                    return self._wait(now)
                taken.append(slot)
                return None

            await wait_for_slot(self.limit, within, attempt)
            slot = taken[0]
        return _LocalSlot(self, slot)

    def _take_now(self, hold: float, now: float) -> int | None:
        """A slot's id if one is free now, else None."""
        answered = self._answered
        while answered and answered[0] <= now:
            answered.popleft()
        if len(self._held) + len(answered) >= self.limit.requests:
            # A request whose answer was never reported gives its slot back when its hold ends.
            self._held = {slot: end for slot, end in self._held.items() if end > now}
            if len(self._held) + len(answered) >= self.limit.requests:
                return None
        self._next_id += 1
        self._held[self._next_id] = now + hold + self._window
        return self._next_id

    def _wait(self, now: float) -> float:
        """The earliest a slot may be free, in seconds from `now`, when `_take_now(now)` found
        none (so every end left is later than `now`)."""
        ends = [*self._held.values(), *itertools.islice(self._answered, 1)]
        return min(min(ends) - now, self._window)

    def finish(self, slot: int) -> None:
        # A hold that already ran out is kept a window more all the same: never wrong.
        self._held.pop(slot, None)
        self._answered.append(time.monotonic() + self._window)

    async def aclose(self) -> None:
        return None


@dataclass
class _LocalSlot:
    budget: LocalBudget
    slot: int
    finished: bool = False

    async def done(self) -> None:
        if not self.finished:
            self.finished = True
            self.budget.finish(self.slot)


# Both scripts: KEYS[1] is the account's slots, a sorted set (member: slot id; score: the end
# of its hold in µs of Redis' clock, so replicas' own clocks never matter). Redis runs a script
# atomically: two replicas can never both take the last slot.
_PRELUDE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local function keep(ms)
  -- The key outlives its longest hold, so an idle account's slots disappear on their own.
  if redis.call('PTTL', KEYS[1]) < ms then redis.call('PEXPIRE', KEYS[1], ms) end
end
"""

# ARGV: slot id, requests, window µs, hold µs. Returns 0 when the slot is taken, else the µs
# until the earliest a slot may be free (a request in flight frees its slot a window after it
# ends, so no sooner than a window from now).
_TAKE = (
    _PRELUDE
    + """
local window = tonumber(ARGV[3])
local hold = tonumber(ARGV[4])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
if redis.call('ZCARD', KEYS[1]) < tonumber(ARGV[2]) then
  redis.call('ZADD', KEYS[1], now + hold, ARGV[1])
  keep(math.ceil(hold / 1000))
  return 0
end
local first = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
return math.max(1, math.min(tonumber(first[2]) - now, window))
"""
)

# ARGV: slot id, window µs. Re-adds a slot whose hold already ran out: keeping it a window
# longer is never wrong, dropping it could be.
_DONE = (
    _PRELUDE
    + """
redis.call('ZADD', KEYS[1], now + tonumber(ARGV[2]), ARGV[1])
keep(math.ceil(tonumber(ARGV[2]) / 1000))
return 0
"""
)


class RedisBudget:
    """One budget for every replica using this Redis and Plivo account."""

    def __init__(
        self, redis: Redis, account: str, limit: RateLimit, *, recheck_after: float = 5.0
    ) -> None:
        """`recheck_after`: seconds between attempts to reach Redis again during an outage."""
        self.limit = limit
        self._recheck_after = recheck_after
        self._redis = redis
        self._key = f"powerpack-mcp:plivo-budget:{account}"
        self._window_us = round((limit.seconds + SAFETY) * 1_000_000)
        self._take = redis.register_script(_TAKE)
        self._done = redis.register_script(_DONE)
        self._local = LocalBudget(limit)
        self._down_since: float | None = None  # monotonic; None while Redis answers

    def _down(self) -> bool:
        """Redis failed less than `recheck_after` ago: do not wait on it again yet."""
        down = self._down_since
        return down is not None and time.monotonic() - down < self._recheck_after

    async def take(self, within: float, hold: float) -> Slot:
        if self._down():
            return await self._local.take(within, hold)
        slot = _RedisSlot(self, secrets.token_hex(8), self._window_us + round(hold * 1e6))
        deadline = time.monotonic() + within
        try:
            await wait_for_slot(self.limit, within, lambda: self._attempt(slot))
        except _RedisDown:
            return await self._local.take(max(0.0, deadline - time.monotonic()), hold)
        return slot

    async def _attempt(self, slot: _RedisSlot) -> float | None:
        args = (slot.id, self.limit.requests, self._window_us, slot.hold_us)
        waited = int(await self._call(self._take, *args))
        return None if waited == 0 else waited / 1_000_000

    async def finish(self, slot: _RedisSlot) -> None:
        # If Redis is down, the slot's hold ends on its own, later than the answer's would.
        if self._down():
            return
        with contextlib.suppress(_RedisDown):
            await self._call(self._done, slot.id, self._window_us)

    async def _call(self, script: Any, *args: int | str) -> Any:
        from redis.exceptions import RedisError

        try:
            result = await script(keys=[self._key], args=list(args))
        except (RedisError, OSError) as exc:
            if self._down_since is None:
                logger.warning(
                    "Redis is unreachable (%s): Plivo's request budget is held per process "
                    "until it is back, so replicas together may exceed %s",
                    type(exc).__name__,
                    self.limit.describe(),
                )
            self._down_since = time.monotonic()
            raise _RedisDown from None
        if self._down_since is not None:
            logger.warning("Redis is reachable again: Plivo's request budget is shared again")
            self._down_since = None
        return result

    async def aclose(self) -> None:
        await self._redis.aclose()


class _RedisDown(Exception):
    pass


@dataclass
class _RedisSlot:
    budget: RedisBudget
    id: str
    hold_us: int  # the request's longest duration plus a window

    async def done(self) -> None:
        await self.budget.finish(self)


def seconds_left() -> float:
    """What remains of the enclosing call's time budget (anyio's deadline), or infinity."""
    return anyio.current_effective_deadline() - anyio.current_time()


__all__ = [
    "LocalBudget",
    "RateLimit",
    "RedisBudget",
    "RequestBudget",
    "Slot",
    "seconds_left",
]
