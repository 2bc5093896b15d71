"""Confirmation tokens (token mode): HMAC-signed, expiring, single-use, and bound to the
account, the action, the exact preview and the caller they were issued to."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import secrets
import time
from datetime import UTC, datetime
from typing import Any

from ..shared import SharedState
from .preview import Preview


class TokenRefused(Exception):
    """Why a token authorises nothing; the text completes "the confirmation token ..."."""


class TokenSigner:
    def __init__(self, key: bytes, *, account: str, ttl: float, spent: SharedState) -> None:
        self._key = key
        self._account = account
        self._ttl = ttl
        self._spent = spent  # the nonces used, until their token would have expired anyway

    def issue(self, preview: Preview, caller: str) -> tuple[str, datetime]:
        expires = int(time.time() + self._ttl)
        claims = {
            "acct": self._account,
            "act": preview.action,
            "tgt": preview.target,
            "dig": preview.digest,
            "sub": caller,
            "exp": expires,
            "nonce": secrets.token_urlsafe(12),
        }
        body = _b64(json.dumps(claims, separators=(",", ":")).encode())
        return f"{body}.{self._sign(body)}", datetime.fromtimestamp(expires, UTC)

    async def verify(self, token: str, preview: Preview, caller: str) -> bool:
        """True if valid for this preview; False if valid but the pool has changed since.

        Raises `SharedStateUnavailable` if what was spent cannot be read."""
        claims = self._claims(token)
        if not isinstance(claims.get("exp"), int) or claims["exp"] < time.time():
            raise TokenRefused("has expired: ask the user again with a fresh preview")
        if (claims.get("acct"), claims.get("act"), claims.get("tgt")) != (
            self._account,
            preview.action,
            preview.target,
        ):
            raise TokenRefused("was issued for another action or target")
        if claims.get("sub") != caller:
            raise TokenRefused("was issued to another caller; each caller needs its own")
        if await self._spent.spent(_nonce(claims)):
            raise TokenRefused(USED)
        return bool(claims.get("dig") == preview.digest)

    async def consume(self, token: str) -> None:
        """Spend a verified token before acting on it. The claim is one atomic step in the
        shared state, so of two calls (on any replicas) that both verified one token, only
        one gets past here; the other is refused as having used it."""
        claims = self._claims(token)
        # Kept past the token's expiry, by this clock, in case another replica's runs behind.
        ttl = max(float(claims["exp"]) - time.time(), 0) + CLOCK_SKEW
        if not await self._spent.claim(_nonce(claims), ttl):
            raise TokenRefused(USED)

    def _claims(self, token: str) -> dict[str, Any]:
        forged = TokenRefused("was not issued by this server (tampered or malformed)")
        if not token.isascii():
            raise forged
        body, _, signature = token.partition(".")
        if not body or not hmac.compare_digest(signature, self._sign(body)):
            raise forged
        try:
            claims = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
        except (binascii.Error, ValueError):
            raise forged from None
        if not isinstance(claims, dict) or not isinstance(claims.get("nonce"), str):
            raise forged
        return claims

    def _sign(self, body: str) -> str:
        return _b64(hmac.new(self._key, body.encode(), hashlib.sha256).digest())


CLOCK_SKEW = 300.0
USED = "has already been used: ask the user again with a fresh preview"


def _nonce(claims: dict[str, Any]) -> str:
    return f"token:{claims['nonce']}"


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def fingerprint(token: str | None) -> str | None:
    """Audit a token by a short hash, never the token itself."""
    if token is None:
        return None
    return hashlib.sha256(token.encode("utf-8", "replace")).hexdigest()[:12]
