"""Shared fixtures: the Plivo API emulator, in-process and over real HTTP."""

import os
from collections.abc import Iterator

import pytest
from hypothesis import HealthCheck, settings
from starlette.applications import Starlette
from starlette.types import ASGIApp, Receive, Scope, Send

from powerpack_mcp.sandbox import create_app, serve

# Property tests run the same examples every time (`derandomize`, no example database), so a
# run's outcome never depends on the seed or on what an earlier run stored. Health checks stay
# on except the one that measures time, which a loaded machine fails at random.
settings.register_profile(
    "ci",
    max_examples=30,
    derandomize=True,
    database=None,
    deadline=None,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow],
)
# Nightly or by hand: many more, freshly random examples (HYPOTHESIS_PROFILE=long).
settings.register_profile(
    "long", max_examples=2000, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


def pytest_xdist_auto_num_workers(config: pytest.Config) -> int:
    """`-n auto`: a test process per CPU, plus one. About a fifth of the suite's time is spent
    waiting (retry backoff, deliberate delays, servers starting), which the extra one fills."""
    return (os.cpu_count() or 1) + 1


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def sandbox_app() -> Starlette:
    """A fresh emulator (demo data) for one test."""
    return create_app()


class CurrentApp:
    """An ASGI app that hands each request to whichever emulator the running test set."""

    def __init__(self) -> None:
        self.app: ASGIApp | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        assert self.app is not None, "no test's emulator is being served"
        await self.app(scope, receive, send)


@pytest.fixture(scope="session")
def _emulator_server() -> Iterator[tuple[CurrentApp, str]]:
    # One uvicorn per test process: starting and stopping one for each test cost ~0.2 s of
    # mostly idle polling, a third of the emulator tests' time.
    current = CurrentApp()
    with serve(current) as url:
        yield current, url


@pytest.fixture
def sandbox_url(sandbox_app: Starlette, _emulator_server: tuple[CurrentApp, str]) -> Iterator[str]:
    """Base URL serving `sandbox_app` over real HTTP on 127.0.0.1 (ephemeral port)."""
    current, url = _emulator_server
    current.app = sandbox_app
    try:
        yield url
    finally:
        current.app = None
