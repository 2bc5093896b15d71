"""Shared fixtures: the Plivo API emulator, in-process and over real HTTP."""

from collections.abc import Iterator

import pytest
from starlette.applications import Starlette

from powerpack_mcp.sandbox import create_app, serve


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def sandbox_app() -> Starlette:
    """A fresh emulator (demo data) for one test."""
    return create_app()


@pytest.fixture
def sandbox_url(sandbox_app: Starlette) -> Iterator[str]:
    """Base URL of `sandbox_app` served by uvicorn on 127.0.0.1 (ephemeral port)."""
    with serve(sandbox_app) as url:
        yield url
