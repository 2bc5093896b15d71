"""Logging to stderr only (stdout carries the protocol), with credentials redacted.

Two formats: text for people, and JSON (`--log-format json`) for log collectors: one object
per line with `time`, `level`, `logger`, `message` and any extras the line carries."""

from __future__ import annotations

import base64
import json
import logging
import sys
from datetime import UTC, datetime
from typing import Any

from .settings import Settings

#: The attributes every LogRecord has; anything else on a record is an extra worth keeping.
_STANDARD = frozenset(vars(logging.LogRecord("", 0, "", 0, "", (), None))) | {
    "message",
    "asctime",
    "color_message",  # uvicorn's copy of the message with terminal colours
    "taskName",
}


class RedactingFormatter(logging.Formatter):
    """Replaces every secret (and its Basic-auth Base64 form) in the final line."""

    def __init__(self, fmt: str, secrets: list[str]) -> None:
        super().__init__(fmt)
        self._secrets = [s for s in secrets if len(s) >= 4]

    def redact(self, text: str) -> str:
        for secret in self._secrets:
            text = text.replace(secret, "***")
        return text

    def format(self, record: logging.LogRecord) -> str:
        return self.redact(super().format(record))


class JsonFormatter(RedactingFormatter):
    """One JSON object per line. Values are redacted before encoding (JSON's escapes could
    hide a secret from a search of the encoded line), and the line once more after."""

    def __init__(self, secrets: list[str]) -> None:
        super().__init__("%(message)s", secrets)

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key, value in vars(record).items():
            if key not in _STANDARD and not key.startswith("_") and key not in entry:
                entry[key] = value
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        if record.stack_info:
            entry["stack"] = self.formatStack(record.stack_info)
        return self.redact(json.dumps(self._scrub(entry), ensure_ascii=False))

    def _scrub(self, value: Any) -> Any:
        if isinstance(value, dict):
            return {str(k): self._scrub(v) for k, v in value.items()}
        if isinstance(value, list | tuple):
            return [self._scrub(v) for v in value]
        if value is None or isinstance(value, bool | int | float):
            return value
        return self.redact(str(value))


def secrets_of(settings: Settings) -> list[str]:
    found = []
    for secret in (settings.auth_token, settings.confirm_secret, settings.redis_url):
        if secret is not None and secret.get_secret_value():
            found.append(secret.get_secret_value())
    if settings.auth_id and settings.auth_token:
        pair = f"{settings.auth_id}:{settings.auth_token.get_secret_value()}"
        found.append(base64.b64encode(pair.encode()).decode())
    if settings.http_tokens is not None:
        # `name:TOKEN[:scopes]` or a bare token; parsed strictly later, by access.load_grants.
        for entry in settings.http_tokens.get_secret_value().split(","):
            parts = entry.strip().split(":")
            found.append(parts[1] if len(parts) > 1 else parts[0])
    return found


def configure_logging(settings: Settings) -> None:
    handler = logging.StreamHandler(sys.stderr)
    secrets = secrets_of(settings)
    if settings.log_format == "json":
        handler.setFormatter(JsonFormatter(secrets))
    else:
        handler.setFormatter(
            RedactingFormatter("%(asctime)s %(levelname)s %(name)s: %(message)s", secrets)
        )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(settings.log_level)
    # These log a line per request at INFO; our own DEBUG request lines are enough, and at
    # INFO they cost measurable CPU under load.
    for chatty in ("httpx", "httpcore", "uvicorn.access", "mcp.server.streamable_http"):
        logging.getLogger(chatty).setLevel(max(logging.WARNING, root.level))
