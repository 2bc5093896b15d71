"""What the control surface reports about API traffic: the request log and concurrency."""

import time
from collections import deque
from typing import Any

REQUEST_LOG_SIZE = 10_000


class RequestLog:
    """The last REQUEST_LOG_SIZE API requests, oldest first.

    An entry is appended when the request arrives (status None) and its status is filled in
    when it is answered, so a test can also see requests that are still in flight. `arrived`
    is when (Unix time, seconds): what Plivo's rate limit counts.
    """

    def __init__(self) -> None:
        self._entries: deque[dict[str, Any]] = deque(maxlen=REQUEST_LOG_SIZE)

    def open(self, method: str, path: str, query: dict[str, str], body: Any) -> dict[str, Any]:
        entry = {
            "method": method,
            "path": path,
            "query": query,
            "body": body,
            "status": None,
            "arrived": time.time(),
        }
        self._entries.append(entry)
        return entry

    def entries(self) -> list[dict[str, Any]]:
        return [dict(entry) for entry in self._entries]

    def clear(self) -> None:
        self._entries.clear()


class Stats:
    """Concurrent API requests now and at most, so benchmarks can prove a client's bound."""

    def __init__(self) -> None:
        self.in_flight = 0
        self.max_in_flight = 0

    def enter(self) -> None:
        self.in_flight += 1
        self.max_in_flight = max(self.max_in_flight, self.in_flight)

    def leave(self) -> None:
        self.in_flight -= 1

    def clear(self) -> None:
        # Requests still running count towards the new window.
        self.max_in_flight = self.in_flight

    def to_json(self) -> dict[str, int]:
        return {"in_flight": self.in_flight, "max_in_flight": self.max_in_flight}
