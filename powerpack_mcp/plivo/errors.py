"""Typed errors for everything that can go wrong talking to Plivo.

Each error's message is written for the person (or model) who has to act on it, and never
contains credentials: they are built from the status, Plivo's error text and our own words.
"""

from __future__ import annotations

import math


class PlivoError(Exception):
    """Base class: a Plivo call did not succeed."""


class AuthenticationFailed(PlivoError):
    """401: Plivo did not accept the credentials."""

    def __init__(self) -> None:
        super().__init__(
            "Plivo rejected the credentials: check PLIVO_AUTH_ID and PLIVO_AUTH_TOKEN."
        )


class Forbidden(PlivoError):
    """403: the credentials are valid but may not do this."""

    def __init__(self, detail: str) -> None:
        super().__init__(f"Plivo refused this for these credentials (403): {detail}")


class NotFound(PlivoError):
    """404: the thing named does not exist (or is not visible to this account)."""

    def __init__(self, what: str) -> None:
        self.what = what
        super().__init__(f"{what} not found.")


class InvalidRequest(PlivoError):
    """400 (or another 4xx): Plivo rejected the arguments; its reason is passed on."""

    def __init__(self, detail: str, status: int = 400) -> None:
        self.detail = detail
        self.status = status
        super().__init__(f"Plivo rejected the request: {detail}")


class RateLimited(PlivoError):
    """429: too many requests; `retry_after` is Plivo's advised wait, when known."""

    def __init__(self, retry_after: float | None) -> None:
        self.retry_after = retry_after
        wait = f"retry in {math.ceil(retry_after)} s" if retry_after else "retry in a few seconds"
        super().__init__(f"Plivo rate limit reached (300 requests per 5 s): {wait}.")


class BudgetExhausted(PlivoError):
    """The account's request budget (Plivo's rate limit) has no slot free in time: nothing
    was sent, so Plivo never answered 429."""

    def __init__(self, limit: str, retry_in: float) -> None:
        self.retry_in = max(1, math.ceil(retry_in))
        super().__init__(
            f"Plivo's request budget for this account ({limit}) is used up; "
            f"try again in {self.retry_in} s."
        )


class UpstreamUnavailable(PlivoError):
    """5xx, a timeout, a dropped connection or an unreadable answer."""

    def __init__(self, detail: str, *, may_have_applied: bool = False) -> None:
        self.may_have_applied = may_have_applied
        hint = (
            " The change may or may not have been applied: check its state before retrying."
            if may_have_applied
            else " Nothing was changed; try again shortly."
        )
        super().__init__(f"Plivo is unavailable right now ({detail}).{hint}")


class UnexpectedAnswer(PlivoError):
    """Plivo answered, but not in a shape this server understands: act on none of it."""

    def __init__(self, detail: str) -> None:
        super().__init__(f"Unexpected answer from Plivo: {detail}.")
