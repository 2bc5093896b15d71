"""Plivo's account rate limit, as an opt-in: N requests per T seconds, 429 beyond it.

A request counts when it arrives; one refused with 429 does not count (it did no work). The
window slides: a request is refused when N requests already arrived in the T seconds before
it. The sandbox never imports the project's client, so this is written on its own.
"""

import math
import re
import time
from collections import deque
from dataclasses import dataclass, field

from .errors import bad_request

_RATE = re.compile(r"\s*(\d+)\s*/\s*(\d+(?:\.\d+)?)\s*s?\s*")


@dataclass
class RateLimit:
    requests: int
    seconds: float
    _arrivals: deque[float] = field(default_factory=deque, repr=False)

    @classmethod
    def parse(cls, text: object) -> "RateLimit":
        """ "300/5s": requests per seconds (the `s` is optional)."""
        match = _RATE.fullmatch(text) if isinstance(text, str) else None
        if match is None or int(match[1]) < 1 or not 0 < float(match[2]) <= 3600:
            raise bad_request("rate_limit must look like 300/5s (1 or more requests per 0..3600 s)")
        return cls(int(match[1]), float(match[2]))

    def admit(self, now: float | None = None) -> float | None:
        """None when a request arriving now is admitted (and counted), else the seconds until
        it would be: what Retry-After says."""
        now = time.monotonic() if now is None else now
        while self._arrivals and self._arrivals[0] <= now - self.seconds:
            self._arrivals.popleft()
        if len(self._arrivals) < self.requests:
            self._arrivals.append(now)
            return None
        return self._arrivals[0] + self.seconds - now

    def describe(self) -> str:
        return f"{self.requests} requests per {self.seconds:g} s"

    def to_json(self) -> str:
        return f"{self.requests}/{self.seconds:g}s"


def retry_after_header(seconds: float) -> str:
    """Whole seconds, rounded up: a client that waits that long is admitted."""
    return str(max(1, math.ceil(seconds)))
