"""Credentials never travel back up: every byte that comes from upstream is scrubbed of them.

A gateway or a misbehaving upstream may echo the request's headers in an error body. So the
auth token is removed from each answer, in every form this client sends it (raw, and inside
the Basic-auth header), before any of it becomes a message, a result or an audit line.
"""

from __future__ import annotations

import base64
from collections.abc import Iterable

MASK = "***"
_MIN_SECRET = 4  # shorter "secrets" would mask ordinary text


def secret_forms(auth_id: str, token: str) -> tuple[str, ...]:
    """The token as it may appear in text: raw, `id:token`, and its Basic-auth Base64."""
    basic = base64.b64encode(f"{auth_id}:{token}".encode()).decode()
    forms = {token, f"{auth_id}:{token}", basic, basic.replace("/", "\\/")}
    # Longest first, so a form that contains another is masked whole.
    return tuple(sorted((f for f in forms if len(f) >= _MIN_SECRET), key=len, reverse=True))


def redact(text: str, secrets: Iterable[str]) -> str:
    for secret in secrets:
        text = text.replace(secret, MASK)
    return text


def redact_bytes(content: bytes, secrets: Iterable[str]) -> bytes:
    for secret in secrets:
        content = content.replace(secret.encode(), MASK.encode())
    return content
