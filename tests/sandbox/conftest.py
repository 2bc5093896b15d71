"""Fixtures for the emulator's own tests: HTTP clients for the API and the control surface."""

from collections.abc import Iterator

import httpx
import pytest

from powerpack_mcp.sandbox import DEFAULT_AUTH_ID, DEFAULT_AUTH_TOKEN

ACCOUNT = f"/v1/Account/{DEFAULT_AUTH_ID}/"


@pytest.fixture
def api(sandbox_url: str) -> Iterator[httpx.Client]:
    """An authenticated client whose relative paths start below /v1/Account/{auth_id}/."""
    auth = (DEFAULT_AUTH_ID, DEFAULT_AUTH_TOKEN)
    with httpx.Client(base_url=sandbox_url + ACCOUNT, auth=auth) as client:
        yield client


@pytest.fixture
def control(sandbox_url: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=sandbox_url + "/_sandbox/") as client:
        yield client
