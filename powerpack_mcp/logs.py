"""Logging to stderr only (stdout carries the protocol), with credentials redacted."""

from __future__ import annotations

import base64
import logging
import sys

from .settings import Settings


class RedactingFormatter(logging.Formatter):
    """Replaces every secret (and its Basic-auth Base64 form) in the final line."""

    def __init__(self, fmt: str, secrets: list[str]) -> None:
        super().__init__(fmt)
        self._secrets = [s for s in secrets if len(s) >= 4]

    def format(self, record: logging.LogRecord) -> str:
        line = super().format(record)
        for secret in self._secrets:
            line = line.replace(secret, "***")
        return line


def secrets_of(settings: Settings) -> list[str]:
    found = []
    for secret in (settings.auth_token, settings.confirm_secret):
        if secret is not None and secret.get_secret_value():
            found.append(secret.get_secret_value())
    if settings.auth_id and settings.auth_token:
        pair = f"{settings.auth_id}:{settings.auth_token.get_secret_value()}"
        found.append(base64.b64encode(pair.encode()).decode())
    return found


def configure_logging(settings: Settings) -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(
        RedactingFormatter("%(asctime)s %(levelname)s %(name)s: %(message)s", secrets_of(settings))
    )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(settings.log_level)
    # These log a line per request at INFO; our own DEBUG request lines are enough, and at
    # INFO they cost measurable CPU under load.
    for chatty in ("httpx", "httpcore", "uvicorn.access", "mcp.server.streamable_http"):
        logging.getLogger(chatty).setLevel(max(logging.WARNING, root.level))
