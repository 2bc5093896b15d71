"""A small async client for Plivo's Powerpack and number-pool APIs."""

from .client import Credentials, PlivoClient, PowerpackNotFound, looks_like_uuid, open_client
from .errors import (
    AuthenticationFailed,
    BudgetExhausted,
    Forbidden,
    InvalidRequest,
    NotFound,
    PlivoError,
    RateLimited,
    UnexpectedAnswer,
    UpstreamUnavailable,
)
from .models import AccountNumber, NumberPriority, PoolNumber, Powerpack, Priority, Shortcode

__all__ = [
    "AccountNumber",
    "AuthenticationFailed",
    "BudgetExhausted",
    "Credentials",
    "Forbidden",
    "InvalidRequest",
    "NotFound",
    "NumberPriority",
    "PlivoClient",
    "PlivoError",
    "PoolNumber",
    "Powerpack",
    "PowerpackNotFound",
    "Priority",
    "RateLimited",
    "Shortcode",
    "UnexpectedAnswer",
    "UpstreamUnavailable",
    "looks_like_uuid",
    "open_client",
]
