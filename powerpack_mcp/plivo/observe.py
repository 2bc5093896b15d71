"""What the Plivo client reports about its own traffic, for whoever measures it (metrics).

`plivo/` knows nothing of Prometheus: the transport calls an `Observer`, and the server
hands it one that counts (powerpack_mcp/metrics.py) or the silent default.
"""

from __future__ import annotations

from typing import Protocol


class Observer(Protocol):
    def request(self, method: str, status: int | None, seconds: float) -> None:
        """One attempt finished: Plivo's status, or None when no answer came."""

    def retry(self, method: str, reason: str) -> None:
        """An attempt is being repeated (`reason`: rate_limited, transient, not_sent)."""

    def budget_wait(self, seconds: float) -> None:
        """A request waited this long for the account's rate budget (0 if none)."""

    def in_flight(self, delta: int) -> None:
        """Requests to Plivo in flight went up (+1) or down (-1)."""


class Silent:
    """The default observer: measures nothing."""

    def request(self, method: str, status: int | None, seconds: float) -> None:
        return None

    def retry(self, method: str, reason: str) -> None:
        return None

    def budget_wait(self, seconds: float) -> None:
        return None

    def in_flight(self, delta: int) -> None:
        return None


SILENT: Observer = Silent()

__all__ = ["SILENT", "Observer", "Silent"]
