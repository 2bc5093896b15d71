"""Configuration, from the environment only for secrets; CLI flags override the rest."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import AliasChoices, Field, SecretStr, ValidationInfo, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from .plivo.ratelimit import RateLimit

LogLevel = Literal["DEBUG", "INFO", "WARNING", "ERROR"]
ConfirmMode = Literal["auto", "elicit", "view", "token"]
_AUTH_ID = re.compile(r"^(MA|SA)[A-Z0-9]{18}$")
DEFAULT_API_URL = "https://api.plivo.com"


class ConfigError(ValueError):
    """A configuration problem the operator must fix before the server can start."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="POWERPACK_MCP_", extra="ignore")

    auth_id: str | None = Field(default=None, validation_alias="PLIVO_AUTH_ID")
    auth_token: SecretStr | None = Field(default=None, validation_alias="PLIVO_AUTH_TOKEN")
    api_url: str = Field(
        default=DEFAULT_API_URL, validation_alias=AliasChoices("PLIVO_API_URL", "api_url")
    )
    timeout: float = Field(default=10.0, gt=0, le=120, description="Seconds per Plivo request.")
    log_level: LogLevel = "INFO"
    sandbox: bool = False
    read_only: bool = False
    tools: Annotated[tuple[str, ...] | None, NoDecode] = None
    confirm: ConfirmMode = "auto"
    confirm_secret: SecretStr | None = None
    confirm_ttl: float = Field(default=300, gt=0, le=900)
    audit_log: Path | None = None
    # Streamable HTTP (one server for a team).
    transport: Literal["stdio", "http"] = "stdio"
    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=0, le=65535)
    stateless: bool = False
    http_tokens: SecretStr | None = None
    http_tokens_file: Path | None = None
    allowed_hosts: Annotated[tuple[str, ...], NoDecode] = ()
    allowed_origins: Annotated[tuple[str, ...], NoDecode] = ()
    state_key: SecretStr | None = None
    max_body_bytes: int = Field(default=1_000_000, ge=1024)
    request_timeout: float = Field(default=120.0, gt=0)
    shutdown_grace: float = Field(default=30.0, ge=0)
    # Shared state across replicas (issue 15). A URL may hold a password, hence SecretStr.
    redis_url: SecretStr | None = None
    # Plivo's request budget per account: "300/5s" by default (Plivo's account limit).
    plivo_rate_limit: str = "300/5s"
    log_format: Literal["text", "json"] = "text"
    # Limits no caller can exhaust (HTTP; README "Limits"). A stateful session costs ~40 KB.
    max_sessions: int = Field(default=1000, ge=1)
    max_sessions_per_caller: int = Field(default=50, ge=1)
    session_idle_timeout: float = Field(default=600, gt=0)
    max_connections: int = Field(default=4096, ge=1)
    header_timeout: float = Field(default=10, gt=0)

    @field_validator("tools", "allowed_hosts", "allowed_origins", mode="before")
    @classmethod
    def _split_commas(cls, value: Any) -> Any:
        if isinstance(value, str):
            return tuple(name.strip() for name in value.split(",") if name.strip())
        return value

    @field_validator("tools", mode="after")
    @classmethod
    def _empty_tools_is_all(cls, value: tuple[str, ...] | None) -> tuple[str, ...] | None:
        return value or None

    @field_validator("state_key")
    @classmethod
    def _long_state_key(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and len(value.get_secret_value()) < 32:
            raise ValueError("must be at least 32 characters of secret randomness")
        return value

    @field_validator("plivo_rate_limit")
    @classmethod
    def _valid_rate(cls, value: str) -> str:
        # Normalised ("300/5s"), so what is logged is what is enforced.
        return str(RateLimit.parse(value))

    @property
    def rate_limit(self) -> RateLimit:
        """Plivo's request budget for this account (POWERPACK_MCP_PLIVO_RATE_LIMIT)."""
        return RateLimit.parse(self.plivo_rate_limit)

    @field_validator("max_sessions_per_caller")
    @classmethod
    def _caller_leaves_room(cls, value: int, info: ValidationInfo) -> int:
        total = info.data.get("max_sessions")
        if total is not None and value > total:
            raise ValueError(f"must not exceed POWERPACK_MCP_MAX_SESSIONS ({total})")
        return value

    @field_validator("log_level", mode="before")
    @classmethod
    def _upper_level(cls, value: Any) -> Any:
        return value.upper() if isinstance(value, str) else value

    @field_validator("auth_id", "api_url", mode="before")
    @classmethod
    def _blank_is_unset(cls, value: Any) -> Any:
        return None if isinstance(value, str) and not value.strip() else value

    def check_credentials(self) -> None:
        """Fail fast, naming exactly what is missing or malformed (never the token)."""
        if self.sandbox:
            return
        missing = [
            name
            for name, value in (
                ("PLIVO_AUTH_ID", self.auth_id),
                ("PLIVO_AUTH_TOKEN", self.auth_token),
            )
            if not value or (isinstance(value, SecretStr) and not value.get_secret_value())
        ]
        if missing:
            raise ConfigError(
                f"missing {' and '.join(missing)}: set them in the environment, "
                "or run with --sandbox to try the server without a Plivo account"
            )
        assert self.auth_id is not None
        if not _AUTH_ID.match(self.auth_id):
            raise ConfigError(
                "PLIVO_AUTH_ID looks wrong: Plivo auth IDs are 20 characters starting "
                "with MA (main account) or SA (subaccount)"
            )
