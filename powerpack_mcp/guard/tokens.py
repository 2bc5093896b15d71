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

from .preview import Preview


class TokenRefused(Exception):
    """Why a token authorises nothing; the text completes "the confirmation token ..."."""


class TokenSigner:
    def __init__(self, key: bytes, *, account: str, ttl: float) -> None:
        self._key = key
        self._account = account
        self._ttl = ttl
        self._used: dict[str, float] = {}  # nonce -> expiry, pruned as they lapse

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

    def verify(self, token: str, preview: Preview, caller: str) -> bool:
        """True if valid for this preview; False if valid but the pool has changed since."""
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
        if claims.get("nonce") in self._used:
            raise TokenRefused("has already been used: ask the user again with a fresh preview")
        return bool(claims.get("dig") == preview.digest)

    def consume(self, token: str) -> None:
        """Spend the token. Callers verify and consume with no await in between, so two
        concurrent calls with one token cannot both pass."""
        claims = self._claims(token)
        now = time.time()
        self._used = {nonce: exp for nonce, exp in self._used.items() if exp >= now}
        self._used[str(claims["nonce"])] = float(claims["exp"])

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


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def fingerprint(token: str | None) -> str | None:
    """Audit a token by a short hash, never the token itself."""
    if token is None:
        return None
    return hashlib.sha256(token.encode("utf-8", "replace")).hexdigest()[:12]
